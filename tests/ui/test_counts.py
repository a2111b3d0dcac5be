"""One meaning of "failed": for one evaluation the tree, the jobset screen, the evaluation header, the builds
list's filters, the watch screen and watch's lines all show Hydra's numbers, computed here from `/eval/N/builds`
with Hydra's own rules (`getEvals` in `Helper/Nix.pm`, `BuildDiff.pm`)."""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any

from rich.text import Text
from textual.widgets import DataTable, Static

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.api.models import JobsetEval
from hydra_tui.api.pages import EvalSummary
from hydra_tui.api.status import FILTER_NAMES, Counts
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.eval_builds import STATUS_CYCLE, EvalBuildsScreen
from hydra_tui.ui.screens.evals import (
    MIN_INPUTS,
    SCROLLBAR,
    EvalsScreen,
    builds_cell,
    delta_cell,
    eval_layout,
    inputs_cell,
)
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.screens.projects import NodeRef, ProjectsScreen
from hydra_tui.ui.screens.watch import WatchScreen
from hydra_tui.ui.widgets.build_list import BuildList
from hydra_tui.watch.cli import watch_main
from tests.ui.helpers import make_app, screen_ready, wait_for

COUNTS = re.compile(r"✔ ([\d,]+)\s+✘ ([\d,]+)\s+queued ([\d,]+)")
# Every kind of failure Hydra records today: exit code, dependency, aborted, cancelled, failed with output, timed
# out, log limit, output limit, non-deterministic.
FAILURE_CODES = {1, 2, 3, 4, 6, 7, 10, 11, 12}


def shown(text: object) -> tuple[int, int, int]:
    """The ✔ / ✘ / queued numbers a widget shows; exactly one set of them."""
    plain = text.plain if isinstance(text, Text) else str(text)
    found = COUNTS.findall(plain)
    assert len(found) == 1, plain
    return tuple(int(n.replace(",", "")) for n in found[0])  # type: ignore[return-value]


