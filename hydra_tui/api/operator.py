"""The operator's data: the queue runner's status and the build machines, in both formats (reference §4.10–4.11).

Two queue runners have served `/queue-runner-status` and `/machines`:
- the Rust one (current): `{"queueRunner": {..., "queueStats": {system: …}}, "machines": {hostname: {..., "stats":
  {camelCase MachineStats}}}}`, and `/machines` as `{hostname: {systemTypes, maxJobs, …, "stats": {…}}}`;
- the legacy C++ one (before 2026-05): `{"status": "up", "time": unix, "nrQueuedBuilds", …, "machines":
  {"ssh://host": {"enabled", "currentJobs", "consecutiveFailures", "disabledUntil", …}}, "machineTypes": {system:
  {"runnable", "running", "waitTime"}}}`, and `/machines` from the machines file (`maxJobs`, `systemTypes`).
Either may instead be `{"status": "down"}`, `{"status": "unknown"}` (no endpoint) or `{"status": "unreachable"}`.

The raw models here are tolerant (every field optional, strings cleaned through coerce.py); `read_*` turn them into
the few plain records the screen and `hydra-tui status` show, whatever the format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from hydra_tui.api.coerce import Bool, OptFloat, OptInt, Str, StrList, to_bool, to_float, to_int
from hydra_tui.api.models import Build
from hydra_tui.api.text import clean_name

Format = Literal["rust", "legacy", "none"]
RunnerState = Literal["up", "down", "unknown", "unreachable"]


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# --- raw shapes ------------------------------------------------------------------------------------------


class RustMachineStats(_Raw):
    """The Rust queue runner's `MachineStats` (serde camelCase)."""

    currentJobs: OptInt = None
    nrStepsDone: OptInt = None
    avgStepTimeMs: OptFloat = None
    idleSince: OptInt = None
    lastFailure: OptInt = None
    disabledUntil: OptInt = None
    consecutiveFailures: OptInt = None
    lastPing: OptInt = None
    sinceLastPing: OptInt = None
    load1: OptFloat = None
    load5: OptFloat = None
    load15: OptFloat = None
    memUsage: OptInt = None
    pressure: Any = None
    buildDirFreePercent: OptFloat = None
    storeFreePercent: OptFloat = None
    failedBuilds: OptInt = None
    succeededBuilds: OptInt = None


class MachineEntry(_Raw):
    """One machine from `/machines` or from a status document's `machines`, in any format."""

    hostname: Str = ""
    systemTypes: StrList = Field(default_factory=list)
    systems: StrList = Field(default_factory=list)
    maxJobs: OptInt = None
    speedFactor: OptFloat = None
    supportedFeatures: StrList = Field(default_factory=list)
    mandatoryFeatures: StrList = Field(default_factory=list)
    memTotal: OptInt = None
    totalMem: OptInt = None
    cpuCount: OptInt = None
    nixVersion: Str = ""
    stats: RustMachineStats | None = None
    jobs: StrList = Field(default_factory=list)
    # The legacy C++ queue runner's fields (and the machines file's).
    enabled: Annotated[bool | None, BeforeValidator(to_bool)] = None
    disabled: Bool = False
    currentJobs: OptInt = None
    nrStepsDone: OptInt = None
    disabledUntil: OptInt = None
    lastFailure: OptInt = None
    consecutiveFailures: OptInt = None
    idleSince: OptInt = None
    avgStepTime: OptFloat = None


class RustQueueStat(_Raw):
    activeRunnable: OptInt = None
    totalRunnable: OptInt = None
    nrRunnableWaiting: OptInt = None
    nrRunnableDisabled: OptInt = None
    avgRunnableTime: OptFloat = None
    waitTimeMs: OptFloat = None


class LegacyMachineType(_Raw):
    runnable: OptInt = None
    running: OptInt = None
    waitTime: OptFloat = None
    lastActive: OptInt = None


# --- what is shown -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemQueue:
    """The queue of one system (or system with features, as the legacy runner keys it)."""

    system: str
    queued: int | None  # runnable steps (Rust totalRunnable, legacy runnable); None when unknown
    runnable: int | None  # runnable and not building (waiting or not yet dispatched)
    waiting: int | None  # runnable, waiting for a machine
    building: int | None
    avg_wait: float | None  # seconds


