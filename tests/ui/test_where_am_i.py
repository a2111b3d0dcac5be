"""Where am I (issue 11): a title line on every screen, `?` with the screen's own keys, what gives way at 80
columns, the builds list's columns and numbers."""

from __future__ import annotations

from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.evals import EvalsScreen
from hydra_tui.ui.screens.job import JobScreen
from hydra_tui.ui.screens.jobset import JobsetScreen
from hydra_tui.ui.screens.log import LogScreen
from hydra_tui.ui.widgets.title_line import TitleLine, fit_crumbs
from tests.ui.helpers import make_app, screen_ready, visible_text, wait_for
from tests.ui.test_navigation import tree_labels


def title(app) -> str:
    return visible_text(app.screen.query_one(TitleLine)).strip()


async def test_every_screen_says_where_it_is(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    server = demo.url.split("://", 1)[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(app)))
        assert title(app) == f"{server} › projects"
        app.open_jobset("hello", "main")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen))
        assert title(app) == f"{server} › hello › main"
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_ready(app, EvalsScreen))
        assert title(app) == f"{server} › hello › main › evaluations"
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        latest = app.screen.page.evals[0].id
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        assert title(app) == f"{server} › hello › main › evaluation {latest}"
        await wait_for(pilot, lambda: app.screen.builds.current_id is not None)
        build_id = app.screen.builds.current_id
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)
        job = app.screen.build.job
        assert title(app) == f"{server} › hello › main › evaluation {latest} › build {build_id} {job}"
        await pilot.press("l")
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.build is not None)
        # The log's line is longer: the job name gives way first.
        assert title(app) == f"{server} › hello › main › evaluation {latest} › build {build_id} {job} › log"
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "…" not in title(app) and job not in title(app))
        assert title(app) == f"{server} › hello › main › evaluation {latest} › build {build_id} › log"


async def test_an_evaluation_opened_by_id_finds_its_jobset(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    server = demo.url.split("://", 1)[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("trunk") for label in tree_labels(app)))
        page = (await app.service.get("evals", "nixpkgs", "trunk", 1)).value
        eval_id = page.evals[0].id
        app.open_eval(eval_id)  # as the palette does: an id alone
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await wait_for(pilot, lambda: app.screen.project is not None)
        assert (app.screen.project, app.screen.jobset_name) == ("nixpkgs", "trunk")
        assert title(app) == f"{server} › nixpkgs › trunk › evaluation {eval_id}"


async def test_a_build_of_another_jobset_does_not_borrow_the_evaluation_below(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    server = demo.url.split("://", 1)[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        page = (await app.service.get("evals", "hello", "nightly", 1)).value
        rows = (await app.service.get("eval_builds", page.evals[0].id)).value
        other = rows.ids[0]
        app.open_build(other)
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)
        assert title(app).startswith(f"{server} › hello › nightly › build {other}")


def test_crumbs_give_way_from_the_left() -> None:
    crumbs = ["hydra.nixos.org", "nixpkgs", "trunk", "evaluation 1809345", ("build 12 firefox", "build 12"), "log"]
    assert fit_crumbs(crumbs, 200) == [*crumbs[:4], "build 12 firefox", "log"]
    assert fit_crumbs(crumbs, 72) == [*crumbs[:4], "build 12", "log"]
    assert fit_crumbs(crumbs, 60) == ["hydra.nixos.org", "…", "evaluation 1809345", "build 12", "log"]
    assert fit_crumbs(crumbs, 10) == ["log"]


async def open_palette(pilot, text: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
    await pilot.press(*text)


def palette_hits(app) -> list[str]:
    from textual.command import CommandList

    options = app.screen.query_one(CommandList)
    # Each prompt is the hit, then its help on a line of its own.
    return [str(options.get_option_at_index(n).prompt).split("\n")[0] for n in range(options.option_count)]


async def test_help_lists_this_screens_keys_grouped(demo: DemoServer, clock) -> None:
    from hydra_tui.ui.screens.help import HelpScreen

    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_ready(app, HelpScreen))
        groups = dict(app.screen.groups)
        assert list(groups) == ["Move", "This screen", "Everywhere"]
        move = {what: keys for keys, what in groups["Move"]}
        assert move["Up / down"] == "↑/↓, k/j" and move["Page up / page down"] == "PgUp/PgDn"
        assert move["First / last"] == "Home/End, g/G" and move["Open"] == "Enter"
        own = {what: keys for keys, what in groups["This screen"]}
        assert own["Compare"] == "c" and own["Restart failed"] == "R" and own["A category (0: every build)"] == "1-8, 0"
        everywhere = {what: keys for keys, what in groups["Everywhere"]}
        assert everywhere["Back"] == "Esc" and everywhere["Quit"].startswith("q") and "Ctrl+P" in everywhere.values()
        shown = " ".join(f"{keys} {what}" for keys, what in app.screen.rows)
        for internal in ("Focus Next", "Focus Previous", "super", "Copy selected text", "Scroll Left", "Cursor"):
            assert internal not in shown
        await pilot.press("escape")
        assert isinstance(app.screen, EvalBuildsScreen)
        # The palette's "Keys" opens the same help, for the screen it was opened on.
        await open_palette(pilot, "Keys")
        await wait_for(pilot, lambda: any(hit.startswith("Keys") for hit in palette_hits(app)))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, HelpScreen))
        assert app.screen.target is app.screen_stack[-2] and isinstance(app.screen.target, EvalBuildsScreen)
        assert not app.screen_stack[-2].query("HelpPanel")


