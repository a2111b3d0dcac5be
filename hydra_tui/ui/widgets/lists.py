"""The lists of hydra-tui with the keys k9s and lazygit users expect: j/k like ↓/↑, g/Home the first row, G/End
the last. Use these instead of Textual's Tree, DataTable and OptionList so every list moves the same way."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable, OptionList, Tree


class ListTree(Tree[Any]):
    """A Tree (its Home and End already move the cursor)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_home", "First", show=False),
        Binding("G", "scroll_end", "Last", show=False),
    ]


class ListTable(DataTable[Any]):
    """A DataTable of rows: Home and End move the cursor to the first and last row (not sideways)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g,home", "scroll_top", "First", show=False),
        Binding("G,end", "scroll_bottom", "Last", show=False),
    ]


class ListOptions(OptionList):
    """An OptionList."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]
