"""`?`: every key of the current screen and of the app, in a modal."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "number_sign": "#",
    "escape": "Esc",
    "enter": "Enter",
    "ctrl+q": "Ctrl+Q",
    "ctrl+p": "Ctrl+P",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "tab": "Tab",
    "shift+tab": "Shift+Tab",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "left": "←",
    "right": "→",
}


def _one(key: str) -> str:
    key = key.strip()
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    if key.startswith("ctrl+"):
        return "Ctrl+" + key[5:].upper()
    return key


def _compact(keys: list[str]) -> str:
    """`1, 2, …, 8, 0` reads as `1-8, 0`."""
    digits = [k for k in keys if k.isdigit()]
    if len(digits) > 3 and digits[:-1] == [str(n) for n in range(1, len(digits))]:
        rest = [k for k in keys if not k.isdigit()]
        return ", ".join([f"1-{len(digits) - 1}", digits[-1], *rest])
    return ", ".join(keys)


def key_label(keys: str) -> str:
    return ", ".join(_one(k) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 64; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, screen: Screen[None]) -> None:
        super().__init__()
        self.target = screen

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        seen: set[str] = set()
        bindings: list[Binding] = []
        for source in (type(self.target), type(self.app)):
            for cls in source.__mro__:
                for b in getattr(cls, "BINDINGS", []):
                    if isinstance(b, Binding) and b.key not in seen and b.description:
                        seen.add(b.key)
                        bindings.append(b)
        grouped: dict[str, list[str]] = {}
        used: set[str] = set()  # priority bindings win, then the one closest to the screen
        for b in sorted(bindings, key=lambda b: not b.priority):
            fresh = [k for k in key_label(b.key).split(", ") if k not in used]
            used.update(fresh)
            if fresh:
                keys = grouped.setdefault(b.description, [])
                keys.extend(k for k in fresh if k not in keys)
        self.rows = [(_compact(keys), description) for description, keys in grouped.items()]
        self.rows += [("↑↓, j k", "Move"), ("Ctrl+P", "Jump to a project, jobset, evaluation or build")]
        for row in self.rows:
            table.add_row(*row)
        title = Text(f"Keys: {getattr(self.target, 'TITLE_TEXT', '')}", style="bold")
        with VerticalScroll():
            yield Static(title)
            yield Static(table)
            yield Static(Text("Esc closes", style="italic"))
