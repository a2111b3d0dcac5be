"""The status line at the bottom of every screen: server, user, connection state, last refresh."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from hydra_tui.api.errors import NotFoundError
from hydra_tui.api.timefmt import ago
from hydra_tui.config import server_name
from hydra_tui.logs.sanitize import plain


class StatusLine(Static):
    """Redraws only when its text changes, so an idle dashboard writes next to nothing."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.update_status()
        self.set_interval(1.0, self.update_status)
        service = getattr(self.app, "service", None)
        if service is not None:
            service.cache.on_any_change.append(self._changed)

    def on_unmount(self) -> None:
        service = getattr(self.app, "service", None)
        if service is not None and self._changed in service.cache.on_any_change:
            service.cache.on_any_change.remove(self._changed)

    def _changed(self) -> None:
        self.call_later(self.update_status)

    def update_status(self) -> None:
        app = self.app
        service = getattr(app, "service", None)
        if service is None:
            return
        health = service.client.health
        cache = service.cache
        now = service.clock.now()
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(server_name(service.client.base_url), style="bold")
        text.append("  ")
        if not getattr(service.client, "verify", True):
            text.append("⚠ TLS not verified", style="red bold")
            text.append("  ")
        text.append(plain(service.user) if service.user else "anonymous", style="" if service.user else "bright_black")
        text.append("  ")
        actions = getattr(app, "actions", None)
        if actions is not None and actions.read_only:
            text.append("read-only", style="reverse yellow")
            text.append("  ")
        # A 404 says something does not exist, not that the connection is bad: it makes nothing stale.
        stale_since = min(
            (e.error_at for e in cache.entries.values() if e.error_at and not isinstance(e.error, NotFoundError)),
            default=None,
        )
        if health.backing_off:
            text.append("● backing off", style="yellow")
        elif not health.ok:
            text.append("● error", style="red")
            if health.last_error is not None:
                text.append(f": {health.last_error.short}", style="red")
        elif stale_since is not None:
            text.append(f"● stale since {ago(stale_since, now)}", style="yellow")
        elif cache.last_success is None and any(e.from_disk for e in cache.entries.values()):
            text.append("● stale (saved)", style="yellow")
        elif cache.last_success is None:
            text.append("● connecting", style="bright_black")
        else:
            text.append("● live", style="green")
        if cache.last_success is not None:
            text.append("  refreshed " + time.strftime("%H:%M:%S", time.localtime(cache.last_success)))
        if text != getattr(self, "_last", None):
            self._last = text
            self.update(text)
