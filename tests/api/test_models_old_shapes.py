"""Older and newer Hydra shapes (reference §9) and hostile odd values parse instead of crashing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hydra_tui.api import models
from hydra_tui.api.models import JobsetState
from hydra_tui.api.status import BuildState


def test_pre_2021_jobset_with_hidden_and_jobsetinputs() -> None:
    old = {
        "name": "trunk",
        "project": "nixpkgs",
        "enabled": 1,
        "hidden": 1,
        "startime": 1600000000,
        "errormsg": None,
        "fetcherrormsg": None,
        "jobsetinputs": {"nixpkgs": {"jobsetinputalts": ["https://github.com/NixOS/nixpkgs master"]}},
    }
    jobset = models.Jobset.model_validate(old)
    assert jobset.visible is False
    assert jobset.inputs["nixpkgs"].value == "https://github.com/NixOS/nixpkgs master"
    assert jobset.starttime == 1600000000
    assert jobset.errormsg == ""


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (0, JobsetState.DISABLED),
        (1, JobsetState.ENABLED),
        (2, JobsetState.ONE_SHOT),
        (3, JobsetState.ONE_AT_A_TIME),
        ("2", JobsetState.ONE_SHOT),
        (True, JobsetState.ENABLED),
        (False, JobsetState.DISABLED),
        (7, JobsetState.UNKNOWN),
        (None, JobsetState.ENABLED),
    ],
)
def test_jobset_enabled_states(value, state) -> None:
    assert models.Jobset.model_validate({"name": "j", "enabled": value}).enabled is state


def test_2015_project_with_ints() -> None:
    project = models.Project.model_validate(
        {"name": "foo", "enabled": 0, "hidden": 1, "description": None, "jobsets": ["a"], "owner": "x"}
    )
    assert project.enabled is False and project.hidden is True and project.description == ""


def test_pre_2021_10_eval_without_timestamp_or_flake() -> None:
    ev = models.JobsetEval.model_validate({"id": "12", "hasnewbuilds": 1, "builds": [1, 2], "jobsetevalinputs": {}})
    assert ev.id == 12 and ev.timestamp is None and ev.flake is None and ev.nrbuilds == 2


def test_2015_build_with_null_metrics_and_string_numbers() -> None:
    build = models.Build.model_validate(
        {
            "id": "42",
            "finished": True,
            "buildstatus": "0",
            "buildmetrics": None,
            "buildproducts": None,
            "starttime": "100",
            "stoptime": 160,
            "jobsetevals": ["7"],
            "nixname": "",
            "unknown_future_field": {"x": 1},
        }
    )
    assert build.id == 42 and build.state is BuildState.SUCCEEDED
    assert build.buildmetrics == {} and build.duration == 60
    assert build.jobsetevals == [7] and build.nixname is None


def test_old_yaml_single_metric_shape() -> None:
    build = models.Build.model_validate({"id": 1, "buildmetrics": {"name": "time", "value": "1.5", "unit": "s"}})
    assert build.buildmetrics["time"].value == 1.5


def test_evals_page_as_bare_list_and_maps() -> None:
    page = models.EvalsPage.model_validate([{"id": 1, "builds": []}])
    assert page.evals[0].id == 1
    yaml_shape = models.EvalsPage.model_validate({"evals": [{"1": {"id": 1, "builds": [5]}}], "next": "?page=2"})
    assert yaml_shape.evals[0].nrbuilds == 1 and yaml_shape.next_page == 2


def test_eval_input_value_shapes() -> None:
    inp = models.JobsetEvalInput.model_validate({"type": "boolean", "value": True, "dependency": "123"})
    assert inp.value == "true" and inp.dependency == 123


@pytest.mark.parametrize(
    ("finished", "status", "start", "state"),
    [
        (0, None, None, BuildState.QUEUED),
        (0, None, 5, BuildState.RUNNING),
        (1, 0, 5, BuildState.SUCCEEDED),
        (1, 1, 5, BuildState.FAILED),
        (1, 2, 5, BuildState.DEPENDENCY_FAILED),
        (1, 3, 5, BuildState.ABORTED),
        (1, 4, 5, BuildState.CANCELLED),
        (1, 6, 5, BuildState.FAILED_WITH_OUTPUT),
        (1, 7, 5, BuildState.TIMED_OUT),
        (1, 9, 5, BuildState.UNSUPPORTED),
        (1, 10, 5, BuildState.LOG_LIMIT),
        (1, 11, 5, BuildState.OUTPUT_LIMIT),
        (1, 12, 5, BuildState.NON_DETERMINISTIC),
        (1, 99, 5, BuildState.FAILED),
    ],
)
def test_every_build_state(finished, status, start, state) -> None:
    build = models.Build.model_validate({"id": 1, "finished": finished, "buildstatus": status, "starttime": start})
    assert build.state is state
    assert build.state.label and len(build.state.short) <= 9


def test_slim_api_build_has_status_or_priority() -> None:
    queued = models.ApiBuild.model_validate({"id": 1, "finished": 0, "priority": 100, "job": "x"})
    done = models.ApiBuild.model_validate({"id": 2, "finished": 1, "buildstatus": 1, "job": "x"})
    assert queued.state is BuildState.QUEUED and done.state is BuildState.FAILED


def test_garbage_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        models.Build.model_validate({"id": "not-a-number"})
    with pytest.raises(ValidationError):
        models.Build.model_validate(["a list"])


def test_changed_inputs() -> None:
    a = models.JobsetEval.model_validate(
        {
            "id": 1,
            "jobsetevalinputs": {"src": {"type": "git", "revision": "a" * 40}, "n": {"type": "git", "revision": "b"}},
        }
    )
    b = models.JobsetEval.model_validate(
        {
            "id": 2,
            "jobsetevalinputs": {"src": {"type": "git", "revision": "c" * 40}, "n": {"type": "git", "revision": "b"}},
        }
    )
    assert b.changed_inputs(a) == ["src"]
    assert a.changed_inputs(None) == ["n", "src"]


@pytest.mark.parametrize(
    ("builds", "ids"),
    [
        ([30, 10, 20], [10, 20, 30]),  # plain integers, the usual shape, read in one go
        ([30, "10", 20.0, None, "x", 2**70], [10, 20, 30]),  # anything else, one by one: what is not an id goes
        ([], []),
    ],
)
def test_eval_member_ids_sorted_whatever_their_shape(builds, ids) -> None:
    detail = models.EvalDetail.from_json({"id": 5, "builds": builds})
    assert list(detail.build_ids) == ids
