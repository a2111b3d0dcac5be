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
    # The evaluation had errors (hydra-eval-jobset writes them, and their time, with every evaluation).
    js.errormsg = "error: \x1b[31;1mboom\x1b[0m " + EVIL
    js.errortime = T0 - 10
    for build_id in ev.build_ids:
        b = world.builds[build_id]
        b.outcome, b.start_at, b.finish_at = 0, T0 - 90, T0 - 50


def fail_later(world) -> None:
    """The builds that succeeded fail in a new evaluation once the clock moves on: Hydra calls them newly failing."""
    hostile(world)
    js = world.projects["evil"].jobsets["js"]
    for build_id in world._new_eval(js, at=world.t0 - 40, live=False).build_ids:
        b = world.builds[build_id]
        b.outcome, b.start_at, b.finish_at = 1, T0 + 1, T0 + 2


def failed_now(world) -> None:
    """Like `fail_later`, but the new evaluation's builds have failed already: the first poll names them."""
    hostile(world)
    js = world.projects["evil"].jobsets["js"]
    for build_id in world._new_eval(js, at=world.t0 - 40, live=False).build_ids:
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
