"""Snapshots of every screen at 80x24 and 120x40, against the demo with a frozen clock and fixed data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import DataTable, Static

from hydra_tui.api.status import BuildState
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.evals import EvalsScreen
from hydra_tui.ui.screens.help import HelpScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.widgets.build_list import BuildList
from tests.conftest import T0
from tests.ui.helpers import PortMap, make_app, screen_ready, wait_for
from tests.ui.test_navigation import tree_labels

# The address the app shows (on the status line, in build URLs): fixed text, while the server itself listens on a
# free port that PortMap sends it to. Snapshot tests only read, so one server serves all.
SHOWN_PORT = 38517
SHOWN_URL = f"http://127.0.0.1:{SHOWN_PORT}"
SIZES = [(80, 24), (120, 40)]


@pytest.fixture(scope="module")
def snapshot_demo() -> Iterator[DemoServer]:
    server = DemoServer(clock=FrozenClock(T0), start=T0).start()
    yield server
    server.stop()


def _app(server: DemoServer, target: str | None = None):
    return make_app(SHOWN_URL, FrozenClock(T0), target=target, transport=PortMap(SHOWN_PORT, server.port))


async def _projects_ready(pilot) -> None:
    names = ("main", "trunk", "master")
    await wait_for(pilot, lambda: all(any(x.startswith(n) for x in tree_labels(pilot.app)) for n in names))
    await wait_for(pilot, lambda: all("enabled" in x for x in tree_labels(pilot.app) if x.startswith("master")))


async def _jobset_ready(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
    await wait_for(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count == 10)
    await wait_for(pilot, lambda: "current builds" in str(app.screen.query_one("#info", Static).render()))


async def _builds_ready(pilot) -> None:
    await _jobset_ready(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_ready(pilot.app, EvalBuildsScreen))
    await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
    await wait_for(pilot, lambda: len(pilot.app.screen.query_one(BuildList).view) == 36)
    # Both evaluations listed whole: the header says the comparison was computed here.
    await wait_for(pilot, lambda: pilot.app.screen._client is not None)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_projects(snap_compare, snapshot_demo: DemoServer, size) -> None:
    assert snap_compare(_app(snapshot_demo), terminal_size=size, run_before=_projects_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_jobset(snap_compare, snapshot_demo: DemoServer, size) -> None:
    assert snap_compare(_app(snapshot_demo, "hello:main"), terminal_size=size, run_before=_jobset_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_jobset_with_eval_error(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        await wait_for(pilot, lambda: screen_ready(pilot.app, JobsetScreen))
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#error").has_class("-shown"))
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#evals", DataTable).row_count == 1)

    assert snap_compare(_app(snapshot_demo, "hello:broken"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_evals(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        await _jobset_ready(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_ready(pilot.app, EvalsScreen))
        await wait_for(pilot, lambda: pilot.app.screen.query_one(DataTable).row_count == 20)

    assert snap_compare(_app(snapshot_demo, "hello:main"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_eval_builds(snap_compare, snapshot_demo: DemoServer, size) -> None:
    assert snap_compare(_app(snapshot_demo, "hello:main"), terminal_size=size, run_before=_builds_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_eval_builds_filtered(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        await _builds_ready(pilot)
        await pilot.press("f")

    assert snap_compare(_app(snapshot_demo, "hello:main"), terminal_size=size, run_before=ready)


async def _log_box_at_its_end(pilot) -> None:
    """The build screen's log box is shown, laid out with its lines, and scrolled to its newest (anchored)."""
    from textual.containers import VerticalScroll

    box = pilot.app.screen.query_one("#logbox", VerticalScroll)
    text = pilot.app.screen.query_one("#log")
    await wait_for(pilot, lambda: box.has_class("-shown") and text.size.height > 1)
    await wait_for(pilot, lambda: box.scroll_y == box.max_scroll_y)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_build_failed(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        await _builds_ready(pilot)
        builds = pilot.app.screen.query_one(BuildList)
        builds.cursor = next(n for n, i in enumerate(builds.view) if builds.rows.state_at(i) is BuildState.FAILED)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(pilot.app, BuildScreen))
        await _log_box_at_its_end(pilot)

    assert snap_compare(_app(snapshot_demo, "hello:main"), terminal_size=size, run_before=ready)