@dataclass(frozen=True)
class Machine:
    """A build machine, from whichever documents mention it."""

    hostname: str
    systems: tuple[str, ...] = ()
    max_jobs: int | None = None
    current_jobs: int | None = None
    steps_done: int | None = None
    load1: float | None = None
    enabled: bool = True
    consecutive_failures: int = 0
    disabled_until: int | None = None  # Unix time, only when in the future of the document's time
    last_failure: int | None = None
    last_seen: int | None = None  # Unix time of the last ping (Rust) or of the status document
    idle_since: int | None = None
    mem_total: int | None = None
    mem_usage: int | None = None
    store_free_percent: float | None = None
    build_dir_free_percent: float | None = None
    pressure: str | None = None
    avg_step_seconds: float | None = None
    features: tuple[str, ...] = ()
    nix_version: str = ""
    jobs: tuple[str, ...] = ()  # the derivations it builds (Rust only)

    @property
    def disabled(self) -> bool:
        return not self.enabled or self.disabled_until is not None

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0

    @property
    def trouble(self) -> bool:
        """Disabled or failing: shown so that it stands out."""
        return self.disabled or self.failing


@dataclass(frozen=True)
class RunnerStatus:
    """`/queue-runner-status`, read."""

    state: RunnerState
    format: Format
    time: int | None = None
    uptime: float | None = None
    queue: tuple[SystemQueue, ...] = ()
    machines: tuple[Machine, ...] = ()
    steps_building: int | None = None
    steps_runnable: int | None = None
    builds_queued: int | None = None  # the queue runner's own count of builds it holds

    @property
    def up(self) -> bool:
        return self.state == "up"


@dataclass(frozen=True)
class RunningBuild:
    """A build with a busy step (`/status`), with the machine that builds it where the runner says so."""

    id: int
    job: str
    project: str
    jobset: str
    system: str
    nixname: str
    machine: str = ""
    starttime: int | None = None


@dataclass(frozen=True)
class OperatorView:
    """Everything the operator screen and `hydra-tui status` show, at one moment."""

    queued: int | None
    runner: RunnerStatus
    running: tuple[RunningBuild, ...] = ()
    machines: tuple[Machine, ...] = ()
    queue: tuple[SystemQueue, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)  # source → why it is missing


# --- reading -------------------------------------------------------------------------------------------------


def _time(value: Any) -> int | None:
    """A Unix time, or the Rust runner's RFC 3339 string."""
    if isinstance(value, str) and not value.strip().lstrip("-").replace(".", "").isdigit():
        try:
            return int(dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp())
        except ValueError:
            return None
    try:
        return to_int(value)
    except ValueError:
        return None


def _num(value: Any) -> float | None:
    try:
        return to_float(value) if not isinstance(value, (dict, list)) else None
    except ValueError:
        return None


def _intish(value: Any) -> int | None:
    try:
        return to_int(value) if not isinstance(value, (dict, list)) else None
    except ValueError:
        return None


def host_of(key: str) -> str:
    """`ssh://root@builder.example.org` → `builder.example.org`, a name to merge machines by."""
    name = key
    if "://" in name:
        name = name.split("://", 1)[1]
    name = name.rsplit("@", 1)[-1]
    return clean_name(name.rstrip("/"))


