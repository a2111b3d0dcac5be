"""Issue 14's latency table: the real app in a pseudo-terminal, against the demo with its nginx-like rate limit
(2 requests/s) on and the app's own polling running, timed from the key press until the screen shows the answer.

The app runs as `python -m hydra_tui` on a pty of 120x40; what it writes is fed to a terminal emulator (pyte), and
each interaction waits until the emulated screen shows what a person waits for. Each row is run on several
targets (other jobsets, evaluations, builds) so that it pays its requests, except where the row is about
cached data. Before each measured key the bench waits `--think` seconds (2 by default), as a person reads the screen
before the next key; `--think 0` presses keys as fast as the screen answers, which asks more of the server's
rate limit than it allows. Needs pyte (`pip install -e '.[bench]'`). Run:
    python bench/latency.py [--runs 5] [--think 2]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import queue
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench import demo_server, here_first  # bench/bench.py, beside this script

try:
    import pyte
except ImportError:  # pragma: no cover - a bench dependency
    raise SystemExit("bench/latency.py needs pyte: pip install -e '.[bench]'") from None

COLUMNS, LINES = 120, 40
ENTER, ESC, DOWN, CTRL_P = b"\r", b"\x1b", b"\x1b[B", b"\x10"


class Terminal:
    """hydra-tui on a pty, its output kept on an emulated screen.

    An answer is timed until the bytes that complete it reach the terminal: one thread reads the pty and stamps
    each chunk as it arrives, another feeds the chunks to pyte and checks the screen, so the emulator's own parsing
    (pure Python, several milliseconds a full screen) is not counted as the app's.
    """

    def __init__(self, args: list[str], home: str) -> None:
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        self.chunks: queue.Queue[tuple[float, bytes]] = queue.Queue()
        self.condition: Callable[[str], bool] | None = None
        self.answered_at: float | None = None
        self.answered = threading.Event()
        main, sub = pty.openpty()
        fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        env = dict(
            here_first(),
            TERM="xterm-256color",
            COLUMNS=str(COLUMNS),
            LINES=str(LINES),
            XDG_CACHE_HOME=home,
            XDG_STATE_HOME=home,
            XDG_CONFIG_HOME=home,
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hydra_tui", *args],
            stdin=sub,
            stdout=sub,
            stderr=sub,
            env=env,
            close_fds=True,
            start_new_session=True,
        )
        os.close(sub)
        self.fd = main
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._feed, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b""
            self.chunks.put((time.perf_counter(), chunk))
            if not chunk:
                return

    def _feed(self) -> None:
        while True:
            arrived, chunk = self.chunks.get()
            if not chunk:
                return
            with self.lock:
                self.stream.feed(chunk)
                condition = self.condition
                if condition is not None and condition("\n".join(self.screen.display)):
                    self.condition = None
                    self.answered_at = arrived
                    self.answered.set()

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def wait(self, condition: Callable[[str], bool], timeout: float = 30.0) -> float:
        """Seconds until output arrives that makes the screen satisfy `condition`."""
        started = time.perf_counter()
        with self.lock:
            if condition("\n".join(self.screen.display)):
                return time.perf_counter() - started
            self.answered.clear()
            self.answered_at = None
            self.condition = condition
        if not self.answered.wait(timeout):
            raise SystemExit(f"timed out after {self.last!r}; the screen shows:\n{self.text()}")
        assert self.answered_at is not None
        return self.answered_at - started

    last = b""

    def press(self, keys: bytes, condition: Callable[[str], bool], timeout: float = 30.0) -> float:
        self.last = keys
        with self.lock:
            self.answered.clear()
            self.answered_at = None
            self.condition = condition
        started = time.perf_counter()
        os.write(self.fd, keys)
        if not self.answered.wait(timeout):
            raise SystemExit(f"timed out after {keys!r}; the screen shows:\n{self.text()}")
        assert self.answered_at is not None
        return self.answered_at - started

    def close(self) -> None:
        if self.proc.poll() is None:
            os.write(self.fd, b"\x11")  # ctrl+q
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        os.close(self.fd)


def get(url: str) -> object:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def has(*needles: str) -> Callable[[str], bool]:
    return lambda text: all(n in text for n in needles)


def filter_shows(typed: str) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        lines = text.splitlines()
        return len(lines) > 1 and lines[1].strip() == typed

    return check


def lacks(needle: str) -> Callable[[str], bool]:
    return lambda text: needle not in text


def measure(url: str, runs: int, think: float) -> dict[str, list[float]]:
    jobsets = ["main", "staging", "flake", "nightly", "broken", "release-24.05"][:runs]
    evals = [e["id"] for e in get(f"{url}/jobset/hello/main/evals")["evals"]][: runs + 1]
    failed = []
    for eval_id in evals:
        for b in get(f"{url}/eval/{eval_id}/builds"):
            if b["finished"] and b["buildstatus"] == 1:
                failed.append(b["id"])
    failed = failed[: runs * 2]
    out: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        out.setdefault(name, []).append(seconds)

    def timed(name: str, keys: bytes, condition: Callable[[str], bool], timeout: float = 30.0) -> None:
        """One measured interaction, after `think` seconds of reading the screen, as a person would."""
        time.sleep(think)
        add(name, term.press(keys, condition, timeout))

    time.sleep(4)  # the queries above spent the server's burst; a person's first start does not follow a script's
    with tempfile.TemporaryDirectory() as home:
        term = Terminal(["--url", url], home)
        try:
            term.wait(has("release-24.05", "nixpkgs"), timeout=60)
            # Open a jobset (from the project tree), and back.
            for name in jobsets:
                term.press(CTRL_P, has("Search"))
                timed("open a jobset (palette: hello:NAME)", f"hello:{name}".encode() + ENTER, has("EVAL"))
                timed("back", ESC, has("release-24.05", "nixpkgs"))
            # Open an evaluation from its jobset's list, then back: the first time pays the comparison's request.
            term.press(CTRL_P, has("Search"))
            term.press(b"hello:main" + ENTER, has("EVAL"))
            for n, eval_id in enumerate(evals[:runs]):
                keys = (DOWN if n else b"") + ENTER
                timed("open an evaluation (Enter in its jobset)", keys, has(f"Evaluation {eval_id}", "All builds"))
                term.press(ESC, lacks(f"Evaluation {eval_id}"))
            term.press(ESC, has("release-24.05", "nixpkgs"))
            # Open a build, then its log's end.
            for build_id in failed[:runs]:
                term.press(CTRL_P, has("Search"))
                timed(
                    "open a build (palette: its id)",
                    str(build_id).encode() + ENTER,
                    has(f"Build {build_id}", "derivation"),
                )
                # The build screen shows the log's last lines itself: the log screen is the one whose title says so.
                timed("a log's end (l)", b"l", has("› log", "For full logs, run"))
                term.press(ESC, lambda text: "derivation" in text and "› log" not in text)
                term.press(ESC, lacks("derivation"))
            # A build already cached: the palette jump alone.
            for build_id in failed[:runs]:
                term.press(CTRL_P, has("Search"))
                timed("palette: typed id to its hit", str(build_id).encode(), has(f"build {build_id}"))
                timed("palette jump to a cached build (Enter)", ENTER, has(f"Build {build_id}"))
                term.press(ESC, lacks(f"Build {build_id}"))
            # Filter keystrokes on the 250,000 builds of nixpkgs' newest evaluation (every build).
            term.press(CTRL_P, has("Search"))
            term.press(b"nixpkgs:trunk" + ENTER, has("EVAL"))
            term.press(ENTER, has("All builds 250,000"), timeout=120)
            term.press(b"0", has("BUILD"))
            term.wait(lambda text: "acme" in text, timeout=120)  # the first rows' details
            term.press(b"/", has("filter loaded rows"))  # the filter box, with its placeholder
            typed = ""
            for char in "python3Pac":
                typed += char
                # The filter box (the line under the title) says exactly what is typed: "p" alone is on any screen.
                timed("filter keystroke (250,000 builds)", char.encode(), filter_shows(typed))
        finally:
            term.close()
    return out


BUDGETS = {
    "open a jobset (palette: hello:NAME)": 0.5,
    "back": 0.1,
    "open an evaluation (Enter in its jobset)": 0.5,
    "open a build (palette: its id)": 0.5,
    "a log's end (l)": 1.0,
    "palette jump to a cached build (Enter)": 0.1,
    "filter keystroke (250,000 builds)": 0.05,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--think", type=float, default=2.0, help="seconds a person reads the screen before each measured key"
    )
    parser.add_argument("--each", action="store_true", help="print every measurement, not only median and worst")
    ns = parser.parse_args()
    sys.setswitchinterval(0.0005)  # the reading thread stamps a chunk soon after it arrives
    with demo_server("rate_limit") as url:
        results = measure(url, ns.runs, ns.think)
    print(f"{ns.runs} targets a row, {ns.think:g} s of reading before each measured key")
    print("| interaction | runs | median | worst | budget |\n|---|---|---|---|---|")
    for name, values in results.items():
        budget = BUDGETS.get(name)
        worst = max(values)
        verdict = "" if budget is None else (" ok" if worst <= budget else " over")
        print(
            f"| {name} | {len(values)} | {statistics.median(values) * 1000:.0f} ms | {worst * 1000:.0f} ms |"
            f" {'' if budget is None else f'{budget * 1000:.0f} ms'}{verdict} |"
        )
    if ns.each:
        for name, values in results.items():
            print(f"{name}: " + ", ".join(f"{v * 1000:.0f}" for v in values) + " ms")
    return 0


if __name__ == "__main__":
    sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
