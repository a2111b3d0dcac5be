"""Issue 13's figures: opening a job's history on the nixpkgs-sized jobset, with hydra.nixos.org's rate limit.

The demo Hydra runs in its own process with its nginx-like limit on (2 requests/s, burst 7, then 429), and
hydra-tui uses its default, polite limits. For a few nixpkgs:trunk jobs and hello:main's newly failing job it
prints the requests and seconds to show the list (the job screen's first paint: status, system, the newest
evaluation's build), then to fill every build's times (one /build/N each, as the screen does after its first
paint and `hydra-tui job` does before printing), and the 429s seen; then one poll of a 50-job "Mine" list.
Run:  python bench/job.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from bench import demo_server  # bench/bench.py, beside this script

HERE = Path(__file__).resolve().parent
sys.path.insert(1, str(HERE.parent))  # hydra_tui from this checkout, not from wherever it is installed

JOBS = ("nixpkgs:trunk:hello.x86_64-linux", "nixpkgs:trunk:openssl.x86_64-linux", "hello:main:hello.x86_64-darwin")


async def figures(url: str) -> None:
    from hydra_tui.api.client import HydraClient
    from hydra_tui.cache.service import DataService
    from hydra_tui.clock import SystemClock
    from hydra_tui.config import Profile
    from hydra_tui.job.history import DEFAULT_LIMIT, add_details, load_history
    from hydra_tui.job.mine import MineTracker, parse_specs
    from hydra_tui.job.names import resolve_job

    print(f"{'job':<40} {'list: req':>9} {'s':>6}   {'+ times: req':>12} {'s':>6}   builds  429s")
    for name in JOBS:
        await asyncio.sleep(4)  # the server's bucket refills: each figure starts as a first visit would
        async with HydraClient(url) as client:
            service = DataService(client, SystemClock())
            started = time.perf_counter()
            history = await load_history(service.value, resolve_job(name), DEFAULT_LIMIT)
            listed = (time.perf_counter() - started, client.health.requests)
            await add_details(service.value, history.builds)
            total = (time.perf_counter() - started, client.health.requests)
            print(
                f"{name:<40} {listed[1]:>9} {listed[0]:>6.2f}   {total[1]:>12} {total[0]:>6.2f}   "
                f"{len(history.builds):>6}  {client.health.statuses.get(429, 0):>4}"
            )
    # "Mine" with 50 exact names on nixpkgs:trunk: a first poll, then a poll with nothing new.
    await asyncio.sleep(4)
    async with HydraClient(url) as client:
        service = DataService(client, SystemClock())
        eval_id = await client.latest_eval_id("nixpkgs", "trunk")
        comparison = await client.compare(eval_id, filter="python3Packages.")
        names = sorted({b.job for c in comparison.categories.values() for b in c.builds if b.state.finished})[:50]
        tracker = MineTracker(service, parse_specs(Profile(), [f"nixpkgs:trunk:{n}" for n in names]))
        before = client.health.requests
        started = time.perf_counter()
        await tracker.poll()
        first = (client.health.requests - before, time.perf_counter() - started)
        before = client.health.requests
        started = time.perf_counter()
        await tracker.poll()
        again = (client.health.requests - before, time.perf_counter() - started)
        print(
            f"Mine, {len(names)} exact names: first poll {first[0]} requests {first[1]:.1f}s; "
            f"a poll with no new evaluation {again[0]} request(s) {again[1]:.2f}s; "
            f"429s {client.health.statuses.get(429, 0)}"
        )


def main() -> None:
    with demo_server("rate_limit") as url:
        asyncio.run(figures(url))


if __name__ == "__main__":
    main()