def _pressure(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        parts = []
        for key in ("cpu", "mem", "memory", "io"):
            item = value.get(key)
            avg = item.get("avg10") if isinstance(item, dict) else item
            number = _num(avg)
            if number is not None:
                parts.append(f"{key[:3]} {number:.0f}%")
        return " ".join(parts) or None
    number = _num(value)
    return None if number is None else f"{number:.0f}%"


def _entry(value: Any) -> MachineEntry | None:
    if not isinstance(value, dict):
        return None
    try:
        return MachineEntry.model_validate(value)
    except (ValidationError, RecursionError):
        return None


def _machine(key: str, m: MachineEntry, at: int | None) -> Machine:
    s = m.stats
    rust = s is not None
    disabled_until = (s.disabledUntil if rust else m.disabledUntil) or None
    if disabled_until is not None and at is not None and disabled_until <= at:
        disabled_until = None
    last_seen = None
    if rust and s.lastPing:
        last_seen = s.lastPing
    elif rust and s.sinceLastPing is not None and at is not None:
        last_seen = at - s.sinceLastPing
    mem_total = m.memTotal or m.totalMem
    return Machine(
        hostname=m.hostname or host_of(key),
        systems=tuple(m.systems or m.systemTypes),
        max_jobs=m.maxJobs,
        current_jobs=s.currentJobs if rust else m.currentJobs,
        steps_done=s.nrStepsDone if rust else m.nrStepsDone,
        load1=s.load1 if rust else None,
        enabled=(m.enabled is not False) and not m.disabled and (m.maxJobs is None or m.maxJobs > 0),
        consecutive_failures=(s.consecutiveFailures if rust else m.consecutiveFailures) or 0,
        disabled_until=disabled_until,
        last_failure=(s.lastFailure if rust else m.lastFailure) or None,
        last_seen=last_seen,
        idle_since=(s.idleSince if rust else m.idleSince) or None,
        mem_total=mem_total,
        mem_usage=s.memUsage if rust else None,
        store_free_percent=s.storeFreePercent if rust else None,
        build_dir_free_percent=s.buildDirFreePercent if rust else None,
        pressure=_pressure(s.pressure) if rust else None,
        avg_step_seconds=(s.avgStepTimeMs / 1000 if s.avgStepTimeMs else None) if rust else m.avgStepTime,
        features=tuple(dict.fromkeys([*m.supportedFeatures, *m.mandatoryFeatures])),
        nix_version=m.nixVersion,
        jobs=tuple(m.jobs),
    )


def read_machines(data: Any, at: int | None = None) -> tuple[Machine, ...]:
    """`/machines` (or a status document's `machines`): `{key: machine}`; anything unreadable is left out."""
    if not isinstance(data, dict):
        return ()
    found = []
    for key, value in data.items():
        entry = _entry(value)
        if entry is not None:
            found.append(_machine(str(key), entry, at))
    return tuple(sorted(found, key=lambda m: m.hostname))


def _rust_queue(stats: Any) -> tuple[SystemQueue, ...]:
    if not isinstance(stats, dict):
        return ()
    rows = []
    for system, value in stats.items():
        if not isinstance(value, dict):
            continue
        try:
            q = RustQueueStat.model_validate(value)
        except ValidationError:
            continue
        total = q.totalRunnable
        active = q.activeRunnable
        avg = q.avgRunnableTime
        if avg is None and q.waitTimeMs is not None and total:
            avg = q.waitTimeMs / 1000 / total
        rows.append(
            SystemQueue(
                system=clean_name(str(system)),
                queued=total,
                runnable=None if total is None or active is None else max(0, total - active),
                waiting=q.nrRunnableWaiting,
                building=active,
                avg_wait=avg,
            )
        )
    return tuple(sorted(rows, key=lambda r: (-(r.queued or 0), r.system)))


def _legacy_queue(types: Any) -> tuple[SystemQueue, ...]:
    if not isinstance(types, dict):
        return ()
    rows = []
    for system, value in types.items():
        if not isinstance(value, dict):
            continue
        try:
            t = LegacyMachineType.model_validate(value)
        except ValidationError:
            continue
        runnable, running = t.runnable or 0, t.running or 0
        rows.append(
            SystemQueue(
                system=clean_name(str(system)),
                queued=runnable + running,
                runnable=runnable,
                waiting=None,
                building=running,
                avg_wait=(t.waitTime / runnable) if t.waitTime is not None and runnable else None,
            )
        )
    return tuple(sorted(rows, key=lambda r: (-(r.queued or 0), r.system)))


def read_runner_status(data: Any) -> RunnerStatus:
    """`/queue-runner-status` in either format; `{"status": "down"|"unknown"|"unreachable"}` as such."""
    if not isinstance(data, dict):
        return RunnerStatus(state="unknown", format="none")
    runner = data.get("queueRunner")
    if isinstance(runner, dict):
        at = _time(runner.get("time"))
        return RunnerStatus(
            state="up" if str(runner.get("status", "up")) == "up" else "down",
            format="rust",
            time=at,
            uptime=_num(runner.get("uptime")),
            queue=_rust_queue(runner.get("queueStats")),
            machines=read_machines(data.get("machines"), at),
            steps_building=_intish(runner.get("nrStepsBuilding")),
            steps_runnable=_intish(runner.get("runnableCount")),
            builds_queued=_intish(runner.get("buildCount")),
        )
    state = str(data.get("status", "")).strip().lower()
    if state != "up":
        known: tuple[RunnerState, ...] = ("down", "unknown", "unreachable")
        return RunnerStatus(state=state if state in known else "unknown", format="none")  # type: ignore[arg-type]
    at = _time(data.get("time"))
    return RunnerStatus(
        state="up",
        format="legacy",
        time=at,
        uptime=_num(data.get("uptime")),
        queue=_legacy_queue(data.get("machineTypes")),
        machines=read_machines(data.get("machines"), at),
        steps_building=_intish(data.get("nrStepsBuilding")),
        steps_runnable=_intish(data.get("nrRunnableSteps")),
        builds_queued=_intish(data.get("nrQueuedBuilds")),
    )


def merge_machines(listed: Iterable[Machine], reported: Iterable[Machine]) -> tuple[Machine, ...]:
    """`/machines` and the runner's own machines, one row per host: the runner's live figures win, the list fills
    in what it leaves out (the legacy runner does not say `maxJobs`; the legacy machines file says nothing live)."""
    by_host: dict[str, Machine] = {m.hostname: m for m in listed}
    for live in reported:
        base = by_host.get(live.hostname)
        if base is None:
            by_host[live.hostname] = live
            continue
        merged = {
            name: (getattr(live, name) if getattr(live, name) not in (None, (), "") else getattr(base, name))
            for name in Machine.__dataclass_fields__
        }
        merged["enabled"] = live.enabled and base.enabled
        by_host[live.hostname] = Machine(**merged)
    return tuple(sorted(by_host.values(), key=lambda m: m.hostname))


def _drv_name(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    base = base.removesuffix(".drv")
    return base.split("-", 1)[1] if "-" in base else base


def running_builds(builds: Iterable[Build], machines: Iterable[Machine]) -> tuple[RunningBuild, ...]:
    """`/status` as rows, one per build (it lists a build once per busy step), newest first. The machine comes
    from the Rust runner's `jobs` (derivations), matched by name, since `/status` carries no step or machine."""
    by_name: dict[str, list[str]] = {}
    for m in machines:
        for job in m.jobs:
            by_name.setdefault(_drv_name(job), []).append(m.hostname)
    rows: dict[int, RunningBuild] = {}
    for b in builds:
        if b.id in rows:
            continue
        hosts = by_name.get(b.nixname or "", [])
        rows[b.id] = RunningBuild(
            id=b.id,
            job=b.job,
            project=b.project,
            jobset=b.jobset,
            system=b.system,
            nixname=b.nixname or "",
            machine=hosts.pop(0) if hosts else "",
            starttime=b.starttime,
        )
    return tuple(sorted(rows.values(), key=lambda r: -r.id))


def queue_from_builds(builds: Iterable[Any], running: Iterable[RunningBuild]) -> tuple[SystemQueue, ...]:
    """When the queue runner says nothing per system: the queue's head (`/api/queue?nr=`) counted by system."""
    counts: dict[str, int] = {}
    for b in builds:
        counts[b.system] = counts.get(b.system, 0) + 1
    building: dict[str, int] = {}
    for r in running:
        building[r.system] = building.get(r.system, 0) + 1
    systems = sorted(set(counts) | set(building), key=lambda s: (-counts.get(s, 0), s))
    return tuple(
        SystemQueue(
            system=s, queued=counts.get(s, 0), runnable=None, waiting=None, building=building.get(s, 0), avg_wait=None
        )
        for s in systems
    )


def assemble(
    *,
    queued: int | None,
    runner: RunnerStatus | None,
    status: Iterable[Build] = (),
    listed: Iterable[Machine] = (),
    queue_head: Iterable[Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> OperatorView:
    """One view from the four (or five) documents; any of them may be missing."""
    runner = runner or RunnerStatus(state="unknown", format="none")
    machines = merge_machines(listed, runner.machines)
    running = running_builds(status, machines)
    queue = runner.queue
    if not queue and queue_head is not None:
        queue = queue_from_builds(queue_head, running)
    return OperatorView(
        queued=queued, runner=runner, running=running, machines=machines, queue=queue, errors=dict(errors or {})
    )


__all__ = [
    "Machine",
    "MachineEntry",
    "OperatorView",
    "RunnerStatus",
    "RunningBuild",
    "SystemQueue",
    "assemble",
    "host_of",
    "merge_machines",
    "queue_from_builds",
    "read_machines",
    "read_runner_status",
    "running_builds",
]
