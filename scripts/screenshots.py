"""Makes screenshots/*.svg: every screen of the dashboard, from the demo Hydra with a frozen clock.

Run: python scripts/screenshots.py [NAME…]   (only the named screenshots, e.g. `operator`)
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Tree

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.api.status import BuildState
from hydra_tui.cache.service import DataService
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.app import HydraApp
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.evals import EvalsScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.screens.log import LogScreen
from hydra_tui.ui.screens.operator import OperatorScreen
from hydra_tui.ui.screens.root_causes import RootCausesScreen
from hydra_tui.ui.screens.watch import WatchScreen
from hydra_tui.ui.widgets.build_list import BuildList

OUT = Path(__file__).resolve().parent.parent / "screenshots"
T0 = 1_795_694_400
SIZE = (100, 30)


async def until(pilot: Pilot[object], condition: Callable[[], object]) -> None:
    for _ in range(1000):
        if condition():
            return
        await pilot.pause(0.01)
    raise RuntimeError("the screen did not get ready")


async def shot(
    url: str,
    name: str,
    target: str | None,
    steps: Callable[[Pilot[object]], Awaitable[None]],
    first: Callable[[], object] | None = None,
    *,
    size: tuple[int, int] = SIZE,
    clock: FrozenClock | None = None,
) -> None:
    if sys.argv[1:] and name not in sys.argv[1:]:
        return
    clock = clock or FrozenClock(T0)
    app = HydraApp(DataService(HydraClient(url, limits=Limits.unlimited()), clock), target=target)
    if first is not None:
        app.first_screen = first  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        await steps(pilot)
        await pilot.pause(0.1)
        app.save_screenshot(str(OUT / f"{name}.svg"))
    print(f"screenshots/{name}.svg")


async def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    OUT.mkdir(exist_ok=True)
    with DemoServer(clock=FrozenClock(T0), start=T0, port=38599) as demo:

        async def projects(p: Pilot[object]) -> None:
            await until(p, lambda: len(list(p.app.screen.query_one(Tree).root.children)) >= 4)
            await until(p, lambda: "trunk" in str([n.label for n in p.app.screen.nodes.values()]))
            await until(p, lambda: len(p.app.screen.states) >= 9)

        async def jobset(p: Pilot[object]) -> None:
            await until(p, lambda: isinstance(p.app.screen, JobsetScreen))
            await until(p, lambda: p.app.screen.query_one("#evals", DataTable).row_count > 0)

        async def evals(p: Pilot[object]) -> None:
            await jobset(p)
            await p.press("e")
            await until(p, lambda: isinstance(p.app.screen, EvalsScreen))
            await until(p, lambda: p.app.screen.query_one(DataTable).row_count >= 20)

        async def builds(p: Pilot[object]) -> None:
            await jobset(p)
            await p.press("enter")
            await until(p, lambda: isinstance(p.app.screen, EvalBuildsScreen))
            await p.press("0")  # every build (the screen opens on the comparison)
            await until(p, lambda: len(p.app.screen.query_one(BuildList).view) > 0)

        async def compare(p: Pilot[object]) -> None:
            await jobset(p)
            await p.press("enter")
            await until(p, lambda: isinstance(p.app.screen, EvalBuildsScreen) and p.app.screen.comparison is not None)
            await until(p, lambda: len(p.app.screen.query_one(BuildList).view) == 250)

        async def root_causes(p: Pilot[object]) -> None:
            await jobset(p)
            await p.press("enter")
            await until(p, lambda: isinstance(p.app.screen, EvalBuildsScreen) and p.app.screen.comparison is not None)
            await p.press("x")
            await until(p, lambda: isinstance(p.app.screen, RootCausesScreen))
            await until(p, lambda: p.app.screen.progress.done >= 40)
            await p.press("x")  # stop: a sample of 40 pages, read in a fixed order
            await until(p, lambda: p.app.screen.query_one("#progress-row").has_class("-done"))

        async def build(p: Pilot[object]) -> None:
            await builds(p)
            lst = p.app.screen.query_one(BuildList)
            lst.cursor = next(n for n, i in enumerate(lst.view) if lst.rows.state_at(i) is BuildState.FAILED)
            await p.press("enter")
            await until(p, lambda: isinstance(p.app.screen, BuildScreen))
            await until(p, lambda: p.app.screen.query_one("#logbox").has_class("-shown"))

        async def big(p: Pilot[object]) -> None:
            await jobset(p)
            await p.press("enter")
            await until(p, lambda: isinstance(p.app.screen, EvalBuildsScreen))
            await p.press("0")
            lst = p.app.screen.query_one(BuildList)
            await until(p, lambda: len(lst.view) > 0 and all(lst.rows.known_at(lst.view[n]) for n in range(20)))

        await shot(demo.url, "projects", None, projects)
        await shot(demo.url, "jobset", "hello:main", jobset)
        await shot(demo.url, "jobset_error", "hello:broken", jobset)
        await shot(demo.url, "evals", "hello:main", evals)
        await shot(demo.url, "eval_builds", "hello:main", builds)
        await shot(demo.url, "eval_builds_nixpkgs", "nixpkgs:trunk", big)
        await shot(demo.url, "build", "hello:main", build)
        await shot(demo.url, "eval_compare", "nixpkgs:trunk", compare)
        await shot(demo.url, "root_causes", "nixpkgs:trunk", root_causes)

        async def log(p: Pilot[object]) -> None:
            p.app.open_log(101586)
            await until(p, lambda: isinstance(p.app.screen, LogScreen) and p.app.screen.loaded)
            await p.press("slash", *"warning", "enter")

        await shot(demo.url, "log", None, log)

        async def watch(p: Pilot[object]) -> None:
            await until(p, lambda: len(p.app.screen.changes) >= 1)

        await shot(demo.url, "watch", None, watch, first=lambda: WatchScreen("hello", "main", interval=3600))

    # The operator view 150 s on: builds that started are highlighted, those that finished struck out.
    demo_clock = FrozenClock(T0)
    with DemoServer(clock=demo_clock, start=T0, port=38598) as demo:
        app_clock = FrozenClock(T0)

        async def operator(p: Pilot[object]) -> None:
            await p.press("s")
            await until(p, lambda: isinstance(p.app.screen, OperatorScreen) and p.app.screen._settled)
            screen = p.app.screen
            assert isinstance(screen, OperatorScreen)
            for c in (demo_clock, app_clock):
                c.advance(150)
            await screen._refresh_all()
            await until(p, lambda: bool(screen.table("running").flashing))

        await shot(demo.url, "operator", None, operator, size=(120, 40), clock=app_clock)

        async def job(p: Pilot[object]) -> None:
            from hydra_tui.ui.screens.job import JobScreen

            await until(p, lambda: isinstance(p.app.screen, JobScreen) and p.app.screen.history is not None)
            await until(p, lambda: all(b.detailed for b in p.app.screen.history.builds))

        await shot(demo.url, "job", "hello:main:hello.x86_64-darwin", job)


if __name__ == "__main__":
    asyncio.run(main())
