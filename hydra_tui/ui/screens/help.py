"""`?` (and the palette's "Keys"): the current screen's keys, read from its live bindings (so a remapped key shows
as it is), in three groups: moving in the list, this screen's own keys, and the keys that work everywhere.
Textual's own plumbing (focus next, copy, the palette's internals) is left out."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "number_sign": "#",
    "escape": "Esc",
    "enter": "Enter",
    "space": "Space",
    "ctrl+q": "Ctrl+Q",
    "ctrl+p": "Ctrl+P",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "tab": "Tab",
    "shift+tab": "Shift+Tab",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}

#: Moving in a list, by action, in the order shown: what Textual's lists call them, and ours.
MOVE: dict[str, str] = {
    "cursor_up": "Up",
    "cursor(-1)": "Up",
    "scroll_up": "Up",
    "scroll_lines(-1)": "Up",
    "cursor_down": "Down",
    "cursor(1)": "Down",
    "scroll_down": "Down",
    "scroll_lines(1)": "Down",
    "page_up": "Page up",
    "page(-1)": "Page up",
    "scroll_lines(-20)": "Page up",
    "page_down": "Page down",
    "page(1)": "Page down",
    "scroll_lines(20)": "Page down",
    "scroll_home": "First",
    "scroll_top": "First",
    "jump(0)": "First",
    "scroll_end": "Last",
    "scroll_bottom": "Last",
    "jump(-1)": "Last",
    "scroll_columns(-8)": "Scroll left",
    "scroll_columns(8)": "Scroll right",
    "select_cursor": "Open",
    "select": "Open",
    "toggle_node": "Expand / collapse",
}
MOVE_ORDER = list(dict.fromkeys(MOVE.values()))
#: Textual's DataTable scrolls sideways with these (its rows' first / last are scroll_top / scroll_bottom).
SIDEWAYS = ("scroll_home", "scroll_end")
PAIRS = (("Up", "Down"), ("Page up", "Page down"), ("First", "Last"), ("Scroll left", "Scroll right"))
#: What the palette key does here (Textual calls it "palette").
PALETTE = "Command palette: jump to a project, jobset, evaluation, build, job or pasted URL"

Group = tuple[str, list[tuple[str, str]]]


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


def _origin(node: object, binding: Binding) -> type | None:
    """The class of ours whose BINDINGS hold this binding's action, or None when it is Textual's own."""
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("hydra_tui"):
            continue
        if any(isinstance(b, Binding) and b.action == binding.action for b in cls.__dict__.get("BINDINGS", [])):
            return cls
    return None


def screen_keys(screen: Screen[object]) -> list[Group]:
    """The keys that work on `screen` now, grouped: Move, This screen, Everywhere."""
    from hydra_tui.ui.screens.base import HydraScreen

    move: dict[str, list[str]] = {}
    own: dict[str, list[str]] = {}
    everywhere: dict[str, list[str]] = {}
    for key, active in screen.active_bindings.items():
        node, binding = active.node, active.binding
        shown = _one(key)
        origin = _origin(node, binding)
        if binding.action in SIDEWAYS and isinstance(node, DataTable):
            continue  # a table's Home / End go to its first / last column, not a row
        if binding.action in MOVE and node is not screen and node is not screen.app:
            # One name per move, whoever binds it: Textual's own keys for it ("Cursor Up", "Scroll Home") and ours
            # share a row instead of each having one.
            move.setdefault(MOVE[binding.action], []).append(shown)
        elif binding.action == "command_palette":
            everywhere.setdefault(PALETTE, []).append(shown)
        elif origin is None or not binding.description:
            continue  # Textual's plumbing: focus next, copy text, its own quit keys
        elif origin is HydraScreen or node is screen.app:
            everywhere.setdefault(binding.description, []).append(shown)
        else:
            own.setdefault(binding.description, []).append(shown)

    def rows(grouped: dict[str, list[str]]) -> list[tuple[str, str]]:
        out = []
        for what, keys in grouped.items():
            unique = list(dict.fromkeys(keys))
            # A plain key first (q), then the ones with modifiers (Ctrl+Q).
            unique.sort(key=lambda k: "+" in k and len(k) > 1)
            out.append((_compact(unique), what))
        return out

    order = {label: n for n, label in enumerate(MOVE_ORDER)}
    ordered_move = dict(sorted(move.items(), key=lambda item: order.get(item[0], len(order))))
    # Opposite moves with as many keys each share a row: "↑/↓, k/j  Up / down".
    for first, second in PAIRS:
        a, b = ordered_move.get(first), ordered_move.get(second)
        if a and b and len(a) == len(b):
            merged = {}
            for label, keys in ordered_move.items():
                if label == first:
                    merged[f"{first} / {second.lower()}"] = [f"{x}/{y}" for x, y in zip(a, b, strict=True)]
                elif label != second:
                    merged[label] = keys
            ordered_move = merged
    groups: list[Group] = [("Move", rows(ordered_move)), ("This screen", rows(own)), ("Everywhere", rows(everywhere))]
    return [(title, items) for title, items in groups if items]


class HelpScreen(ModalScreen[None]):
    """The keys of the screen below, grouped; Esc, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help-close")]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.target = screen
        self.groups = screen_keys(screen)
        #: Every (keys, what) row, in the order shown.
        self.rows = [row for _, items in self.groups for row in items]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for n, (title, items) in enumerate(self.groups):
            if n:
                table.add_row("", "")
            table.add_row(Text(title, style="bold underline"), "")
            for keys, what in items:
                table.add_row(keys, what)
        where = getattr(self.target, "TITLE_TEXT", "")
        with VerticalScroll():
            yield Static(Text(f"Keys: {where}" if where else "Keys", style="bold"))
            yield Static(table)
            yield Static(Text("Esc closes", style="italic"))
