"""Pydantic models of what a Hydra server sends, tolerant of every server version (reference §4, §6, §9).

Every string is cleaned as it is read (see coerce.py and text.py): nothing a server sends reaches a screen, a
line of output or an environment variable with an escape sequence in it.

Unknown fields are ignored, absent fields get defaults, and old key names are mapped onto new ones, so a
Hydra older or newer than the one we read does not break the dashboard.
"""

from __future__ import annotations

import enum
from array import array
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hydra_tui.api.coerce import (
    Bool,
    Coloured,
    Int,
    IntList,
    OptColoured,
    OptFloat,
    OptInt,
    OptStr,
    OptText,
    Str,
    StrList,
    Text,
    to_int,
)
from hydra_tui.api.status import BuildState, Counts, build_state


class HydraModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=False)


# --- projects and jobsets -------------------------------------------------------------------------


class Declarative(HydraModel):
    file: Str = ""
    type: Str = ""
    value: Str = ""


class Project(HydraModel):
    name: Str
    displayname: Str = ""
    description: Text = ""
    homepage: Str = ""
    owner: Str = ""
    enabled: Bool = True
    hidden: Bool = False
    enable_dynamic_run_command: Bool = False
    jobsets: StrList = Field(default_factory=list)
    declarative: Declarative | None = None

    @property
    def title(self) -> str:
        return self.displayname or self.name


class JobsetState(enum.IntEnum):
    """Jobset `enabled`, 0–3; an unknown value from a newer Hydra is kept as UNKNOWN."""

    UNKNOWN = -1
    DISABLED = 0
    ENABLED = 1
    ONE_SHOT = 2
    ONE_AT_A_TIME = 3

    @classmethod
    def _missing_(cls, value: object) -> JobsetState:
        return cls.UNKNOWN

    @property
    def label(self) -> str:
        return {
            JobsetState.UNKNOWN: "unknown",
            JobsetState.DISABLED: "disabled",
            JobsetState.ENABLED: "enabled",
            JobsetState.ONE_SHOT: "one-shot",
            JobsetState.ONE_AT_A_TIME: "one-at-a-time",
        }[self]


def _jobset_state(value: Any) -> JobsetState:
    if isinstance(value, JobsetState):
        return value
    number = to_int(value)
    return JobsetState.ENABLED if number is None else JobsetState(number)


class JobsetInput(HydraModel):
    name: Str = ""
    type: Str = ""
    value: Text = ""
    emailresponsible: Bool = False

    @model_validator(mode="before")
    @classmethod
    def _old_alts(cls, data: Any) -> Any:
        # Before 2021 an input carried `jobsetinputalts`, a list whose first entry is the value.
        if isinstance(data, dict) and "value" not in data and "jobsetinputalts" in data:
            alts = data.get("jobsetinputalts") or []
            data = {**data, "value": alts[0] if alts else ""}
        return data