async def test_help_names_each_move_once_on_trees_and_tables(demo: DemoServer, clock) -> None:
    """Textual's own keys for a move ("Cursor Up", "Scroll Home", Ctrl+Home's "Top") share the row of ours."""
    from hydra_tui.ui.screens.build import BuildScreen
    from hydra_tui.ui.screens.help import HelpScreen
    from hydra_tui.ui.screens.projects import ProjectsScreen

    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, ProjectsScreen) and app.screen.projects)
        build_id = (await app.service.client.latest_builds(1))[0].id
        for opened in (ProjectsScreen, JobsetScreen, BuildScreen):
            if opened is JobsetScreen:
                app.open_jobset("hello", "main")
            elif opened is BuildScreen:
                app.open_build(build_id)
            await wait_for(pilot, lambda o=opened: screen_ready(app, o))
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: screen_ready(app, HelpScreen))
            moves = [what for keys, what in dict(app.screen.groups)["Move"]]
            assert len(moves) == len(set(moves)), moves
            assert not [m for m in moves if m.startswith(("Cursor", "Scroll ", "Top", "Bottom"))], moves
            await pilot.press("escape")


async def test_palette_finds_jobs_on_the_server_and_opens_pasted_urls(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(app)))
        # A job name no list here holds: the server's search finds its builds (by output path).
        await open_palette(pilot, "coverage")
        await wait_for(pilot, lambda: any(hit.startswith("coverage.") for hit in palette_hits(app)))
        hit = next(h for h in palette_hits(app) if h.startswith("coverage."))
        build_id = int(hit.rsplit("build ", 1)[1])
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, BuildScreen) and app.screen.build is not None)
        assert app.screen.build_id == build_id and app.screen.build.job.startswith("coverage.")
        # Pasted URLs of this server: a build's log page, an evaluation with a tab, a jobset, a job (its latest
        # build); a path alone is this server's too.
        cases = [
            (f"{demo.url}/build/{build_id}/nixlog/1", BuildScreen, "build_id", build_id),
            (f"{demo.url}/eval/1043?compare=1042#tabs-now-fail", EvalBuildsScreen, "eval_id", 1043),
            ("/jobset/hello/staging", JobsetScreen, "jobset_name", "staging"),
        ]
        for url, screen, attribute, value in cases:
            await open_palette(pilot, url)
            await wait_for(pilot, lambda: any(hit.startswith("open ") for hit in palette_hits(app)))
            await pilot.press("enter")
            await wait_for(
                pilot, lambda s=screen, a=attribute, v=value: screen_ready(app, s) and getattr(app.screen, a) == v
            )
        await open_palette(pilot, f"{demo.url}/job/hello/main/hello.x86_64-linux")
        await wait_for(pilot, lambda: "open job hello:main:hello.x86_64-linux" in palette_hits(app))
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: screen_ready(app, JobScreen) and app.screen.ref.job == "hello.x86_64-linux",
        )  # a job's URL opens its history
        # Another server's URL is not opened here as if it were this one's: the palette says where it is.
        await open_palette(pilot, "https://hydra.example.org/build/5")
        await wait_for(pilot, lambda: "build 5 is on https://hydra.example.org" in palette_hits(app))
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: any("hydra-tui --url https://hydra.example.org" in n.message for n in app._notifications)
        )
        assert screen_ready(app, JobScreen)


