"""What changed in a jobset between two polls, and the verdict on its latest evaluation."""

from __future__ import annotations

import contextlib
import enum
import time
from dataclasses import dataclass, field

from hydra_tui.api.builddiff import diff_builds, inputs_from_rows
from hydra_tui.api.client import HydraClient
from hydra_tui.api.comparison import Change as Kind
from hydra_tui.api.comparison import Comparison
from hydra_tui.api.errors import HydraError, ServerError
from hydra_tui.api.models import Jobset, JobsetEval
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState, Counts
from hydra_tui.cache.service import DIRECT_LIST_LIMIT
from hydra_tui.clock import Clock


class Verdict(enum.IntEnum):
    """`--exit-status` codes."""

    SUCCEEDED = 0
    FAILED = 1
    EVAL_FAILED = 2
    CANCELLED = 3
    TIMEOUT = 124

    @classmethod
    def of(cls, counts: Counts) -> Verdict:
        """The verdict on finished builds: a real failure, else only aborted or cancelled ones, else success."""
        if counts.failed > counts.aborted:
            return cls.FAILED
        if counts.failed:
            return cls.CANCELLED
        return cls.SUCCEEDED


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
    #: The build of each newly failed and fixed job, in the same order (from Hydra's comparison).
    newly_failed_builds: list[int | None] = field(default_factory=list)
    fixed_builds: list[int | None] = field(default_factory=list)
    #: The evaluation the latest one was compared with (None: none before it, or no comparison yet).
    compared_to: int | None = None
    #: Where it was seen: the jobset and the server (for the URLs in the JSON).
    project: str = ""
    jobset: str = ""
    base_url: str = ""

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

    def _url(self, path: str) -> str | None:
        return f"{self.base_url}{path}" if self.base_url else None

    def to_json(self) -> dict[str, object]:
        """One JSON line of `watch --json`: ids, their URLs, the jobset, and the time as a number and in ISO 8601."""

        def urls(builds: list[int | None]) -> list[str | None]:
            return [self._url(f"/build/{b}") if b is not None else None for b in builds]

        return {
            "time": self.time,
            "time_iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.time)),
            "jobset": f"{self.project}:{self.jobset}",
            "project": self.project,
            "jobset_url": self._url(f"/jobset/{self.project}/{self.jobset}") if self.project else None,
            "eval_url": self._url(f"/eval/{self.eval_id}"),
            "newly_failed_urls": urls(self.newly_failed_builds),
            "fixed_urls": urls(self.fixed_builds),
            "eval": self.eval_id,
            "counts": self.counts.to_json(),
            "new_eval": self.new_eval,
            "newly_failed": self.newly_failed,
            "newly_failed_builds": self.newly_failed_builds,
            "fixed": self.fixed,
            "fixed_builds": self.fixed_builds,
            "compared_to": self.compared_to,
            "newly_queued": self.newly_queued,
            "finished": self.finished,
            "eval_error": self.eval_error,
        }


def _states_by_job(rows: BuildRows) -> dict[str, BuildState]:
    return {rows.jobs[i]: rows.state_at(i) for i in range(len(rows)) if rows.known_at(i) and rows.jobs[i]}


#: Hydra's evaluation page lists at most this many rows a category unless asked for all of them (`full=1`).
PAGE_ROWS = 250