class Jobset(HydraModel):
    name: Str
    project: Str = ""
    description: Text = ""
    nixexprinput: Str = ""
    nixexprpath: Str = ""
    errormsg: Coloured = ""
    emailoverride: Str = ""
    fetcherrormsg: Coloured = ""
    flake: Str = ""
    type: OptInt = 0
    enabled: JobsetState = JobsetState.ENABLED
    visible: Bool = True
    enableemail: Bool = False
    keepnr: OptInt = None
    checkinterval: OptInt = None
    schedulingshares: OptInt = None
    errortime: OptInt = None
    lastcheckedtime: OptInt = None
    triggertime: OptInt = None
    starttime: OptInt = None
    inputs: dict[Str, JobsetInput] = Field(default_factory=dict)

    _enabled = field_validator("enabled", mode="before")(lambda v: _jobset_state(v))

    @model_validator(mode="before")
    @classmethod
    def _old_shapes(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "visible" not in data and "hidden" in data:
            hidden = data.get("hidden")
            data["visible"] = not (hidden not in (None, 0, "0", False, "false", ""))
        if "inputs" not in data and "jobsetinputs" in data:
            data["inputs"] = data.get("jobsetinputs")
        if "starttime" not in data and "startime" in data:
            data["starttime"] = data.get("startime")
        inputs = data.get("inputs")
        if inputs is None or isinstance(inputs, list):
            data["inputs"] = {i.get("name", str(n)): i for n, i in enumerate(inputs or []) if isinstance(i, dict)}
        elif isinstance(inputs, dict):
            data["inputs"] = {
                k: ({"name": k, **v} if isinstance(v, dict) else {"name": k, "value": v}) for k, v in inputs.items()
            }
        return data

    @property
    def is_flake(self) -> bool:
        return self.type == 1 or (bool(self.flake) and not self.inputs)


class JobsetOverview(HydraModel):
    """A row of `/api/jobsets?project=P`; the counts cover the jobset's current builds (`isCurrent`: those of its
    latest evaluation), with Hydra's meaning: unfinished, finished with status 0, finished with any other status."""

    project: Str = ""
    name: Str
    nrscheduled: Int = 0
    nrsucceeded: Int = 0
    nrfailed: Int = 0
    nrtotal: Int = 0
    lastcheckedtime: OptInt = None
    starttime: OptInt = None
    checkinterval: OptInt = None
    triggertime: OptInt = None
    errortime: OptInt = None
    fetcherrormsg: OptColoured = None
    haserrormsg: Bool = False

    @property
    def counts(self) -> Counts:
        """Hydra's three numbers; what the total holds beyond them (a NULL status) is `unknown`."""
        known = self.nrsucceeded + self.nrfailed + self.nrscheduled
        return Counts(
            succeeded=self.nrsucceeded,
            failed=self.nrfailed,
            queued=self.nrscheduled,
            unknown=max(0, self.nrtotal - known),
        )

    @property
    def evaluating(self) -> bool:
        return self.starttime is not None

    @property
    def has_error(self) -> bool:
        """Whether this row tells of an error. Only a fetch error or (before 2024) `haserrormsg` can: Hydra writes
        `errortime` with every evaluation, errors or not, so the times say nothing; `/jobset/P/J/errors` does."""
        return self.haserrormsg or bool(self.fetcherrormsg)


# --- evaluations ------------------------------------------------------------------------------------


class JobsetEvalInput(HydraModel):
    name: Str = ""
    type: Str = ""
    uri: OptStr = None
    revision: OptStr = None
    value: OptText = None
    dependency: OptInt = None

    def describe(self) -> str:
        """What the input was at this evaluation, in one short line."""
        if self.revision:
            rev = self.revision[:12] if len(self.revision) >= 40 else self.revision
            return f"{self.uri or ''} {rev}".strip()
        if self.dependency is not None:
            return f"build {self.dependency}"
        return self.value or self.uri or ""

    def same_as(self, other: JobsetEvalInput) -> bool:
        return (self.type, self.uri, self.revision, self.value, self.dependency) == (
            other.type,
            other.uri,
            other.revision,
            other.value,
            other.dependency,
        )


class JobsetEval(HydraModel):
    """An evaluation. The (possibly 250,000-long) `builds` list is reduced to its length by default."""

    id: Int
    timestamp: OptInt = None
    checkouttime: OptInt = None
    evaltime: OptInt = None
    hasnewbuilds: Bool = True
    flake: OptStr = None
    nrbuilds: OptInt = None
    jobsetevalinputs: dict[Str, JobsetEvalInput] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _drop_builds(cls, data: Any) -> Any:
        if isinstance(data, dict) and "builds" in data:
            data = dict(data)
            builds = data.pop("builds")
            if data.get("nrbuilds") is None and isinstance(builds, list):
                data["nrbuilds"] = len(builds)
        if isinstance(data, dict) and isinstance(data.get("jobsetevalinputs"), dict):
            data["jobsetevalinputs"] = {
                k: ({"name": k, **v} if isinstance(v, dict) else {"name": k, "value": v})
                for k, v in data["jobsetevalinputs"].items()
            }
        return data

    def changed_inputs(self, previous: JobsetEval | None) -> list[str]:
        """Names of the inputs that differ from the previous evaluation (all of them for the first)."""
        if previous is None:
            return sorted(self.jobsetevalinputs)
        changed = []
        for name, inp in sorted(self.jobsetevalinputs.items()):
            old = previous.jobsetevalinputs.get(name)
            if old is None or not inp.same_as(old):
                changed.append(name)
        return changed


class EvalDetail(BaseModel):
    """One evaluation with its member build ids, held compactly."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    eval: JobsetEval
    build_ids: array

    @classmethod
    def from_json(cls, data: Any) -> EvalDetail:
        if not isinstance(data, dict):
            raise ValueError("an evaluation must be a JSON object")
        builds = data.get("builds") or []
        if not isinstance(builds, list):
            raise ValueError("an evaluation's builds must be a list")
        try:
            # Plain integers, as Hydra sends them: read in C (250,000 of them one by one took 0.1 s of the loop).
            ids = array("q", builds)
        except (TypeError, OverflowError):
            ids = array("q", (n for n in (to_int_or_none(v) for v in builds) if n is not None))
        ids = array("q", sorted(ids))
        return cls(eval=JobsetEval.model_validate(data), build_ids=ids)


def to_int_or_none(value: Any) -> int | None:
    """An integer that fits the compact 64-bit stores, or None."""
    try:
        n = to_int(value)
    except ValueError:
        return None
    return n if n is not None and -(2**63) <= n < 2**63 else None


def _page_number(link: str | None) -> int | None:
    if not link:
        return None
    query = parse_qs(urlsplit(link).query)
    value = query.get("page", [None])[0]
    return to_int(value) if value is not None else None


class EvalsPage(HydraModel):
    """`/jobset/P/J/evals?page=N`: 20 evaluations a page, newest first."""

    evals: list[JobsetEval] = Field(default_factory=list)
    first: OptStr = None
    last: OptStr = None
    previous: OptStr = None
    next: OptStr = None

    @model_validator(mode="before")
    @classmethod
    def _old_list(cls, data: Any) -> Any:
        if isinstance(data, list):  # what the old yaml claims; accept it
            return {"evals": data}
        if isinstance(data, dict) and isinstance(data.get("evals"), list):
            evals = []
            for item in data["evals"]:
                # The yaml models items as maps of id → eval; real servers send evals.
                if isinstance(item, dict) and "id" not in item and len(item) == 1:
                    item = next(iter(item.values()))
                evals.append(item)
            data = {**data, "evals": evals}
        return data

    @property
    def next_page(self) -> int | None:
        return _page_number(self.next)

    @property
    def last_page(self) -> int | None:
        return _page_number(self.last)


class GlobalEval(HydraModel):
    """An entry of `/evals`: an evaluation of any jobset with its counts."""

    eval: JobsetEval
    nrScheduled: Int = 0
    nrSucceeded: Int = 0
    nrFailed: Int = 0
    diff: OptInt = None
    changedInputs: list[JobsetEvalInput] = Field(default_factory=list)


# --- builds -----------------------------------------------------------------------------------------


class BuildOutput(HydraModel):
    path: OptStr = None


class BuildProduct(HydraModel):
    type: Str = ""
    subtype: Str = ""
    name: Str = ""
    path: OptStr = None
    defaultpath: OptStr = None
    filesize: OptInt = None
    sha256hash: OptStr = None


class BuildMetric(HydraModel):
    value: OptFloat = None
    unit: OptStr = None


def _dict_of_dicts(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, list):
        return {str(n + 1): v for n, v in enumerate(value) if isinstance(v, dict)}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, dict)}
    raise ValueError("an object is required")


class BuildBase(HydraModel):
    id: Int
    project: Str = ""
    jobset: Str = ""
    job: Str = ""
    system: Str = ""
    nixname: OptStr = None
    finished: Bool = False
    buildstatus: OptInt = None
    timestamp: OptInt = None
    priority: OptInt = None

    @property
    def state(self) -> BuildState:
        return build_state(self.finished, self.buildstatus, getattr(self, "starttime", None))


class Build(BuildBase):
    """A build as `/build/N` sends it."""

    starttime: OptInt = None
    stoptime: OptInt = None
    drvpath: Str = ""
    releasename: OptStr = None
    jobsetevals: IntList = Field(default_factory=list)
    buildoutputs: dict[Str, BuildOutput] = Field(default_factory=dict)
    buildproducts: dict[Str, BuildProduct] = Field(default_factory=dict)
    buildmetrics: dict[Str, BuildMetric] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in ("buildoutputs", "buildproducts"):
            data[key] = _dict_of_dicts(data.get(key))
        metrics = data.get("buildmetrics")
        if isinstance(metrics, dict) and "name" in metrics and not isinstance(metrics.get("name"), dict):
            # The old yaml's single {name, value, unit} shape.
            metrics = {str(metrics["name"]): {"value": metrics.get("value"), "unit": metrics.get("unit")}}
        elif isinstance(metrics, dict):
            metrics = {str(k): (v if isinstance(v, dict) else {"value": v, "unit": None}) for k, v in metrics.items()}
        elif isinstance(metrics, list):
            metrics = {str(m.get("name", n)): m for n, m in enumerate(metrics) if isinstance(m, dict)}
        else:
            metrics = {}
        data["buildmetrics"] = metrics
        return data

    @property
    def duration(self) -> int | None:
        if self.starttime and self.stoptime and self.stoptime >= self.starttime:
            return self.stoptime - self.starttime
        return None


class ApiBuild(BuildBase):
    """The slim builds of `/api/latestbuilds` and `/api/queue` (`buildstatus` or `priority`, not both)."""


# --- misc --------------------------------------------------------------------------------------------


class SearchResult(HydraModel):
    projects: list[Project] = Field(default_factory=list)
    jobsets: list[Jobset] = Field(default_factory=list)
    builds: list[Build] = Field(default_factory=list)
    buildsdrv: list[Build] = Field(default_factory=list)

    @field_validator("projects", "jobsets", "builds", "buildsdrv", mode="before")
    @classmethod
    def _null_list(cls, value: Any) -> Any:
        return [] if value is None else value


class User(HydraModel):
    username: Str
    fullname: OptStr = None
    emailaddress: OptStr = None
    userroles: StrList = Field(default_factory=list)

    def has_role(self, role: str) -> bool:
        return "admin" in self.userroles or role in self.userroles


class PushResult(HydraModel):
    jobsetsTriggered: StrList = Field(default_factory=list)
    error: OptText = None


class ErrorBody(HydraModel):
    error: Text = ""

    @model_validator(mode="before")
    @classmethod
    def _text(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"error": data}
        return data
