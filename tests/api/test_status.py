"""The one mapping from Hydra's build status to what every screen counts, checked code by code against Hydra's
rules (`getEvals`/`jobsetOverview_` in `Helper/Nix.pm`, `BuildDiff.pm`, the titles in `root/common.tt`)."""

from __future__ import annotations

import pytest

from hydra_tui.api.status import (
    FILTER_NAMES,
    BuildState,
    Category,
    build_state,
    category_of,
    is_aborted_status,
)

# buildstatus → (Hydra's title, aborted in BuildDiff.pm)
HYDRA = {
    0: ("Succeeded", False),
    1: ("Failed", False),
    2: ("Dependency failed", False),
    3: ("Aborted", True),
    4: ("Cancelled", True),
    5: ("Obsolete", False),
    6: ("Failed with output", False),
    7: ("Timed out", True),
    9: ("Unsupported system type", False),
    10: ("Log limit exceeded", True),
    11: ("Output size limit exceeded", False),
    12: ("Non-deterministic build", False),
    99: ("Failed", False),  # a code from a newer Hydra: failed, as its pages count it
}


@pytest.mark.parametrize("code", sorted(HYDRA))
def test_each_status_code_has_its_place(code: int) -> None:
    title, aborted = HYDRA[code]
    state = build_state(True, code, 1)
    assert state.label == title
    expected = Category.SUCCEEDED if code == 0 else Category.FAILED
    assert state.category is category_of(True, code) is expected
    assert state.aborted is is_aborted_status(True, code) is aborted
    assert len(state.short) <= 9


def test_unfinished_builds_are_queued_running_included() -> None:
    for starttime in (None, 0, 1_700_000_000):
        state = build_state(False, None, starttime)
        assert state.category is Category.QUEUED is category_of(False, None)
        assert not state.aborted and not is_aborted_status(False, 3)


def test_filter_names_split_failed_into_its_kinds() -> None:
    failed = FILTER_NAMES["failed"]
    kinds = [states for name, states in FILTER_NAMES.items() if len(states) == 1 and states <= failed]
    assert frozenset().union(*kinds) == failed and sum(len(k) for k in kinds) == len(failed)
    assert FILTER_NAMES["aborted"] < failed and FILTER_NAMES["queued"] == {BuildState.QUEUED, BuildState.RUNNING}
    every = frozenset().union(*FILTER_NAMES.values())
    assert every == set(BuildState) - {BuildState.UNKNOWN}
    assert len({s.short for s in BuildState}) == len(BuildState), "each state tells itself apart in a narrow column"
