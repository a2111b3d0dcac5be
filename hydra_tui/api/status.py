"""A build's state, derived once from Hydra's `finished` / `buildstatus` / `starttime` fields."""

from __future__ import annotations

import enum


class Category(enum.Enum):
    """Coarse groups used for colours and filters."""

    OK = "ok"
    FAILED = "failed"
    PENDING = "pending"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


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
        return _LABELS[self][0]

    @property
    def short(self) -> str:
        """At most 9 characters, for narrow columns."""
        return _LABELS[self][1]

    @property
    def category(self) -> Category:
        return _LABELS[self][2]

    @property
    def finished(self) -> bool:
        return self not in (BuildState.QUEUED, BuildState.RUNNING, BuildState.UNKNOWN)


_LABELS: dict[BuildState, tuple[str, str, Category]] = {
    BuildState.UNKNOWN: ("Unknown", "…", Category.UNKNOWN),
    BuildState.QUEUED: ("Queued", "queued", Category.PENDING),
    BuildState.RUNNING: ("Running", "running", Category.PENDING),
    BuildState.SUCCEEDED: ("Succeeded", "ok", Category.OK),
    BuildState.FAILED: ("Failed", "failed", Category.FAILED),
    BuildState.DEPENDENCY_FAILED: ("Dependency failed", "dep-fail", Category.FAILED),
    BuildState.ABORTED: ("Aborted", "aborted", Category.CANCELLED),
    BuildState.CANCELLED: ("Cancelled", "cancelled", Category.CANCELLED),
    BuildState.FAILED_WITH_OUTPUT: ("Failed with output", "failed", Category.FAILED),
    BuildState.TIMED_OUT: ("Timed out", "timeout", Category.FAILED),
    BuildState.UNSUPPORTED: ("Unsupported system", "unsupp", Category.CANCELLED),
    BuildState.LOG_LIMIT: ("Log limit exceeded", "log-limit", Category.FAILED),
    BuildState.OUTPUT_LIMIT: ("Output limit exceeded", "out-limit", Category.FAILED),
    BuildState.NON_DETERMINISTIC: ("Non-deterministic", "non-det", Category.FAILED),
    BuildState.OBSOLETE: ("Obsolete", "obsolete", Category.CANCELLED),
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


def build_state(finished: bool, buildstatus: int | None, starttime: int | None = None) -> BuildState:
    """The state of a build. Unknown status codes count as failures, as Hydra's own UI shows them."""
    if not finished:
        return BuildState.RUNNING if starttime else BuildState.QUEUED
    if buildstatus is None:
        return BuildState.UNKNOWN
    return _BY_STATUS.get(buildstatus, BuildState.FAILED)


# Names accepted by status filters ("failed" matches every failure, and so on).
FILTER_NAMES: dict[str, frozenset[BuildState]] = {
    "queued": frozenset({BuildState.QUEUED}),
    "running": frozenset({BuildState.RUNNING}),
    "pending": frozenset({BuildState.QUEUED, BuildState.RUNNING}),
    "succeeded": frozenset({BuildState.SUCCEEDED}),
    "failed": frozenset(s for s in BuildState if s.category is Category.FAILED),
    "cancelled": frozenset({BuildState.CANCELLED}),
    "aborted": frozenset({BuildState.ABORTED, BuildState.UNSUPPORTED, BuildState.OBSOLETE}),
}
