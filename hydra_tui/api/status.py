"""A build's state, and the one mapping from Hydra's `finished` / `buildstatus` to what every screen counts.

Hydra counts a build in exactly one of three places, on its evaluations page (`getEvals` in `Helper/Nix.pm`) and
in `/api/jobsets` (`jobsetOverview_`): **succeeded** (finished, buildstatus 0), **queued** (not finished, running
included) and **failed** (every other finished build: dependency failed, aborted, cancelled, timed out, log limit,
output limit, non-deterministic, failed with output, unsupported system, obsolete, and codes not known yet). The
comparison (`BuildDiff.pm`) further splits the failed ones into *aborted* (3, 4, 7, 10) and failing. The tree,
the jobset screen, the evaluation header, the builds list's filters, watch and every output use this module, so
for one evaluation they all show Hydra's numbers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class Category(enum.Enum):
    """Where a build counts, as Hydra counts it. UNKNOWN: its details are not loaded yet, so it counts nowhere."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    QUEUED = "queued"
    UNKNOWN = "unknown"

    @property
    def symbol(self) -> str:
        """What stands before the count everywhere: ✔ 5  ✘ 8  queued 23."""
        return _SYMBOLS[self]


_SYMBOLS = {Category.SUCCEEDED: "✔", Category.FAILED: "✘", Category.QUEUED: "queued", Category.UNKNOWN: "…"}

#: Hydra's buildstatus codes that `BuildDiff.pm` files under "Aborted / Timed out Jobs" rather than failing:
#: aborted, cancelled, timed out, log limit exceeded.
ABORTED_STATUSES = frozenset({3, 4, 7, 10})


def category_of(finished: bool, buildstatus: int | None) -> Category:
    """Hydra's rule on the raw fields: not finished → queued; status 0 → succeeded; anything else → failed."""
    if not finished:
        return Category.QUEUED
    if buildstatus is None:
        return Category.UNKNOWN
    return Category.SUCCEEDED if buildstatus == 0 else Category.FAILED


def is_aborted_status(finished: bool, buildstatus: int | None) -> bool:
    """A finished build that `BuildDiff.pm` counts as aborted (3, 4, 7, 10), not as failing. Still "failed"."""
    return bool(finished) and buildstatus in ABORTED_STATUSES


class BuildState(enum.IntEnum):
    """Every state a build can be in, as the dashboard shows it."""

    UNKNOWN = 0  # details not fetched yet
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    FAILED = 4
    DEPENDENCY_FAILED = 5
    ABORTED = 6
    CANCELLED = 7
    FAILED_WITH_OUTPUT = 8
    TIMED_OUT = 9
    UNSUPPORTED = 10
    LOG_LIMIT = 11
    OUTPUT_LIMIT = 12
    NON_DETERMINISTIC = 13
    OBSOLETE = 14

    @property
    def label(self) -> str:
        """Hydra's own title for the status (its status icon's `title`)."""
        return _LABELS[self][0]

    @property
    def short(self) -> str:
        """At most 9 characters, for narrow columns."""
        return _LABELS[self][1]

    @property
    def category(self) -> Category:
        return _CATEGORIES[self]

    @property
    def aborted(self) -> bool:
        """Aborted, cancelled, timed out or over the log limit: the comparison's "aborted" (still failed)."""
        return self in _ABORTED

    @property
    def finished(self) -> bool:
        return self not in (BuildState.QUEUED, BuildState.RUNNING, BuildState.UNKNOWN)


_LABELS: dict[BuildState, tuple[str, str]] = {
    BuildState.UNKNOWN: ("Unknown", "…"),
    BuildState.QUEUED: ("Queued", "queued"),
    BuildState.RUNNING: ("Running", "running"),
    BuildState.SUCCEEDED: ("Succeeded", "ok"),
    BuildState.FAILED: ("Failed", "failed"),
    BuildState.DEPENDENCY_FAILED: ("Dependency failed", "dep-fail"),
    BuildState.ABORTED: ("Aborted", "aborted"),
    BuildState.CANCELLED: ("Cancelled", "cancelled"),
    BuildState.FAILED_WITH_OUTPUT: ("Failed with output", "fail-out"),
    BuildState.TIMED_OUT: ("Timed out", "timeout"),
    BuildState.UNSUPPORTED: ("Unsupported system type", "unsupp"),
    BuildState.LOG_LIMIT: ("Log limit exceeded", "log-limit"),
    BuildState.OUTPUT_LIMIT: ("Output size limit exceeded", "out-limit"),
    BuildState.NON_DETERMINISTIC: ("Non-deterministic build", "non-det"),
    BuildState.OBSOLETE: ("Obsolete", "obsolete"),
}

_BY_STATUS: dict[int, BuildState] = {
    0: BuildState.SUCCEEDED,
    1: BuildState.FAILED,
    2: BuildState.DEPENDENCY_FAILED,
    3: BuildState.ABORTED,
    4: BuildState.CANCELLED,
    5: BuildState.OBSOLETE,
    6: BuildState.FAILED_WITH_OUTPUT,
    7: BuildState.TIMED_OUT,
    9: BuildState.UNSUPPORTED,
    10: BuildState.LOG_LIMIT,
    11: BuildState.OUTPUT_LIMIT,
    12: BuildState.NON_DETERMINISTIC,
}
_STATUS_OF = {state: code for code, state in _BY_STATUS.items()}

