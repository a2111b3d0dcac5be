"""A job's story: its build in the newest evaluation, its earlier builds newest first, and since when it fails.

Requests, all through the cache (and so the client's rate limit):
- `/api/latestbuilds?project=&jobset=&job=&nr=N`: the job's N newest *finished* builds, in one request;
- `/jobset/P/J/latest-eval` (the redirect alone) and `/eval/N/job/JOB`: the job's build in the newest evaluation,
  which may still be queued or running; `/build/N` for it only when the list above does not hold it;
- `/job/P/J/JOB/latest` (the newest successful build) only when no build of the list succeeded, so "last good"
  costs a request only when the list cannot answer it;
- `/build/N` for each build's start and stop time and evaluation (the slim latestbuilds rows have neither), each
  fetched once and kept: a finished build never changes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hydra_tui.api.errors import HydraError
from hydra_tui.api.models import Build, BuildBase
from hydra_tui.api.status import BuildState, Category
from hydra_tui.api.text import clean_name
from hydra_tui.api.timefmt import ago
from hydra_tui.job.names import JobRef

#: Builds listed when nobody says how many.
DEFAULT_LIMIT = 20

#: `get(kind, *args)` of the data service: the cached value of a kind of data (raises HydraError).
Getter = Callable[..., Awaitable[Any]]


def status_word(state: BuildState) -> str:
    """The status as every output names it: "succeeded", "failed", "dependency failed", …, "queued", "running"."""
    return state.label.lower()


@dataclass
class JobBuild:
    """One build of the job, with what the slim list gives and what `/build/N` adds once fetched."""

    id: int
    state: BuildState
    system: str = ""
    nixname: str = ""
    timestamp: int | None = None  # when it was queued (evaluated)
    starttime: int | None = None
    stoptime: int | None = None
    eval_id: int | None = None  # the first evaluation it belongs to
    detailed: bool = False  # start, stop and evaluation known (from /build/N)
    current: bool = False  # the job's build in the newest evaluation

    @property
    def finished(self) -> bool:
        return self.state.finished

    @property
    def duration(self) -> int | None:
        if self.starttime and self.stoptime and self.stoptime >= self.starttime:
            return self.stoptime - self.starttime
        return None

    @property
    def when(self) -> int | None:
        """When it finished if known, else when it was queued."""
        return self.stoptime or self.timestamp

    @classmethod
    def of(cls, build: BuildBase) -> JobBuild:
        b = cls(
            id=build.id,
            state=build.state,
            system=clean_name(build.system),
            nixname=clean_name(build.nixname or ""),
            timestamp=build.timestamp,
        )
        if isinstance(build, Build):
            b.add_details(build)
        return b

    def add_details(self, build: Build) -> None:
        self.state = build.state
        self.starttime, self.stoptime = build.starttime, build.stoptime
        self.timestamp = build.timestamp or self.timestamp
        self.eval_id = min(build.jobsetevals) if build.jobsetevals else None
        self.detailed = True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": status_word(self.state),
            "finished": self.finished,
            "system": self.system,
            "timestamp": self.timestamp,
            "stoptime": self.stoptime,
        }


@dataclass
class Streak:
    """Since when the job's newest finished builds have had the same outcome."""

    failing: bool
    since: JobBuild  # the oldest build of the run that the list holds
    count: int
    complete: bool  # the list reaches back past the run's start (else the run may be longer)


