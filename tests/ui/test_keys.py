"""What a k9s or lazygit user types, seen as they see it: the `/` box shows what is typed on every screen, and
j/k/g/G move on every list like the arrows, Home and End."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Tree

from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.evals import EvalsScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.screens.log import LogScreen
from hydra_tui.ui.screens.projects import ProjectsScreen
from hydra_tui.ui.widgets.build_list import BuildList
from tests.ui.helpers import make_app, screen_lines, screen_ready, wait_for

SIZES = [(80, 24), (120, 40)]


async def _open(pilot, where: str) -> None:
    """Bring the app to one screen of each kind, with its list loaded."""
    app = pilot.app
    if where == "projects":
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen) and app.screen.projects)
        return
    app.open_jobset("hello", "main")
    await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
    await wait_for(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count == 10)
    if where == "evals":
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_ready(app, EvalsScreen))
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 20)
    elif where == "eval":
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await wait_for(pilot, lambda: len(app.screen.query_one(BuildList).view) > 0)
    elif where == "log":
        app.open_log(101586)
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("where", ["projects", "jobset", "evals", "eval", "log"])
async def test_the_slash_box_shows_what_is_typed(demo: DemoServer, clock, where: str, size) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=size) as pilot:
        await _open(pilot, where)
        await pilot.press("slash", *"zq9x")
        await pilot.pause()
        # The box is the line under the title, and its text is on it (not only the box's borders).
        lines = screen_lines(app)
        assert "›" in lines[0] and lines[1].strip() == "zq9x", lines[:3]
        # Still there with the list focused again (Enter), for a filter.
        if where != "log":
            await pilot.press("enter")
            await pilot.pause()
            assert screen_lines(app)[1].strip() == "zq9x"


def _message(screen) -> str:
    """The message line as shown ("" when hidden)."""
    message = screen.query_one("#message")
    return "" if message.has_class("-hidden") else str(message.render())


def _cursor(widget) -> int:
    if isinstance(widget, Tree):
        return widget.cursor_line
    if isinstance(widget, DataTable):
        return widget.cursor_row
    return widget.cursor


def _last(widget) -> int:
    if isinstance(widget, Tree):
        return widget.last_line
    if isinstance(widget, DataTable):
        return widget.row_count - 1
    return len(widget.view) - 1


async def _moves_like_the_arrows(pilot, widget) -> None:
    """j/k, g/G and Home/End move the cursor of the focused list."""
    assert pilot.app.screen.focused is widget
    assert _last(widget) >= 3
    await pilot.press("home")
    assert _cursor(widget) == 0
    await pilot.press("j", "j")
    assert _cursor(widget) == 2
    await pilot.press("k")
    assert _cursor(widget) == 1
    # (The last row may load more rows after it: the cursor is on the row that was last.)
    last = _last(widget)
    await pilot.press("G")
    assert _cursor(widget) == last
    await pilot.press("g")
    assert _cursor(widget) == 0
    last = _last(widget)
    await pilot.press("end")
    assert _cursor(widget) == last
    await pilot.press("home")
    assert _cursor(widget) == 0


@pytest.mark.parametrize("where", ["projects", "jobset", "evals", "eval"])
async def test_j_k_g_G_on_every_list(demo: DemoServer, clock, where: str) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _open(pilot, where)
        if where == "projects":
            await wait_for(pilot, lambda: app.screen.query_one(Tree).last_line >= 3)
        if where == "eval":
            await pilot.press("0")  # every build
            await wait_for(pilot, lambda: len(app.screen.query_one(BuildList).view) == 36)
        widget = app.screen.query_one({"projects": "#tree", "eval": "#builds"}.get(where, "#evals"))
        await _moves_like_the_arrows(pilot, widget)


def test_every_list_is_one_with_the_keys() -> None:
    """The lists not driven above (root causes: one culprit in the small demo, thousands in the big one; the
    watch table; the compare choices) are the same widgets, so the same keys move them."""
    import inspect

    from hydra_tui.ui.screens import compare, root_causes, watch

    for module in (root_causes, watch, compare):
        source = inspect.getsource(module)
        assert "yield DataTable(" not in source and "yield OptionList(" not in source and "Tree(" not in source
    assert 'ListTable(id="causes"' in inspect.getsource(root_causes)
    assert 'ListTable(id="broken"' in inspect.getsource(root_causes)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_builds_cursor_stays_in_view_and_highlighted(demo: DemoServer, clock, size) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=size) as pilot:
        await _open(pilot, "eval")
        await pilot.press("0")
        builds = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds.view) == 36)
        cursor_style = builds.get_component_rich_style("build-list--cursor")

        def cursor_line() -> int:
            """The line of the terminal that shows the cursor's row highlighted (it must be exactly one)."""
            region = builds.scrollable_content_region
            lines = screen_lines(app)[region.y : region.bottom]
            shown = [y for y, text in enumerate(lines) if text.lstrip().startswith(str(builds.current_id) + " ")]
            assert len(shown) == 1, lines
            strip = builds.render_line(shown[0])
            assert any(seg.style is not None and seg.style.bgcolor == cursor_style.bgcolor for seg in strip)
            return shown[0]

        for key in ("G", "g", "end", "home"):
            await pilot.press(key)
            await pilot.pause()
            cursor_line()
        # j past the last row in view: the list scrolls one row and the cursor stays on the bottom line.
        rows = builds.page_height - 1
        await pilot.press(*["j"] * rows)
        await pilot.pause()
        assert builds.cursor == rows
        assert cursor_line() == builds.page_height - 1
        await pilot.press("G")
        await pilot.pause()
        assert builds.cursor == 35 and cursor_line() == builds.page_height - 1


