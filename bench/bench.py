"""Prints the dashboard's speed and memory against the demo's nixpkgs-sized jobset (250,000 builds).

The demo Hydra runs in its own process, so the dashboard's memory is measured alone. Run:
    python bench/bench.py
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {
    "first_data_s": ("process start to first data on screen", 1.0, "s"),
    "open_big_eval_s": ("opening a 250,000-build evaluation", 2.0, "s"),
    "filter_keystroke_ms_max": ("one filter keystroke (worst of 6)", 50.0, "ms"),
    "open_huge_log_end_s": ("opening the end of a ~100 MB log", 2.0, "s"),
    "peak_rss_mb": ("peak RSS of the dashboard", 300.0, "MB"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("the demo server did not start")


def here_first() -> dict[str, str]:
    """The environment for the processes, importing hydra_tui from this checkout: a script's own directory, not
    the working directory, starts its path, so an editable install elsewhere would be measured instead."""
    path = [str(HERE.parent), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(path))


@contextlib.contextmanager
def demo_server(*faults: str) -> Iterator[str]:
    """The demo Hydra in its own process (so the dashboard is measured alone), with these fault modes; its URL."""
    port = free_port()
    args = [sys.executable, "-m", "hydra_tui", "demo-server", "--port", str(port)]
    if faults:
        args += ["--faults", ",".join(faults)]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=here_first())
    try:
        wait_port(port, timeout=120)  # the nixpkgs-sized jobset is computed before it listens
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    with demo_server() as url:
        runs = []
        for _ in range(3):
            env = dict(here_first(), BENCH_SPAWNED_AT=repr(time.time()))
            done = subprocess.run(
                [sys.executable, str(HERE / "probe.py"), url],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                check=True,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'measure':<40} {'median':>10} {'target':>10}")
    for key, (label, target, unit) in TARGETS.items():
        values = sorted(r[key] for r in runs)
        median = values[len(values) // 2]
        verdict = "ok" if median < target else "OVER"
        print(f"{label:<40} {median:>8.2f}{unit:>2} {'< ' + str(target) + unit:>10}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