# Each state's category and "aborted" come from the same rules as the raw fields', so the two cannot disagree.
_CATEGORIES: dict[BuildState, Category] = {
    BuildState.UNKNOWN: Category.UNKNOWN,
    BuildState.QUEUED: Category.QUEUED,
    BuildState.RUNNING: Category.QUEUED,
    **{state: category_of(True, code) for state, code in _STATUS_OF.items()},
}
_ABORTED = frozenset(state for state, code in _STATUS_OF.items() if is_aborted_status(True, code))


def build_state(finished: bool, buildstatus: int | None, starttime: int | None = None) -> BuildState:
    """The state of a build. Unknown status codes count as failures, as Hydra's own UI shows them."""
    if not finished:
        return BuildState.RUNNING if starttime else BuildState.QUEUED
    if buildstatus is None:
        return BuildState.UNKNOWN
    return _BY_STATUS.get(buildstatus, BuildState.FAILED)


@dataclass
class Counts:
    """Hydra's three numbers for a set of builds (an evaluation, a jobset's current builds), and two parts of them.

    `running` is part of `queued` and `aborted` part of `failed`, as on Hydra's pages. `unknown` builds (details not
    loaded yet) are in none of the three.
    """

    succeeded: int = 0
    failed: int = 0
    queued: int = 0
    running: int = 0
    aborted: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.queued + self.unknown

    @classmethod
    def of_states(cls, states: Mapping[BuildState, int]) -> Counts:
        """From a count per state (`BuildRows.counts()`)."""
        counts = cls()
        for state, n in states.items():
            category = state.category
            if category is Category.SUCCEEDED:
                counts.succeeded += n
            elif category is Category.FAILED:
                counts.failed += n
                counts.aborted += n if state.aborted else 0
            elif category is Category.QUEUED:
                counts.queued += n
                counts.running += n if state is BuildState.RUNNING else 0
            else:
                counts.unknown += n
        return counts

    @classmethod
    def of_builds(cls, builds: Iterable[tuple[bool, int | None, int | None]]) -> Counts:
        """From raw `(finished, buildstatus, starttime)` fields, e.g. `/eval/N/builds`."""
        states: dict[BuildState, int] = {}
        for finished, buildstatus, starttime in builds:
            state = build_state(finished, buildstatus, starttime)
            states[state] = states.get(state, 0) + 1
        return cls.of_states(states)

    def text(self) -> str:
        """The plain form every line output uses: `✔ 5  ✘ 8  queued 23`."""
        return counts_plain(self.succeeded, self.failed, self.queued)

    def to_json(self) -> dict[str, int]:
        return {
            "succeeded": self.succeeded,
            "failed": self.failed,
            "queued": self.queued,
            "running": self.running,
            "aborted": self.aborted,
            "unknown": self.unknown,
            "total": self.total,
        }


def counts_plain(succeeded: int, failed: int, queued: int) -> str:
    """Hydra's three numbers with their symbols, as plain text (`ui.text.counts_text` is the coloured form)."""
    return "  ".join(
        f"{category.symbol} {n:,}"
        for category, n in ((Category.SUCCEEDED, succeeded), (Category.FAILED, failed), (Category.QUEUED, queued))
    )


# Names accepted by status filters: the three counts, the comparison's "aborted", "running", and one per kind of
# failure. "failed" is every failure, as Hydra counts it; "exit-code" is buildstatus 1 alone, "hydra-failure" 3 alone
# (Hydra: "Aborted (Hydra failure)").
FILTER_NAMES: dict[str, frozenset[BuildState]] = {
    "failed": frozenset(s for s in BuildState if s.category is Category.FAILED),
    "aborted": frozenset(s for s in BuildState if s.aborted),
    "queued": frozenset(s for s in BuildState if s.category is Category.QUEUED),
    "running": frozenset({BuildState.RUNNING}),
    "succeeded": frozenset({BuildState.SUCCEEDED}),
    "exit-code": frozenset({BuildState.FAILED}),
    "dependency-failed": frozenset({BuildState.DEPENDENCY_FAILED}),
    "hydra-failure": frozenset({BuildState.ABORTED}),
    "cancelled": frozenset({BuildState.CANCELLED}),
    "timed-out": frozenset({BuildState.TIMED_OUT}),
    "log-limit": frozenset({BuildState.LOG_LIMIT}),
    "output-limit": frozenset({BuildState.OUTPUT_LIMIT}),
    "non-deterministic": frozenset({BuildState.NON_DETERMINISTIC}),
    "failed-with-output": frozenset({BuildState.FAILED_WITH_OUTPUT}),
    "unsupported": frozenset({BuildState.UNSUPPORTED}),
    "obsolete": frozenset({BuildState.OBSOLETE}),
}
