"""Safe text for widgets: server strings always become Rich Text (never markup), with state colours."""

from __future__ import annotations

from rich.text import Text

from hydra_tui.api.models import JobsetState
from hydra_tui.api.status import BuildState, Category
from hydra_tui.logs.sanitize import plain

CATEGORY_STYLE = {
    Category.OK: "green",
    Category.FAILED: "red",
    Category.PENDING: "yellow",
    Category.CANCELLED: "magenta",
    Category.UNKNOWN: "bright_black",
}

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


def state_text(state: BuildState, *, short: bool = True) -> Text:
    return Text(state.short if short else state.label, style=CATEGORY_STYLE[state.category])


def counts_text(succeeded: int, failed: int, queued: int) -> Text:
    text = Text()
    text.append(f"✔ {succeeded:<7}", style="green" if succeeded else "bright_black")
    text.append(f"✘ {failed:<6}", style="red" if failed else "bright_black")
    text.append(f"◷ {queued}", style="yellow" if queued else "bright_black")
    return text


def join(*parts: Text | str, sep: str = "  ") -> Text:
    return Text(sep).join(p if isinstance(p, Text) else Text(p) for p in parts if p)
