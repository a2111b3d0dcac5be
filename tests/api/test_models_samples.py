"""Every response shape derived from Hydra's source parses into the models."""

from __future__ import annotations

import json

import pytest

from hydra_tui.api import models
from hydra_tui.api.models import JobsetState
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState
from tests.conftest import DATA

SAMPLES = DATA / "samples"

# file name prefix → (model, is it a list)
KINDS: list[tuple[str, type, bool]] = [
    ("api_jobsets", models.JobsetOverview, True),
    ("api_latestbuilds", models.ApiBuild, True),
    ("api_queue", models.ApiBuild, True),
    ("api_push", models.PushResult, False),
    ("build_GET", models.Build, False),
    ("build_constituents", models.Build, True),
    ("current-user", models.User, False),
    ("login_POST", models.User, False),
    ("error_", models.ErrorBody, False),
    ("eval_GET", models.JobsetEval, False),
    ("eval_builds", models.Build, True),
    ("evals_GET_global", models.GlobalEval, True),
    ("jobset_GET", models.Jobset, False),
    ("jobset_errors", models.Jobset, False),
    ("jobset_evals", models.EvalsPage, False),
    ("project_GET", models.Project, False),
    ("root_GET_projects", models.Project, True),
    ("search_GET", models.SearchResult, False),
    ("queue_GET", models.Build, True),
    ("status_GET", models.Build, True),
]


def _kind(name: str) -> tuple[type, bool] | None:
    for prefix, model, many in KINDS:
        if name.startswith(prefix):
            return model, many
    return None


SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.suffix == ".json" and _kind(p.name))


def test_samples_are_present() -> None:
    assert len(SAMPLE_FILES) >= 30


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_parses(path) -> None:
    model, many = _kind(path.name)  # type: ignore[misc]
    data = json.loads(path.read_text())
    if many:
        parsed = [model.model_validate(item) for item in data]
        assert len(parsed) == len(data)
    else:
        model.model_validate(data)


def test_build_states_from_samples() -> None:
    def load(name: str) -> models.Build:
        return models.Build.model_validate_json((SAMPLES / name).read_text())

    assert load("build_GET_finished_success.json").state is BuildState.SUCCEEDED
    assert load("build_GET_queued.json").state is BuildState.QUEUED
    assert load("build_GET_cancelled.json").state is BuildState.CANCELLED
    failed = load("build_GET_failed_with_metrics.json")
    assert failed.state is BuildState.FAILED
    assert failed.buildmetrics["coverage"].value == 87.5
    assert failed.buildmetrics["testcount"].unit is None
    assert failed.duration == 290


def test_jobset_sample_details() -> None:
    legacy = models.Jobset.model_validate_json((SAMPLES / "jobset_GET_legacy.json").read_text())
    assert legacy.enabled is JobsetState.ENABLED and legacy.visible
    assert legacy.inputs["src"].value.startswith("https://")
    assert not legacy.is_flake and legacy.errormsg == ""
    flake = models.Jobset.model_validate_json((SAMPLES / "jobset_GET_flake.json").read_text())
    assert flake.is_flake and flake.flake


def test_evals_page_drops_build_arrays() -> None:
    page = models.EvalsPage.model_validate_json((SAMPLES / "jobset_evals_GET_page2.json").read_text())
    assert page.evals[0].nrbuilds == 3
    assert "builds" not in page.evals[0].model_dump()
    assert page.evals[0].jobsetevalinputs["src"].revision
    empty = models.EvalsPage.model_validate_json((SAMPLES / "jobset_evals_GET_empty.json").read_text())
    assert empty.evals == []


def test_eval_builds_sample_as_rows() -> None:
    data = json.loads((SAMPLES / "eval_builds_GET.json").read_text())
    rows = BuildRows.from_builds(data)
    assert len(rows) == len(data)
    assert sum(rows.counts().values()) == len(data)


def test_api_jobsets_counts() -> None:
    rows = [models.JobsetOverview.model_validate(x) for x in json.loads((SAMPLES / "api_jobsets_GET.json").read_text())]
    assert rows[0].nrtotal == 3 and rows[0].nrsucceeded == 1
    assert rows[0].fetcherrormsg is None
