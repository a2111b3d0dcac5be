"""Runs the dashboard in watch mode on one jobset."""

from __future__ import annotations

from hydra_tui.config import Settings
from hydra_tui.job.mine import MineSpec


def run_watch_ui(
    settings: Settings,
    project: str,
    jobset: str,
    *,
    interval: float,
    exit_status: bool,
    timeout: float | None,
    on_change: str | None,
    specs: list[MineSpec] | None = None,
) -> int:
    from hydra_tui.ui.app import HydraApp
    from hydra_tui.ui.run import build_service
    from hydra_tui.ui.screens.watch import WatchScreen

    service, auth, actions = build_service(settings)
    app = HydraApp(service, auth=auth, actions=actions, theme=settings.theme, gc_pause=True)
    app.first_screen = lambda: WatchScreen(  # type: ignore[method-assign]
        project,
        jobset,
        interval=interval,
        exit_status=exit_status,
        timeout=timeout,
        on_change=on_change,
        specs=specs,
    )
    result = app.run()
    return int(app.return_code or result or 0)
