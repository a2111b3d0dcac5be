""" "My packages": the jobs a profile lists (exact names, or name filters resolved on the server), and their state
in the newest evaluation of their jobset.

Each entry costs one request per evaluation: Hydra's comparison page of the newest evaluation filtered to the entry
(`/eval/N?filter=TEXT`, a substring match done by the server) gives every matching job's build, its state and how
it changed against the evaluation before (newly failing, fixed, …). An exact name keeps only the job of that name.
`MineTracker.poll` asks for a page again only when the jobset has a newer evaluation or one of its rows was still
queued or running, so while nothing moves a poll costs one redirect (`latest-eval`) per jobset.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hydra_tui.api.comparison import Change as Kind
from hydra_tui.api.comparison import Comparison
from hydra_tui.api.errors import HydraError
from hydra_tui.api.status import BuildState, Category
from hydra_tui.cache.store import Entry
from hydra_tui.config import Profile
from hydra_tui.job.names import JobNameError, JobRef, resolve_job


@dataclass(frozen=True)
class MineSpec:
    """One entry of the list: an exact job name, or a filter (every job whose name contains `text`)."""

    project: str
    jobset: str
    text: str
    exact: bool = True

    @property
    def label(self) -> str:
        return f"{self.project}:{self.jobset}:{self.text}" + ("" if self.exact else " (filter)")


def parse_specs(profile: Profile, names: Iterable[str] = (), filters: Iterable[str] = ()) -> list[MineSpec]:
    """Exact names resolve as `hydra-tui job` does (a bare attribute gets the default jobset and this machine's
    system); a filter is `[PROJECT:JOBSET:]TEXT`, in the default jobset when no jobset is given."""
    specs: list[MineSpec] = []
    for name in names:
        ref = resolve_job(name, default_jobset=profile.default_jobset, channels=profile.channels)
        specs.append(MineSpec(ref.project, ref.jobset, ref.job))
    for text in filters:
        parts = text.strip().split(":", 2)
        if len(parts) == 3 and all(parts):
            specs.append(MineSpec(parts[0], parts[1], parts[2], exact=False))
        elif len(parts) == 1 and parts[0]:
            project, _, jobset = (profile.default_jobset or "nixpkgs:trunk").partition(":")
            specs.append(MineSpec(project, jobset, parts[0], exact=False))
        else:
            raise JobNameError(f"The name filter '{text}' is neither TEXT nor PROJECT:JOBSET:TEXT.")
    return list(dict.fromkeys(specs))


def profile_specs(profile: Profile) -> list[MineSpec]:
    return parse_specs(profile, profile.mine, profile.mine_filters)


@dataclass
class MineRow:
    """One of my jobs in the newest evaluation of its jobset."""

    ref: JobRef
    build_id: int | None
    state: BuildState
    change: Kind | None  # how Hydra's comparison files it (newly failing, still succeeding, …)
    eval_id: int

    @property
    def failing(self) -> bool:
        return self.state.category is Category.FAILED

    @property
    def unfinished(self) -> bool:
        return not self.state.finished


def _order(row: MineRow) -> tuple[int, str]:
    category = row.state.category
    rank = 0 if category is Category.FAILED else 1 if category is Category.QUEUED else 2
    return rank, row.ref.name


@dataclass
class MineStatus:
    rows: list[MineRow] = field(default_factory=list)  # failures first, then unfinished, then succeeded
    evals: dict[tuple[str, str], int] = field(default_factory=dict)
    missing: list[MineSpec] = field(default_factory=list)  # nothing in the newest evaluation matches these
    errors: list[str] = field(default_factory=list)


def _value(entry: Entry) -> Any:
    if entry.error is not None and not entry.has_value:
        raise entry.error
    return entry.value


class MineTracker:
    """Polls the listed jobs through the data service (its cache and the client's rate limit)."""

    def __init__(self, service: Any, specs: Iterable[MineSpec]) -> None:
        self.service = service
        self.specs = list(specs)
        self._seen: dict[MineSpec, tuple[int, list[MineRow]]] = {}
        self.status = MineStatus()

    async def _eval_of(self, project: str, jobset: str) -> int:
        return int(_value(await self.service.refresh("latest_eval_id", project, jobset)))

    async def _rows_of(self, spec: MineSpec, eval_id: int) -> list[MineRow]:
        seen = self._seen.get(spec)
        if seen is not None and seen[0] == eval_id and not any(r.unfinished for r in seen[1]):
            return seen[1]
        comparison: Comparison = _value(await self.service.refresh("compare", eval_id, None, spec.text, False))
        rows = []
        for kind, category in comparison.categories.items():
            if kind is Kind.REMOVED:
                continue
            for b in category.builds:
                if spec.exact and b.job != spec.text:
                    continue
                rows.append(MineRow(JobRef(spec.project, spec.jobset, b.job), b.id, b.state, kind, eval_id))
        self._seen[spec] = (eval_id, rows)
        return rows

    async def poll(self) -> MineStatus:
        status = MineStatus()
        jobsets = list(dict.fromkeys((s.project, s.jobset) for s in self.specs))

        async def eval_of(key: tuple[str, str]) -> None:
            try:
                status.evals[key] = await self._eval_of(*key)
            except HydraError as exc:
                status.errors.append(f"{key[0]}:{key[1]}: {exc.short}")

        await asyncio.gather(*(eval_of(k) for k in jobsets))

        async def rows_of(spec: MineSpec) -> list[MineRow]:
            eval_id = status.evals.get((spec.project, spec.jobset))
            if eval_id is None:
                return []
            try:
                rows = await self._rows_of(spec, eval_id)
            except HydraError as exc:
                status.errors.append(f"{spec.label}: {exc.short}")
                return []
            if not rows:
                status.missing.append(spec)
            return rows

        found = await asyncio.gather(*(rows_of(s) for s in self.specs))
        unique = {row.ref: row for rows in found for row in rows}
        status.rows = sorted(unique.values(), key=_order)
        if not status.evals and status.errors and self.specs:
            raise HydraError("; ".join(status.errors))
        self.status = status
        return status
