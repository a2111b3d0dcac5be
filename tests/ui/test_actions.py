"""Actions from the UI against the demo: confirmation, login, push, restart, cancel, bump, roles, read-only."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from hydra_tui.actions import ActionRecord
from hydra_tui.api.status import BuildState
from hydra_tui.auth import SessionStore
from hydra_tui.config import Profile
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.screens.modals import ActionLogScreen, ConfirmScreen, LoginScreen
from tests.ui.helpers import make_app, screen_lines, screen_ready, wait_for

FAILED = 101586  # the showcase evaluation's failed build
QUEUED = 101585


def state(demo: DemoServer, build_id: int, clock) -> str:
    return demo.world.build(build_id).phase(clock.now())


async def open_build(app, pilot, build_id: int) -> None:
    app.open_build(build_id)
    await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)


async def log_in(pilot, username: str, password: str) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: screen_ready(app, LoginScreen))
    app.screen.query_one("#username", Input).value = username
    app.screen.query_one("#password", Input).value = password
    await pilot.click("#login")


async def test_declined_confirmation_does_nothing(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_build(app, pilot, FAILED)
        await pilot.press("R")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen))
        said = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "Restart build?" in said and "Restart build 101586 (hello:main:hello.x86_64-darwin)" in said
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen))
        assert app.actions.log == [] and demo.world.build(FAILED).status(clock.now()) == 1
        assert demo.world.sessions == {}  # not even a login


async def test_restart_asks_for_login_then_runs(demo: DemoServer, clock, tmp_path) -> None:
    store = SessionStore(tmp_path / "sessions.json")
    app = make_app(demo.url, clock, store=store)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await open_build(app, pilot, FAILED)
        await pilot.press("R", "y")
        await log_in(pilot, "alice", "wrong")
        await wait_for(pilot, lambda: "Bad username or password" in str(app.screen.query_one("#error").render()))
        await log_in(pilot, "alice", "alice-pw")
        await wait_for(pilot, lambda: bool(app.actions.log))
        assert app.actions.log[-1].ok and app.actions.log[-1].action == "Restart build"
        assert state(demo, FAILED, clock) == "queued"
        await wait_for(pilot, lambda: app.screen.build.state is BuildState.QUEUED)  # refreshed
        assert not app.screen.query_one("#logbox").has_class("-shown")  # the old failure's log is gone
        assert any("Restarted build 101586" in n.message for n in app._notifications)
        assert not any("alice-pw" in n.message for n in app._notifications)
    assert (tmp_path / "sessions.json").stat().st_mode & 0o777 == 0o600
    assert "alice-pw" not in (tmp_path / "sessions.json").read_text()


async def test_cancel_and_bump_with_configured_credentials(demo: DemoServer, clock) -> None:
    profile = Profile(url=demo.url, username="alice", password="alice-pw")
    app = make_app(demo.url, clock, profile=profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_build(app, pilot, QUEUED)
        await pilot.press("B", "y")
        await wait_for(pilot, lambda: bool(app.actions.log))
        assert app.actions.log[-1].ok and demo.world.build(QUEUED).priority > 100
        await pilot.press("C", "y")
        await wait_for(pilot, lambda: len(app.actions.log) == 2)
        assert demo.world.build(QUEUED).status(clock.now()) == 4
        # Cancelled is finished: no more cancel or bump, restart instead.
        await wait_for(pilot, lambda: app.screen.build.finished)
        await pilot.pause()
        assert "B Bump" not in screen_lines(app)[-1] and "R Restart" in screen_lines(app)[-1]


async def test_push_with_force_choice(demo: DemoServer, clock) -> None:
    profile = Profile(url=demo.url, username="alice", password="alice-pw")
    app = make_app(demo.url, clock, "hello:release-24.05", profile=profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await pilot.press("p")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen))
        await pilot.press("f")
        await wait_for(pilot, lambda: bool(app.actions.log))
        assert app.actions.log[-1].action == "Evaluate jobset (forced)" and app.actions.log[-1].ok
        assert demo.world.projects["hello"].jobsets["release-24.05"].triggertime is not None


async def test_missing_role_is_reported(demo: DemoServer, clock) -> None:
    profile = Profile(url=demo.url, username="bob", password="bob-pw")
    app = make_app(demo.url, clock, profile=profile)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await open_build(app, pilot, FAILED)
        await pilot.press("R", "y")
        await wait_for(pilot, lambda: bool(app.actions.log))
        assert not app.actions.log[-1].ok
        message = " ".join(n.message for n in app._notifications)
        assert "restart-jobs" in message and "role" in message
        assert demo.world.build(FAILED).status(clock.now()) == 1


async def test_expired_session_asks_again(demo: DemoServer, clock, tmp_path) -> None:
    store = SessionStore(tmp_path / "sessions.json")
    app = make_app(demo.url, clock, store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_build(app, pilot, FAILED)
        await app.auth.login("alice", "alice-pw")
        demo.call(lambda world: world.expire_sessions())
        await pilot.press("R", "y")
        await log_in(pilot, "alice", "alice-pw")
        await wait_for(pilot, lambda: any(r.ok for r in app.actions.log))
        assert state(demo, FAILED, clock) == "queued"


async def test_saved_session_is_reused(demo: DemoServer, clock, tmp_path) -> None:
    store = SessionStore(tmp_path / "sessions.json")
    first = make_app(demo.url, clock, store=store)
    async with first.run_test() as pilot:
        await first.auth.login("alice", "alice-pw")
        await pilot.pause(0)
    second = make_app(demo.url, clock, store=store)
    async with second.run_test() as pilot:
        await wait_for(pilot, lambda: second.service.user == "alice")


async def test_read_only_disables_actions(demo: DemoServer, clock) -> None:
    profile = Profile(url=demo.url, username="alice", password="alice-pw")
    app = make_app(demo.url, clock, profile=profile, read_only=True)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await open_build(app, pilot, FAILED)
        await pilot.pause()
        # No action key is offered, and the status line says why.
        footer = " ".join(screen_lines(app)[-2:])
        assert "read-only" in footer and "Restart" not in footer and "Log" in footer
        await pilot.press("R")
        await pilot.pause(0.05)
        assert not isinstance(app.screen, ConfirmScreen)
        assert demo.world.build(FAILED).status(clock.now()) == 1
        app.open_jobset("hello", "main")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await pilot.pause()
        assert "Evaluate" not in " ".join(screen_lines(app)[-2:])
        await pilot.press("A")
        await wait_for(pilot, lambda: screen_ready(app, ActionLogScreen))
        assert "Read-only" in " ".join(str(s.render()) for s in app.screen.query("Static"))


async def test_action_log_lists_every_write(demo: DemoServer, clock) -> None:
    profile = Profile(url=demo.url, username="alice", password="alice-pw")
    app = make_app(demo.url, clock, profile=profile)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_build(app, pilot, FAILED)
        await pilot.press("R", "y")
        await wait_for(pilot, lambda: len(app.actions.log) == 1)
        await wait_for(pilot, lambda: app.screen.build.state is BuildState.QUEUED)
        await pilot.press("C", "y")  # the build is queued again now: cancel works
        await wait_for(pilot, lambda: len(app.actions.log) == 2)
        await pilot.press("A")
        await wait_for(pilot, lambda: screen_ready(app, ActionLogScreen))
        table = app.screen.query_one(DataTable)
        rows = [[cell.plain for cell in table.get_row_at(n)] for n in range(table.row_count)]
        assert [r[1:3] for r in rows] == [["alice", "Cancel build"], ["alice", "Restart build"]]  # newest first
        assert all(r[3].startswith("build 101586") and r[4].startswith("ok: ") for r in rows)
        assert [r.user for r in app.actions.log] == ["alice", "alice"]


async def test_action_log_scrolls_in_aligned_columns(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    for n in range(60):
        ok = n % 7 != 0
        app.actions.log.append(ActionRecord(clock.now() + n, "Restart build", f"build {n}", "done", ok, "alice"))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.children))
        await pilot.press("A")
        await wait_for(pilot, lambda: screen_ready(app, ActionLogScreen))
        table = app.screen.query_one(DataTable)
        assert table.row_count == 60 and table.max_scroll_y > 0
        table.focus()
        await pilot.press("ctrl+end")
        await wait_for(pilot, lambda: table.cursor_row == 59)
        await wait_for(pilot, lambda: table.scroll_y == table.max_scroll_y)
        assert table.get_row_at(59)[3].plain == "build 0"  # the oldest, at the bottom
        widths = {column.key.value: column.get_render_width(table) for column in table.columns.values()}
        assert widths["user"] >= len("alice") and widths["action"] >= len("Restart build")


async def test_evaluation_wide_confirmation_says_how_many_builds(demo: DemoServer, clock) -> None:
    from hydra_tui.api.status import Counts
    from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen

    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen) and app.screen._rows is not None)
        screen = app.screen
        counts = Counts.of_states(screen._rows.counts())
        assert counts.failed == 9 and counts.queued == 23
        for key, said in (("R", "Restart 9 failed builds of evaluation"), ("C", "Cancel 23 queued or running builds")):
            await pilot.press(key)
            await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen))
            text = " ".join(str(s.render()) for s in app.screen.query("Static"))
            assert said in text and f"evaluation {screen.eval_id} (hello:main)" in text
            await pilot.press("n")
            await wait_for(pilot, lambda: app.screen is screen)
        assert app.actions.log == []


async def test_only_the_actions_the_build_state_allows(demo: DemoServer, clock) -> None:
    """A finished build can be restarted, not cancelled or bumped; a queued one the other way round. Keys that
    cannot work are neither shown nor run (no "server error… will retry")."""
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_build(app, pilot, FAILED)
        await pilot.pause()
        footer = screen_lines(app)[-1]
        assert "R Restart" in footer and "C Cancel" not in footer and "B Bump" not in footer
        await pilot.press("C")
        await pilot.press("B")
        await pilot.pause(0.05)
        assert not isinstance(app.screen, ConfirmScreen) and "read-only" not in screen_lines(app)[-2]
        app.pop_screen()
        await open_build(app, pilot, QUEUED)
        await pilot.pause()
        footer = screen_lines(app)[-1]
        assert "R Restart" not in footer and "C Cancel" in footer and "B Bump" in footer
        await pilot.press("R")
        await pilot.pause(0.05)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("C")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen))
