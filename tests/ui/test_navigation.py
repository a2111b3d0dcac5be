"""Pilot tests of every screen against the demo Hydra: the navigation contract, filters, states."""

from __future__ import annotations

from textual.widgets import DataTable, Static, Tree

from hydra_tui.api.comparison import Change
from hydra_tui.api.status import BuildState
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.eval_builds import STATUS_CYCLE, EvalBuildsScreen
from hydra_tui.ui.screens.evals import EvalsScreen
from hydra_tui.ui.screens.help import HelpScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.screens.projects import ProjectsScreen
from hydra_tui.ui.widgets.build_list import BuildList
from hydra_tui.ui.widgets.status_line import StatusLine
from tests.ui.helpers import make_app, screen_ready, wait_for


def tree_labels(app) -> list[str]:
    tree = app.screen.query_one(Tree)
    out = []

    def walk(node) -> None:
        for child in node.children:
            out.append(str(child.label))
            walk(child)

    walk(tree.root)
    return out


def static_text(widget: Static) -> str:
    return str(widget.render())


async def test_projects_tree_to_build_and_back(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(app)))
        labels = tree_labels(app)
        assert any("infra-secrets" in label and "(hidden)" in label for label in labels)
        assert any("patchelf" in label and "(disabled)" in label for label in labels)
        # The evaluation errors only /jobset/P/J/errors tells of, read in the background for the tree.
        await wait_for(pilot, lambda: any(x.startswith("broken") and "eval error" in x for x in tree_labels(app)))
        assert not any(x.startswith("main") and "eval error" in x for x in tree_labels(app))
        tree = app.screen.query_one(Tree)
        main = next(n for n in app.screen.nodes.values() if n.data and n.data.jobset == "main")
        tree.move_cursor(main)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        table = app.screen.query_one("#evals", DataTable)
        await wait_for(pilot, lambda: table.row_count == 10)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
        builds = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds.view) == 36)
        await pilot.press("j", "j", "k")
        assert builds.cursor == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)
        assert app.screen.build.id == builds.rows.ids[1]
        for expected in (EvalBuildsScreen, JobsetScreen, ProjectsScreen):
            await pilot.press("escape")
            await wait_for(pilot, lambda e=expected: isinstance(app.screen, e))
        await pilot.press("escape")  # the first screen stays
        assert isinstance(app.screen, ProjectsScreen)
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_filter_then_enter_twice_opens_first_match(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("staging") for label in tree_labels(app)))
        await pilot.press("slash", "s", "t", "a", "g")
        assert all("stag" in label or "hello" in label for label in tree_labels(app))
        await pilot.press("enter")
        assert isinstance(app.screen.focused, Tree)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        assert app.screen.jobset_name == "staging"