async def test_a_filter_typed_before_the_data_arrives_applies_to_it(demo: DemoServer, clock) -> None:
    """`hydra-tui tru` (or a quick `/tru`) filters before any project is loaded: when they arrive, the filter
    matches project and jobset names (trunk), not descriptions ("Infras-tru-cture")."""
    from tests.ui.test_navigation import tree_labels

    app = make_app(demo.url, clock, target="tru")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ProjectsScreen) and not screen.projects and screen.filter_text == "tru"
        # (The demo makes its big nixpkgs world on the first request for it: seconds.)
        await wait_for(pilot, lambda: any(label.startswith("trunk") for label in tree_labels(app)), timeout=40)
        await wait_for(pilot, lambda: "Looking" not in _message(screen))
        labels = tree_labels(app)
        assert labels[0].startswith("nixpkgs") and not any("infra-secrets" in label for label in labels)
        assert all("tru" in label.split()[0] for label in labels if not label.startswith("nixpkgs"))
        assert "No project" not in _message(screen)
        # Something that matches nothing says so once every project's jobsets were looked at.
        await pilot.press("slash", *"zzz")
        await wait_for(pilot, lambda: "No project or jobset name matches" in _message(screen))


async def test_escape_clears_an_applied_filter_before_going_back(demo: DemoServer, clock) -> None:
    from tests.ui.test_navigation import tree_labels

    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("trunk") for label in tree_labels(app)), timeout=40)
        everything = len(tree_labels(app))
        await pilot.press("slash", *"hello", "enter")
        assert isinstance(app.screen.focused, Tree) and len(tree_labels(app)) < everything
        await pilot.press("escape")
        assert not app.screen.query_one("#filter").display and len(tree_labels(app)) == everything
        app.open_jobset("hello", "main")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await wait_for(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count == 10)
        await pilot.press("slash", *"1044", "enter")
        assert app.screen.query_one("#evals", DataTable).row_count < 10
        await pilot.press("escape")
        assert isinstance(app.screen, JobsetScreen) and app.screen.query_one("#evals", DataTable).row_count == 10
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ProjectsScreen))


def test_esc_answers_within_its_escape_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual's input thread looks at the clock every 100 ms, so Esc took the delay plus up to 100 ms; the
    dashboard's driver waits only until a pending escape sequence times out (issue 14: back within 100 ms)."""
    from textual import constants
    from textual._xterm_parser import XTermParser
    from textual.app import App
    from textual.drivers.linux_driver import LinuxDriver

    from hydra_tui.ui.app import ESCAPE_DELAY, HydraApp
    from hydra_tui.ui.driver import IDLE_WAIT, PromptEscDriver, input_wait

    monkeypatch.delenv("ESCDELAY", raising=False)
    monkeypatch.setattr(constants, "ESCAPE_DELAY", 0.1)
    monkeypatch.setattr(App, "get_driver_class", lambda self: LinuxDriver)
    app = HydraApp(server="x")
    assert app.get_driver_class() is PromptEscDriver
    assert constants.ESCAPE_DELAY == ESCAPE_DELAY < IDLE_WAIT
    parser = XTermParser()
    assert input_wait(parser) == IDLE_WAIT  # nothing pending: block as Textual does
    assert list(parser.feed("\x1b")) == []  # a lone ESC: the parser waits for the rest of a sequence
    assert 0 < input_wait(parser) <= ESCAPE_DELAY


