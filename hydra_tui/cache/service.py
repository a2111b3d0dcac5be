"""What the screens ask for, by name: each kind of data with its cache key, fetch and polling pace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from hydra_tui.api.client import HydraClient
from hydra_tui.api.comparison import Change, Comparison
from hydra_tui.api.errors import BadResponseError, HydraError, ServerError, UnreachableError
from hydra_tui.api.models import Build, JobsetOverview
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState, Counts
from hydra_tui.cache import disk
from hydra_tui.cache.poller import Interval, Poller, Subscription, steady
from hydra_tui.cache.store import Cache, Entry, Fetch, Key
from hydra_tui.clock import Clock
from hydra_tui.logs.source import FileLines

# Past this many builds, `/eval/N/builds` is not even tried: on hydra.nixos.org it answers a nixpkgs
# evaluation (~100 MB) only with a gateway timeout, after a long wait.
DIRECT_LIST_LIMIT = 20_000


def _jobsets_pace(value: Any) -> float:
    rows: list[JobsetOverview] = value or []
    return 10 if any(r.nrscheduled or r.evaluating for r in rows) else 60


def _rows_pace(value: Any) -> float:
    if not isinstance(value, BuildRows):
        return 30
    return 10 if Counts.of_states(value.counts()).queued or value.partial else 120


def _compare_pace(value: Any) -> float:
    if isinstance(value, Comparison) and value.count(Change.QUEUED):
        return 30
    return 300


def _build_pace(value: Any) -> float:
    if isinstance(value, Build) and not value.finished:
        return 5 if value.state is BuildState.RUNNING else 15
    return 300


class DataService:
    """The one door to server data for the UI (and scripts): cached, single-flight, polled while watched."""

    def __init__(self, client: HydraClient, clock: Clock, *, state_file: Path | None = None) -> None:
        self.client = client
        self.clock = clock
        self.cache = Cache(clock)
        self.poller = Poller(self.cache)
        self.state_file = state_file
        self.user: str | None = None

    # --- sources ---------------------------------------------------------------------------------

    def source(self, kind: str, *args: Any, background: bool = False) -> tuple[Key, Fetch, Interval]:
        """The cache key, fetch and polling pace of a kind of data. A `background` fetch gives way to every
        other request (only the jobset details, which the project tree loads, need that)."""
        c = self.client
        key: Key = (kind, *args)
        if kind == "projects":
            return key, c.projects, steady(120)
        if kind == "jobsets":
            return key, lambda: c.jobsets(args[0]), _jobsets_pace
        if kind == "jobset":
            return key, lambda: c.jobset(args[0], args[1], background=background), steady(60)
        if kind == "jobset_errors":
            return key, lambda: c.jobset_errors(args[0], args[1]), steady(120)
        if kind == "evals":
            return key, lambda: c.evals(args[0], args[1], args[2]), steady(30 if args[2] == 1 else 300)
        if kind == "eval":
            return key, lambda: c.eval(args[0]), steady(300)
        if kind == "eval_builds":
            return key, lambda: self._eval_rows(args[0]), _rows_pace
        if kind == "build":
            return key, lambda: c.build(args[0]), _build_pace
        if kind == "log_tail":
            return key, lambda: c.log_tail(args[0], args[1]), steady(10)
        if kind == "compare":  # (eval id, compare spec or None, filter, failing categories whole)
            until = Change.STILL_SUCCEEDING if args[3] else None
            return (
                key,
                lambda: c.compare(
                    args[0], compare=args[1], filter=args[2], full=args[3], until=until, background=background
                ),
                _compare_pace,
            )
        if kind == "build_steps":
            return key, lambda: c.build_steps(args[0], background=background), steady(300)
        if kind == "eval_job":  # (eval id, job name) → build id or None
            return key, lambda: c.eval_job(args[0], args[1]), steady(300)
        if kind == "eval_summaries":  # (project, jobset, page)
            return key, lambda: c.eval_summaries(args[0], args[1], args[2]), steady(60)
        raise ValueError(f"unknown kind of data: {kind}")

    def subscribe(self, kind: str, *args: Any, on_change: Callable[[Entry], None]) -> Subscription:
        key, fetch, pace = self.source(kind, *args)
        return self.poller.subscribe(key, fetch, on_change, pace)

    async def get(self, kind: str, *args: Any) -> Entry:
        key, fetch, _ = self.source(kind, *args)
        return await self.cache.get(key, fetch)

    async def get_in_background(self, kind: str, *args: Any) -> Entry:
        """Like `get`, but the request gives way to everything else (for details nobody is waiting on)."""
        key, fetch, _ = self.source(kind, *args, background=True)
        return await self.cache.get(key, fetch)

    async def refresh(self, kind: str, *args: Any) -> Entry:
        key, fetch, _ = self.source(kind, *args)
        return await self.cache.refresh(key, fetch)

    # --- the builds of an evaluation ---------------------------------------------------------------

    async def _eval_rows(self, eval_id: int) -> BuildRows:
        """All builds with details when the server can list them; otherwise every id, details on demand."""
        previous = self.cache.peek(("eval_builds", eval_id))
        old = previous.value if previous is not None and isinstance(previous.value, BuildRows) else None
        # An evaluation listed whole before is small enough: no need to ask for its ids first on every poll.
        listed_before = old is not None and not old.partial
        detail = None if listed_before else await self.client.eval(eval_id)
        if listed_before or (old is None and detail is not None and len(detail.build_ids) <= DIRECT_LIST_LIMIT):
            try:
                return await self.client.eval_builds(eval_id)
            except (ServerError, UnreachableError, BadResponseError) as exc:
                if isinstance(exc, ServerError) and exc.status not in (500, 502, 503, 504):
                    raise
        if detail is None:
            detail = await self.client.eval(eval_id)
        rows = BuildRows(detail.build_ids)
        rows.partial = True
        if old is not None:
            rows.adopt_details(old)
        return rows

    async def fill_rows(self, eval_id: int, ids: Iterable[int]) -> int:
        """Fetch the details of these builds (the rows in view) into the evaluation's rows."""
        entry = self.cache.peek(("eval_builds", eval_id))
        if entry is None or not isinstance(entry.value, BuildRows):
            return 0
        rows: BuildRows = entry.value
        wanted = [i for i in ids if (p := rows.position(i)) is not None and not rows.known_at(p)]
        if not wanted:
            return 0
        results = await asyncio.gather(*(self.client.build(i) for i in wanted), return_exceptions=True)
        updated = rows.copy()
        changed = 0
        for result in results:
            if isinstance(result, Build):
                changed += updated.update_from_model(result)
            elif isinstance(result, BaseException) and not isinstance(result, HydraError):
                raise result
        if changed:
            self.cache.put(entry.key, updated, fetched_at=entry.fetched_at or self.clock.now())
        return changed

    def mark_success(self) -> None:
        """Data was read from the server outside the cache (watch mode): the connection is live."""
        self.cache.last_success = self.clock.now()
        for callback in list(self.cache.on_any_change):
            callback()

    # --- logs -------------------------------------------------------------------------------------

    async def log_tail(self, build_id: int, lines: int) -> list[str]:
        from hydra_tui.logs.sanitize import decode

        raw = await self.client.log_tail(build_id, lines)
        # Decoding a few MB is quick, but not quick enough for the UI loop: a thread does it.
        return await asyncio.to_thread(lambda: [decode(line) for line in raw])

    async def whole_log(self, build_id: int) -> FileLines:
        """The whole log, streamed into a temporary file (never held in memory)."""
        source = FileLines()
        try:
            await source.fill(self.client.stream_log(build_id))
        except BaseException:
            source.close()
            raise
        return source

    # --- persistence -------------------------------------------------------------------------------

    def load_state(self) -> None:
        if self.state_file is not None:
            disk.load(self.cache, self.state_file)

    def save_state(self) -> None:
        if self.state_file is not None:
            with contextlib.suppress(OSError):  # a read-only cache dir must not stop the app
                disk.save(self.cache, self.state_file)

    async def aclose(self) -> None:
        self.poller.cancel_all()
        self.cache.cancel_fetches()
        self.save_state()
        await self.client.aclose()
