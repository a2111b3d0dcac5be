"""Server strings that look like markup show literally in every kind of widget; oversized values stay usable;
random JSON never crashes the models."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import DataTable, Static, Tree

from hydra_tui.api import models
from hydra_tui.api.client import HydraClient
from hydra_tui.api.errors import BadResponseError
from hydra_tui.api.rows import BuildRows
from hydra_tui.demo.runner import DemoServer
from hydra_tui.demo.world import Jobset
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.evals import EvalsScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.screens.modals import ConfirmScreen
from hydra_tui.ui.screens.watch import WatchScreen
from hydra_tui.ui.widgets.build_list import BuildList
from hydra_tui.ui.widgets.status_line import StatusLine
from tests.ui.helpers import make_app, screen_ready, visible_text, wait_for
from tests.ui.test_navigation import tree_labels

EVIL_PROJECT = "[b]proj"
EVIL_TITLE = "[@click=app.quit]click me[/]"
EVIL_JOBSET = "[$accent]js"
EVIL_JOB = "[/foo] evil.x86_64-linux"


def hostile(world) -> None:
    p = world._project(EVIL_PROJECT, EVIL_TITLE, "[bold]desc[/bold]")
    js = world._jobset(p, EVIL_JOBSET, "[/x]", jobs=("[/foo] evil",), systems=("x86_64-linux",))
    ev = world._new_eval(js, at=world.t0 - 100, live=False)
    for build_id in ev.build_ids:
        world.builds[build_id].outcome = 1


def rendered(widget) -> str:
    return str(widget.render())


async def test_markup_in_tree_labels_titles_rows_and_modals(clock) -> None:
    with DemoServer(clock=clock, start=clock.now(), configure=hostile) as demo:
        app = make_app(demo.url, clock)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: any(EVIL_JOBSET in label for label in tree_labels(app)))
            labels = tree_labels(app)
            assert any(EVIL_PROJECT in label and EVIL_TITLE in label for label in labels)
            await pilot.click(Tree, offset=(10, 0))
            assert app.is_running

            app.open_jobset(EVIL_PROJECT, EVIL_JOBSET)
            await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.query("#info"))
            info = app.screen.query_one("#info", Static)
            await wait_for(pilot, lambda: f"{EVIL_PROJECT}:{EVIL_JOBSET}" in rendered(info))
            assert "[/x]" in rendered(info)
            await pilot.press("e")
            await wait_for(pilot, lambda: screen_ready(app, EvalsScreen) and app.screen.query(DataTable))
            table = app.screen.query_one(DataTable)
            assert table._border_title.plain == f"Evaluations of {EVIL_PROJECT}:{EVIL_JOBSET}"  # shown literally
            await wait_for(pilot, lambda: table.row_count == 1)
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen) and app.screen.query(BuildList))
            await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
            builds = app.screen.query_one(BuildList)
            await wait_for(pilot, lambda: len(builds.view) == 1)
            # The SYSTEM column shows the system, so the job is shown without it: still literal.
            line = builds.render_line(1).text
            assert EVIL_JOB.removesuffix(".x86_64-linux") in line and "x86_64-linux" in line
            await pilot.press("enter")
            await wait_for(pilot, lambda: getattr(app.screen, "build", None) is not None)
            assert EVIL_JOB in visible_text(app.screen.query_one("#details", Static))
            await pilot.press("R" if app.screen.build.finished else "C")  # the action its state allows
            await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen))
            said = " ".join(rendered(s) for s in app.screen.query(Static))
            assert f"{EVIL_PROJECT}:{EVIL_JOBSET}:{EVIL_JOB}" in said
            await pilot.press("n")


async def test_markup_in_status_line_and_toasts(clock) -> None:
    def failing(world) -> None:
        hostile(world)
        js: Jobset = world.projects[EVIL_PROJECT].jobsets[EVIL_JOBSET]
        for build_id in world.evals[js.evals[-1]].build_ids:  # it succeeded in the evaluation before …
            b = world.builds[build_id]
            b.outcome, b.start_at, b.finish_at = 0, clock.now() - 90, clock.now() - 60
        for build_id in world._new_eval(js, at=world.t0 - 50, live=False).build_ids:  # … and now newly fails
            b = world.builds[build_id]
            b.outcome = 1
            b.start_at, b.finish_at = clock.now() + 10, clock.now() + 20

    with DemoServer(clock=clock, start=clock.now(), configure=failing) as demo:
        app = make_app(demo.url, clock)
        app.first_screen = lambda: WatchScreen(EVIL_PROJECT, EVIL_JOBSET, interval=3600)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            screen = app.screen
            await wait_for(pilot, lambda: len(screen.changes) == 1)
            app.service.user = "[b]eve[/b]"
            status = app.screen.query_one(StatusLine)
            status.update_status()
            assert "[b]eve[/b]" in rendered(status)
            clock.advance(100)
            screen.poll()
            await wait_for(pilot, lambda: len(screen.changes) == 2)
            assert any(EVIL_JOB.rsplit(".", 1)[0] in n.message for n in app._notifications)
            assert any(n.title == f"{EVIL_PROJECT}:{EVIL_JOBSET}" for n in app._notifications)
            assert EVIL_JOB in rendered(screen.query_one("#change-list"))


async def test_oversized_values_stay_usable(clock) -> None:
    def huge(world) -> None:
        p = world._project("big", "x" * 2000, "")
        for n in range(5000):
            p.jobsets[f"js{n:04d}"] = Jobset(name=f"js{n:04d}", project="big")
        broken = world.projects["hello"].jobsets["broken"]
        broken.errormsg = ("error: something went wrong\n" * 400_000)[:10_000_000] + "error: the real cause\n"
        main = world.projects["hello"].jobsets["main"]
        for build_id in world.evals[main.evals[-1]].build_ids[:3]:
            world.builds[build_id].job = "j" * 2000

    with DemoServer(clock=clock, start=clock.now(), configure=huge) as demo:
        app = make_app(demo.url, clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: len(app.screen.jobsets.get("big", [])) == 5000, timeout=30)
            await pilot.press("down", "down", "end", "up")
            app.open_jobset("hello", "broken")
            await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.query("#error-text"))
            text = app.screen.query_one("#error-text", Static)
            await wait_for(pilot, lambda: "the real cause" in rendered(text), timeout=30)
            assert len(rendered(text)) < 30_000 and "are not shown" in rendered(text)
            app.open_jobset("hello", "main")
            await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.jobset_name == "main")
            await wait_for(pilot, lambda: app.screen.query("#evals") and app.screen.query_one("#evals").row_count > 0)
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen) and app.screen.query(BuildList))
            await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
            builds = app.screen.query_one(BuildList)
            await wait_for(pilot, lambda: len(builds.view) == 36)
            # A row fills the list's width left of its scrollbar exactly, the long job cut with …
            assert len(builds.render_line(1).text) == builds.scrollable_content_region.width == 78
            await pilot.press("enter")
            await wait_for(pilot, lambda: getattr(app.screen, "build", None) is not None)
            assert app.is_running


HOSTILE_TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "b", ".", "\x1b", "]", "[", "0", ";", "\x07", "\x9b", "\x00", "\u202e", "\n", "\ud800"]
    ),
    max_size=20,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
KEYS = [
    "id",
    "finished",
    "buildstatus",
    "starttime",
    "stoptime",
    "job",
    "system",
    "buildmetrics",
    "buildoutputs",
    "buildproducts",
    "jobsetevals",
    "name",
    "enabled",
    "hidden",
    "visible",
    "inputs",
    "jobsetinputs",
    "builds",
    "jobsetevalinputs",
    "evals",
    "nrscheduled",
    "timestamp",
    "flake",
    "userroles",
    "error",
]
DOCS = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=12) | JSON
MODELS = [
    models.Build,
    models.ApiBuild,
    models.Project,
    models.Jobset,
    models.JobsetOverview,
    models.JobsetEval,
    models.EvalsPage,
    models.SearchResult,
    models.User,
    models.PushResult,
    models.GlobalEval,
    models.ErrorBody,
]


client = HydraClient("http://127.0.0.1:9")  # only its pure checks are used: it never connects


def strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_in(k) + strings_in(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings_in(v)]
    return []


UNSAFE = re.compile("[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=DOCS, model=st.sampled_from(MODELS))
def test_models_accept_or_reject_cleanly(doc, model) -> None:
    """Accepted: every string in the model is clean (ESC only as a short colour in an evaluation error).
    Rejected: the client says which field of which URL, as a BadResponseError; never any other exception."""
    try:
        result = client._model(model, doc, "/test/url")
    except BadResponseError as exc:
        assert exc.message.startswith("/test/url sent data hydra-tui cannot read (")
        return
    assert isinstance(result, model)
    for text in strings_in(result.model_dump()):
        assert not UNSAFE.search(text), repr(text)
        assert "\x1b" not in text or re.fullmatch(r"(?:[^\x1b]|\x1b\[[0-9;:]{0,40}m)*", text, re.DOTALL), repr(text)


@settings(max_examples=200, deadline=None)
@given(doc=st.lists(DOCS, max_size=5))
def test_build_rows_never_crash(doc) -> None:
    rows = BuildRows.from_builds(doc if isinstance(doc, list) else [])
    assert len(rows) <= len(doc)
    jobs = [rows.row(i).job for i in range(len(rows))] + [rows.row(i).system for i in range(len(rows))]
    json.dumps(jobs)
    assert not any(UNSAFE.search(job) or "\n" in job or "\x1b" in job for job in jobs)


@settings(max_examples=200, deadline=None)
@given(doc=DOCS)
def test_eval_detail_never_crashes_unexpectedly(doc) -> None:
    """Either an evaluation whose ids all come from the document's `builds`, or a BadResponseError naming the path."""
    try:
        detail = client._eval_detail(doc, "/eval/1")
    except BadResponseError as exc:
        assert exc.message.startswith("/eval/1 sent an evaluation hydra-tui cannot read")
        return
    assert isinstance(doc, dict)
    builds = doc.get("builds") or []
    assert len(detail.build_ids) <= len(builds) and list(detail.build_ids) == sorted(detail.build_ids)
