"""The lists of hydra-tui with the keys k9s and lazygit users expect: j/k like ↓/↑, g/Home the first row, G/End
the last. Use these instead of Textual's Tree, DataTable and OptionList so every list moves the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable, OptionList, Tree
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey


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


class StepTable(DataTable[Any]):
    """A short table inside a screen whose own `j` and `k` mean something else (the build's job history): the
    arrows move in it, Home and End go to its first and last row."""

    BINDINGS: ClassVar[list[BindingType]] = [
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


def update_row(table: DataTable[Any], row_key: str, cells: Mapping[str, Any], *, fit_width: bool = False) -> None:
    """Rewrite some cells of one row, and draw only that row again.

    DataTable's `update_cell` counts as a change of the whole table: every row in view is rendered again, cell by
    cell through Rich (20-70 ms for a screenful, each time one build's details arrive or a running time ticks).
    Here only the row's own cached renderings are dropped. With `fit_width`, a cell whose width changes goes
    through `update_cell`, so that its column is laid out again as Textual does it.
    """
    key = RowKey(row_key)
    if key not in table._row_locations:
        raise CellDoesNotExist(f"No row {row_key!r}.")
    data = table._data[key]
    columns = {name: ColumnKey(name) for name in cells}
    if any(column not in table._column_locations for column in columns.values()):
        raise CellDoesNotExist(f"No column among {list(cells)!r}.")
    if fit_width and any(
        _width(table, key, value) != _width(table, key, data.get(columns[name])) for name, value in cells.items()
    ):
        for name, value in cells.items():
            table.update_cell(key, columns[name], value, update_width=True)
        return
    for name, value in cells.items():
        data[columns[name]] = value
    table._row_renderable_cache.discard((table._update_count, table._row_locations.get(key)))
    for cache in (table._cell_render_cache, table._row_render_cache):
        for cached in [k for k in cache.keys() if k[0] == key]:  # noqa: SIM118 - an LRUCache, not a dict
            cache.discard(cached)
    table._line_cache.clear()  # lines are put together again from the rows' renderings, which are kept
    table.refresh()


def _width(table: DataTable[Any], row_key: RowKey, value: Any) -> int:
    """A cell's width as DataTable measures it."""
    from textual.render import measure
    from textual.widgets._data_table import default_cell_formatter

    if value is None:
        return 0
    height = table.rows[row_key].height
    return measure(table.app.console, default_cell_formatter(value, wrap=height != 1, height=height), 1)
