"""Soak: runs the dashboard headless against the demo Hydra with faults on, for a set number of minutes,
walking through its screens, and prints the requests made, the errors shown and the memory growth.

    python bench/soak.py --minutes 2 --faults latency=0.2,errors=0.2,resets=0.05,bad_json=0.05,html=0.05,rate_limit
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import socket
import subprocess
import sys
import time

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.cache.service import DataService
from hydra_tui.clock import SystemClock
from hydra_tui.demo.faults import Faults
from hydra_tui.demo.runner import free_port
from hydra_tui.ui.app import HydraApp


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("the demo server did not start")


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def soak(minutes: float, faults: str) -> None:
    Faults.parse(faults)  # fail early on a bad spec
    port = free_port()
    # The demo runs in its own process, so that only the dashboard's memory is measured here.
    demo = subprocess.Popen(
        [sys.executable, "-m", "hydra_tui", "demo-server", "--port", str(port), "--faults", faults],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_port(port)
    service = DataService(HydraClient(url, limits=Limits(rate=1.8, burst=7)), SystemClock())
    service.poller.speed = 0.1  # ten times the normal pace, to press harder
    app = HydraApp(service)
    shown_errors = 0
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(2)
            gc.collect()
            start_rss = rss_mb()
            deadline = time.monotonic() + minutes * 60
            route = [("hello", "main"), ("hello", "staging"), ("nixpkgs", "trunk"), ("hello", "broken")]
            n = 0
            samples: list[float] = []
            while time.monotonic() < deadline:
                project, jobset = route[n % len(route)]
                n += 1
                app.open_jobset(project, jobset)
                await pilot.pause(3)
                await pilot.press("enter")
                await pilot.pause(3)
                await pilot.press("down", "down", "enter")
                await pilot.pause(2)
                for _ in range(len(app.screen_stack) - 2):
                    app.pop_screen()
                await pilot.pause(1)
                samples.append(rss_mb())
                shown_errors = sum(1 for e in service.cache.entries.values() if e.error is not None)
            gc.collect()
            end_rss = rss_mb()
    finally:
        demo.terminate()
        demo.wait()
    health = service.client.health
    print(f"minutes                {minutes:g}")
    print(f"screens visited        {n * 3}")
    print(f"requests made          {health.requests}")
    print(f"  answers by status    {dict(sorted(health.statuses.items()))}")
    print(f"  rate limited (429)   {health.statuses.get(429, 0)}")
    print(f"retries                {service.client.health.retries}")
    print(f"errors shown (stale)   {shown_errors} entries at the end, {service.cache.stats.failures} failed refreshes")
    print(f"app still running      {app.is_running or app.return_code in (0, None)}")
    print(f"RSS                    {start_rss:.1f} MB -> {end_rss:.1f} MB ({end_rss - start_rss:+.1f} MB)")
    if len(samples) >= 4:
        half = len(samples) // 2
        print(f"RSS growth, 1st half   {samples[half - 1] - samples[0]:+.1f} MB over {half} rounds")
        print(f"RSS growth, 2nd half   {samples[-1] - samples[half]:+.1f} MB over {len(samples) - half} rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--faults", default="latency=0.2,errors=0.2,resets=0.05,bad_json=0.05,html=0.05,rate_limit")
    ns = parser.parse_args()
    asyncio.run(soak(ns.minutes, ns.faults))


if __name__ == "__main__":
    main()