class Watcher:
    """Polls one jobset; each `poll()` returns what changed since the previous one.

    Newly failing and fixed builds are Hydra's own comparison of the latest evaluation with the one before
    (`BuildDiff.pm`): computed here when both can be listed whole, otherwise read from the server's comparison
    page, once per poll at most and only when the evaluation or its counts changed. No build is fetched alone.
    """

    def __init__(self, client: HydraClient, project: str, jobset: str, clock: Clock) -> None:
        self.client = client
        self.project = project
        self.jobset_name = jobset
        self.clock = clock
        self.eval: JobsetEval | None = None
        self.states: dict[str, BuildState] = {}
        self.build_ids: dict[str, int] = {}  # job → build id in the latest evaluation
        self.counts = Counts()
        self.jobset: Jobset | None = None
        self.started_eval: int | None = None
        self.announced_failures: set[str] = set()
        self.announced_fixed: set[str] = set()
        self.finished_announced = False
        self.eval_error: str | None = None
        self.polls = 0
        #: The latest evaluation compared with the one before, as last known.
        self.comparison: Comparison | None = None
        self._compared: tuple[int, Counts] | None = None  # what the server's comparison was last read for
        self._needs_full = False  # a category worth naming has more rows than a page lists
        self._previous: tuple[int, BuildRows | None] | None = None  # the evaluation before, listed

    async def _rows(self, ev: JobsetEval) -> BuildRows | None:
        """Every build of an evaluation with its details, or None when it is too large to list."""
        if ev.nrbuilds is None or ev.nrbuilds <= DIRECT_LIST_LIMIT:
            with contextlib.suppress(ServerError):
                return await self.client.eval_builds(ev.id)
        return None

    async def poll(self) -> Change | None:
        """One round: None when nothing changed. HydraError when the server could not be read."""
        self.polls += 1
        page = await self.client.evals(self.project, self.jobset_name)
        self.jobset = await self.client.jobset_errors(self.project, self.jobset_name)
        now = self.clock.now()
        if not page.evals:
            return None
        latest = page.evals[0]
        previous = page.evals[1] if len(page.evals) > 1 else None
        new_eval = self.eval is not None and latest.id != self.eval.id
        if self.eval is None or new_eval:
            self.announced_failures, self.announced_fixed = set(), set()
            self.finished_announced = False
            self.comparison, self._compared, self._needs_full = None, None, False
        if self.started_eval is None:
            self.started_eval = latest.id
        rows = await self._rows(latest)
        if rows is not None:
            states = _states_by_job(rows)
            counts = Counts.of_states(rows.counts())
            comparison = await self._compare_here(latest, previous, rows)
        else:
            states = {}
            counts = await self._eval_counts(latest)
            comparison = None
        if comparison is None:
            comparison = await self._compare_on_server(latest, counts)
        self.comparison = comparison
        if rows is not None:
            self.build_ids = {rows.jobs[i]: rows.ids[i] for i in range(len(rows)) if rows.jobs[i]}
        elif comparison is not None:
            self.build_ids = {
                b.job: b.id for c in comparison.categories.values() for b in c.builds if b.id is not None and b.job
            }
        first = self.eval is None
        old_states = {} if new_eval else self.states
        change = Change(
            time=now,
            eval_id=latest.id,
            counts=counts,
            new_eval=new_eval,
            project=self.project,
            jobset=self.jobset_name,
            base_url=self.client.base_url,
        )
        change.compared_to = comparison.compare_to if comparison is not None else None
        if comparison is not None:
            for build in sorted(comparison.categories[Kind.NEWLY_FAILING].builds, key=lambda b: b.job):
                if build.job not in self.announced_failures:
                    change.newly_failed.append(build.job)
                    change.newly_failed_builds.append(build.id)
                    self.announced_failures.add(build.job)
            for build in sorted(comparison.categories[Kind.NEWLY_SUCCEEDING].builds, key=lambda b: b.job):
                if build.job not in self.announced_fixed:
                    change.fixed.append(build.job)
                    change.fixed_builds.append(build.id)
                    self.announced_fixed.add(build.job)
        for job, state in sorted(states.items()):
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

    async def _compare_here(
        self, latest: JobsetEval, previous: JobsetEval | None, rows: BuildRows
    ) -> Comparison | None:
        """Hydra's comparison computed from both evaluations listed whole (no request for the comparison), or
        None when one of them cannot be listed. The evaluation before is listed once, and again while it still had
        builds to finish."""
        current = inputs_from_rows(rows)
        if current is None:
            return None
        if previous is None:
            return diff_builds(latest.id, current, None, [])
        if self._previous is None or self._previous[0] != previous.id or self._unfinished(self._previous[1]):
            try:
                self._previous = (previous.id, await self._rows(previous))
            except HydraError:
                self._previous = (previous.id, None)
        before = self._previous[1]
        other = inputs_from_rows(before) if before is not None else None
        return diff_builds(latest.id, current, previous.id, other) if other is not None else None

    @staticmethod
    def _unfinished(rows: BuildRows | None) -> bool:
        return rows is not None and Counts.of_states(rows.counts()).queued > 0

    async def _compare_on_server(self, latest: JobsetEval, counts: Counts) -> Comparison | None:
        """Hydra's comparison page for the latest evaluation: read again only when the evaluation or its counts
        changed (or a category named too few rows last time), so at most one request a poll. Past a page's 250
        rows a category is read whole with `full=1`, the page read only up to its "Still Succeeding" rows."""
        if self._compared == (latest.id, counts) and not self._needs_full:
            return self.comparison
        full = self._needs_full or counts.failed > PAGE_ROWS
        try:
            if full:
                comparison = await self.client.compare(latest.id, full=True, until=Kind.STILL_SUCCEEDING)
            else:
                comparison = await self.client.compare(latest.id)
        except HydraError:
            return self.comparison  # tried again next poll
        self._compared = (latest.id, counts)
        named = (comparison.categories[Kind.NEWLY_FAILING], comparison.categories[Kind.NEWLY_SUCCEEDING])
        self._needs_full = not full and not all(c.complete for c in named)
        return comparison

    async def _eval_counts(self, latest: JobsetEval) -> Counts:
        """Hydra's numbers for an evaluation too large to list: its row on the evaluations page, or else the
        jobset's current builds."""
        try:
            summaries = await self.client.eval_summaries(self.project, self.jobset_name)
        except HydraError:
            summaries = []
        row = next((s for s in summaries if s.id == latest.id), None)
        if row is not None:
            return Counts(succeeded=row.succeeded, failed=row.failed, queued=row.queued)
        return await self._overview_counts(Counts())

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
        return Verdict.of(self.counts)