def hydra_counts(builds: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Hydra's evaluations page: succeeded = finished with status 0, queued = unfinished, failed = the rest."""
    succeeded = sum(1 for b in builds if b["finished"] and b["buildstatus"] == 0)
    queued = sum(1 for b in builds if not b["finished"])
    return succeeded, len(builds) - succeeded - queued, queued


async def showcase(demo: DemoServer) -> tuple[int, list[dict[str, Any]], dict[str, Any], list[EvalSummary]]:
    async with HydraClient(demo.url, limits=Limits.unlimited()) as client:
        eval_id = (await client.evals("hello", "main")).evals[0].id
        builds = await client.get_json(f"/eval/{eval_id}/builds")
        overview = next(j for j in await client.get_json("/api/jobsets", {"project": "hello"}) if j["name"] == "main")
        summaries = await client.eval_summaries("hello", "main")
    return eval_id, builds, overview, summaries


def eval_row(table: DataTable, eval_id: int) -> tuple[tuple[int, int, int], str]:
    """The ✔ / ✘ / queued numbers and the change an evaluation table shows for one evaluation."""
    return shown(table.get_cell(str(eval_id), "builds")), table.get_cell(str(eval_id), "delta").plain


async def watch_once(demo: DemoServer, clock: FrozenClock, *args: str) -> str:
    """`hydra-tui watch … hello:main`'s first output (it runs its own event loop, so in a thread). The watch keeps
    its own time, which its one sleep moves past the timeout; the demo's builds stay as they are."""
    out, err = io.StringIO(), io.StringIO()
    own = FrozenClock(clock.now())

    async def sleep(seconds: float) -> None:
        own.advance(seconds)

    argv = [*args, "--timeout", "60", "--interval", "60", "hello:main"]
    code = await asyncio.to_thread(watch_main, argv, out=out, err=err, clock=own, sleep=sleep, demo_url=demo.url)
    assert code == 124 and out.getvalue().count("\n") == 1, err.getvalue()
    return out.getvalue().strip()


async def test_every_screen_shows_hydras_numbers_for_one_evaluation(demo: DemoServer, clock) -> None:
    eval_id, builds, overview, summaries = await showcase(demo)
    statuses = {b["buildstatus"] for b in builds if b["finished"]}
    assert statuses >= FAILURE_CODES, "the showcase evaluation should have every kind of failure"
    expected = hydra_counts(builds)
    # The server's own numbers for the jobset's current builds say the same.
    assert (overview["nrsucceeded"], overview["nrfailed"], overview["nrscheduled"]) == expected
    aborted = sum(1 for b in builds if b["finished"] and b["buildstatus"] in (3, 4, 7, 10))
    # Hydra's evaluations page counts the evaluation the same way.
    row = next(s for s in summaries if s.id == eval_id)
    assert (row.succeeded, row.failed, row.queued) == expected, "Hydra's evaluations page"
    changed = next(s for s in summaries if s.diff)  # an evaluation whose page shows a change

    app = make_app(demo.url, clock)
    async with app.run_test(size=(110, 32)) as pilot:
        await wait_for(
            pilot, lambda: screen_ready(app, ProjectsScreen) and NodeRef("hello", "main") in app.screen.nodes
        )
        node = app.screen.nodes[NodeRef("hello", "main")]
        assert shown(node.label) == expected, "the project tree"

        app.screen.query_one("#tree").move_cursor(node)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.overview is not None)
        assert shown(app.screen.query_one("#info", Static).render()) == expected, "the jobset screen"

        table = app.screen.query_one("#evals", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0 and "delta" in {str(k.value) for k in table.columns})
        assert eval_row(table, eval_id) == (expected, ""), "the jobset screen's evaluations"
        assert eval_row(table, changed.id) == (
            (changed.succeeded, changed.failed, changed.queued),
            f"{changed.diff:+,}",
        )

        await pilot.press("e")
        await wait_for(pilot, lambda: screen_ready(app, EvalsScreen))
        evals = app.screen.query_one("#evals", DataTable)
        await wait_for(pilot, lambda: evals.row_count > 0 and "delta" in {str(k.value) for k in evals.columns})
        assert eval_row(evals, eval_id) == (expected, ""), "the evaluations list (e)"
        assert eval_row(evals, changed.id)[1] == f"{changed.diff:+,}"
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))

        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == str(eval_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
        builds_list = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds_list.view) == len(builds))
        summary = app.screen.query_one("#summary", Static)
        assert f"Evaluation {eval_id}" in str(summary.render())
        assert shown(summary.render()) == expected, "the evaluation header"

        # The builds list's state filter: "failed" is Hydra's ✘, "queued" its queued, "aborted" BuildDiff's.
        seen = {}
        for name in ("failed", "aborted", "queued", "running", "succeeded"):
            builds_list.states = FILTER_NAMES[name]
            builds_list.refilter()
            seen[name] = len(builds_list.view)
        # The status filter (`f`) goes through the comparison's categories, with Hydra's counts.
        builds_list.states = None
        await wait_for(pilot, lambda: app.screen.comparison is not None)
        comparison = app.screen.comparison
        for change in STATUS_CYCLE[1:]:
            if comparison.count(change):
                await pilot.press("f")
                assert app.screen.status_filter is change
                assert len(builds_list.view) == comparison.count(change)
        await pilot.press("0")
        assert (seen["succeeded"], seen["failed"], seen["queued"]) == expected
        assert seen["aborted"] == aborted
        kinds = [
            name for name, states in FILTER_NAMES.items() if len(states) == 1 and name not in ("succeeded", "running")
        ]
        for name in kinds:  # each kind of failure has its own name, and together they are "failed"
            builds_list.states = FILTER_NAMES[name]
            builds_list.refilter()
            seen[name] = len(builds_list.view)
        assert sum(seen[name] for name in kinds) == expected[1], seen
        assert all(seen[name] for name in kinds if name not in ("unsupported", "obsolete")), seen

    watch = make_app(demo.url, clock)
    watch.first_screen = lambda: WatchScreen("hello", "main", interval=3600)
    async with watch.run_test(size=(110, 32)) as pilot:
        screen = watch.screen
        await wait_for(pilot, lambda: len(screen.changes) == 1)
        assert screen.changes[0].eval_id == eval_id
        assert shown(screen.query_one("#summary", Static).render()) == expected, "the watch screen"
        assert shown(str(screen.query_one("#change-list", Static).render())) == expected, "the watch screen's list"

    line = await watch_once(demo, clock, "--plain")
    assert f" eval {eval_id} " in line and shown(line) == expected, "watch --plain"
    counts = json.loads(await watch_once(demo, clock, "--json"))["counts"]
    assert (counts["succeeded"], counts["failed"], counts["queued"]) == expected, "watch --json"
    assert counts["aborted"] == aborted and counts["total"] == len(builds)


