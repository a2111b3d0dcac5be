"""What changed in a jobset between two polls, and the verdict on its latest evaluation."""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass, field

from hydra_tui.api.client import HydraClient
from hydra_tui.api.errors import HydraError, ServerError
from hydra_tui.api.models import Jobset, JobsetEval
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState, Category, Counts
from hydra_tui.cache.service import DIRECT_LIST_LIMIT
from hydra_tui.clock import Clock


class Verdict(enum.IntEnum):
    """`--exit-status` codes."""

    SUCCEEDED = 0
    FAILED = 1
    EVAL_FAILED = 2
    CANCELLED = 3
    TIMEOUT = 124


@dataclass
class Change:
    """One thing worth telling, with the state it was seen in."""

    time: float
    eval_id: int
    counts: Counts
    new_eval: bool = False
    newly_failed: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    newly_queued: list[str] = field(default_factory=list)
    finished: bool = False
    eval_error: str | None = None

    @property
    def matters(self) -> bool:
        """Worth a bell and a notification (not every count change is)."""
        return bool(self.new_eval or self.newly_failed or self.fixed or self.finished or self.eval_error)

    def summary(self) -> str:
        parts = []
        if self.eval_error:
            parts.append("evaluation failed")
        if self.new_eval:
            parts.append(f"new evaluation {self.eval_id}")
        if self.newly_failed:
            parts.append(
                f"{len(self.newly_failed)} newly failed: {', '.join(self.newly_failed[:5])}"
                + (" …" if len(self.newly_failed) > 5 else "")
            )
        if self.fixed:
            parts.append(
                f"{len(self.fixed)} fixed: {', '.join(self.fixed[:5])}" + (" …" if len(self.fixed) > 5 else "")
            )
        if self.newly_queued:
            parts.append(f"{len(self.newly_queued)} newly queued")
        if self.finished:
            parts.append("all builds finished")
        return "; ".join(parts) or "counts changed"

    def to_json(self) -> dict[str, object]:
        return {
            "time": self.time,
            "eval": self.eval_id,
            "counts": self.counts.to_json(),
            "new_eval": self.new_eval,
            "newly_failed": self.newly_failed,
            "fixed": self.fixed,
            "newly_queued": self.newly_queued,
            "finished": self.finished,
            "eval_error": self.eval_error,
        }


def _states_by_job(rows: BuildRows) -> dict[str, BuildState]:
    return {rows.jobs[i]: rows.state_at(i) for i in range(len(rows)) if rows.known_at(i) and rows.jobs[i]}


def _failed(state: BuildState | None) -> bool:
    """Counted as failed by Hydra (aborted, cancelled, timed out … included)."""
    return state is not None and state.category is Category.FAILED


def _failing(state: BuildState) -> bool:
    """Failed and not aborted: what Hydra's comparison can call newly failing (`BuildDiff.pm`)."""
    return _failed(state) and not state.aborted


class Watcher:
    """Polls one jobset; each `poll()` returns what changed since the previous one."""

    def __init__(self, client: HydraClient, project: str, jobset: str, clock: Clock) -> None:
        self.client = client
        self.project = project
        self.jobset_name = jobset
        self.clock = clock
        self.eval: JobsetEval | None = None
        self.previous_eval_states: dict[str, BuildState] = {}  # the evaluation before the current one
        self.states: dict[str, BuildState] = {}
        self.build_ids: dict[str, int] = {}  # job → build id in the latest evaluation
        self.counts = Counts()
        self.jobset: Jobset | None = None
        self.started_eval: int | None = None
        self.announced_failures: set[str] = set()
        self.finished_announced = False
        self.eval_error: str | None = None
        self.polls = 0

    async def _rows(self, ev: JobsetEval) -> BuildRows:
        if ev.nrbuilds is None or ev.nrbuilds <= DIRECT_LIST_LIMIT:
            with contextlib.suppress(ServerError):
                return await self.client.eval_builds(ev.id)
        detail = await self.client.eval(ev.id)  # too large to list: ids only, counts from the overview
        rows = BuildRows(detail.build_ids)
        rows.partial = True
        return rows

    async def _previous_states(self, page_evals: list[JobsetEval]) -> dict[str, BuildState]:
        if len(page_evals) < 2:
            return {}
        try:
            return _states_by_job(await self._rows(page_evals[1]))
        except HydraError:
            return {}

    async def poll(self) -> Change | None:
        """One round: None when nothing changed. HydraError when the server could not be read."""
        self.polls += 1
        page = await self.client.evals(self.project, self.jobset_name)
        self.jobset = await self.client.jobset_errors(self.project, self.jobset_name)
        now = self.clock.now()
        if not page.evals:
            return None
        latest = page.evals[0]
        new_eval = self.eval is not None and latest.id != self.eval.id
        if self.eval is None or new_eval:
            self.previous_eval_states = await self._previous_states(page.evals)
            self.announced_failures = set()
            self.finished_announced = False
        if self.started_eval is None:
            self.started_eval = latest.id
        rows = await self._rows(latest)
        states = _states_by_job(rows)
        self.build_ids = {rows.jobs[i]: rows.ids[i] for i in range(len(rows)) if rows.jobs[i]}
        counts = Counts.of_states(rows.counts())
        if rows.partial:
            counts = await self._overview_counts(counts)
        first = self.eval is None
        old_states = {} if new_eval else self.states
        change = Change(time=now, eval_id=latest.id, counts=counts, new_eval=new_eval)
        for job, state in sorted(states.items()):
            before = self.previous_eval_states.get(job)
            if _failing(state) and not _failed(before) and job not in self.announced_failures:
                change.newly_failed.append(job)
                self.announced_failures.add(job)
            elif state is BuildState.SUCCEEDED and _failed(before) and old_states.get(job) is not BuildState.SUCCEEDED:
                change.fixed.append(job)
            if state is BuildState.QUEUED and job in old_states and old_states[job] is not BuildState.QUEUED:
                change.newly_queued.append(job)
        error = self._eval_error(latest)
        if error and error != self.eval_error:
            change.eval_error = error
        self.eval_error = error
        if counts.queued == 0 and counts.total and not self.finished_announced:
            change.finished = True
            self.finished_announced = True
        changed = first or new_eval or counts != self.counts or change.matters or change.newly_queued
        self.eval, self.states, self.counts = latest, states, counts
        return change if changed else None

    async def _overview_counts(self, fallback: Counts) -> Counts:
        try:
            rows = await self.client.jobsets(self.project)
        except HydraError:
            return fallback
        row = next((r for r in rows if r.name == self.jobset_name), None)
        if row is None:
            return fallback
        return row.counts  # Hydra's own numbers for the current builds; no split into running / aborted here

    def _eval_error(self, latest: JobsetEval) -> str | None:
        j = self.jobset
        if j is None:
            return None
        if j.fetcherrormsg:
            return j.fetcherrormsg
        if j.errormsg and j.errortime and (latest.timestamp is None or j.errortime >= latest.timestamp):
            return j.errormsg.strip().splitlines()[-1] if j.errormsg.strip() else "evaluation error"
        return None

    def verdict(self) -> Verdict | None:
        """The exit status once the latest evaluation has nothing queued or running; None before."""
        if self.eval_error:
            return Verdict.EVAL_FAILED
        if self.eval is None or self.counts.queued:
            return None
        if self.counts.failed > self.counts.aborted:
            return Verdict.FAILED
        if self.counts.failed:
            return Verdict.CANCELLED
        return Verdict.SUCCEEDED