async def test_the_highlighted_row_stays_when_the_tree_is_rebuilt_or_the_filter_closes(demo: DemoServer, clock) -> None:
    """New data (the saved tree replaced by the live one, a poll) and Esc on a filter leave the cursor where it
    was: k9s and lazygit keep the selection; only typing a filter, or Enter in it, goes to the first match."""
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("staging") for label in tree_labels(app)))
        tree = app.screen.query_one(Tree)
        staging = next(n for ref, n in app.screen.nodes.items() if ref.jobset == "staging")
        tree.move_cursor(staging)
        await pilot.pause()
        app.screen.rebuild()  # every node made anew, as when the live projects replace the saved ones
        await pilot.pause()
        assert tree.cursor_node is not None and tree.cursor_node.data.jobset == "staging"
        await pilot.press("slash", "m", "a", "i", "n")
        assert tree.cursor_node.data.jobset == "main"  # typing: the first match
        await pilot.press("down")
        await pilot.press("escape")  # the filter closes: the row highlighted in it stays
        await pilot.pause()
        assert app.screen.filter_text == ""
        highlighted = tree.cursor_node.data
        assert highlighted.jobset is not None and "main" in highlighted.jobset
        assert any(not label.startswith(("main", "hello")) for label in tree_labels(app))  # the whole tree again
        # A filter that matches nothing gives back the row highlighted before it.
        before = tree.cursor_node.data
        await pilot.press("slash", "z", "z", "z", "escape")
        await pilot.pause()
        assert tree.cursor_node is not None and tree.cursor_node.data == before
        # The builds of an evaluation: closing the filter keeps the build, not the list's top.
        main = next(n for ref, n in app.screen.nodes.items() if ref.project == "hello" and ref.jobset == "main")
        tree.move_cursor(main)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await wait_for(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count == 10)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("0")
        builds = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds.view) == 36)
        await pilot.press("slash", "l", "i", "n", "u", "x")
        await pilot.press("enter")  # Enter: the first match
        await pilot.press("down", "down")
        chosen = builds.current_id
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(builds.view) == 36 and builds.current_id == chosen
        # Far down the list, a filter that fits one screen, then Esc: the list scrolls to the highlighted build.
        await pilot.press("G")
        last = builds.current_id
        job = builds.rows.jobs[builds.rows.position(last)]
        await pilot.press("slash", *job, "escape")
        await pilot.pause()
        assert builds.current_id == last
        top = int(builds.scroll_offset.y)
        assert top <= builds.cursor < top + builds.page_height - 1
        # A filter that matches nothing gives back the row highlighted before it.
        await pilot.press("k", "k")
        before = builds.current_id
        await pilot.press("slash", "z", "z", "z")
        assert builds.current_id is None
        await pilot.press("escape")
        await pilot.pause()
        assert builds.current_id == before


async def test_jobset_overview_shows_error_and_config(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:broken")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        error = app.screen.query_one("#error")
        await wait_for(pilot, lambda: error.has_class("-shown"))
        assert "callPackag" in static_text(app.screen.query_one("#error-text", Static))
        info = static_text(app.screen.query_one("#info", Static))
        assert "hello:broken" in info and "src (git)" in info and "checks every 5m" in info


async def test_all_evaluations_paged(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_ready(app, EvalsScreen))
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 20)
        await pilot.press("n")
        await wait_for(pilot, lambda: table.row_count == 40)
        await pilot.press("n")
        await wait_for(pilot, lambda: table.row_count == 45)
        assert "page 3 of 3" in str(table.border_subtitle)


async def test_build_filters_and_failed_log(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await wait_for(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count > 0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
        builds = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds.view) == 36)
        await pilot.press("f")  # the status filter is the comparison's categories: newly failing first
        assert app.screen.status_filter is Change.NEWLY_FAILING
        assert len(builds.view) == 3 and all(builds.rows.state_at(i).category.value == "failed" for i in builds.view)
        seen = [app.screen.status_filter]
        while app.screen.status_filter is not None and len(seen) < len(STATUS_CYCLE):
            await pilot.press("f")
            seen.append(app.screen.status_filter)
        # Round to every build, skipping the empty categories (new, removed).
        assert seen[-1] is None and Change.NEW not in seen and Change.STILL_SUCCEEDING in seen
        assert len(builds.view) == 36
        await pilot.press("slash", *"tests.unit")
        assert len(builds.view) == 3
        await pilot.press("enter")
        assert builds.has_focus and builds.cursor == 0
        await pilot.press("escape")  # from the list: the applied filter goes first
        assert len(builds.view) == 36 and isinstance(app.screen, EvalBuildsScreen)
        await pilot.press("escape")  # then back
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
        builds = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds.view) == 36)
        failed = next(n for n, i in enumerate(builds.view) if builds.rows.state_at(i) is BuildState.FAILED)
        builds.cursor = failed
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen))
        log = app.screen.query_one("#log", Static)
        await wait_for(pilot, lambda: app.screen.query_one("#logbox").has_class("-shown"))
        assert "failed with exit code" in static_text(log)
        assert "\x1b" not in static_text(log)


async def test_nixpkgs_sized_evaluation(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs:trunk")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await wait_for(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count == 3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
        builds = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds.view) == 250_000)
        assert builds.rows.partial
        visible = [builds.view[n] for n in range(20)]
        await wait_for(pilot, lambda: all(builds.rows.known_at(i) for i in visible))
        assert builds.rows.unknown > 240_000  # only what came into view was fetched
        await pilot.press("end")
        last = builds.view[-1]
        await wait_for(pilot, lambda: builds.rows.known_at(last))


