"""Time from process start to the first frame on a real pseudo-terminal, for the dashboard and for a bare Textual
app on the same machine (the floor). Run:
    python bench/first_frame.py [runs]

The dashboard talks to a demo Hydra in another process (started here), so the figure is the dashboard's alone. A
frame counts as drawn when the footer's "Quit" has been written (both apps have that key; Textual writes a frame
whole, and the footer, which Textual fills one frame late, is drawn in hydra-tui's first).

Set PYTHONDONTWRITEBYTECODE=1 and every run compiles hydra-tui's modules anew (an editable install has no bytecode
until a run writes it): the bench leaves it unset, as a user's machine does.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import free_port, here_first, wait_port  # noqa: E402

BARE = """
from textual.app import App
from textual.widgets import Footer, Static
from textual.binding import Binding
class Bare(App):
    BINDINGS = [Binding("q", "quit", "Quit")]
    def compose(self):
        yield Static("hello")
        yield Footer()
Bare().run()
"""


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) a process has used so far, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_frame(args: list[str], marker: bytes, env: dict[str, str], timeout: float = 20.0) -> tuple[float, float]:
    """Seconds from spawning `args` on an 80x24 pty until `marker` is written, and the CPU seconds the process used
    by then (steadier than the wall clock on a busy machine); then the process is ended."""
    main, sub = pty.openpty()
    os.set_blocking(main, False)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdin=sub, stdout=sub, stderr=sub, env=env, close_fds=True, start_new_session=True)
    os.close(sub)
    seen = b""
    try:
        while marker not in seen:
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"no first frame within {timeout}s: {seen[-300:]!r}")
            ready, _, _ = select.select([main], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    break
        return time.perf_counter() - started, cpu_seconds(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(main)


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    port = free_port()
    env = dict(here_first(), TERM="xterm-256color", COLUMNS="80", LINES="24")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        env[name] = "/tmp/hydra-tui-first-frame"
    server = subprocess.Popen(
        [sys.executable, "-m", "hydra_tui", "demo-server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=here_first(),
    )
    try:
        wait_port(port)
        dashboard = [sys.executable, "-m", "hydra_tui", "--url", f"http://127.0.0.1:{port}"]
        bare = [sys.executable, "-c", BARE]
        first_frame(dashboard, b"Quit", env)  # warm the disk cache and the bytecode
        first_frame(bare, b"Quit", env)
        ours = [first_frame(dashboard, b"Quit", env) for _ in range(runs)]
        floor = [first_frame(bare, b"Quit", env) for _ in range(runs)]
    finally:
        server.terminate()
        server.wait()
    for label, n in (("wall clock", 0), ("CPU time", 1)):
        a, b = median([r[n] for r in ours]), median([r[n] for r in floor])
        print(f"first frame in a pty ({label}, median of {runs}): hydra-tui {a:.3f} s, bare Textual {b:.3f} s")
    print("hydra-tui runs (wall):", " ".join(f"{r[0]:.3f}" for r in ours))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
