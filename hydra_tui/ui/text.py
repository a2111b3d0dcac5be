"""Safe text for widgets: server strings always become Rich Text (never markup), with state colours."""

from __future__ import annotations

from rich.text import Text

from hydra_tui.api.models import JobsetState
from hydra_tui.api.status import BuildState, Category
from hydra_tui.logs.sanitize import plain

# The colour of each of Hydra's counts (api/status.py), and of the failures the comparison calls aborted.
CATEGORY_STYLE = {
    Category.SUCCEEDED: "green",
    Category.FAILED: "red",
    Category.QUEUED: "yellow",
    Category.UNKNOWN: "bright_black",
}
ABORTED_STYLE = "magenta"
ZERO_STYLE = "bright_black"

JOBSET_STATE_STYLE = {
    JobsetState.ENABLED: "green",
    JobsetState.DISABLED: "bright_black",
    JobsetState.ONE_SHOT: "cyan",
    JobsetState.ONE_AT_A_TIME: "cyan",
    JobsetState.UNKNOWN: "bright_black",
}


def safe(value: object, style: str = "") -> Text:
    """Untrusted text as literal Text: markup-looking brackets stay brackets, controls are removed."""
    return Text(plain(str(value)), style=style)


def state_style(state: BuildState) -> str:
    return ABORTED_STYLE if state.aborted else CATEGORY_STYLE[state.category]


def state_text(state: BuildState, *, short: bool = True) -> Text:
    return Text(state.short if short else state.label, style=state_style(state))


def counts_text(
    succeeded: int, failed: int, queued: int, *, align: bool = True, widths: tuple[int, int] = (10, 9)
) -> Text:
    """Hydra's three numbers with their symbols (`✔ 5  ✘ 8  queued 23`), coloured; the one way every screen shows
    them. `align` pads the first two to `widths` so that rows of counts line up."""
    text = Text()
    parts = (
        (Category.SUCCEEDED, succeeded, widths[0]),
        (Category.FAILED, failed, widths[1]),
        (Category.QUEUED, queued, 0),
    )
    for n, (category, count, width) in enumerate(parts):
        cell = f"{category.symbol} {count:,}"
        if align:
            cell = cell.ljust(width)
        elif n:
            text.append("  ")
        text.append(cell, style=CATEGORY_STYLE[category] if count else ZERO_STYLE)
    return text


def join(*parts: Text | str, sep: str = "  ") -> Text:
    return Text(sep).join(p if isinstance(p, Text) else Text(p) for p in parts if p)


def fit(parts: list[tuple[int, Text]], width: int, sep: str = "  ") -> Text:
    """Parts of a line in their order, each with its rank (0 most important): when they do not fit in `width`
    cells, the least important parts go whole, never cut; what stays keeps its order."""
    kept = [(n, rank, part) for n, (rank, part) in enumerate(parts) if part.cell_len]

    def size(items: list[tuple[int, int, Text]]) -> int:
        return sum(p.cell_len for _, _, p in items) + len(sep) * max(0, len(items) - 1)

    while width > 0 and len(kept) > 1 and size(kept) > width:
        worst = max(kept, key=lambda item: (item[1], item[0]))
        kept.remove(worst)
    return Text(sep).join(part for _, _, part in kept)
