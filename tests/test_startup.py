"""Start-up (issue 11, item 22): what the first screen does not need is not loaded or made before its first frame."""

from __future__ import annotations

import subprocess
import sys

from hydra_tui.api.client import HydraClient
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer


def loaded(modules: str, of: tuple[str, ...]) -> list[str]:
    """Which of `of` a fresh interpreter has loaded after importing `modules`."""
    code = f"import sys, {modules}\nprint(sorted(m for m in {of!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return eval(done.stdout)  # a list of names printed just above


def test_the_first_screen_imports_no_page_reader() -> None:
    modules = "hydra_tui.cli, hydra_tui.ui.run, hydra_tui.ui.app, hydra_tui.ui.screens.projects"
    assert loaded(modules, ("lxml", "hydra_tui.api.pages", "aiohttp")) == []


def test_the_first_frame_imports_no_service_layer() -> None:
    """pydantic, the models and httpx cost more than Textual's own first frame: they load after it."""
    modules = "hydra_tui.cli, hydra_tui.ui.run, hydra_tui.ui.app, hydra_tui.ui.screens.start"
    heavy = ("pydantic", "httpx", "hydra_tui.api.models", "hydra_tui.api.client", "hydra_tui.cache.service")
    assert loaded(modules, heavy) == []


async def test_the_start_screen_gives_way_to_the_tree(demo: DemoServer, clock: FrozenClock) -> None:
    """The first frame is the tree's frame without the service layer; connect builds it, and the tree takes the
    start screen's place (Esc from the tree leaves nothing behind it). The palette asked meanwhile finds nothing
    rather than failing."""
    from hydra_tui.ui.app import HydraApp
    from hydra_tui.ui.screens.projects import ProjectsScreen
    from hydra_tui.ui.screens.start import StartScreen
    from tests.ui.helpers import make_app, wait_for

    built = make_app(demo.url, clock)
    connects: list[str] = []

    def connect() -> tuple[object, object, object]:
        connects.append(type(app.screen).__name__)
        return built.service, built.auth, built.actions

    app = HydraApp(connect=connect, server="demo.example")  # type: ignore[arg-type]
    assert not app.started
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen.is_mounted)
        assert connects == ["StartScreen"]  # built once, while the start screen was on show
        assert app.started and app.service is built.service
        assert not any(isinstance(s, StartScreen) for s in app.screen_stack)
        assert len(app.screen_stack) == 2  # Textual's default screen and the tree


async def test_the_start_screen_shows_the_server_and_keeps_quiet() -> None:
    from textual.widgets import Static

    from hydra_tui.ui.app import HydraApp
    from hydra_tui.ui.screens.start import StartScreen
    from hydra_tui.ui.widgets.title_line import TitleLine

    app = HydraApp(connect=lambda: (_ for _ in ()).throw(AssertionError("not yet")), server="hydra.example.org")
    app._connect_now = lambda: None  # type: ignore[method-assign]  # stay on the start screen
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        assert app.screen.query_one(TitleLine).text.startswith("hydra.example.org")
        assert "Loading projects" in str(app.screen.query_one("#message", Static).render())
        app.action_action_log()  # keys and palette commands that need the service do nothing yet
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Quit the application" in titles or "Quit" in titles
        assert not {"Action log", "Log in", "Refresh"} & set(titles)
        assert isinstance(app.screen, StartScreen)


async def test_the_http_client_is_made_at_the_first_request_after_the_gate(client: HydraClient) -> None:
    import asyncio

    fresh = HydraClient(client.base_url)
    assert fresh._client is None  # constructing costs no TLS set-up
    gate = asyncio.Event()
    fresh.start_gate = gate
    request = asyncio.ensure_future(fresh.projects())
    for _ in range(50):  # let the request run as far as it can
        await asyncio.sleep(0)
    assert not request.done() and fresh._client is None  # waits for the first frame
    gate.set()
    assert [p.name for p in await request]
    assert fresh._client is not None
    await fresh.aclose()


async def test_keys_typed_on_the_start_screen_reach_the_tree(demo: DemoServer, clock: FrozenClock) -> None:
    """j j typed while the start screen shows move the tree's cursor once it is there (they are not lost). A tree
    with no rows yet has nothing to move over, as when the keys come after it."""
    from textual.widgets import Tree

    from hydra_tui.ui.app import HydraApp
    from hydra_tui.ui.screens.projects import ProjectsScreen
    from hydra_tui.ui.screens.start import StartScreen
    from tests.ui.helpers import make_app, wait_for

    built = make_app(demo.url, clock)
    app = HydraApp(connect=lambda: (built.service, built.auth, built.actions), server="demo.example")
    connect = app._connect_now
    app._connect_now = lambda: None  # type: ignore[method-assign]  # the service layer is still loading
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        await pilot.press("j", "j")
        assert [k.key for k in app.screen.early_keys] == ["j", "j"]
        await built.service.get("projects")  # as if saved from the last run: the tree has rows at once
        connect()
        await wait_for(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen.projects)
        tree = app.screen.query_one(Tree)
        await wait_for(pilot, lambda: tree.cursor_line == 2)


def test_screens_are_imported_ahead_one_at_a_time_while_no_key_comes(monkeypatch) -> None:
    """A screen opened the first time does not import its module then (5-25 ms before its first frame)."""
    import importlib
    import sys
    import time

    from hydra_tui.ui import app as app_module

    imported: list[str] = []
    monkeypatch.setattr(importlib, "import_module", imported.append)
    app = app_module.HydraApp(server="x")
    app._ahead = ["hydra_tui.ui.screens.job", "hydra_tui.ui.screens.operator"]
    for name in app._ahead:
        monkeypatch.delitem(sys.modules, name, raising=False)
    app._last_input = time.monotonic()  # a key just now
    app.import_ahead()
    assert imported == []
    app._last_input = time.monotonic() - app_module.AHEAD_QUIET
    app.import_ahead()
    assert imported == ["hydra_tui.ui.screens.job"]
    app.import_ahead()
    assert imported == ["hydra_tui.ui.screens.job", "hydra_tui.ui.screens.operator"]
    app.import_ahead()
    assert app._ahead == []
