"""The lists' shared pieces (ui/widgets/lists.py): a row rewritten alone is the only one drawn again."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult

from hydra_tui.ui.widgets.lists import ListTable, update_row


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield ListTable(id="t", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(ListTable)
        table.add_column("ID", key="id")
        table.add_column("TIME", key="time")
        for n in range(30):
            table.add_row(Text(str(n)), Text(f"{n}m 00s"), key=str(n))


def rendered_rows(table: ListTable, monkeypatch: Any) -> list[int]:
    rows: list[int] = []
    real = table._render_cell

    def spy(row_index: int, *args: Any, **kwargs: Any) -> Any:
        rows.append(row_index)
        return real(row_index, *args, **kwargs)

    monkeypatch.setattr(table, "_render_cell", spy)
    return rows


async def settled(table: ListTable, pilot: Any, rows: list[int]) -> None:
    """Until drawing the table again renders no cell (every row's rendering is cached)."""
    for _ in range(10):
        rows.clear()
        table.refresh()
        await pilot.pause()
        if not rows:
            return
    raise AssertionError("the table never settled")


async def test_a_row_rewritten_alone_is_the_only_one_drawn_again(monkeypatch) -> None:
    app = OneTable()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(ListTable)
        await pilot.pause()
        rows = rendered_rows(table, monkeypatch)
        await settled(table, pilot, rows)
        update_row(table, "5", {"time": Text("5m 01s")})
        await pilot.pause()
        assert set(rows) == {5}
        assert table.get_cell("5", "time").plain == "5m 01s"
        lines = [str(strip.text) for strip in table.render_lines(table.region.reset_offset)]
        assert any("5m 01s" in line for line in lines), lines
        # Textual's own update_cell draws every row in view again: what this saves.
        await settled(table, pilot, rows)
        table.update_cell("6", "time", Text("6m 01s"))
        await pilot.pause()
        assert len(set(rows)) > 10


async def test_a_cell_of_another_width_lays_its_column_out_again(monkeypatch) -> None:
    app = OneTable()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(ListTable)
        await pilot.pause()
        width = table.columns[table._column_locations.get_key(1)].content_width
        update_row(table, "3", {"time": Text("3h 00m 00s and more")}, fit_width=True)
        await pilot.pause()
        assert table.columns[table._column_locations.get_key(1)].content_width > width
        assert table.get_cell("3", "time").plain == "3h 00m 00s and more"