def test_counts_of_raw_builds_follow_hydra() -> None:
    rows = [(True, code, 1) for code in (0, 0, *sorted(FAILURE_CODES), 5, 9, 99)] + [(False, None, None)] * 2
    rows.append((False, None, 5))
    counts = Counts.of_builds(rows)
    assert (counts.succeeded, counts.failed, counts.queued) == (2, len(FAILURE_CODES) + 3, 3)
    assert counts.running == 1 and counts.aborted == 4 and counts.total == len(rows)
    assert counts.text() == f"✔ 2  ✘ {len(FAILURE_CODES) + 3}  queued 3"


def test_evaluation_table_draws_counts_with_the_same_symbols() -> None:
    ev = JobsetEval.model_validate({"id": 7, "nrbuilds": 36, "builds": []})
    assert builds_cell(ev).plain.strip() == "36"
    cell = builds_cell(ev, Counts(succeeded=3, failed=10, queued=23))
    assert cell.plain == "✔ 3  ✘ 10  queued 23" and shown(cell) == (3, 10, 23)
    big = builds_cell(ev, Counts(succeeded=234_769, failed=9_844, queued=5_387), widths=(11, 9))
    assert big.plain == "✔ 234,769  ✘ 9,844  queued 5,387" and shown(big) == (234_769, 9_844, 5_387)


def test_the_change_is_drawn_as_hydra_draws_it() -> None:
    def summary(diff: int) -> EvalSummary:
        return EvalSummary(7, None, 1, 2, 3, diff, False)

    assert delta_cell(summary(1613)).plain == "+1,613" and delta_cell(summary(1613)).style == "green"
    assert delta_cell(summary(-3)).plain == "-3" and delta_cell(summary(-3)).style == "red"
    assert delta_cell(summary(0)).plain == "" and delta_cell(None).plain == ""


def test_evaluation_columns_drop_the_inputs_before_cutting_a_number() -> None:
    needed = {"id": 7, "when": 8, "builds": len("✔ 234,769  ✘ 9,844  queued 5,387"), "delta": len("-1,613")}
    wide = {key: width for key, _, width in eval_layout(80, needed)}
    assert list(wide) == ["id", "when", "builds", "delta", "inputs"]
    assert all(wide[k] >= needed[k] for k in needed) and wide["inputs"] >= MIN_INPUTS
    assert sum(w + 2 for w in wide.values()) <= 80 - SCROLLBAR
    narrow = {key: width for key, _, width in eval_layout(70, needed)}
    assert list(narrow) == ["id", "when", "builds", "delta"], "the changed inputs go first"
    assert all(narrow[k] >= needed[k] for k in needed)
    assert list(dict((k, w) for k, _, w in eval_layout(60, needed))) == ["id", "builds", "delta"]
    before_counts = {key for key, _, _ in eval_layout(80, {**needed, "delta": 0})}
    assert "delta" not in before_counts  # no change column before Hydra's numbers are known


def test_an_evaluation_with_errors_is_marked() -> None:
    ev = JobsetEval.model_validate({"id": 7, "nrbuilds": 36, "builds": []})
    marked = inputs_cell(ev, None, EvalSummary(7, None, 1, 2, 3, 0, True, ["src → 1edf5345f6b8"]))
    assert marked.plain == "eval errors src → 1edf5345f6b8"
    assert inputs_cell(ev, None, EvalSummary(7, None, 1, 2, 3, 0, False, [])).plain == "-"
