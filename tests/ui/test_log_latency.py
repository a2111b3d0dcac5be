"""The way to a log's end is short: no redirect hop when the derivation is known, the build screen's fetch is
reused by the log viewer, and a build the cursor rests on has its log's end fetched ahead when that is free."""

from __future__ import annotations

import httpx

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.cache.service import DataService
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.log import LogScreen
from hydra_tui.ui.widgets.build_list import BuildList
from tests.ui.helpers import make_app, screen_ready, wait_for

FAILED = 101586  # the showcase evaluation's failed hello.x86_64-darwin


class Recording(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


def log_requests(paths: list[str]) -> list[str]:
    return [p for p in paths if p.startswith("/log/") or "/log" in p]


async def test_a_known_derivation_goes_straight_to_the_log(demo: DemoServer, clock) -> None:
    transport = Recording()
    async with HydraClient(demo.url, limits=Limits.unlimited(), transport=transport) as client:
        service = DataService(client, clock)
        await service.get("build", FAILED)
        lines = await service.log_end(FAILED)
    assert lines
    assert log_requests(transport.paths) == [f"/log/{demo.world.build(FAILED).drvpath[11:]}"]


async def test_without_the_build_it_goes_through_the_redirect(demo: DemoServer, clock) -> None:
    transport = Recording()
    async with HydraClient(demo.url, limits=Limits.unlimited(), transport=transport) as client:
        assert await DataService(client, clock).log_end(FAILED)
    assert log_requests(transport.paths)[0] == f"/build/{FAILED}/log/raw"


async def test_the_log_viewer_opens_on_what_the_build_screen_fetched(demo: DemoServer, clock) -> None:
    transport = Recording()
    app = make_app(demo.url, clock, transport=transport)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_build(FAILED)
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen))
        await wait_for(pilot, lambda: app.service.cache.is_fresh(("log_tail", FAILED)))
        before = len(log_requests(transport.paths))
        await pilot.press("l")
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
        assert len(log_requests(transport.paths)) == before  # not fetched again
        assert len(app.screen.view.source) > 0


async def test_a_resting_cursor_fetches_the_log_ahead_only_when_free(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(100, 30)) as pilot:
        eval_id = demo.world.projects["hello"].jobsets["main"].evals[-1]
        app.open_eval(eval_id, "hello", "main")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.comparison is not None)
        await pilot.press("0")  # every build
        builds = screen.query_one(BuildList)
        await wait_for(pilot, lambda: FAILED in [builds.rows.ids[i] for i in builds.view])
        builds.cursor = next(n for n, i in enumerate(builds.view) if builds.rows.ids[i] == FAILED)
        # The demo client is unlimited: the bucket counts as full, so the log's end comes without `l`.
        await wait_for(pilot, lambda: app.service.cache.is_fresh(("log_tail", FAILED)), timeout=5)
        assert isinstance(app.screen, EvalBuildsScreen)


async def test_no_prefetch_while_requests_wait(demo: DemoServer, clock) -> None:
    async with HydraClient(demo.url, limits=Limits(rate=1.0, burst=4)) as client:
        service = DataService(client, clock)
        for _ in range(2):
            await client.limiter.acquire()  # the bucket is no longer full: a prefetch would cost
        assert not service.prefetch_log(FAILED)
        assert service.cache.peek(("log_tail", FAILED)) is None
