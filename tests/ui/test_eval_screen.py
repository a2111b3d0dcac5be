"""The evaluation screen at any size: the comparison's categories, lists that say which part they show, a search
over the whole evaluation, comparing with another evaluation, the comparison computed here, root causes."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Static

from hydra_tui.api.comparison import Change
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.app import HydraApp
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.compare import CompareScreen
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.screens.root_causes import RootCausesScreen
from hydra_tui.ui.widgets.build_list import BuildList
from tests.ui.helpers import make_app, screen_ready, shows_job, visible_text, wait_for


async def open_eval(app: HydraApp, pilot, evals: int) -> EvalBuildsScreen:
    await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
    await wait_for(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count == evals)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
    screen = app.screen
    await wait_for(pilot, lambda: screen.comparison is not None, timeout=20)
    return screen  # type: ignore[return-value]


def message(screen: EvalBuildsScreen) -> str:
    return visible_text(screen.query_one("#message", Static))


async def test_nixpkgs_opens_on_newly_failing_and_lists_it_whole_on_demand(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_eval(app, pilot, 3)
        builds = screen.query_one(BuildList)
        assert screen.view is Change.NEWLY_FAILING and len(builds.view) == 250
        assert "250 of 2,808 shown" in message(screen) and "w lists all 2,808" in message(screen)
        bar = visible_text(screen.query_one("#categories"))
        assert "1 Newly Failing 2,808" in bar and "8 Still Succeeding 233,968" in bar
        # The comparison's rows fill the evaluation's rows in bulk, without a request per build.
        await wait_for(pilot, lambda: screen._rows is not None)
        first = builds.rows.ids[builds.view[0]]
        await wait_for(pilot, lambda: screen._rows.known_at(screen._rows.position(first)))
        # Typing filters the loaded rows and says so.
        await pilot.press("slash", *"haskell")
        assert "of the 250 loaded rows match" in message(screen) and "Enter searches all 250,000" in message(screen)
        await pilot.press("escape")
        await pilot.press("w")
        await wait_for(pilot, lambda: len(builds.view) == 2808, timeout=30)
        await wait_for(pilot, lambda: "shown" not in message(screen))
        # A category that is not listed whole says so, and what to do instead.
        await pilot.press("8")
        assert "250 of 233,968 shown" in message(screen) and "/ then Enter searches it" in message(screen)
        await pilot.press("0")
        assert screen.view is None and builds.rows is screen._rows


async def test_a_search_finds_a_build_that_was_never_loaded(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_eval(app, pilot, 3)
        await wait_for(pilot, lambda: screen._rows is not None)
        build_id = await app.service.client.eval_job(screen.eval_id, "firefox.x86_64-linux")
        assert build_id is not None
        position = screen._rows.position(build_id)
        assert position is not None and not screen._rows.known_at(position)  # never fetched
        await pilot.press("slash", *"firefox.x86_64-linux", "enter")
        builds = screen.query_one(BuildList)
        await wait_for(pilot, lambda: builds.current_id == build_id, timeout=20)
        assert screen.view is Change.STILL_SUCCEEDING
        assert shows_job(builds, "firefox.x86_64-linux")
        assert 'Search "firefox.x86_64-linux" (on the server)' in message(screen)
        # A search that matches in several categories shows each with its count.
        await pilot.press("slash", *["backspace"] * 20, *"firefox", "enter")
        await wait_for(pilot, lambda: screen.comparison is not None and screen.comparison.filter == "firefox")
        assert screen.comparison.count(Change.NEWLY_FAILING) == 9
        assert "1 Newly Failing 9" in visible_text(screen.query_one("#categories"))


async def test_the_comparison_computed_here_agrees_with_the_servers_page(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_eval(app, pilot, 10)
        await wait_for(pilot, lambda: screen._client is not None)
        ours = screen.comparison
        assert ours.source == "client"
        page = await app.service.client.compare(screen.eval_id, full=True)
        assert ours.compare_to == page.compare_to
        for change in Change:
            assert ours.count(change) == page.count(change), change
            key = (lambda b: (b.id, b.job, b.system)) if change is not Change.REMOVED else (lambda b: (b.job, b.system))
            assert sorted(map(key, ours.categories[change].builds)) == sorted(
                map(key, page.categories[change].builds)
            ), change
        assert "(compared here)" in visible_text(screen.query_one("#summary"))


async def test_compare_with_another_evaluation_and_an_unknown_one(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_eval(app, pilot, 10)
        summary = screen.query_one("#summary")
        assert "(previous)" in visible_text(summary)
        await pilot.press("c")
        await wait_for(pilot, lambda: screen_ready(app, CompareScreen))
        options = app.screen.query_one(OptionList)
        await pilot.press("down", "enter")  # one day earlier
        await wait_for(pilot, lambda: app.screen is screen and "(one day earlier)" in visible_text(summary))
        assert screen.compare_spec == "-86400" and screen.comparison.compare_to != screen.eval_id - 1
        before = screen.comparison
        await pilot.press("c")
        await wait_for(pilot, lambda: screen_ready(app, CompareScreen))
        options = app.screen.query_one(OptionList)
        assert options.option_count >= 3
        await pilot.press("tab", *"999999", "enter")
        await wait_for(
            pilot, lambda: app.screen is screen and any("999999" in str(n.message) for n in app._notifications)
        )
        assert screen.comparison is before and screen.compare_spec == "-86400"


async def test_root_causes_from_the_evaluation_screen(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_eval(app, pilot, 10)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_ready(app, RootCausesScreen))
        causes = app.screen
        await wait_for(pilot, lambda: causes.query_one("#progress-row").has_class("-done"))
        assert causes.in_scope == 0  # no dependency failure among the newly failing builds
        await pilot.press("a")  # every failing build: one still failing build is a dependency failure
        await wait_for(pilot, lambda: len(causes.causes) == 1 and causes.query_one("#progress-row").has_class("-done"))
        cause = causes.causes[0]
        assert cause.breaks == 1 and cause.job
        table = causes.query_one("#causes", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)
        assert app.screen.build.id == cause.build


async def test_root_causes_scan_shows_progress_and_stops(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_eval(app, pilot, 3)
        await pilot.press("x")  # lists the failing categories whole first
        await wait_for(pilot, lambda: screen_ready(app, RootCausesScreen), timeout=30)
        causes = app.screen
        await wait_for(pilot, lambda: causes.progress.done >= 5)
        assert not causes.query_one("#progress-row").has_class("-done")
        assert "build pages read" in visible_text(causes.query_one("#progress-text"))
        await pilot.press("x")
        await wait_for(pilot, lambda: causes.query_one("#progress-row").has_class("-done"))
        assert causes.stopped and causes.progress.done < causes.progress.total
        assert "stopped after" in visible_text(causes.query_one("#head"))
