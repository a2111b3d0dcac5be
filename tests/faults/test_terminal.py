"""Quitting leaves the terminal clean; a crash leaves it usable and its traceback goes to a file."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from textual.widgets import Tree

from hydra_tui.demo.runner import DemoServer
from tests.ui.helpers import make_app, wait_for

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"


def _read_until(fd: int, proc: subprocess.Popen[bytes], want: bytes, deadline: float) -> bytes:
    seen = b""
    while time.monotonic() < deadline and want not in seen:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    return seen


@contextlib.contextmanager
def in_pty(args: list[str], tmp_path, **extra_env: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`python -m hydra_tui ARGS` on a pseudo-terminal of its own, with private config/cache/state dirs."""
    main, sub = pty.openpty()
    env = dict(
        os.environ,
        TERM="xterm-256color",
        XDG_CACHE_HOME=str(tmp_path),
        XDG_STATE_HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path),
        **extra_env,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "hydra_tui", *args],
        stdin=sub,
        stdout=sub,
        stderr=sub,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(sub)
    try:
        yield main, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)


@pytest.mark.parametrize("key", [b"q", b"\x03"], ids=["q", "ctrl+c"])
def test_quit_leaves_the_terminal_clean(key: bytes, tmp_path) -> None:
    with in_pty(["--demo"], tmp_path, COLUMNS="80", LINES="24") as (main, proc):
        screen = _read_until(main, proc, b"release-24.05", time.monotonic() + 30)
        assert b"release-24.05" in screen, screen[-500:]
        os.write(main, key)
        rest = _read_until(main, proc, b"\x00never\x00", time.monotonic() + 20)  # everything until it exits
        proc.wait(timeout=20)
    assert proc.returncode == 0
    assert LEAVE_ALT_SCREEN in rest and SHOW_CURSOR in rest
    assert b"Traceback" not in screen + rest


async def test_crash_goes_to_a_file(demo: DemoServer, clock, tmp_path) -> None:
    app = make_app(demo.url, clock)
    app.crash_dir = tmp_path

    def explode(*args: object) -> None:
        raise RuntimeError("boom from a test")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: bool(app.screen.query(Tree)))
            app.screen.set_timer(0.01, explode)
            await wait_for(pilot, lambda: app.crash_report is not None)
    assert app.return_code == 1
    reports = list(tmp_path.glob("crash-*.log"))
    assert len(reports) == 1 and "boom from a test" in reports[0].read_text()
    assert reports[0].stat().st_mode & 0o777 == 0o600


def test_idle_watch_writes_next_to_nothing(tmp_path) -> None:
    """Over ssh every byte counts: polls that bring no change redraw nothing but the status line's clock."""
    args = ["watch", "--demo", "--interval", "5", "hello:release-24.05"]
    with in_pty(args, tmp_path) as (main, proc):
        first = _read_until(main, proc, b"started watching", time.monotonic() + 30)
        assert b"started watching" in first
        _read_until(main, proc, b"\x00never\x00", time.monotonic() + 1.0)  # let the first frame settle
        idle = _read_until(main, proc, b"\x00never\x00", time.monotonic() + 11.0)  # two more polls
        os.write(main, b"q")
        proc.wait(timeout=20)
    assert len(first) > 2000  # the first frame is big…
    assert len(idle) < 1500, idle  # …while idle polls cost a status-line update at most


async def test_a_failing_background_task_is_reported_not_hidden(demo: DemoServer, clock, tmp_path) -> None:
    app = make_app(demo.url, clock)
    app.crash_dir = tmp_path

    async def broken() -> None:
        raise KeyError("bug in a worker")

    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(Tree)))
        app.screen.run_worker(broken(), exit_on_error=False)
        await wait_for(pilot, lambda: any(n.title == "Internal error" for n in app._notifications))
        assert app.is_running
    assert len(list(tmp_path.glob("crash-*.log"))) == 1


def test_the_demo_keeps_one_state_file(tmp_path) -> None:
    """Each `--demo` run listens on a new port; its saved state still goes under one name, not one file a port."""
    for _ in range(2):
        with in_pty(["--demo"], tmp_path, COLUMNS="80", LINES="24") as (main, proc):
            screen = _read_until(main, proc, b"release-24.05", time.monotonic() + 30)
            assert b"release-24.05" in screen, screen[-500:]
            os.write(main, b"q")
            _read_until(main, proc, b"\x00never\x00", time.monotonic() + 20)
            proc.wait(timeout=20)
    states = sorted(p.name for p in tmp_path.rglob("state-*.json"))
    assert states == ["state-demo.json"]
