"""The client-side comparison: BuildDiff.pm's own tests (BuildDiff.t), its quirks, and BuildRows as input."""

from __future__ import annotations

from hydra_tui.api.builddiff import DiffInput, diff_builds, inputs_from_rows
from hydra_tui.api.comparison import Change
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState


def ids(result: object, change: Change) -> list[int | None]:
    return [b.id for b in result.categories[change].builds]  # type: ignore[attr-defined]


def jobs(result: object, change: Change) -> list[tuple[str, str]]:
    return [(b.job, b.system) for b in result.categories[change].builds]  # type: ignore[attr-defined]


def test_empty_diff() -> None:
    """BuildDiff.t "empty diff"."""
    result = diff_builds(1, [], None, [])
    assert result.source == "client" and result.compare_to is None
    assert all(cat.count == 0 and cat.builds == [] and cat.complete for cat in result.categories.values())


def test_two_different_jobs() -> None:
    """BuildDiff.t "2 different jobs": succeed_with_failed (status 6) is new, empty_dir is removed."""
    current = [DiffInput(10, "succeed_with_failed", "x86_64-linux", True, 6)]
    other = [DiffInput(5, "empty_dir", "x86_64-linux", True, 0)]
    result = diff_builds(2, current, 1, other)
    for change in (Change.STILL_SUCCEEDING, Change.STILL_FAILING, Change.NEWLY_SUCCEEDING, Change.NEWLY_FAILING):
        assert result.count(change) == 0
    assert result.count(Change.QUEUED) == 0 and result.count(Change.ABORTED) == 0
    assert ids(result, Change.NEW) == [10]
    assert result.categories[Change.NEW].builds[0].state is BuildState.FAILED_WITH_OUTPUT
    assert jobs(result, Change.REMOVED) == [("empty_dir", "x86_64-linux")]
    assert ids(result, Change.REMOVED) == [None]


def test_failed_job_with_no_previous_history() -> None:
    """BuildDiff.t "failed job with no previous history"."""
    result = diff_builds(2, [DiffInput(11, "fails", "x86_64-linux", True, 1)], None, [])
    assert ids(result, Change.NEW) == [11]


def test_not_yet_built_job_with_no_previous_history() -> None:
    """BuildDiff.t "not-yet-built job with no previous history": new, not queued."""
    result = diff_builds(2, [DiffInput(12, "simple", "x86_64-linux", False, None)], None, [])
    assert ids(result, Change.NEW) == [12] and result.count(Change.QUEUED) == 0
    assert result.categories[Change.NEW].builds[0].state is BuildState.QUEUED


def test_every_category_sorted_by_job_and_system() -> None:
    current = [
        DiffInput(9, "z-new", "x86_64-linux", True, 0),
        DiffInput(1, "a", "x86_64-linux", True, 0),
        DiffInput(2, "a", "aarch64-linux", True, 1),
        DiffInput(3, "b", "x86_64-linux", True, 2),
        DiffInput(4, "c", "x86_64-linux", True, 0),
        DiffInput(5, "d", "x86_64-linux", False, None),
        DiffInput(6, "e", "x86_64-linux", True, 7),
        DiffInput(7, "f", "x86_64-linux", True, 4),
    ]
    other = [
        DiffInput(101, "a", "x86_64-linux", True, 0),
        DiffInput(102, "a", "aarch64-linux", True, 0),
        DiffInput(103, "b", "x86_64-linux", True, 1),
        DiffInput(104, "c", "x86_64-linux", True, 1),
        DiffInput(105, "d", "x86_64-linux", True, 0),
        DiffInput(106, "e", "x86_64-linux", True, 0),
        DiffInput(107, "gone", "x86_64-linux", True, 0),
    ]
    result = diff_builds(2, current, 1, other)
    assert ids(result, Change.STILL_SUCCEEDING) == [1]
    assert ids(result, Change.NEWLY_FAILING) == [2]
    assert ids(result, Change.STILL_FAILING) == [3]
    assert ids(result, Change.NEWLY_SUCCEEDING) == [4]
    assert ids(result, Change.QUEUED) == [5]
    # aborted whatever the other side had, and whether or not it had the job (f is not on the other side)
    assert ids(result, Change.ABORTED) == [6, 7]
    assert ids(result, Change.NEW) == [9]
    assert jobs(result, Change.REMOVED) == [("gone", "x86_64-linux")]
    assert result.complete


def test_removed_quirk_jobs_after_the_last_current_job_are_not_counted() -> None:
    current = [DiffInput(1, "b", "x86_64-linux", True, 0)]
    other = [
        DiffInput(101, "a", "x86_64-linux", True, 0),
        DiffInput(102, "b", "x86_64-linux", True, 0),
        DiffInput(103, "c", "x86_64-linux", True, 0),
    ]
    result = diff_builds(2, current, 1, other)
    assert jobs(result, Change.REMOVED) == [("a", "x86_64-linux")]
    # with no current builds at all, nothing is removed
    assert diff_builds(2, [], 1, other).count(Change.REMOVED) == 0


def test_finished_without_status_counts_as_success() -> None:
    result = diff_builds(2, [DiffInput(1, "a", "s", True, None)], 1, [DiffInput(9, "a", "s", True, 1)])
    assert ids(result, Change.NEWLY_SUCCEEDING) == [1]


def test_inputs_from_rows() -> None:
    rows = BuildRows([1, 2, 3])
    assert inputs_from_rows(rows) is None  # details not known yet
    rows.set(1, job="a", system="s", state=BuildState.TIMED_OUT, starttime=1, stoptime=2)
    rows.set(2, job="b", system="s", state=BuildState.RUNNING, starttime=1, stoptime=None)
    assert inputs_from_rows(rows) is None
    rows.set(3, job="c", system="s", state=BuildState.DEPENDENCY_FAILED, starttime=1, stoptime=2)
    assert inputs_from_rows(rows) == [
        DiffInput(1, "a", "s", True, 7),
        DiffInput(2, "b", "s", False, None),
        DiffInput(3, "c", "s", True, 2),
    ]
    rows.partial = True
    assert inputs_from_rows(rows) is None
