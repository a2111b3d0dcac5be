"""Requests per minute of the operator screen: while it is shown, and while another screen covers it (must be 0).

Runs the dashboard headless against the demo Hydra (real HTTP, real clock), opens the operator screen, counts the
requests the server answers for a while, then opens a build on top and counts again (the build's own requests are
not the operator's, so only the operator's endpoints are counted).

    python bench/operator.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's hydra_tui

from aiohttp import web

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.cache.service import DataService
from hydra_tui.clock import SystemClock
from hydra_tui.demo import server as demo_server
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.app import HydraApp
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.operator import OperatorScreen

OPERATOR_PATHS = ("/api/nrqueue", "/queue-runner-status", "/status", "/machines", "/api/queue")
SEEN: Counter[str] = Counter()


@web.middleware
async def count(request: web.Request, handler):  # type: ignore[no-untyped-def]
    SEEN[request.path] += 1
    return await handler(request)


async def wait(condition, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the screen did not get ready")
        await asyncio.sleep(0.05)


def operator_requests() -> int:
    return sum(SEEN[p] for p in OPERATOR_PATHS)


async def measure(seconds: float) -> None:
    original = demo_server.make_app

    def make_app(world, fault_modes=None):  # type: ignore[no-untyped-def]
        app = original(world, fault_modes)
        app.middlewares.insert(0, count)
        return app

    demo_server.make_app = make_app  # type: ignore[assignment]
    import hydra_tui.demo.runner as runner

    runner.make_app = make_app  # type: ignore[assignment]
    with DemoServer() as demo:
        # hydra.nixos.org's limit (2 requests a second, bursts of 7), as the dashboard uses by default.
        service = DataService(HydraClient(demo.url, limits=Limits(rate=1.8, burst=7)), SystemClock())
        app = HydraApp(service)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("s")
            await wait(lambda: isinstance(app.screen, OperatorScreen) and app.screen._settled)
            start, t0 = operator_requests(), time.monotonic()
            await asyncio.sleep(seconds)
            shown = (operator_requests() - start) * 60 / (time.monotonic() - t0)
            by_path = {p: SEEN[p] for p in OPERATOR_PATHS if SEEN[p]}
            screen = app.screen
            assert isinstance(screen, OperatorScreen)
            key = screen.table("running").current_key
            app.open_build(int(key or 0))
            await wait(lambda: isinstance(app.screen, BuildScreen))
            await asyncio.sleep(1)  # let a poll under way finish
            start, t0 = operator_requests(), time.monotonic()
            await asyncio.sleep(seconds)
            hidden = (operator_requests() - start) * 60 / (time.monotonic() - t0)
    print(f"operator screen shown:  {shown:5.1f} requests/minute  (all requests so far by path: {by_path})")
    print(f"operator screen hidden: {hidden:5.1f} requests/minute")
    if hidden:
        raise SystemExit("the hidden operator screen still polls")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="how long to count each phase (default 60)")
    asyncio.run(measure(parser.parse_args().seconds))


if __name__ == "__main__":
    main()
