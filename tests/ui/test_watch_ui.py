"""Watch mode in the dashboard: changes highlighted and announced; quiet when nothing changes."""

from __future__ import annotations

from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.watch import WatchScreen
from tests.ui.helpers import make_app, screen_ready, wait_for


def watch_app(demo: DemoServer, clock, **kw):
    app = make_app(demo.url, clock)
    app.first_screen = lambda: WatchScreen("hello", "main", interval=3600, **kw)
    return app


async def test_watch_announces_new_failures(demo: DemoServer, clock) -> None:
    app = watch_app(demo, clock)
    bells = []
    app.bell = lambda: bells.append(1)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, WatchScreen)
        await wait_for(pilot, lambda: len(screen.changes) == 1)
        assert "started watching" in str(screen.query_one("#change-list").render())
        # It opens on what fails now: the newly failing jobs `--plain` names, then the still failing ones.
        table = screen.query_one("#builds")
        first = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert screen.changes[0].newly_failed
        assert {r[3] for r in first if r[0] == "newly failed"} == set(screen.changes[0].newly_failed)
        assert any(r[0] == "still failing" for r in first)
        assert table.border_subtitle == f"{len(first)} failing now"
        clock.advance(3000)  # every build of the latest evaluation finishes
        screen.poll()
        await wait_for(pilot, lambda: len(screen.changes) == 2)
        listed = str(screen.query_one("#change-list").render())
        assert "newly failed" in listed and "all builds finished" in listed
        assert bells and any("newly failed" in n.message for n in app._notifications)
        table = screen.query_one("#builds")
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows and all(r[0] in ("newly failed", "fixed", "still failing", "aborted") for r in rows)
        failed_jobs = {r[3] for r in rows if r[0] == "newly failed"}
        assert failed_jobs == {job for change in screen.changes for job in change.newly_failed}
        # The latest change comes first.
        latest = screen.changes[-1].newly_failed + screen.changes[-1].fixed
        assert {r[3] for r in rows[: len(latest)]} == set(latest)
        await pilot.press("enter")  # the highlighted build opens
        from hydra_tui.ui.screens.build import BuildScreen

        await wait_for(pilot, lambda: screen_ready(app, BuildScreen))
        assert str(app.screen.build_id) == rows[0][2]


async def test_no_change_no_redraw(demo: DemoServer, clock) -> None:
    app = watch_app(demo, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.changes) == 1)
        renders = []
        screen.render_all = lambda: renders.append(1)
        polls = screen.watcher.polls
        for _ in range(3):
            screen.poll()
            await wait_for(pilot, lambda n=polls: screen.watcher.polls > n)
            polls = screen.watcher.polls
        await pilot.pause(0)
        assert renders == []


async def test_watch_exit_status(demo: DemoServer, clock) -> None:
    app = watch_app(demo, clock, exit_status=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.changes) == 1)
        clock.advance(3000)
        screen.poll()
        await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 1
