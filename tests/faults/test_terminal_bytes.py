"""Hostile server strings through every screen and output, checked in the raw bytes written: no ESC outside the
app's own sequences (CSI, and its own OSC notifications), no C1 control, none of the hostile payloads.

The demo serves names, descriptions and evaluation errors full of window-title changes, OSC 52 clipboard writes,
OSC 8 links, `ESC c` resets, DCS strings, 8-bit C1 sequences, bidi overrides, NUL and lone surrogates. The app runs
on a pseudo-terminal (dashboard, command palette, modal, watch toasts) or in line mode (--plain, --json,
--on-change with its HYDRA_TUI_SUMMARY)."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

from hydra_tui.demo.runner import DemoServer
from hydra_tui.watch.cli import watch_main
from tests.conftest import T0
from tests.faults.test_terminal import _read_until, in_pty

EVIL = (
    "\x1b]0;PWNED-title\x07"
    "\x1b]52;c;aGVsbG8=\x07"
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"
    "\x1bc"
    "\x1bP1$qPWNED-dcs\x1b\\"
    "\x9b2J\x9d0;PWNED-c1\x9c"
    "\u202eevil\u2066\u200b\x00\ud800"
)
PAYLOADS = [b"PWNED", b"aGVsbG8", b"evil.example"]
JOB = "hostile" + EVIL + ".x86_64-linux"


def hostile(world) -> None:
    p = world._project("evil", "Evil " + EVIL, "desc " + EVIL)
    world._project("evil2" + EVIL, "Evil two " + EVIL, "")
    js = world._jobset(p, "js", "jobset " + EVIL, jobs=("hostile" + EVIL, "plain"), systems=("x86_64-linux",))
    ev = world._new_eval(js, at=world.t0 - 100, live=False)
    had_errors(js, ev)
    for build_id in ev.build_ids:
        b = world.builds[build_id]
        b.outcome, b.start_at, b.finish_at = 0, T0 - 90, T0 - 50


def had_errors(js, ev) -> None:
    """The evaluation had errors (hydra-eval-jobset writes them, and their time, with every evaluation)."""
    js.errormsg = "error: \x1b[31;1mboom\x1b[0m " + EVIL
    js.errortime = T0 - 10
    ev.has_error = True


def fail_later(world) -> None:
    """The builds that succeeded fail in a new evaluation once the clock moves on: Hydra calls them newly failing."""
    hostile(world)
    js = world.projects["evil"].jobsets["js"]
    ev = world._new_eval(js, at=world.t0 - 40, live=False)
    had_errors(js, ev)
    for build_id in ev.build_ids:
        b = world.builds[build_id]
        b.outcome, b.start_at, b.finish_at = 1, T0 + 1, T0 + 2


def failed_now(world) -> None:
    """Like `fail_later`, but the new evaluation's builds have failed already: the first poll names them."""
    hostile(world)
    js = world.projects["evil"].jobsets["js"]
    ev = world._new_eval(js, at=world.t0 - 40, live=False)
    had_errors(js, ev)
    for build_id in ev.build_ids:
        b = world.builds[build_id]
        b.outcome, b.start_at, b.finish_at = 1, T0 - 30, T0 - 20


# The app's own sequences: CSI (colours, cursor, modes); OSC 9 / OSC 777 notifications, OSC 0/2 titles and
# OSC 22 (the pointer shape).
APP_SEQUENCES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\](?:0|2|9|22|777);[^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>]")
C1_IN_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def assert_clean(raw: bytes) -> None:
    rest = APP_SEQUENCES.sub(b"", raw)
    stray = rest.find(b"\x1b")
    assert stray < 0, rest[max(0, stray - 80) : stray + 80]
    assert not C1_IN_UTF8.search(raw), C1_IN_UTF8.search(raw)
    for payload in PAYLOADS:
        assert payload not in raw, payload
    assert "\u202e".encode() not in raw and b"\x00" not in raw.replace(b"\x1b[", b"")