async def test_help_lists_the_screen_keys(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_ready(app, HelpScreen))
        rows = dict((desc, key) for key, desc in app.screen.rows)
        assert rows["All evaluations"] == "e" and rows["Filter"] == "/" and rows["Back"] == "Esc"
        assert rows["Quit"] == "q, Ctrl+C, Ctrl+Q" and rows["Refresh"] == "r" and rows["Keys"] == "?"
        await pilot.press("escape")
        assert isinstance(app.screen, JobsetScreen)


async def test_dead_server_keeps_last_good_data(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        names = ("main", "trunk", "master")
        await wait_for(pilot, lambda: all(any(x.startswith(n) for x in tree_labels(app)) for n in names))
        await wait_for(pilot, lambda: all("enabled" in x for x in tree_labels(app) if x.startswith("master")))
        before = tree_labels(app)
        demo.stop()
        await pilot.press("r")
        status = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: "error" in str(status.render()) or "stale" in str(status.render()))
        message = app.screen.query_one("#message", Static)
        await wait_for(pilot, lambda: "Cannot connect" in static_text(message))
        assert tree_labels(app) == before


async def test_markup_in_server_text_is_literal(clock) -> None:
    def hostile(world) -> None:
        jobset = world.projects["hello"].jobsets["main"]
        jobset.description = "[@click=app.quit]click me[/] [bold]x[/bold] [$accent]"
        for build_id in world.evals[jobset.evals[-1]].build_ids[:2]:
            world.builds[build_id].job = "[/foo] evil.x86_64-linux"

    with DemoServer(clock=clock, start=clock.now(), configure=hostile) as demo:
        app = make_app(demo.url, clock, target="hello:main")
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
            info = app.screen.query_one("#info", Static)
            await wait_for(pilot, lambda: "click me" in static_text(info))
            assert "[@click=app.quit]click me[/] [bold]x[/bold] [$accent]" in static_text(info)
            await pilot.click("#info")
            assert app.is_running
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
            await pilot.press("0")  # every build of the evaluation (it opens on the comparison)
            builds = app.screen.query_one(BuildList)
            await wait_for(pilot, lambda: len(builds.view) == 36)
            line = "".join(s.text for s in builds.render_line(1))
            assert "[/foo] evil " in line and "x86_64-linux" in line  # the suffix is in the SYSTEM column


async def test_command_palette_jumps_to_a_build_and_a_jobset(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(app)))
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press(*"101586")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)
        assert app.screen.build_id == 101586
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press(*"jobset hello:stag")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        assert app.screen.jobset_name == "staging"


async def test_open_at_a_project(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="nixpkgs")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("trunk") for label in tree_labels(app)))
        assert all("hello" not in label for label in tree_labels(app))
        tree = app.screen.query_one(Tree)
        assert tree.cursor_node is not None and tree.cursor_node.data.project == "nixpkgs"


async def test_theme_choice_is_remembered(demo: DemoServer, clock, tmp_path) -> None:
    from hydra_tui.config import load_settings, save_theme

    config = tmp_path / "config.toml"
    app = make_app(demo.url, clock)
    app._on_theme_change = lambda theme: save_theme(config, theme)
    async with app.run_test() as pilot:
        app.theme = "nord"
        await pilot.pause(0)
    assert load_settings(config_path=config, env={}).theme == "nord"


async def test_only_the_screen_on_display_is_polled(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(app)))
        polled = app.service.poller.polled_keys
        assert ("projects",) in polled and ("jobsets", "hello") in polled
        app.open_build(101586)
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)
        await wait_for(pilot, lambda: ("projects",) not in app.service.poller.polled_keys)
        assert app.service.poller.polled_keys == {("build", 101586), ("log_tail", 101586), ("build_steps", 101586)}
        await pilot.press("question_mark")  # a modal leaves the screen in view: still polled
        await wait_for(pilot, lambda: screen_ready(app, HelpScreen))
        assert ("build", 101586) in app.service.poller.polled_keys
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: ("projects",) in app.service.poller.polled_keys)
        assert ("build", 101586) not in app.service.poller.polled_keys


