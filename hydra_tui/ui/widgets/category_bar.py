"""The comparison's categories as a bar of tabs: Hydra's names and counts, failing ones first, the current one
highlighted. Items wrap whole onto the next line, so at 80 columns nothing is cut mid-word."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from hydra_tui.api.comparison import ORDER, Change

#: The key of each view: 1-8 the categories in Hydra's order, 0 every build of the evaluation.
VIEW_KEYS: dict[Change | None, str] = {change: str(n) for n, change in enumerate(ORDER, 1)} | {None: "0"}


def short_label(change: Change | None) -> str:
    """Hydra's tab title without its trailing "Jobs" (the bar has no room for it), or "All builds"."""
    return "All builds" if change is None else change.label.removesuffix(" Jobs")


@dataclass(frozen=True)
class BarItem:
    view: Change | None
    count: int | None  # None: not known yet
    complete: bool = True


class CategoryBar(Widget):
    """One item per view; `items` and `current` are set by the screen."""

    DEFAULT_CSS = """
    CategoryBar { height: auto; padding: 0 1; }
    CategoryBar > .category-bar--current { background: $accent; color: $text; text-style: bold; }
    CategoryBar > .category-bar--failing { color: $error; }
    CategoryBar > .category-bar--empty { color: $text-muted; }
    CategoryBar > .category-bar--key { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"category-bar--current", "category-bar--failing", "category-bar--empty", "category-bar--key"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[BarItem] = []
        self.current: Change | None = None

    def show(self, items: list[BarItem], current: Change | None) -> None:
        if items != self.items or current != self.current:
            lines_before = len(self._lines(self.content_size.width))
            self.items, self.current = items, current
            self.refresh(layout=len(self._lines(self.content_size.width)) != lines_before)

    def _parts(self) -> list[tuple[BarItem, str, str]]:
        parts = []
        for item in self.items:
            count = "…" if item.count is None else f"{item.count:,}"
            parts.append((item, VIEW_KEYS[item.view], f"{short_label(item.view)} {count}"))
        return parts

    def _lines(self, width: int) -> list[list[tuple[BarItem, str, str]]]:
        """The items laid out greedily on lines of `width` cells; an item never splits."""
        lines: list[list[tuple[BarItem, str, str]]] = [[]]
        used = 0
        for part in self._parts():
            size = len(part[1]) + 1 + len(part[2]) + 2
            if lines[-1] and used + size - 2 > max(width, 1):
                lines.append([])
                used = 0
            lines[-1].append(part)
            used += size
        return lines

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(self._lines(width)))

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        current = self.get_component_rich_style("category-bar--current")
        failing = self.get_component_rich_style("category-bar--failing")
        empty = self.get_component_rich_style("category-bar--empty")
        key_style = self.get_component_rich_style("category-bar--key")
        for n, line in enumerate(self._lines(self.content_size.width)):
            if n:
                text.append("\n")
            for m, (item, key, label) in enumerate(line):
                if m:
                    text.append("  ")
                if item.view == self.current:
                    text.append(f"{key} {label}", style=current)
                    continue
                text.append(f"{key} ", style=key_style)
                if item.count == 0:
                    style = empty
                elif item.view is not None and item.view.failing:
                    style = failing
                else:
                    style = None
                text.append(label, style=style)
        return text