def test_dashboard_palette_and_modal_write_no_hostile_bytes(tmp_path, clock) -> None:
    with (
        DemoServer(clock=clock, start=T0, configure=hostile) as demo,
        in_pty(["--url", demo.url, "evil:js"], tmp_path, COLUMNS="120", LINES="40") as (main, proc),
    ):
        seen = _read_until(main, proc, b"boom", time.monotonic() + 30)  # the jobset with its evaluation error
        assert b"boom" in seen, seen[-2000:]
        os.write(main, b"\x10")  # ctrl+p: the palette lists projects and jobsets by name
        seen += _read_until(main, proc, b"Open the project", time.monotonic() + 15)
        os.write(main, b"evil")
        seen += _read_until(main, proc, b"\x00never\x00", time.monotonic() + 2)
        os.write(main, b"\x1b")
        seen += _read_until(main, proc, b"\x00never\x00", time.monotonic() + 1)
        os.write(main, b"p")  # the confirm modal names the jobset
        seen += _read_until(main, proc, b"Evaluate jobset", time.monotonic() + 15)
        os.write(main, b"n")
        seen += _read_until(main, proc, b"\x00never\x00", time.monotonic() + 1)
        os.write(main, b"q")
        seen += _read_until(main, proc, b"\x00never\x00", time.monotonic() + 10)
    assert b"Open the project" in seen and b"Evaluate jobset" in seen
    assert_clean(seen)


def test_watch_toasts_and_notifications_write_no_hostile_bytes(tmp_path, clock) -> None:
    with DemoServer(clock=clock, start=T0, configure=fail_later) as demo:
        args = ["watch", "--url", demo.url, "--interval", "5", "evil:js"]
        with in_pty(args, tmp_path, COLUMNS="120", LINES="40") as (main, proc):
            seen = _read_until(main, proc, b"started watching", time.monotonic() + 30)
            assert b"started watching" in seen, seen[-2000:]
            demo.call(lambda world: None)
            clock.advance(60)
            seen += _read_until(main, proc, b"newly failed", time.monotonic() + 20)
            seen += _read_until(main, proc, b"\x00never\x00", time.monotonic() + 1)
            os.write(main, b"q")
            seen += _read_until(main, proc, b"\x00never\x00", time.monotonic() + 10)
    assert b"newly failed" in seen and b"\x1b]9;" in seen  # the toast, and the desktop notification went out
    assert_clean(seen)


def test_plain_json_and_on_change_write_no_hostile_bytes(tmp_path: Path, clock) -> None:
    summary = tmp_path / "summary"
    with DemoServer(clock=clock, start=T0, configure=failed_now) as demo:
        for mode in ("--plain", "--json"):
            raw_out, raw_err = io.BytesIO(), io.BytesIO()
            out = io.TextIOWrapper(raw_out, encoding="utf-8", write_through=True)
            err = io.TextIOWrapper(raw_err, encoding="utf-8", write_through=True)
            command = f'printf "%s" "$HYDRA_TUI_SUMMARY" > {summary}'
            args = [mode, "--exit-status", "--timeout", "20", "--on-change", command, "evil:js"]
            code = watch_main(args, out=out, err=err, demo_url=demo.url)
            assert code == 2  # the evaluation error
            # The hostile job name is printed (cleaned), so the scan below really looks at it.
            assert b"hostile" in raw_out.getvalue() and b"x86_64-linux" in raw_out.getvalue(), raw_out.getvalue()
            for raw in (raw_out.getvalue(), raw_err.getvalue()):
                assert b"\x1b" not in raw and not C1_IN_UTF8.search(raw)
                for payload in PAYLOADS:
                    assert payload not in raw
    for _ in range(250):
        if summary.exists() and summary.read_bytes():
            break
        time.sleep(0.02)  # waiting for the command's file
    written = summary.read_bytes()
    assert b"evaluation failed" in written
    assert b"\x1b" not in written and not C1_IN_UTF8.search(written)


LOG_LINES = ["log " + EVIL, "\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x1b[2J\x1b[H moved"]


