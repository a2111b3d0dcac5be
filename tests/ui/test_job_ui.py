"""The job screen and "Mine" in the dashboard, against the demo."""

from __future__ import annotations

from textual.widgets import DataTable, Sparkline, Static

from hydra_tui.config import Profile
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.job import JobScreen
from hydra_tui.ui.screens.log import LogScreen
from tests.ui.helpers import make_app, screen_ready, wait_for
from tests.ui.test_navigation import tree_labels


def details_loaded(app) -> bool:
    screen = app.screen
    return (
        isinstance(screen, JobScreen)
        and screen.history is not None
        and all(b.detailed for b in screen.history.builds)
        and len(screen.query_one(Sparkline).data or []) == len(screen.history.builds)
    )


async def test_job_screen_from_the_command_line_target(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main:hello.x86_64-darwin")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobScreen))
        await wait_for(pilot, lambda: details_loaded(app))
        summary = str(app.screen.query_one("#summary", Static).render())
        assert "failing since build" in summary and "last good: build" in summary
        table = app.screen.query_one("#builds", DataTable)
        assert table.row_count == 30
        first = str(table.get_row_at(0)[0])
        assert first.endswith("*")
        await pilot.press("down", "l")
        await wait_for(pilot, lambda: screen_ready(app, LogScreen))
        second = int(str(table.get_row_at(1)[0]).rstrip("*"))
        assert app.screen.build_id == second
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_ready(app, JobScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen))
        assert app.screen.build_id == second
        await wait_for(pilot, lambda: app.screen.build is not None)
        await pilot.press("j")
        await wait_for(pilot, lambda: screen_ready(app, JobScreen) and len(app.screen_stack) == 5)
        assert app.screen.ref.name == "hello:main:hello.x86_64-darwin"


async def test_palette_job_name(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, profile=Profile(url=demo.url, default_jobset="hello:main"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press(*"job hello.x86_64-darwin")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, JobScreen))
        assert app.screen.ref.name == "hello:main:hello.x86_64-darwin"


async def test_mine_section_on_top_with_failures_first(demo: DemoServer, clock) -> None:
    profile = Profile(
        url=demo.url,
        default_jobset="hello:main",
        mine=["hello.x86_64-linux", "hello.x86_64-darwin", "tests.unit.aarch64-linux"],
    )
    app = make_app(demo.url, clock, profile=profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: tree_labels(app) and tree_labels(app)[0].startswith("Mine  ✔"))
        await wait_for(pilot, lambda: any(x.startswith("main") for x in tree_labels(app)))
        labels = tree_labels(app)
        mine = labels[1:4]
        assert mine[0].startswith("failed") and "hello.x86_64-darwin" in mine[0] and "newly failing" in mine[0]
        ranks = [2 if x.startswith("ok") else 1 if x.startswith(("queued", "running")) else 0 for x in mine]
        assert ranks == sorted(ranks) and ranks[-1] == 2, mine
        assert all("hello:main" in x for x in mine)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: screen_ready(app, JobScreen))
        assert app.screen.ref.name == "hello:main:hello.x86_64-darwin"
