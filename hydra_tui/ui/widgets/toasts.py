"""Where toasts go: into the half of the screen away from the row being read (the cursor's row of the focused list,
the end of a log), so a notification never covers it; and compact, so it covers little anywhere."""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Tree


def reading_row(screen: Screen[object]) -> int | None:
    """The screen row the user is reading: the cursor's row of the focused list, the last line of a log; None
    when there is no such row."""
    from hydra_tui.ui.widgets.build_list import BuildList
    from hydra_tui.ui.widgets.log_view import LogView

    focused: Widget | None = screen.focused
    if focused is None:
        return None
    region = focused.content_region
    if isinstance(focused, BuildList):
        return region.y + 1 + focused.cursor - int(focused.scroll_y)
    if isinstance(focused, DataTable):
        return region.y + focused.header_height + focused.cursor_row - int(focused.scroll_y)
    if isinstance(focused, Tree):
        return region.y + focused.cursor_line - int(focused.scroll_y)
    if isinstance(focused, LogView):
        return region.bottom - 1
    return None


def toasts_on_top(screen: Screen[object]) -> bool:
    """Toasts go on top when the row being read is in the lower half of the screen (they go bottom-right else)."""
    row = reading_row(screen)
    return row is not None and row >= screen.size.height // 2