async def test_next_start_shows_the_saved_state_at_once(demo: DemoServer, clock, tmp_path) -> None:
    from hydra_tui.cache.disk import cache_file

    state = cache_file(tmp_path, demo.url)
    first = make_app(demo.url, clock)
    first.service.state_file = state
    async with first.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(first)))
    assert state.exists()  # saved on the way out

    demo.go_away()
    second = make_app(demo.url, clock)
    second.service.state_file = state
    async with second.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(second)))
        message = second.screen.query_one("#message", Static)
        await wait_for(pilot, lambda: "Cannot connect" in str(message.render()))
        assert "Showing data from" in str(message.render())
        demo.come_back()
        await pilot.press("r")
        await wait_for(pilot, lambda: message.has_class("-hidden"))


async def test_tree_shows_every_jobset_state(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:

        def label(name: str) -> str:
            return next((x for x in tree_labels(app) if x.startswith(name + " ")), "")

        await wait_for(pilot, lambda: "1-at-a-time" in label("staging"))
        await wait_for(pilot, lambda: "disabled" in label("release-24.05"))
        await wait_for(pilot, lambda: "one-shot" in label("nightly"))
        await wait_for(pilot, lambda: "enabled" in label("main"))
        assert "eval error" in label("broken")  # the error outranks the state
        demo.call(lambda world: world.push("hello", "flake", True))
        await pilot.press("r")
        await wait_for(pilot, lambda: "evaluating" in label("flake"))


async def test_filter_with_no_match_says_so(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(app)))
        await pilot.press("slash", *"zzz")
        message = app.screen.query_one("#message", Static)
        assert tree_labels(app) == []
        # Once the jobsets of every project were looked at.
        await wait_for(pilot, lambda: "No project or jobset name matches 'zzz'" in str(message.render()), timeout=40)
        await pilot.press("escape")
        assert tree_labels(app) and message.has_class("-hidden")


async def test_an_unknown_build_or_evaluation_is_a_toast_not_a_screen(demo: DemoServer, clock) -> None:
    """A 404 says what was not found; it opens no screen and is no connection state (nothing turns stale)."""
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(app)))
        app.open_build(999_999)
        await wait_for(pilot, lambda: any("999999" in n.message for n in app._notifications))
        app.open_eval(98_765)
        await wait_for(pilot, lambda: any("98765" in n.message for n in app._notifications))
        messages = [n.message for n in app._notifications]
        assert "There is no build 999999 on 127.0.0.1" in messages[0] and "no evaluation 98765" in messages[1]
        assert isinstance(app.screen, ProjectsScreen) and len(app.screen_stack) == 2
        status = app.screen.query_one(StatusLine)
        status.update_status()
        assert "stale" not in str(status.render()) and "live" in str(status.render())
        # A known one opens as before.
        app.open_build(101586)
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)


async def test_jobset_shows_its_evaluation_errors_whatever_the_times_say(demo: DemoServer, clock) -> None:
    """hello:broken was checked after its failing evaluation (lastcheckedtime > errortime, haserrormsg false, as
    on a real Hydra): its screen asks /jobset/P/J/errors anyway, once, and shows them."""
    overview = next(j for j in demo.world.projects["hello"].jobsets.values() if j.name == "broken")
    assert overview.lastcheckedtime > overview.errortime
    app = make_app(demo.url, clock, "hello:broken")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        box = app.screen.query_one("#error")
        await wait_for(pilot, lambda: box.has_class("-shown"))
        assert "callPackag" in static_text(app.screen.query_one("#error-text", Static))
        assert ("jobset_errors", "hello", "broken") in app.service.poller.polled_keys
        assert ("jobset", "hello", "broken") not in app.service.poller.polled_keys  # one request, not two
        app.pop_screen()
        app.open_jobset("hello", "main")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.jobset is not None)
        assert not app.screen.query_one("#error").has_class("-shown")
