"""The title line at the top of every screen: where you are, as a breadcrumb (server › project › jobset ›
evaluation › build › …). When it does not fit, the crumbs nearest the server give way first (as `…`); the last
one, the screen itself, always stays."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from hydra_tui.logs.sanitize import plain

SEPARATOR = " › "
ELLIPSIS = "…"


#: A crumb: its text, or (its text, a shorter one used when the line is too narrow for the whole text).
Crumb = str | tuple[str, str]


def fit_crumbs(crumbs: list[Crumb], width: int) -> list[str]:
    """The crumbs that fit `width` cells with their separators. First the crumbs with a short form take it; then
    the first (the server) and the last stay while those in between go from the left, replaced by one `…`."""
    longs = [plain(c if isinstance(c, str) else c[0]) for c in crumbs if c]
    shorts = [plain(c if isinstance(c, str) else c[1]) for c in crumbs if c]

    def size(parts: list[str]) -> int:
        return sum(len(p) for p in parts) + len(SEPARATOR) * max(0, len(parts) - 1)

    if width <= 0 or size(longs) <= width or len(longs) <= 1:
        return longs
    if size(shorts) <= width:
        return shorts
    head, middle, last = shorts[0], shorts[1:-1], shorts[-1]
    while middle:
        middle = middle[1:]
        parts = [head, ELLIPSIS, *middle, last]
        if size(parts) <= width:
            return parts
    if size([head, last]) <= width:
        return [head, last]
    return [last]


class TitleLine(Widget):
    """One line, docked on top; the screen sets `crumbs`."""

    DEFAULT_CSS = """
    TitleLine { dock: top; height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    TitleLine > .title-line--current { color: $text; text-style: bold; }
    TitleLine > .title-line--server { color: $accent; }
    """
    COMPONENT_CLASSES = {"title-line--current", "title-line--server"}

    def __init__(self) -> None:
        super().__init__(id="title-line")
        self.crumbs: list[Crumb] = []

    def show(self, crumbs: list[Crumb]) -> None:
        if crumbs != self.crumbs:
            self.crumbs = crumbs
            self.refresh()

    @property
    def text(self) -> str:
        """What the line says, as plain text (for tests and the help screen)."""
        return SEPARATOR.join(fit_crumbs(self.crumbs, self.content_size.width))

    def render(self) -> Text:
        parts = fit_crumbs(self.crumbs, self.content_size.width)
        text = Text(no_wrap=True, overflow="ellipsis")
        for n, part in enumerate(parts):
            if n:
                text.append(SEPARATOR)
            if n == len(parts) - 1:
                style = self.get_component_rich_style("title-line--current")
            elif n == 0 and part != ELLIPSIS:
                style = self.get_component_rich_style("title-line--server")
            else:
                style = None
            text.append(part, style=style)
        return text
