"""Helpers for driving the real app against the demo Hydra."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.cache.service import DataService
from hydra_tui.clock import Clock
from hydra_tui.ui.app import HydraApp


def make_app(url: str, clock: Clock, target: str | None = None) -> HydraApp:
    service = DataService(HydraClient(url, limits=Limits.unlimited()), clock)
    return HydraApp(service, target=target)


async def wait_for(pilot: Pilot[object], condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until `condition()` is true, processing the app's messages meanwhile."""
    loops = int(timeout / 0.02)
    for _ in range(loops):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"condition not met in {timeout}s: {condition}")