async def test_palette_ids_the_likelier_kind_first_words_and_evaluations_seen(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        newest = app.screen.page.evals[0].id
        build_id = (await app.service.client.latest_builds(1))[0].id
        # A number no larger than the evaluations seen is offered as an evaluation first; a larger one as a build.
        await open_palette(pilot, str(newest))
        await wait_for(pilot, lambda: palette_hits(app)[:2] == [f"evaluation {newest}", f"build {newest}"])
        await pilot.press("escape")
        await open_palette(pilot, str(build_id))
        await wait_for(pilot, lambda: palette_hits(app)[:2] == [f"build {build_id}", f"evaluation {build_id}"])
        await pilot.press("escape")
        # A word says which: only that one.
        await open_palette(pilot, f"build {newest}")
        await wait_for(pilot, lambda: palette_hits(app) == [f"build {newest}"])
        await pilot.press("escape")
        # "eval" lists the evaluations seen here, newest first, with their jobset.
        await open_palette(pilot, "eval")
        await wait_for(pilot, lambda: f"evaluation {newest} hello:main" in palette_hits(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen) and app.screen.eval_id == newest)


async def test_palette_logs_in_switches_user_and_logs_out(demo: DemoServer, clock) -> None:
    from hydra_tui.ui.screens.modals import LoginScreen

    app = make_app(demo.url, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: any(label.startswith("main") for label in tree_labels(app)))
        for command, user in (("Log in", "alice"), ("Switch user", "bob")):
            await open_palette(pilot, command)
            await wait_for(pilot, lambda c=command: any(hit.startswith(c) for hit in palette_hits(app)))
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_ready(app, LoginScreen))
            app.screen.query_one("#username").value = user
            app.screen.query_one("#password").value = f"{user}-pw"
            app.screen._submit()
            await wait_for(pilot, lambda u=user: app.auth.user is not None and app.auth.user.username == u)
            assert app.service.user == user
        await open_palette(pilot, "Log out")
        await wait_for(pilot, lambda: any(hit.startswith("Log out") for hit in palette_hits(app)))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.auth.user is None and app.service.user is None)
        # Refresh, theme and the action log are commands too.
        await open_palette(pilot, "")
        await wait_for(pilot, lambda: bool(palette_hits(app)))
        titles = set(palette_hits(app))
        assert {"Refresh", "Theme", "Action log", "Log in", "Keys"} <= titles


async def test_footer_keeps_the_most_important_keys_whole_at_80_columns(demo: DemoServer, clock) -> None:
    from hydra_tui.ui.widgets.footer import KeyFooter

    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        footer = app.screen.query_one(KeyFooter)
        await wait_for(pilot, lambda: bool(footer.shown))
        narrow = list(footer.shown)
        assert narrow[:3] == ["help", "cycle_status", "whole"] and "quit" not in narrow
        await pilot.pause()
        # Every key shown is whole: left of the palette key, inside the screen.
        keys = [k for k in footer.query("FooterKey") if not k.has_class("-command-palette")]
        palette = footer.query_one(".-command-palette")
        assert [k.action for k in keys] == narrow
        assert all(k.region.width and k.region.right <= palette.region.x for k in keys)
        assert all(k.region.width == len(k.render().plain) for k in keys)
        # Wider, more keys fit, in the same order.
        await pilot.resize_terminal(160, 40)
        await wait_for(pilot, lambda: len(footer.shown) > len(narrow))
        assert footer.shown[: len(narrow)] == narrow and "eval_action('bump')" in footer.shown
        # The log follows a running build first of all.
        await pilot.resize_terminal(80, 24)
        await pilot.press("l")
        await wait_for(pilot, lambda: screen_ready(app, LogScreen))
        log_footer = app.screen.query_one(KeyFooter)
        await wait_for(pilot, lambda: bool(log_footer.shown))
        assert log_footer.shown[:3] == ["help", "follow", "search"]