@dataclass
class JobHistory:
    ref: JobRef
    builds: list[JobBuild] = field(default_factory=list)  # the current build first, then newest first
    latest_eval: int | None = None
    last_good: JobBuild | None = None
    reached_end: bool = False  # the list holds every finished build the server has
    in_latest_eval: bool = True  # the newest evaluation has this job

    @property
    def current(self) -> JobBuild | None:
        return self.builds[0] if self.builds and self.builds[0].current else None

    def finished_builds(self) -> list[JobBuild]:
        return [b for b in self.builds if b.finished and b.state is not BuildState.UNKNOWN]

    def streak(self) -> Streak | None:
        done = self.finished_builds()
        if not done:
            return None
        failing = done[0].state.category is Category.FAILED
        count = 0
        for b in done:
            if (b.state.category is Category.FAILED) != failing:
                return Streak(failing, done[count - 1], count, True)
            count += 1
        return Streak(failing, done[-1], count, self.reached_end)

    def summary(self, now: float | None = None) -> str:
        """In words: "failing since build N (date)" or "succeeding since …", and the last good build."""
        parts: list[str] = []
        current = self.current
        if current is not None and not current.finished:
            parts.append(f"build {current.id} {status_word(current.state)}")
        elif not self.in_latest_eval:
            parts.append("not in the newest evaluation")
        streak = self.streak()
        if streak is None:
            parts.append("no finished build yet")
        else:
            word = "failing" if streak.failing else "succeeding"
            at_least = "" if streak.complete else "at least "
            when = _date(streak.since.when)
            if now is not None and streak.since.when:
                when += f", {ago(streak.since.when, now)}"  # beside its date: it says how long this has lasted
            parts.append(f"{word} since {at_least}build {streak.since.id} ({when})")
            if streak.count > 1:
                parts.append(f"{streak.count}{'' if streak.complete else '+'} builds")
        if streak is not None and streak.failing:
            good = self.last_good
            parts.append(
                f"last good: build {good.id} ({_date(good.when)})" if good is not None else "no successful build"
            )
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.ref.project,
            "jobset": self.ref.jobset,
            "job": self.ref.job,
            "builds": [b.to_json() for b in self.builds],
        }

    def durations(self) -> list[float]:
        """Finished builds' durations, oldest first, for a chart (builds without a known duration left out)."""
        return [float(d) for b in reversed(self.builds) if b.finished and (d := b.duration) is not None]


def _date(ts: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "date unknown"


async def load_history(get: Getter, ref: JobRef, limit: int = DEFAULT_LIMIT) -> JobHistory:
    """The job's builds without their details: the newest evaluation's first (even queued), then the finished ones
    newest first, `limit` in all. Three requests, four when the current build is unfinished, five when no listed
    build succeeded (the last good one is looked up)."""
    history = JobHistory(ref)
    finished_task = asyncio.ensure_future(get("job_builds", ref.project, ref.jobset, ref.job, limit))
    try:
        history.latest_eval = await get("latest_eval_id", ref.project, ref.jobset)
        current_id = await get("eval_job", history.latest_eval, ref.job)
    except HydraError:
        finished_task.cancel()
        raise
    finished: list[BuildBase] = await finished_task
    history.builds = [JobBuild.of(b) for b in finished]
    history.reached_end = len(finished) < limit
    history.in_latest_eval = current_id is not None
    if current_id is not None:
        same = next((b for b in history.builds if b.id == current_id), None)
        if same is None:
            build: Build = await get("build", current_id)
            same = JobBuild.of(build)
            history.builds.insert(0, same)
            history.builds = history.builds[:limit]
        elif history.builds.index(same) != 0:  # an older evaluation's build listed above it: keep the order of ids
            history.builds.remove(same)
            history.builds.insert(0, same)
        same.current = True
    history.last_good = next((b for b in history.builds if b.state is BuildState.SUCCEEDED), None)
    streak = history.streak()
    if history.last_good is None and streak is not None and streak.failing and not history.reached_end:
        good_id = await get("job_last_success", ref.project, ref.jobset, ref.job)
        if good_id is not None:
            good: Build = await get("build", good_id)
            history.last_good = JobBuild.of(good)
    return history


async def add_details(get: Getter, builds: Iterable[JobBuild]) -> int:
    """Start, stop and evaluation of each build from `/build/N`, all at once (the client's rate limit paces them).
    Returns how many arrived; a build that cannot be fetched keeps what the list gave."""

    async def one(b: JobBuild) -> bool:
        try:
            b.add_details(await get("build", b.id))
        except HydraError:
            return False
        return True

    results = await asyncio.gather(*(one(b) for b in builds if not b.detailed))
    return sum(results)
