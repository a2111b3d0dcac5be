"""Wires the dashboard together: demo server (if asked), client, cache service, app; runs it."""

from __future__ import annotations

import sys

from platformdirs import user_cache_path

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.cache.disk import cache_file
from hydra_tui.cache.service import DataService
from hydra_tui.clock import SystemClock


def run_dashboard(*, url: str, demo: bool, target: str | None, verify: bool = True) -> int:
    from hydra_tui.ui.app import HydraApp

    server = None
    limits = Limits()
    if demo:
        from hydra_tui.demo.runner import DemoServer

        server = DemoServer().start()
        url = server.url
        limits = Limits(rate=20, burst=20, in_flight=4)
    try:
        client = HydraClient(url, limits=limits, verify=verify)
        state = cache_file(user_cache_path("hydra-tui", appauthor=False), url)
        service = DataService(client, SystemClock(), state_file=state)
        app = HydraApp(service, target=target)
        result = app.run()
        return int(result or 0)
    except KeyboardInterrupt:
        return 130
    finally:
        if server is not None:
            server.stop()
        sys.stdout.flush()
