"""Where am I (issue 11): a title line on every screen, `?` with the screen's own keys, what gives way at 80
columns, the builds list's columns and numbers."""

from __future__ import annotations

from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.build import BuildScreen
from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
from hydra_tui.ui.screens.evals import EvalsScreen
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
