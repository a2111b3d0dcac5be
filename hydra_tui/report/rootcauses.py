"""Dependency failures grouped by the build that broke them, read from each failed build's steps.

A dependency-failed build's page lists its failed step with "(propagated from build N)": build N is the root
cause. A failed step without it failed inside the build itself, which is then its own root cause. Each page is
one request within the rate limit, read at background priority and kept in the cache, so a second scan (or the
report after the screen) costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from hydra_tui.api.comparison import ComparedBuild
from hydra_tui.api.errors import HydraError
from hydra_tui.api.models import Build
from hydra_tui.api.pages import BuildSteps
from hydra_tui.api.status import BuildState
from hydra_tui.cache.service import DataService

#: Requests sent at once by a scan; the client's rate limit paces them anyway.
WORKERS = 2


def _spread(build_id: int) -> int:
    """A fixed pseudo-random order: a scan stopped early has read a fair sample, not one corner of the list."""
    return (build_id * 2654435761) & 0xFFFFFFFF


@dataclass
class RootCause:
    """One build that broke others: what it is, and the builds of this evaluation it broke."""

    build: int
    job: str = ""
    name: str = ""
    system: str = ""
    builds: list[int] = field(default_factory=list)

    @property
    def breaks(self) -> int:
        return len(self.builds)


@dataclass
class ScanProgress:
    done: int
    total: int
    failed: int = 0  # pages that could not be read (left out of the grouping)


def candidates(builds: Iterable[ComparedBuild]) -> list[ComparedBuild]:
    """The builds whose steps name a root cause: the dependency failures (sorted by id, no duplicates)."""
    seen: dict[int, ComparedBuild] = {}
    for b in builds:
        if b.id is not None and b.state is BuildState.DEPENDENCY_FAILED:
            seen.setdefault(b.id, b)
    return [seen[i] for i in sorted(seen)]


def culprit_of(steps: BuildSteps) -> int:
    """The build that broke this one: the first "propagated from", else the build itself."""
    return steps.culprit if steps.culprit is not None else steps.build_id


class RootCauseScan:
    """Reads the steps of `builds` and groups them by culprit, biggest first. Cancel by cancelling `run`."""

    def __init__(
        self,
        service: DataService,
        builds: Sequence[ComparedBuild],
        *,
        known: Iterable[ComparedBuild] = (),
        on_progress: Callable[[ScanProgress, list[RootCause]], None] | None = None,
        limit: int | None = None,
    ) -> None:
        self.service = service
        self.builds = sorted(candidates(builds), key=lambda b: _spread(b.id or 0))
        if limit is not None:
            self.builds = self.builds[:limit]
        #: Rows of the evaluation already known (id → job, system), to name culprits without a request.
        self.known = {b.id: b for b in known if b.id is not None}
        self.on_progress = on_progress
        self.progress = ScanProgress(0, len(self.builds))
        self._groups: dict[int, RootCause] = {}

    @property
    def causes(self) -> list[RootCause]:
        return sorted(self._groups.values(), key=lambda c: (-c.breaks, c.job, c.build))

    async def run(self) -> list[RootCause]:
        queue: asyncio.Queue[ComparedBuild] = asyncio.Queue()
        for b in self.builds:
            queue.put_nowait(b)
        workers = [asyncio.ensure_future(self._work(queue)) for _ in range(min(WORKERS, len(self.builds)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
        await self._name_culprits()
        self._report()
        return self.causes

    async def _work(self, queue: asyncio.Queue[ComparedBuild]) -> None:
        while not queue.empty():
            build = queue.get_nowait()
            entry = await self.service.get_in_background("build_steps", build.id)
            if isinstance(entry.value, BuildSteps):
                culprit = culprit_of(entry.value)
                group = self._groups.get(culprit)
                if group is None:
                    group = self._groups[culprit] = self._named(culprit)
                group.builds.append(build.id)  # type: ignore[arg-type]
            else:
                self.progress.failed += 1
            self.progress.done += 1
            self._report()

    def _named(self, build_id: int) -> RootCause:
        cause = RootCause(build_id)
        row = self.known.get(build_id)
        if row is not None:
            cause.job, cause.system, cause.name = row.job, row.system, row.nixname
        return cause

    async def _name_culprits(self) -> None:
        """Culprits outside the evaluation's known rows: one `/build/N` each (there are few)."""
        for cause in self._groups.values():
            cause.builds.sort()
            if cause.job:
                continue
            try:
                entry = await self.service.get_in_background("build", cause.build)
            except HydraError:
                continue
            if isinstance(entry.value, Build):
                cause.job, cause.system, cause.name = entry.value.job, entry.value.system, entry.value.nixname

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress, self.causes)
