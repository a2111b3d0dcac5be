"""The first frame: the project tree's frame (title line, "Loading projects…", status line, keys) drawn before the
service layer (pydantic, the models, httpx) is imported; the app then loads that layer and puts the real tree in its
place. It imports nothing of the service layer, so it can be on screen ~0.15 s sooner than the tree itself."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from hydra_tui.ui.screens.base import Message
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.title_line import TitleLine


class StartScreen(Screen[None]):
    """What the tree screen looks like before its data: the same lines in the same places."""

    DEFAULT_CSS = """
    StartScreen #start-body { height: 1fr; }
    StartScreen #start-status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, server: str) -> None:
        super().__init__()
        self.server = server
        #: Keys pressed before the tree is there, for the tree (quitting keys act at once: they are the app's).
        self.early_keys: list[events.Key] = []

    def on_key(self, event: events.Key) -> None:
        self.early_keys.append(events.Key(event.key, event.character))
        event.stop()
        event.prevent_default()

    def compose(self) -> ComposeResult:
        title = TitleLine()
        title.crumbs = [self.server, "projects"]
        yield title
        yield Message(Text("Loading projects…"), id="message")
        yield Static(id="start-body")
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append(self.server, style="bold")
        status.append("  ● connecting", style="bright_black")
        yield Static(status, id="start-status")
        yield KeyFooter()
