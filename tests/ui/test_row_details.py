"""The builds list of a nixpkgs-sized evaluation: row details show as they arrive, what is on screen is fetched
first (and again when scrolled back into view), and a poll never takes details off the screen."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import DataTable

from hydra_tui.api.models import Build
from hydra_tui.api.rows import BuildRows
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.app import HydraApp
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.widgets.build_list import BuildList
from tests.cache.test_rows import Gate
from tests.ui.helpers import make_app, screen_ready, shows_job, wait_for


async def open_big_eval(app: HydraApp, pilot: Any) -> BuildList:
    await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
    await wait_for(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count == 3)
    # The comparison is held: these tests are about rows fetched one by one (it fills rows in bulk otherwise).
    Gate(app.service.client, "compare")
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
    await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
    builds = app.screen.query_one(BuildList)
    await wait_for(pilot, lambda: len(builds.view) == 250_000)
    return builds


def on_screen(builds: BuildList) -> list[int]:
    """The positions (in the rows) of the rows in view."""
    top = int(builds.scroll_offset.y)
    return [builds.view[n] for n in range(top, min(len(builds.view), top + builds.size.height - 1))]


def all_known(builds: BuildList) -> bool:
    return all(builds.rows.known_at(i) for i in on_screen(builds))


async def test_a_poll_never_takes_details_off_the_screen(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        details = Gate(app.service.client, "build")
        builds = await open_big_eval(app, pilot)
        screen = app.screen
        # A poll begins; its request for the evaluation's ids is held while the details of the rows in view arrive.
        ids = Gate(app.service.client, "eval")
        poll = asyncio.ensure_future(app.service.refresh("eval_builds", screen.eval_id))
        await wait_for(pilot, lambda: ids.waiting == 1 and details.waiting >= 1)
        details.open.set()
        await wait_for(pilot, lambda: all_known(builds))
        ids.open.set()
        await poll
        await pilot.pause()
        assert all_known(builds)
        first = builds.rows.jobs[on_screen(builds)[0]]
        assert first and shows_job(builds, first)
        # Rows that lost their details (as a poll used to do) are asked for again, and shown again.
        bare = BuildRows(builds.rows.ids)
        bare.partial = True
        key = ("eval_builds", screen.eval_id)
        app.service.cache.put(key, bare, fetched_at=clock.now())
        # The list shows those rows (or rows made from them as details come back)…
        await wait_for(pilot, lambda: builds.rows.jobs_changed_since(bare.job_mark()) is not None)
        # …and fetches the details of those in view again.
        await wait_for(pilot, lambda: all_known(builds) and shows_job(builds, first))
        assert builds.rows.jobs_changed_since(bare.job_mark())


async def test_details_show_one_by_one(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        gate = Gate(app.service.client, "build")
        real = gate.real
        held = asyncio.Event()
        first_asked: list[int] = []

        async def only_the_first(build_id: int) -> Build:
            if first_asked and first_asked[0] != build_id:
                await held.wait()
            first_asked.append(build_id)
            return await real(build_id)

        gate.real = only_the_first
        gate.open.set()
        builds = await open_big_eval(app, pilot)
        cursor_row = builds.view[builds.cursor]
        await wait_for(pilot, lambda: builds.rows.known_at(cursor_row))
        # The cursor's row was asked first and is shown, while the requests for the others are still held.
        assert first_asked[0] == builds.rows.ids[cursor_row]
        assert shows_job(builds, builds.rows.jobs[cursor_row])
        assert sum(builds.rows.known_at(i) for i in on_screen(builds)) == 1
        held.set()
        await wait_for(pilot, lambda: all_known(builds))


async def test_rows_scrolled_away_are_not_fetched_and_are_when_back(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        gate = Gate(app.service.client, "build")
        builds = await open_big_eval(app, pilot)
        top = [builds.rows.ids[i] for i in on_screen(builds)]
        await wait_for(pilot, lambda: gate.waiting >= 1)
        await pilot.press("end")
        filler = app.service._fillers[app.screen.eval_id]
        await wait_for(pilot, lambda: builds.rows.ids[builds.view[-1]] in filler.asked)
        sent_while_on_top = {args[0] for args in gate.calls}
        assert sent_while_on_top < set(top)  # only the few already on their way
        gate.open.set()
        await wait_for(pilot, lambda: all_known(builds))
        bottom = {builds.rows.ids[i] for i in on_screen(builds)}
        # Only the bottom rows were fetched since (those /api/latestbuilds did not cover), none of them twice.
        fetched = [args[0] for args in gate.calls]
        assert set(fetched) <= sent_while_on_top | bottom
        assert len(fetched) == len(set(fetched))
        # Back at the top: the rows never fetched are now.
        await pilot.press("home")
        await wait_for(pilot, lambda: all_known(builds))
        assert set(top) <= {args[0] for args in gate.calls}


async def test_the_filter_finds_jobs_that_arrived_after_it_was_indexed(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        builds = await open_big_eval(app, pilot)
        await wait_for(pilot, lambda: all_known(builds))
        await pilot.press("end")
        await wait_for(pilot, lambda: all_known(builds))
        # The index of lower-cased job names was caught up row by row as details arrived: it is what a whole
        # rebuild would give.
        builds.refilter(keep=builds.current_id)
        assert builds._lower == [job.lower() for job in builds.rows.jobs]
        last = builds.view[-1]
        job = builds.rows.jobs[last]
        app.screen.apply_filter(job.upper())
        assert last in builds.view and all(job in builds.rows.jobs[i] for i in builds.view)


async def test_a_filter_follows_details_arriving_without_scanning_every_row(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        builds = await open_big_eval(app, pilot)
        await wait_for(pilot, lambda: all_known(builds))
        app.screen.apply_filter("LINUX")
        matches = builds._last_matches
        assert matches is not None and list(builds.view) == matches
        # The details of rows far from the screen arrive while the filter stands.
        rows = builds.rows
        far = [rows.ids[i] for i in range(len(rows) - 40, len(rows)) if not rows.known_at(i)]
        assert far
        await app.service.fill_rows(app.screen.eval_id, far)
        await wait_for(pilot, lambda: all(builds.rows.known_at(builds.rows.position(i)) for i in far))
        # The matches were brought up to date row by row (the same list), and are what a whole scan gives.
        assert builds._last_matches is matches
        expected = [i for i, job in enumerate(builds.rows.jobs) if "linux" in job.lower()]
        assert list(builds.view) == expected
        assert any(builds.rows.ids[i] in far for i in builds.view)
        # One more character narrows them, as a scan would.
        app.screen.apply_filter("LINUXx")
        assert list(builds.view) == [i for i in expected if "linuxx" in builds.rows.jobs[i].lower()]


async def test_the_top_stays_the_top_while_details_arrive_in_a_sorted_list(demo: DemoServer, clock) -> None:
    """Sorted by status, rows move as their details arrive: `g` keeps the cursor on the first row, not on the build
    that was first when it was pressed."""
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        details = Gate(app.service.client, "build")
        builds = await open_big_eval(app, pilot)
        while builds.sort != "status":
            await pilot.press("s")
        await pilot.press("g")
        first = builds.current_id
        details.open.set()
        # Rows of unknown state sort first: as their details arrive they move down, and others take their place.
        await wait_for(pilot, lambda: builds.rows.known_at(builds.rows.position(first)))
        await pilot.pause()
        assert builds.cursor == 0 and int(builds.scroll_offset.y) == 0
        assert builds.current_id != first


async def test_the_newest_rows_come_from_one_latestbuilds_request(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        builds = await open_big_eval(app, pilot)
        await wait_for(pilot, lambda: all_known(builds))
        latest = Gate(app.service.client, "latest_builds")
        answers: list[int] = []
        real = latest.real

        async def keep(*args: Any, **kwargs: Any) -> Any:
            found = await real(*args, **kwargs)
            answers.extend(b.id for b in found)
            return found

        latest.real = keep
        latest.open.set()
        single = Gate(app.service.client, "build")
        single.open.set()
        await pilot.press("end")
        await wait_for(pilot, lambda: all_known(builds))
        bottom = {builds.rows.ids[i] for i in on_screen(builds)}
        assert len(latest.calls) == 1
        covered = bottom & set(answers)
        assert covered  # the newest builds of the newest evaluation are among the jobset's newest finished builds
        # Rows in that answer took no request of their own; the others (not finished yet) did.
        assert {args[0] for args in single.calls} == bottom - covered
