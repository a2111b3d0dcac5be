"""Two evaluations compared the way Hydra's evaluation page does (`BuildDiff.pm`): the categories, their rows
and counts. The same types come from the server's page (`api/pages.py`) and from the client-side comparison
(`api/builddiff.py`), so every screen, watch and `hydra-tui report` read one shape.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from hydra_tui.api.status import BuildState


class Change(enum.Enum):
    """A category of the comparison. The value is the name used in JSON output and on the command line."""

    NEWLY_FAILING = "newly_failing"
    STILL_FAILING = "still_failing"
    ABORTED = "aborted"
    QUEUED = "queued"
    NEW = "new"
    REMOVED = "removed"
    NEWLY_SUCCEEDING = "newly_succeeding"
    STILL_SUCCEEDING = "still_succeeding"

    @property
    def label(self) -> str:
        """Hydra's own tab title, without the count."""
        return _LABELS[self][0]

    @property
    def tab_id(self) -> str:
        """The id of the tab pane on Hydra's evaluation page."""
        return _LABELS[self][1]

    @property
    def failing(self) -> bool:
        return self in (Change.NEWLY_FAILING, Change.STILL_FAILING, Change.ABORTED)

    @classmethod
    def from_tab_id(cls, tab_id: str) -> Change | None:
        return _BY_TAB.get(tab_id.lstrip("#"))


#: Failing categories first: the order of the summary line and the category list.
ORDER: tuple[Change, ...] = tuple(Change)

_LABELS: dict[Change, tuple[str, str]] = {
    Change.NEWLY_FAILING: ("Newly Failing Jobs", "tabs-now-fail"),
    Change.STILL_FAILING: ("Still Failing Jobs", "tabs-still-fail"),
    Change.ABORTED: ("Aborted / Timed out Jobs", "tabs-aborted"),
    Change.QUEUED: ("Queued Jobs", "tabs-unfinished"),
    Change.NEW: ("New Jobs", "tabs-new"),
    Change.REMOVED: ("Removed Jobs", "tabs-removed"),
    Change.NEWLY_SUCCEEDING: ("Newly Succeeding Jobs", "tabs-now-succeed"),
    Change.STILL_SUCCEEDING: ("Still Succeeding Jobs", "tabs-still-succeed"),
}
_BY_TAB = {tab: change for change, (_, tab) in _LABELS.items()}


@dataclass(frozen=True, slots=True)
class ComparedBuild:
    """One row of a category. `id` is None for removed jobs (Hydra lists only job and system there)."""

    id: int | None
    job: str
    system: str
    state: BuildState = BuildState.UNKNOWN
    nixname: str = ""


@dataclass(slots=True)
class Category:
    """One category: its exact count, and the rows known so far (all of them when `complete`)."""

    change: Change
    count: int
    builds: list[ComparedBuild] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.builds) >= self.count


@dataclass(slots=True)
class Comparison:
    """Evaluation `eval_id` against `compare_to` (None: nothing to compare with, every job is new).

    `filter` is the job-name filter the server applied (`filter=`), "" for none. Categories with a count of
    zero are present too, so `categories[change]` always works.
    """

    eval_id: int
    compare_to: int | None
    categories: dict[Change, Category]
    filter: str = ""
    #: "server" when read from Hydra's page, "client" when computed from two whole build lists.
    source: str = "server"

    def count(self, change: Change) -> int:
        return self.categories[change].count

    @property
    def complete(self) -> bool:
        return all(c.complete for c in self.categories.values())

    @classmethod
    def empty(cls, eval_id: int, compare_to: int | None) -> Comparison:
        return cls(eval_id, compare_to, {c: Category(c, 0) for c in Change})