def test_escdelay_set_by_the_user_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from textual import constants

    from hydra_tui.ui.app import HydraApp

    monkeypatch.setenv("ESCDELAY", "300")
    monkeypatch.setattr(constants, "ESCAPE_DELAY", 0.3)
    HydraApp(server="x")
    assert constants.ESCAPE_DELAY == 0.3


async def test_the_footer_is_made_anew_only_when_it_would_look_different(demo: DemoServer, clock) -> None:
    """Textual recomposes a footer at each change of the screen's bindings, several times as a screen opens, and
    each new key costs a style pass (issue 14: a screen opening on cached data)."""
    from textual.widgets._footer import FooterKey

    from hydra_tui.ui.widgets.footer import KeyFooter

    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen) and app.screen.projects)
        footer = app.screen.query_one(KeyFooter)
        keys = list(footer.query(FooterKey))
        assert keys and footer._bindings_ready  # the keys are there from the screen's first frame
        await footer.recompose()
        app.screen.refresh_bindings()
        await pilot.pause()
        assert list(footer.query(FooterKey)) == keys  # the same widgets: nothing would look different
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: footer.compact)
        await pilot.pause()
        assert not set(footer.query(FooterKey)) & set(keys)
        assert all(key.has_class("-compact") for key in footer.query(FooterKey))


async def test_the_palettes_mask_ends_when_the_next_screen_has_mounted(demo: DemoServer, clock) -> None:
    """Textual's palette hides the screen for a fixed 50 ms as it closes; the dashboard's mask ends once the screen
    its command opened has mounted (issue 14: a jump to a cached build within 100 ms)."""
    from hydra_tui.ui.screens.build import BuildScreen

    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen))
        build_id = (await app.service.client.latest_builds(1))[0].id
        await app.service.get("build", build_id)
        app.delay_update(30)  # long enough that only the screen can end it within this test
        assert app._batch_count == 1
        app.open_build(build_id)
        await wait_for(pilot, lambda: app._batch_count == 0, timeout=5)
        assert isinstance(app.screen, BuildScreen) and app.screen.build is not None


async def test_the_palettes_mask_waits_for_the_server_then_a_toast_ends_it(demo: DemoServer, clock) -> None:
    """An id the server does not know: the mask stays while it is asked, and the toast that says so ends it."""
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen))
        app.delay_update(30)
        app.open_build(987654321)
        # The toast, then no mask (under load the answer may come after the mask's 0.3 s: the timer ends it then).
        await wait_for(pilot, lambda: any("There is no build 987654321" in n.message for n in app._notifications))
        await wait_for(pilot, lambda: app._batch_count == 0, timeout=5)
        assert isinstance(app.screen, ProjectsScreen)


async def test_a_screen_opened_new_is_styled_once_not_again_as_it_resumes(demo: DemoServer, clock, monkeypatch) -> None:
    """Textual restyles every widget of a screen it pushes, though a new screen was styled as it mounted: ~10 ms
    before the first frame of a build's screen (issue 14). Its snapshots show it styled all the same."""
    from textual.dom import DOMNode

    from hydra_tui.ui.screens.build import BuildScreen

    restyled: list[DOMNode] = []
    real = DOMNode.update_node_styles

    def spy(self: DOMNode, animate: bool = True) -> None:
        restyled.append(self)
        real(self, animate)

    monkeypatch.setattr(DOMNode, "update_node_styles", spy)
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen))
        build_id = (await app.service.client.latest_builds(1))[0].id
        await app.service.get("build", build_id)
        app.open_build(build_id)
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)
        await pilot.pause()
        assert not any(isinstance(node, BuildScreen) for node in restyled)