def test_help(snap_compare, snapshot_demo: DemoServer) -> None:
    async def ready(pilot) -> None:
        await _builds_ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_ready(pilot.app, HelpScreen))

    assert snap_compare(_app(snapshot_demo, "hello:main"), terminal_size=(80, 24), run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_log_viewer(snap_compare, snapshot_demo: DemoServer, size) -> None:
    from hydra_tui.ui.screens.log import LogScreen

    async def ready(pilot) -> None:
        pilot.app.open_log(101586)
        await wait_for(pilot, lambda: screen_ready(pilot.app, LogScreen) and pilot.app.screen.loaded)
        await wait_for(pilot, lambda: pilot.app.screen.build is not None)
        await pilot.press("slash", *"warning", "enter")

    assert snap_compare(_app(snapshot_demo), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_watch(snap_compare, snapshot_demo: DemoServer, size) -> None:
    from hydra_tui.ui.screens.watch import WatchScreen

    app = _app(snapshot_demo)
    app.first_screen = lambda: WatchScreen("hello", "main", interval=3600)

    async def ready(pilot) -> None:
        await wait_for(pilot, lambda: len(pilot.app.screen.changes) == 1)

    assert snap_compare(app, terminal_size=size, run_before=ready)


def test_sixteen_colours(snap_compare, snapshot_demo: DemoServer) -> None:
    """The ansi-dark theme uses only the terminal's own 16 colours: everything must stay readable."""
    app = _app(snapshot_demo, "hello:main")
    app.theme = "ansi-dark"
    assert snap_compare(app, terminal_size=(80, 24), run_before=_builds_ready)


async def _compare_ready(pilot, rows: int) -> None:
    await _jobset_ready_any(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_ready(pilot.app, EvalBuildsScreen) and pilot.app.screen.comparison is not None)
    await wait_for(pilot, lambda: len(pilot.app.screen.query_one(BuildList).view) == rows)
    await wait_for(pilot, lambda: pilot.app.screen._rows is not None)  # the header's number of builds


async def _jobset_ready_any(pilot) -> None:
    await wait_for(pilot, lambda: screen_ready(pilot.app, JobsetScreen))
    await wait_for(pilot, lambda: pilot.app.screen.query_one("#evals", DataTable).row_count > 0)
    await wait_for(pilot, lambda: "current builds" in str(pilot.app.screen.query_one("#info", Static).render()))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_eval_compare_hello(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        await _compare_ready(pilot, 3)  # newly failing
        await wait_for(pilot, lambda: pilot.app.screen._client is not None)  # both listed whole: compared here

    assert snap_compare(_app(snapshot_demo, "hello:main"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_eval_compare_nixpkgs(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        await _compare_ready(pilot, 250)  # 250 of 2,808 newly failing

    assert snap_compare(_app(snapshot_demo, "nixpkgs:trunk"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_root_causes(snap_compare, snapshot_demo: DemoServer, size) -> None:
    from hydra_tui.ui.screens.root_causes import RootCausesScreen

    async def ready(pilot) -> None:
        await _compare_ready(pilot, 3)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_ready(pilot.app, RootCausesScreen))
        await pilot.press("a")  # every failing build: hello-static's dependency failure
        screen = pilot.app.screen
        await wait_for(pilot, lambda: len(screen.causes) == 1 and screen.query_one("#progress-row").has_class("-done"))
        await wait_for(pilot, lambda: screen.query_one("#broken", DataTable).row_count == 1)

    assert snap_compare(_app(snapshot_demo, "hello:main"), terminal_size=size, run_before=ready)


async def _job_ready(pilot) -> None:
    from hydra_tui.ui.screens.job import JobScreen
    from tests.ui.test_job_ui import details_loaded

    await wait_for(pilot, lambda: screen_ready(pilot.app, JobScreen))
    await wait_for(pilot, lambda: details_loaded(pilot.app))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_job(snap_compare, snapshot_demo: DemoServer, size) -> None:
    assert snap_compare(
        _app(snapshot_demo, "hello:main:hello.x86_64-darwin"), terminal_size=size, run_before=_job_ready
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_filter_box_shows_what_is_typed(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        await _projects_ready(pilot)
        await pilot.press("slash", *"tru")
        await wait_for(pilot, lambda: tree_labels(pilot.app) and tree_labels(pilot.app)[0].startswith("nixpkgs"))
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#message").has_class("-hidden"), timeout=40)

    assert snap_compare(_app(snapshot_demo), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_build_dependency_failure(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        pilot.app.open_build(101541)
        await wait_for(pilot, lambda: screen_ready(pilot.app, BuildScreen) and pilot.app.screen.culprit is not None)
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#logbox").has_class("-shown"))

    assert snap_compare(_app(snapshot_demo), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_build_running(snap_compare, snapshot_demo: DemoServer, size) -> None:
    async def ready(pilot) -> None:
        pilot.app.open_build(101587)
        await wait_for(pilot, lambda: screen_ready(pilot.app, BuildScreen) and pilot.app.screen.steps is not None)
        await _log_box_at_its_end(pilot)

    assert snap_compare(_app(snapshot_demo), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_log_line_numbers_and_search_position(snap_compare, snapshot_demo: DemoServer, size) -> None:
    from hydra_tui.ui.screens.log import LogScreen

    async def ready(pilot) -> None:
        pilot.app.open_log(101586)
        await wait_for(pilot, lambda: screen_ready(pilot.app, LogScreen) and pilot.app.screen.loaded)
        await pilot.press("g", "number_sign", "slash", *"warning", "enter")
        await wait_for(pilot, lambda: pilot.app.screen.matches is not None and pilot.app.screen.view.current)
        await pilot.press("n")

    assert snap_compare(_app(snapshot_demo), terminal_size=size, run_before=ready)


def test_read_only_status_line(snap_compare, snapshot_demo: DemoServer) -> None:
    async def ready(pilot) -> None:
        pilot.app.open_build(101586)
        await wait_for(pilot, lambda: screen_ready(pilot.app, BuildScreen) and pilot.app.screen.steps is not None)
        await _log_box_at_its_end(pilot)

    app = make_app(SHOWN_URL, FrozenClock(T0), transport=PortMap(SHOWN_PORT, snapshot_demo.port), read_only=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)
