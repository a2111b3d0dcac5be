"""A Line-API log view: renders only the lines in view from a LineSource, with colours, search highlights,
optional wrapping and follow mode (stays at the bottom until you scroll up).
"""

from __future__ import annotations

from collections import OrderedDict

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hydra_tui.logs.sanitize import to_text
from hydra_tui.logs.source import LineSource, MemoryLines

WRAP_LIMIT = 300_000  # lines; wrapping needs every line's length


class LogView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LogView { height: 1fr; }
    LogView > .log-view--match { background: $warning 60%; color: $text; }
    LogView > .log-view--current { background: $accent 30%; }
    """
    COMPONENT_CLASSES = {"log-view--match", "log-view--current"}
    BINDINGS = [
        Binding("up,k", "scroll_lines(-1)", "Up", show=False),
        Binding("down,j", "scroll_lines(1)", "Down", show=False),
        Binding("pageup", "scroll_lines(-20)", "Page up", show=False),
        Binding("pagedown,space", "scroll_lines(20)", "Page down", show=False),
        Binding("left,h", "scroll_columns(-8)", "Left", show=False),
        Binding("right,l", "scroll_columns(8)", "Right", show=False),
        Binding("home", "home", "Top", show=False),
        Binding("end", "end", "Follow", show=False),
    ]

    follow: reactive[bool] = reactive(True)

    class Followed(Message):
        """Follow mode changed."""

    class ReachedTop(Message):
        """The user scrolled to the first loaded line."""

    class Moved(Message):
        """The lines in view changed (for the line position)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LogView.Moved)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source: LineSource = MemoryLines([], complete=True)
        self.wrap = False
        self.line_numbers = False
        self.needle = ""
        self.current: int | None = None  # the line of the current search match
        self._cache: OrderedDict[int, Text] = OrderedDict()
        self._rows: list[tuple[int, int]] | None = None  # wrapped: (line, first character) per display row
        self._rows_width = 0

    # --- data ------------------------------------------------------------------------------------

    def set_source(self, source: LineSource, *, keep_from_end: bool = True) -> None:
        old_total = self.total_rows
        from_end = old_total - int(self.scroll_y)
        old = self.source
        self.source = source
        self._cache.clear()
        self._rows = None
        if self.wrap:
            self._build_rows()
        self._resize()
        if self.follow:
            self.scroll_end(animate=False, immediate=True)
            # Lines wider than the view bring a horizontal scrollbar once laid out, one row less to show: the end
            # is looked for again then, or the last line would hide under it.
            self.call_after_refresh(self._keep_end)
        elif keep_from_end:
            self.scroll_to(y=max(0, self.total_rows - from_end), animate=False, immediate=True)
        if old is not source:
            old.close()
        self.refresh()

    def _keep_end(self) -> None:
        if self.follow:
            self.scroll_end(animate=False, immediate=True)

    @property
    def total_rows(self) -> int:
        return len(self._rows) if self._rows is not None else len(self.source)

    def _resize(self) -> None:
        # Not wider than the view unless a line is (the view's width here counts no scrollbar).
        numbers = self.number_width
        width = self.text_width + numbers if self.wrap else max(self.text_width, self._widest()) + numbers
        self.virtual_size = Size(width, self.total_rows)

    def _widest(self) -> int:
        top = int(self.scroll_y)
        widest = 0
        for i in range(top, min(len(self.source), top + self.size.height + 1)):
            widest = max(widest, self._text(i).cell_len)
        return widest + 1

    def _text(self, index: int) -> Text:
        text = self._cache.get(index)
        if text is None:
            text = to_text(self.source.line(index))
            self._cache[index] = text
            if len(self._cache) > 2000:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return text

    # --- wrapping --------------------------------------------------------------------------------

    def set_wrap(self, wrap: bool) -> bool:
        """Turn wrapping on or off; False if the log is too long to wrap."""
        if wrap and len(self.source) > WRAP_LIMIT:
            return False
        top_line = self._line_at(int(self.scroll_y))
        self.wrap = wrap
        self._rows = None
        if wrap:
            self._build_rows()
        self._resize()
        if self.follow:
            self.scroll_to(x=0, y=self.max_scroll_y, animate=False, immediate=True)
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        else:
            self.scroll_to(x=0, y=self._row_of(top_line), animate=False, immediate=True)
        self.refresh()
        return True

    @property
    def number_width(self) -> int:
        """The cells the line numbers take (with a space after them), 0 when they are off."""
        return len(str(len(self.source))) + 1 if self.line_numbers else 0

    @property
    def text_width(self) -> int:
        """The cells a line of the log gets (the view without its scrollbar and line numbers)."""
        return max(10, self.scrollable_content_region.width - self.number_width)

    def set_line_numbers(self, on: bool) -> None:
        top_line = self._line_at(int(self.scroll_y))
        self.line_numbers = on
        if self.wrap:
            self._build_rows()
        self._resize()
        if self.follow:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=self._row_of(top_line), animate=False, immediate=True)
        self.refresh()

    @property
    def top_line(self) -> int:
        """The log's line at the top of the view."""
        return self._line_at(int(self.scroll_y))

    @property
    def bottom_line(self) -> int:
        """The log's last line in view (or partly in view)."""
        return self._line_at(min(self.total_rows - 1, int(self.scroll_y) + self.scrollable_content_region.height - 1))

    def _build_rows(self) -> None:
        width = self.text_width
        rows: list[tuple[int, int]] = []
        for i in range(len(self.source)):
            rows.extend((i, start) for start in self._breaks(i, width))
        self._rows = rows
        self._rows_width = width

    def _breaks(self, index: int, width: int) -> list[int] | range:
        """Where each display row of line `index` starts (character offsets into its text), `width` cells a row.
        Plain ASCII needs no look at the text; colours, tabs and wide characters are measured cell by cell."""
        raw = self.source.line(index)
        if index not in self._cache and raw.isascii() and raw.isprintable():
            return range(0, max(1, len(raw)), width)
        plain = self._text(index).plain
        if plain.isascii():
            return range(0, max(1, len(plain)), width)
        starts = [0]
        used = 0
        for n, char in enumerate(plain):
            cells = get_character_cell_size(char)
            if used + cells > width and used:
                starts.append(n)
                used = 0
            used += cells
        return starts

    def _line_at(self, row: int) -> int:
        if self._rows is None:
            return row
        return self._rows[min(row, len(self._rows) - 1)][0] if self._rows else 0

    def _row_of(self, line: int) -> int:
        if self._rows is None:
            return line
        for n, (i, _) in enumerate(self._rows):
            if i >= line:
                return n
        return max(0, len(self._rows) - 1)

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap and self.text_width != self._rows_width:
            top_line = self._line_at(int(self.scroll_y))
            self._build_rows()
            if not self.follow:
                self.scroll_to(y=self._row_of(top_line), animate=False, immediate=True)
        self._resize()
        if self.follow:
            self.scroll_end(animate=False, immediate=True)

    # --- rendering -------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_y) + y
        if row >= self.total_rows:
            return Strip.blank(self.scrollable_content_region.width, self.rich_style)
        strip = self._render_text(row)
        if self.line_numbers:
            index, first = (self._rows[row][0], self._rows[row][1] == 0) if self._rows is not None else (row, True)
            number = f"{index + 1:>{self.number_width - 1}} " if first else " " * self.number_width
            style = self.rich_style + Style(dim=True)
            strip = Strip([Segment(number, style), *strip], self.number_width + strip.cell_length)
        return strip

    def _render_text(self, row: int) -> Strip:
        width = self.text_width if self.line_numbers else self.scrollable_content_region.width  # not under the bar
        if self._rows is not None:
            index, start = self._rows[row]
            following = self._rows[row + 1] if row + 1 < len(self._rows) else None
            end = following[1] if following is not None and following[0] == index else None
            text = self._text(index)[start:end]
        else:
            index = row
            text = self._text(index)
            start = int(self.scroll_x)
            text = text[start : start + width] if start else text
        if self.needle:
            text = text.copy()
            text.highlight_words(
                [self.needle], style=self.get_component_rich_style("log-view--match"), case_sensitive=False
            )
        segments = list(text.render(self.app.console))
        strip = Strip([s for s in segments if s.text != "\n"]).crop(0, width)
        if index == self.current:
            strip = strip.apply_style(self.get_component_rich_style("log-view--current"))
        return strip.extend_cell_length(width, self.rich_style).apply_style(self.rich_style or Style())

    # --- scrolling and follow --------------------------------------------------------------------

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        at_bottom = new >= self.max_scroll_y
        if new < old and not at_bottom and self.follow:
            self.follow = False
        elif at_bottom and not self.follow and new > old:
            self.follow = True
        if new <= 0 and old > 0:
            self.post_message(self.ReachedTop())
        if not self.wrap:
            self._resize()
        self.post_message(self.Moved())

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self.scroll_end(animate=False, immediate=True)
        self.post_message(self.Followed())

    def action_scroll_lines(self, delta: int) -> None:
        self.scroll_to(y=max(0, self.scroll_y + delta), animate=False, immediate=True)

    def action_scroll_columns(self, delta: int) -> None:
        if not self.wrap:
            self.scroll_to(x=max(0, self.scroll_x + delta), animate=False, immediate=True)

    def action_home(self) -> None:
        self.go_home()
        self.post_message(self.ReachedTop())

    def action_end(self) -> None:
        self.go_end()

    def go_to_line(self, index: int) -> None:
        self.follow = False
        self.current = index
        row = self._row_of(index)
        self.scroll_to(y=max(0, row - self.size.height // 3), animate=False, immediate=True)
        self.refresh()

    def go_home(self) -> None:
        self.follow = False
        self.scroll_to(y=0, animate=False, immediate=True)

    def go_end(self) -> None:
        self.follow = True
        self.scroll_end(animate=False, immediate=True)

    def visible_plain(self) -> list[str]:
        """The text on screen (for tests and copy)."""
        return [self.render_line(y).text for y in range(self.size.height)]


__all__ = ["LogView", "Segment"]