def walkable(world) -> None:
    """Like `failed_now`, with the new evaluation's plain job a dependency failure of the hostile one (so the
    root-cause scan and the build steps name it), and hostile lines at the end of every log of the jobset."""
    hostile(world)
    js = world.projects["evil"].jobsets["js"]
    ev = world._new_eval(js, at=world.t0 - 40, live=False)
    had_errors(js, ev)
    for build_id in ev.build_ids:
        b = world.builds[build_id]
        b.outcome, b.start_at, b.finish_at = (2 if b.job.startswith("plain") else 1), T0 - 30, T0 - 20
    mine = {b.id for b in world.builds.values() if b.project == "evil"}
    original = world.log

    def log(b):
        yield from original(b)
        if b.id in mine:
            yield from LOG_LINES

    world.log = log


PLAIN_TEXT = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def test_every_screen_writes_no_hostile_bytes(tmp_path, clock) -> None:
    """One walk through every screen a user reaches with the hostile jobset, scanning everything written."""
    seen = b""

    def step(keys: bytes, want: bytes, timeout: float = 15) -> None:
        """Send `keys`, then read until `want` shows in the text written (sequences stripped)."""
        nonlocal seen
        if keys:
            os.write(main, keys)
        got, deadline = b"", time.monotonic() + timeout
        while want not in PLAIN_TEXT.sub(b"", got) and time.monotonic() < deadline and proc.poll() is None:
            got += _read_until(main, proc, b"\x00never\x00", min(deadline, time.monotonic() + 0.2))
        seen += got
        assert want in PLAIN_TEXT.sub(b"", got), (keys, want, PLAIN_TEXT.sub(b"", got)[-3000:])

    env = {"COLUMNS": "140", "LINES": "45", "HYDRA_USER": "bob", "HYDRA_PASSWORD": "bob-pw"}
    with (
        DemoServer(clock=clock, start=T0, configure=walkable) as demo,
        in_pty(["--url", demo.url, "evil:js"], tmp_path, **env) as (main, proc),
    ):
        step(b"", b"boom", 30)  # the jobset screen with its evaluation error
        step(b"?", b"Keys:")  # help
        step(b"\x1b", b"CHANGED INPUTS")
        step(b"e", b"n More")  # the evaluations list
        step(b"\r", b"Evaluation ")  # the newest evaluation: its comparison categories
        step(b"0", b"plain")  # every build
        step(b"x", b"Root causes of 1 dependency failure")  # the root-cause scan over the newly failing builds
        step(b"", b"1/1 build pages read")  # it read the build page's steps: the hostile job is the culprit
        step(b"\x1b", b"Evaluation ")
        step(b"\r", b"End of the log")  # the build screen: steps and the end of the log
        step(b"l", b"click")  # the log viewer
        step(b"\x1b", b"End of the log")
        step(b"j", b"Builds, newest first")  # the job's history
        step(b"\x1b", b"End of the log")
        step(b"R", b"Restart")  # the confirm modal names the build
        step(b"y", b"not allowed")  # bob may not: a toast
        step(b"A", b"Action log")  # the action log lists the refusal
        step(b"\x1b", b"End of the log")
        step(b"\x1b", b"Evaluation ")
        step(b"/", b"Enter searches")
        step(b"hostile]0;title\\", b"0 of 2 match")  # typed search text that looks like an escape sequence
        step(b"\r", b'Search "hostile]0;title')
        # Esc clears the search, then goes back screen by screen to the project tree (with both hostile projects).
        for _ in range(5):
            os.write(main, b"\x1b")
            seen += _read_until(main, proc, b"Evil two", time.monotonic() + 1.5)
            if b"Evil two" in PLAIN_TEXT.sub(b"", seen[-20000:]):
                break
        step(b"", b"Evil two")
        step(b"s", b"Machines")  # the operator view
        step(b"\x1b", b"Evil two")
        os.write(main, b"q")
        seen += _read_until(main, proc, b"\x00never\x00", time.monotonic() + 10)
    assert b"hostile" in seen and b"x86_64-linux" in seen
    assert_clean(seen)
