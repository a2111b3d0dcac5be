"""Helpers for driving the real app against the demo Hydra."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from hydra_tui.actions import Actions
from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.auth import Auth, SessionStore
from hydra_tui.cache.service import DataService
from hydra_tui.clock import Clock
from hydra_tui.config import Profile
from hydra_tui.ui.app import HydraApp


def make_app(
    url: str,
    clock: Clock,
    target: str | None = None,
    *,
    profile: Profile | None = None,
    store: SessionStore | None = None,
    read_only: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> HydraApp:
    service = DataService(HydraClient(url, limits=Limits.unlimited(), transport=transport), clock)
    auth = Auth(service.client, profile or Profile(url=url), store)
    actions = Actions(service, auth, read_only=read_only)
    return HydraApp(service, target=target, auth=auth, actions=actions)


class PortMap(httpx.AsyncBaseTransport):
    """Sends what is addressed to one port to another: the app shows a fixed address while the server listens on
    a free port (so two test runs on one host never collide, and snapshots stay the same)."""

    def __init__(self, shown: int, real: int) -> None:
        self.shown, self.real = shown, real
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.port == self.shown:
            request.url = request.url.copy_with(port=self.real)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def wait_for(pilot: Pilot[object], condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until `condition()` is true, processing the app's messages meanwhile."""
    loops = int(timeout / 0.02)
    for _ in range(loops):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"condition not met in {timeout}s: {condition}")


def visible_text(widget: Widget) -> str:
    """What a widget shows on screen, as plain text."""
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(strip.text for strip in strips)


def screen_ready(app: object, cls: type) -> bool:
    """The app shows a screen of this class, composed and mounted (its widgets can be queried)."""
    screen = app.screen  # type: ignore[attr-defined]
    return isinstance(screen, cls) and screen.is_mounted and bool(screen.children)


def screen_lines(app: object) -> list[str]:
    """Every line of the terminal as the user sees it (the screen composited: docked boxes, borders, overlaps)."""
    strips = app.screen._compositor.render_strips()  # type: ignore[attr-defined]
    return [strip.text for strip in strips]


def shows_job(widget: Widget, job: str) -> bool:
    """A builds list shows the job on one line: its name without the system suffix, and the system in its column
    (or the whole name where the SYSTEM column has no room)."""
    name, _, system = job.rpartition(".")
    for line in visible_text(widget).splitlines():
        if f" {job} " in f"{line} " or (name and f" {name} " in line and f" {system} " in f"{line} "):
            return True
    return False
