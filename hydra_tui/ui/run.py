"""Wires the dashboard together: demo server (if asked), client, cache service, login, actions, app; runs it.

The service layer (pydantic, the models, httpx) is imported only in `build_service`, which the app calls after its
first frame: importing it first would double the time to that frame."""

from __future__ import annotations

import contextlib
import sys
from functools import partial
from typing import TYPE_CHECKING

from hydra_tui.config import Settings, save_theme, server_name, state_dir
from hydra_tui.crash import crash_message, write_crash_report

if TYPE_CHECKING:
    from hydra_tui.actions import Actions
    from hydra_tui.api.limits import Limits
    from hydra_tui.auth import Auth
    from hydra_tui.cache.service import DataService


def build_service(
    settings: Settings, *, limits: Limits | None = None, demo: bool = False
) -> tuple[DataService, Auth, Actions]:
    from hydra_tui.actions import Actions
    from hydra_tui.api.client import HydraClient
    from hydra_tui.auth import Auth, SessionStore
    from hydra_tui.cache.disk import cache_file
    from hydra_tui.cache.service import DataService
    from hydra_tui.clock import SystemClock
    from hydra_tui.config import cache_dir

    profile = settings.profile
    client = HydraClient(profile.url, limits=profile.limits(limits), verify=not profile.insecure)
    # The demo listens on a new port each run: its state goes under one stable name, not one file per port.
    state_file = cache_file(cache_dir(), profile.url, name="demo" if demo else None)
    service = DataService(client, SystemClock(), state_file=state_file)
    if profile.poll_interval:
        service.poller.min_interval = profile.poll_interval
    auth = Auth(client, profile, SessionStore(state_dir() / "sessions.json"))
    actions = Actions(service, auth, read_only=profile.read_only, log_file=state_dir() / "actions.jsonl")
    return service, auth, actions


def run_dashboard(settings: Settings, *, demo: bool, target: str | None) -> int:
    from hydra_tui.ui.app import HydraApp

    server = None
    limits = None
    if demo:
        from hydra_tui.demo.runner import LIVE_REBUILD_EVERY, DemoServer

        def live(world: object) -> None:
            world.rebuild_every = LIVE_REBUILD_EVERY  # type: ignore[attr-defined]

        server = DemoServer(configure=live).start()
        settings.profile.url = server.url
        settings.profile.name = "demo"
        from hydra_tui.api.limits import Limits

        limits = Limits(rate=20, burst=20, in_flight=4)
    try:

        def remember_theme(theme: str) -> None:
            # A profile's own theme wins at start-up, so a choice made here is saved into that profile's table.
            if settings.config_file is not None and theme != settings.theme:
                chosen = settings.profiles.get(settings.profile.name)
                with contextlib.suppress(OSError):
                    save_theme(settings.config_file, theme, profile=chosen.name if chosen and chosen.theme else None)
                settings.theme = theme

        app = HydraApp(
            connect=partial(build_service, settings, limits=limits, demo=demo),
            server=server_name(settings.profile.url),
            target=target,
            theme=settings.theme,
            on_theme_change=remember_theme,
            gc_pause=True,
        )
        result = app.run()
        return int(app.return_code or result or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # anything outside the app's own loop
        report = write_crash_report(error, state_dir())
        print(crash_message(error, report), file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        sys.stdout.flush()