async def test_builds_list_puts_the_job_after_the_status(demo: DemoServer, clock) -> None:
    from hydra_tui.ui.widgets.build_list import BuildList

    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("0")
        builds = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds.view) == 36)
        lines = visible_text(builds).splitlines()
        assert lines[0].split() == ["BUILD", "STATUS", "JOB", "SYSTEM", "TIME"]
        row = lines[1 + builds.cursor].split()
        i = builds.view[builds.cursor]
        job, system = builds.rows.jobs[i], builds.rows.system_names[builds.rows._systems[i]]
        assert job.endswith("." + system)
        assert row[2] == job.removesuffix("." + system) and row[3] == system  # the suffix is in SYSTEM
        await pilot.press("s")  # sorted by job: the header says so
        assert visible_text(builds).splitlines()[0].split()[:4] == ["BUILD", "STATUS", "JOB", "↓"]
        # Narrow: no room for SYSTEM, so the job keeps its system.
        await pilot.resize_terminal(56, 30)
        await wait_for(pilot, lambda: "SYSTEM" not in visible_text(builds).splitlines()[0])
        assert all("…" not in line.split()[0] for line in visible_text(builds).splitlines()[1:] if line.strip())
        assert any(line.split()[2].endswith("-linux") for line in visible_text(builds).splitlines()[1:] if line.strip())


async def test_evaluation_summary_drops_whole_parts_at_80_columns(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await wait_for(pilot, lambda: app.screen._client is not None)  # "(compared here)" wants its room too
        summary = visible_text(app.screen.query_one("#summary")).strip()
        assert "…" not in summary and summary.startswith("Evaluation ") and "queued 23" in summary
        assert "hello:main" not in summary  # the title line names it
        await pilot.resize_terminal(140, 30)
        await wait_for(pilot, lambda: "hello:main" in visible_text(app.screen.query_one("#summary")))


async def test_a_toast_never_covers_the_row_being_read(demo: DemoServer, clock) -> None:
    from textual.widgets._toast import Toast

    from hydra_tui.ui.widgets.build_list import BuildList
    from hydra_tui.ui.widgets.toasts import reading_row

    app = make_app(demo.url, clock, target="hello:main")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, JobsetScreen) and app.screen.page is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, EvalBuildsScreen))
        await pilot.press("0")
        builds = app.screen.query_one(BuildList)
        await wait_for(pilot, lambda: len(builds.view) == 36)
        for keys in (("home",), ("end",), ("home", "down", "down", "down", "down", "down", "down", "down", "down")):
            app.clear_notifications()
            await pilot.press(*keys)
            row = reading_row(app.screen)
            assert row is not None
            app.notify("A message long enough to wrap onto a second line of its toast, as errors do.", title="Note")
            await wait_for(pilot, lambda: bool(app.screen.query(Toast)) and app.screen.query(Toast).first().region)
            toast = app.screen.query(Toast).first().region
            assert not (toast.y <= row < toast.bottom), (keys, row, toast)


def test_a_pasted_url_names_its_server_with_or_without_its_scheme() -> None:
    from hydra_tui.ui.commands import other_host

    ours = "http://127.0.0.1:3000"
    assert other_host("https://hydra.nixos.org/build/1", ours) == "https://hydra.nixos.org"
    assert other_host("hydra.nixos.org/eval/1", ours) == "https://hydra.nixos.org"
    assert other_host("https://alice:secret@hydra.example.org/build/1", ours) == "https://hydra.example.org"
    for same in ("/build/5", "build/5", "127.0.0.1:3000/build/5", "http://localhost:3000/eval/2"):
        assert other_host(same, ours) is None, same
