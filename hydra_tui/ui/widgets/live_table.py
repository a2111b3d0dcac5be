"""A DataTable updated by key (like Dolphie's process list): changed cells are rewritten, new rows added, gone rows
struck through for a moment and then removed. What changed is highlighted for `FLASH` seconds; nothing else is
redrawn."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from hydra_tui.ui.widgets.lists import ListTable, update_row

FLASH = 3.0  # seconds a change stays highlighted
CHANGED_STYLE = "reverse"
GONE_STYLE = "strike dim"


class LiveTable(ListTable):
    """Rows by key. `sync(rows)` brings the table to `rows` with the fewest cell updates; `tick(now)` ends the
    highlights whose time is up. `sort_key(cells)` orders the rows (they are re-sorted only when rows come or go)."""

    def __init__(
        self,
        columns: Sequence[tuple[str, str]],
        *,
        sort_key: Callable[[Sequence[Any]], Any] | None = None,
        reverse: bool = False,
        row_height: int = 1,
        quiet: Sequence[int] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.row_height = row_height
        self.quiet = frozenset(quiet)  # columns that change by themselves (a time, a load): rewritten, not flashed
        self._columns = columns
        self._sort_key = sort_key
        self._reverse = reverse
        self.values: dict[str, list[Text]] = {}  # what each row shows, unhighlighted
        self.flashing: dict[str, float] = {}  # row key → when its highlight ends
        self.flash_cells: dict[str, set[int]] = {}
        self.gone: dict[str, float] = {}  # row key → when it is removed

    def on_mount(self) -> None:
        for label, key in self._columns:
            self.add_column(label, key=key)

    def _show(self, key: str, index: int, cell: Text, style: str | None) -> None:
        shown = cell.copy()
        if style:
            shown.stylize(style)
        # Only this row is drawn again, and the widths worked out again only when the cell's width changes (a
        # ticking time mostly keeps its width).
        with contextlib.suppress(CellDoesNotExist, RowDoesNotExist):
            update_row(self, key, {self._columns[index][1]: shown}, fit_width=True)

    def sync(self, rows: Mapping[str, list[Text]], now: float, *, flash: bool = True) -> int:
        """Bring the table to `rows`; returns how many rows changed (added, updated or gone). Without `flash`
        (while the first data is still arriving) nothing is highlighted and gone rows leave at once."""
        changed = 0
        added = False
        with self.app.batch_update():
            for key, cells in rows.items():
                old = self.values.get(key)
                if key in self.gone:  # back before it was removed
                    del self.gone[key]
                    old = None
                    self.values[key] = [Text("")] * len(cells)
                if old is None and key not in self.rows:
                    self.values[key] = list(cells)
                    styled = [c.copy() for c in cells]
                    if flash:
                        for c in styled:
                            c.stylize(CHANGED_STYLE)
                        self.flashing[key] = now + FLASH
                        self.flash_cells[key] = set(range(len(cells)))
                    self.add_row(*styled, key=key, height=self.row_height)
                    added = True
                    changed += 1
                    continue
                old = self.values.get(key) or []
                differs = [i for i, c in enumerate(cells) if i >= len(old) or c != old[i]]
                if differs:
                    self.values[key] = list(cells)
                    loud = [i for i in differs if i not in self.quiet] if flash else []
                    if loud:
                        self.flashing[key] = now + FLASH
                        self.flash_cells.setdefault(key, set()).update(loud)
                        changed += 1
                    for i in differs:
                        lit = i in loud or i in self.flash_cells.get(key, set())
                        self._show(key, i, cells[i], CHANGED_STYLE if lit else None)
            for key in list(self.values):
                if key not in rows and key not in self.gone:
                    changed += 1
                    if not flash:
                        self._remove(key)
                        continue
                    self.gone[key] = now + FLASH
                    for i, cell in enumerate(self.values[key]):
                        self._show(key, i, cell, GONE_STYLE)
            if added and self._sort_key is not None:
                self.sort(*[k for _, k in self._columns], key=self._sort_key, reverse=self._reverse)
        return changed

    def _remove(self, key: str) -> None:
        self.values.pop(key, None)
        self.flashing.pop(key, None)
        self.flash_cells.pop(key, None)
        self.gone.pop(key, None)
        with contextlib.suppress(RowDoesNotExist):
            self.remove_row(key)

    def tick(self, now: float) -> None:
        """End the highlights and remove the gone rows whose time is up."""
        for key, until in list(self.gone.items()):
            if until <= now:
                self._remove(key)
        for key, until in list(self.flashing.items()):
            if until <= now:
                del self.flashing[key]
                cells = self.values.get(key, [])
                for i in self.flash_cells.pop(key, set()):
                    if i < len(cells):
                        self._show(key, i, cells[i], None)

    def set_cell(self, key: str, index: int, cell: Text) -> None:
        """Rewrite one cell that changes by itself (a ticking time) without highlighting it."""
        cells = self.values.get(key)
        if cells is None or key in self.gone or (index < len(cells) and cells[index] == cell):
            return
        cells[index] = cell
        flashing = index in self.flash_cells.get(key, set())
        self._show(key, index, cell, CHANGED_STYLE if flashing else None)

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except (CellDoesNotExist, RowDoesNotExist):
            return None
        return key
