"""Pilot tests of the operator screen against the demo: parts, sizes, keys, live changes, polling while hidden."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Static

from hydra_tui.clock import FrozenClock
from hydra_tui.demo import queuerunner
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.help import HelpScreen
from hydra_tui.ui.screens.log import LogScreen
from hydra_tui.ui.screens.operator import MachineScreen, OperatorScreen
from hydra_tui.ui.screens.projects import ProjectsScreen
from hydra_tui.ui.widgets.live_table import CHANGED_STYLE, GONE_STYLE
from tests.ui.helpers import make_app, screen_ready, visible_text, wait_for

OPERATOR_KINDS = {("queue_size",), ("queue_runner",), ("running",), ("machines",)}


async def _open(pilot) -> OperatorScreen:
    app = pilot.app
    await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen))
    await pilot.press("s")
    await wait_for(pilot, lambda: screen_ready(app, OperatorScreen))
    screen = app.screen
    await wait_for(pilot, lambda: screen._settled and screen.table("running").row_count > 0)
    return screen


def _first_hit(app) -> str:
    from textual.command import CommandList

    try:
        options = app.screen.query_one(CommandList)
    except Exception:
        return ""
    if not options.option_count:
        return ""
    return str(options.get_option_at_index(0).prompt)


def _styles(text) -> str:
    return " ".join([str(text.style), *(str(span.style) for span in text.spans)])


def _shown(screen: OperatorScreen, part: str) -> bool:
    return screen.query_one(f"#{part}").display and screen.query_one(f"#{part}").region.height > 0


async def test_wide_shows_all_three_parts(demo: DemoServer, clock: FrozenClock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert all(_shown(screen, p) for p in ("queue", "running", "machines"))
        summary = str(screen.query_one("#summary", Static).render())
        queued = await app.service.client.queue_size()
        assert summary.startswith(f"{queued:,} queued") and "runner up (Rust" in summary
        machines = screen.table("machines")
        assert machines.row_count == len(queuerunner.MACHINES)
        flaky = machines.values[queuerunner.FLAKY]
        assert "off" in flaky[6].plain and "3 fails" in flaky[6].plain and "red" in _styles(flaky[0])
        text = visible_text(machines)
        assert "46G/128G" in text and "%" in text  # memory and free store space where reported
        running = screen.table("running")
        assert running.row_count == len(screen.view.running)
        assert all(v[4].plain != "—" for v in running.values.values())  # machines named


async def test_small_terminal_one_part_at_a_time(demo: DemoServer, clock: FrozenClock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert screen.has_class("-narrow")
        assert _shown(screen, "running") and not _shown(screen, "queue") and not _shown(screen, "machines")
        assert "queued" in str(screen.query_one("#summary", Static).render())  # the total is always visible
        await pilot.press("1")
        assert _shown(screen, "queue") and not _shown(screen, "running")
        await pilot.press("3")
        assert _shown(screen, "machines") and not _shown(screen, "queue")
        # A failing machine's state takes two lines, so the free store space keeps its "%" at 80 columns.
        await pilot.pause()
        machines = visible_text(screen.table("machines"))
        assert "3 fails" in machines and re.search(r"store \d+%", machines)
        await pilot.press("tab")
        assert _shown(screen, "queue")
        # Every field fits in 80 columns: two lines a row.
        await pilot.press("2")
        text = visible_text(screen.table("running"))
        assert "builder-" in text and "hello:" in text and re.search(r"≥0s|\b\d+m \d\ds\b", text)  # the running time


async def test_changes_are_highlighted_by_key(demo: DemoServer, clock: FrozenClock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        running = screen.table("running")
        before = set(running.values)
        assert not running.flashing  # the first answers are not changes
        clock.advance(600)
        await screen._refresh_all()
        await wait_for(pilot, lambda: set(running.values) - before and running.gone)
        started = set(running.values) - before
        assert started and all(k in running.flashing for k in started)
        assert CHANGED_STYLE in _styles(running.get_row(next(iter(started)))[0])
        # The flaky machine came back meanwhile: its state changed and is highlighted.
        machines = screen.table("machines")
        assert "off" not in machines.values[queuerunner.FLAKY][6].plain and queuerunner.FLAKY in machines.flashing
        finished = before - {str(b.id) for b in screen.view.running}
        assert finished and all(k in running.gone for k in finished)
        assert GONE_STYLE in _styles(running.get_row(next(iter(finished)))[0])
        clock.advance(5)
        screen.tick()
        assert not running.gone and not running.flashing and not machines.flashing
        assert set(running.values) == {str(b.id) for b in screen.view.running}


async def test_running_time_ticks(demo: DemoServer, clock: FrozenClock) -> None:
    """`/status` has no start times: a build's running time counts from when hydra-tui first saw it (`≥` when it
    was running then), goes on counting when the view is opened again, and becomes the build's own once its
    details, read in the background, say when it started."""
    from hydra_tui.api.timefmt import duration
    from tests.cache.test_rows import Gate

    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        details = Gate(app.service.client, "build")  # held: the start times stay unknown for now
        screen = await _open(pilot)
        running = screen.table("running")
        key = next(iter(running.values))
        assert running.values[key][5].plain == "≥0s"
        clock.advance(75)
        screen.tick()
        assert running.values[key][5].plain == "≥1m 15s"
        # The column grows for a wider time; a time as wide is written without working the widths out again.
        column = running._columns[5][1]
        await pilot.pause()
        assert running.get_cell(key, column).plain == "≥1m 15s"
        assert running.columns[column].content_width >= len("≥1m 15s")
        clock.advance(1)
        screen.tick()
        assert not running._updated_cells
        await pilot.pause()
        assert running.get_cell(key, column).plain == "≥1m 16s"
        # Opened again, the view goes on counting.
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen))
        screen = await _open(pilot)
        running = screen.table("running")
        await wait_for(pilot, lambda: key in running.values)
        assert running.values[key][5].plain == "≥1m 16s"
        # The build's details arrive: its own start.
        details.open.set()
        build = await app.service.client.build(int(key))
        assert build.starttime
        own = duration(clock.now() - build.starttime)
        await wait_for(pilot, lambda: running.values[key][5].plain == own)


async def test_the_operators_lists_move_with_j_k_g_and_G(demo: DemoServer, clock: FrozenClock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        running = screen.table("running")
        assert running.cursor_row == 0
        await pilot.press("j", "j")
        assert running.cursor_row == 2
        await pilot.press("k")
        assert running.cursor_row == 1
        await pilot.press("G")
        assert running.cursor_row == running.row_count - 1
        await pilot.press("g")
        assert running.cursor_row == 0


async def test_enter_opens_build_l_opens_log_machine_details(demo: DemoServer, clock: FrozenClock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        key = screen.table("running").current_key
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen))
        assert app.screen.build_id == int(key)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("l")
        await wait_for(pilot, lambda: screen_ready(app, LogScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("3", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MachineScreen))
        assert app.screen.machine.hostname == queuerunner.FLAKY
        await pilot.press("escape")
        # Enter on a system shows what runs for it.
        await pilot.press("1", "enter")
        assert screen.part == "running" and screen.filters["running"]
        system = screen.filters["running"]
        assert all(v[3].plain == system for v in screen.table("running").values.values())


async def test_filter_each_part(demo: DemoServer, clock: FrozenClock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("3", "slash", *"arm")
        machines = screen.table("machines")
        await wait_for(pilot, lambda: machines.row_count == 2)
        assert all("arm" in k for k in machines.values)
        await pilot.press("enter", "2")
        assert screen.table("running").row_count == len(screen.view.running)  # other parts keep their own filter
        await pilot.press("3")
        assert machines.row_count == 2


async def test_polls_only_while_shown(demo: DemoServer, clock: FrozenClock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        poller = app.service.poller
        assert poller.polled_keys >= OPERATOR_KINDS
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen))
        assert not (OPERATOR_KINDS & poller.polled_keys)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert poller.polled_keys >= OPERATOR_KINDS
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen))
        assert not (OPERATOR_KINDS & poller.polled_keys)


@pytest.mark.parametrize("state", ["down", "unreachable"])
async def test_runner_down(demo: DemoServer, clock: FrozenClock, state: str) -> None:
    demo.call(lambda w: setattr(w, "queue_runner_state", state))
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        summary = str(screen.query_one("#summary", Static).render())
        assert f"runner {state.upper()}" in summary
        await wait_for(pilot, lambda: screen.table("queue").row_count > 0)  # the queue's head, by system
        assert "next 100 queued" in str(screen.query_one("#queue-title", Static).render())
        assert screen.table("machines").row_count == 0


async def test_legacy_format(demo: DemoServer, clock: FrozenClock) -> None:
    demo.call(lambda w: setattr(w, "queue_runner", "legacy"))
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert "runner up (C++" in str(screen.query_one("#summary", Static).render())
        await wait_for(pilot, lambda: screen.table("machines").row_count == len(queuerunner.MACHINES))
        flaky = screen.table("machines").values[queuerunner.FLAKY]
        assert flaky[3].plain == "0/6" and "3 fails" in flaky[6].plain


async def test_palette_and_help(demo: DemoServer, clock: FrozenClock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert ("s", "Status") in app.screen.rows
        await pilot.press("escape")
        for word, part in (("machines", "machines"), ("queue", "queue"), ("status", "running")):
            await pilot.press("ctrl+p", *word)
            await wait_for(pilot, lambda w=word: _first_hit(app).startswith(w.split()[0][:4]) or w in _first_hit(app))
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_ready(app, OperatorScreen))
            assert app.screen.part == part, word
        assert sum(isinstance(s, OperatorScreen) for s in app.screen_stack) == 1
