"""Watch a list of jobs (`hydra-tui watch --mine`, or jobs on the command line) instead of a jobset.

The same `Change`s, verdicts and outputs as `Watcher`, so the dashboard's watch screen, `--plain`, `--json`,
`--on-change` and `--exit-status` work unchanged. Newly failing and fixed are Hydra's own comparison of each
job's newest evaluation with the one before (read with `MineTracker`, one filtered comparison page per entry and
evaluation); each is announced once per evaluation.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hydra_tui.api.comparison import Change as Kind
from hydra_tui.api.comparison import Comparison
from hydra_tui.api.status import BuildState, Counts
from hydra_tui.clock import Clock
from hydra_tui.job.mine import MineRow, MineSpec, MineTracker
from hydra_tui.watch.core import Change, Verdict


class JobsWatcher:
    """Polls the listed jobs; each `poll()` returns what changed since the previous one (None: nothing)."""

    def __init__(self, service: Any, specs: list[MineSpec], clock: Clock, *, title: str = "my jobs") -> None:
        self.tracker = MineTracker(service, specs)
        self.clock = clock
        self.title = title
        jobsets = {(s.project, s.jobset) for s in specs}
        self.single = next(iter(jobsets)) if len(jobsets) == 1 else None
        # What the watch screen reads from a watcher.
        self.project = title
        self.jobset_name = ""
        self.eval_error: str | None = None
        self.comparison: Comparison | None = None
        self.build_ids: dict[str, int] = {}
        self.rows: list[MineRow] = []
        self.states: dict[str, BuildState] = {}
        self.evals: dict[tuple[str, str], int] = {}
        self.counts = Counts()
        self.announced: set[tuple[int, str, Kind]] = set()
        self.finished_announced = False
        self.polls = 0

    def name(self, row: MineRow) -> str:
        """The job's name as the lines show it: alone when every job is of one jobset, else PROJECT:JOBSET:JOB."""
        return row.ref.job if self.single is not None else row.ref.name

    async def poll(self) -> Change | None:
        self.polls += 1
        status = await self.tracker.poll()
        first = self.polls == 1
        now = self.clock.now()
        new_eval = not first and any(self.evals.get(k) not in (None, v) for k, v in status.evals.items())
        states = {self.name(r): r.state for r in status.rows}
        counts = Counts.of_states(Counter(states.values()))
        eval_id = max(status.evals.values(), default=0)
        change = Change(time=now, eval_id=eval_id, counts=counts, new_eval=new_eval)
        for row in sorted(status.rows, key=self.name):
            if row.change not in (Kind.NEWLY_FAILING, Kind.NEWLY_SUCCEEDING):
                continue
            mark = (row.eval_id, row.ref.name, row.change)
            if mark in self.announced:
                continue
            self.announced.add(mark)
            if row.change is Kind.NEWLY_FAILING:
                change.newly_failed.append(self.name(row))
                change.newly_failed_builds.append(row.build_id)
            else:
                change.fixed.append(self.name(row))
                change.fixed_builds.append(row.build_id)
        old = {} if new_eval else self.states
        for job, state in sorted(states.items()):
            if not state.finished and job in old and old[job].finished:
                change.newly_queued.append(job)
        if new_eval:
            self.finished_announced = False
        if counts.queued == 0 and counts.total and not self.finished_announced:
            change.finished = True
            self.finished_announced = True
        changed = first or new_eval or counts != self.counts or change.matters or bool(change.newly_queued)
        self.rows, self.states, self.counts, self.evals = status.rows, states, counts, dict(status.evals)
        self.build_ids = {self.name(r): r.build_id for r in status.rows if r.build_id is not None}
        return change if changed else None

    def verdict(self) -> Verdict | None:
        """The exit status once none of the jobs is queued or running; None before."""
        if not self.evals or self.counts.queued:
            return None
        return Verdict.of(self.counts)
