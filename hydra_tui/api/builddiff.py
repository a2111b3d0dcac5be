"""Hydra's comparison of two evaluations computed on the client: a line-by-line port of
`lib/Hydra/Helper/BuildDiff.pm` (NixOS/hydra), for evaluations that can be listed whole.

Both sides are sorted by (job, system) and walked together. Kept exactly, quirks included:
- a build is `aborted` when finished with status 3, 4, 7 or 10, whatever the other side says;
- `removed` jobs are found only while the walk still has current builds: other-side jobs that sort after the
  current side's last job are not counted (and with no current builds, nothing is removed);
- a finished build with no status counts as succeeded (Perl's `undef == 0`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from hydra_tui.api.comparison import Category, Change, ComparedBuild, Comparison
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState, build_state

#: Statuses BuildDiff.pm calls aborted: aborted, cancelled, timed out, log limit exceeded.
ABORTED_STATUSES = frozenset({3, 4, 7, 10})


class DiffInput(NamedTuple):
    """What BuildDiff.pm reads of a build."""

    id: int
    job: str
    system: str
    finished: bool
    buildstatus: int | None


def _key(build: DiffInput) -> tuple[str, str]:
    return build.job, build.system


def _cmp(left: DiffInput, right: DiffInput) -> int:
    a, b = _key(left), _key(right)
    return (a > b) - (a < b)


def _row(build: DiffInput) -> ComparedBuild:
    return ComparedBuild(build.id, build.job, build.system, build_state(build.finished, build.buildstatus, None))


def diff_builds(
    eval_id: int, current: Iterable[DiffInput], other_id: int | None, other: Iterable[DiffInput]
) -> Comparison:
    """Evaluation `eval_id` (its builds `current`) compared with `other_id` (builds `other`), as Hydra's page
    would show it with `full=1`: every category complete, rows in (job, system) order."""
    builds = sorted(current, key=_key)
    builds2 = sorted(other, key=_key)
    lists: dict[Change, list[ComparedBuild]] = {change: [] for change in Change}
    n = 0
    for build in builds:
        status = build.buildstatus or 0
        aborted = build.finished and status in ABORTED_STATUSES
        found = False
        while n < len(builds2):
            build2 = builds2[n]
            d = _cmp(build, build2)
            if d == -1:
                break
            if d == 0:
                n += 1
                found = True
                status2 = build2.buildstatus or 0
                if aborted:
                    pass
                elif not build.finished or not build2.finished:
                    lists[Change.QUEUED].append(_row(build))
                elif status == 0 and status2 == 0:
                    lists[Change.STILL_SUCCEEDING].append(_row(build))
                elif status != 0 and status2 != 0:
                    lists[Change.STILL_FAILING].append(_row(build))
                elif status == 0:
                    lists[Change.NEWLY_SUCCEEDING].append(_row(build))
                else:
                    lists[Change.NEWLY_FAILING].append(_row(build))
                break
            lists[Change.REMOVED].append(ComparedBuild(None, build2.job, build2.system))
            n += 1
        if aborted:
            lists[Change.ABORTED].append(_row(build))
        elif not found:
            lists[Change.NEW].append(_row(build))
    categories = {change: Category(change, len(rows), rows) for change, rows in lists.items()}
    return Comparison(eval_id, other_id, categories, source="client")


#: BuildState → a buildstatus with the same meaning for BuildDiff (unknown codes show as FAILED, which BuildDiff
#: treats like status 1: failed, not aborted).
_STATUS_OF: dict[BuildState, int] = {
    BuildState.SUCCEEDED: 0,
    BuildState.FAILED: 1,
    BuildState.DEPENDENCY_FAILED: 2,
    BuildState.ABORTED: 3,
    BuildState.CANCELLED: 4,
    BuildState.OBSOLETE: 5,
    BuildState.FAILED_WITH_OUTPUT: 6,
    BuildState.TIMED_OUT: 7,
    BuildState.UNSUPPORTED: 9,
    BuildState.LOG_LIMIT: 10,
    BuildState.OUTPUT_LIMIT: 11,
    BuildState.NON_DETERMINISTIC: 12,
}


def inputs_from_rows(rows: BuildRows) -> list[DiffInput] | None:
    """The inputs of `diff_builds` from an evaluation's rows, or None unless every row's details are known."""
    if rows.partial or rows.unknown:
        return None
    out: list[DiffInput] = []
    for i in range(len(rows)):
        row = rows.row(i)
        finished = row.state.finished
        out.append(DiffInput(row.id, row.job, row.system, finished, _STATUS_OF.get(row.state) if finished else None))
    return out
