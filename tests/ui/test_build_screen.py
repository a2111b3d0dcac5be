"""The build screen as a user sees it: build steps from the build's page, the build a dependency failure came
from (Enter or f opens it), a running build's time going on and its log's end shown live, one label width."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen, parse_duration, step_duration
from tests.ui.helpers import make_app, screen_lines, screen_ready, wait_for

DEPENDENCY_FAILED = 101541  # hello:main, evaluation 1042: bench.x86_64-darwin, broken by 101520
CULPRIT = 101520
RUNNING = 101587  # the showcase evaluation's hello-static.x86_64-linux
FAILED = 101586
QUEUED = 101585


async def open_build(app, pilot, build_id: int) -> BuildScreen:
    app.open_build(build_id)
    await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build_id == build_id)
    await wait_for(pilot, lambda: app.screen.build is not None)
    return app.screen


def test_parse_duration() -> None:
    assert parse_duration("8m 57s") == 537 and parse_duration("1h 2m 3s") == 3723 and parse_duration("0s") == 0
    assert parse_duration("n/a") is None and parse_duration("") is None


async def test_dependency_failure_shows_the_build_that_failed_first(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_build(app, pilot, DEPENDENCY_FAILED)
        steps = screen.query_one("#steps", DataTable)
        await wait_for(pilot, lambda: steps.row_count == 1 and screen.culprit is not None)
        await pilot.pause()
        lines = screen_lines(app)
        first = next(line for line in lines if line.lstrip().startswith("failed first"))
        assert f"build {CULPRIT}" in first and "tests.unit.x86_64-darwin" in first
        step = next(line for line in lines if f"failed in build {CULPRIT}" in line)
        assert "Failed" in step and any(machine in step for machine in ("builder-", "mac-"))
        assert any("Build steps: 1 failed" in line for line in lines)
        assert "f Failed first" in lines[-1]
        # The step is focused: Enter opens the build that failed first.
        assert screen.focused is steps
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build_id == CULPRIT)
        await wait_for(pilot, lambda: app.screen.build is not None)
        await pilot.pause()
        assert "Failed first" not in screen_lines(app)[-1]  # the culprit itself failed first
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("f")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build_id == CULPRIT)
        # `j` is the job history even with the steps focused (they move with the arrows).
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        steps.focus()
        await pilot.pause()
        assert "j Job history" in screen_lines(app)[-1]
        await pilot.press("j")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "JobScreen")


async def test_failed_build_lists_its_failed_step(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_build(app, pilot, FAILED)
        await wait_for(pilot, lambda: screen.query_one("#steps", DataTable).row_count == 1)
        await pilot.pause()
        step = next(line for line in screen_lines(app) if "hello-6.2" in line and "Failed" in line)
        assert "Failed" in step and "5m 29s" in step and "hello-6.2" in step
        reason = next(line for line in screen_lines(app) if line.lstrip().startswith("step 2"))
        assert "is not allowed to refer to path" in reason
        assert not any(line.lstrip().startswith("failed first") for line in screen_lines(app))


async def test_running_build_ticks_and_shows_its_log_live(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_build(app, pilot, RUNNING)
        await wait_for(pilot, lambda: screen.query_one("#steps", DataTable).row_count == 1)
        await wait_for(pilot, lambda: screen.query_one("#logbox").has_class("-shown"))
        await pilot.pause()

        def shown(label: str) -> str:
            return next(line for line in screen_lines(app) if line.lstrip().startswith(label))

        running, step = shown("running"), shown("2  Building")
        assert "live" in screen.query_one("#logbox").border_title
        clock.advance(65)
        screen.tick()
        await pilot.pause()
        assert shown("running") != running and shown("2  Building") != step
        base = parse_duration(screen.steps.running[0].duration)
        assert step_duration(screen.steps.running[0], 65) == f"{(base + 65) // 60}m {(base + 65) % 60:02d}s"
        # Running: cancel and bump, no restart.
        footer = screen_lines(app)[-1]
        assert "C Cancel" in footer and "R Restart" not in footer


@pytest.mark.parametrize("width", [80, 120])
async def test_one_label_width_on_every_build(demo: DemoServer, clock, width: int) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(width, 40)) as pilot:
        starts = set()
        for build_id in (FAILED, RUNNING, QUEUED, DEPENDENCY_FAILED):
            await open_build(app, pilot, build_id)
            await pilot.pause()
            line = next(line for line in screen_lines(app) if line.lstrip().startswith("job "))
            starts.add(len(line) - len(line[line.index("job") + 3 :].lstrip()))
            app.pop_screen()
        assert len(starts) == 1 and starts.pop() == 1 + 12 + 1  # padding, the label column, its gap


async def test_a_running_builds_log_box_keeps_its_newest_lines_in_view_when_the_terminal_shrinks(
    demo: DemoServer, clock
) -> None:
    """At 120x40 the box holds all its lines; shrunk to 80x24 it is shorter than they are and shows their end."""
    from textual.containers import VerticalScroll

    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_build(app, pilot, RUNNING)
        box = screen.query_one("#logbox", VerticalScroll)
        await wait_for(pilot, lambda: box.has_class("-shown") and screen.query_one("#log").size.height > 1)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: box.max_scroll_y > 0)
        await wait_for(pilot, lambda: box.scroll_y == box.max_scroll_y)
