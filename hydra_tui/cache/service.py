"""What the screens ask for, by name: each kind of data with its cache key, fetch and polling pace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra_tui.api.client import HydraClient
from hydra_tui.api.comparison import Change, ComparedBuild, Comparison
from hydra_tui.api.errors import BadResponseError, HydraError, ServerError, UnreachableError
from hydra_tui.api.limits import Priority, priority
from hydra_tui.api.models import Build, BuildBase, JobsetOverview
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState, Counts
from hydra_tui.cache import disk
from hydra_tui.cache.poller import Interval, Poller, Subscription, steady
from hydra_tui.cache.store import Cache, Entry, Fetch, Key
from hydra_tui.clock import Clock
from hydra_tui.logs.source import FileLines

# One `/api/latestbuilds` request fills at most this many rows (Hydra sets no cap on `nr`; a few hundred builds
# are ~150 kB of JSON and one indexed query on the server).
LATEST_BUILDS_NR = 500

#: Lines of a log's end fetched at once: what the log viewer opens on, and the build screen shows the last of.
LOG_TAIL_LINES = 2000

# Past this many builds, `/eval/N/builds` is not even tried: on hydra.nixos.org it answers a nixpkgs
# evaluation (~100 MB) only with a gateway timeout, after a long wait.
DIRECT_LIST_LIMIT = 20_000


# The operator screen's paces (seconds between polls while it is shown; nothing is polled while it is hidden).
# About 31 requests a minute in all, well inside hydra.nixos.org's 2 r/s.
OPERATOR_PACES: dict[str, float] = {
    "queue_size": 5,  # /api/nrqueue: a bare number
    "queue_runner": 5,  # /queue-runner-status: the runner's own figures, per system and per machine
    "running": 10,  # /status: the builds with a busy step (a Build object each)
    "machines": 60,  # /machines: which machines exist and their max jobs; live figures come with the runner's
    "queue_head": 30,  # /api/queue?nr=N: only asked for when the runner gives no queue per system
}
QUEUE_HEAD_NR = 100
#: Comparisons remembered per evaluation as written into its rows (the first page, the whole, a search, …).
COMPARISONS_KEPT = 8


def _jobsets_pace(value: Any) -> float:
    rows: list[JobsetOverview] = value or []
    return 10 if any(r.nrscheduled or r.evaluating for r in rows) else 60


def _rows_pace(value: Any) -> float:
    """An evaluation's builds never change, only their states: listed whole, they are asked again while some
    wait; listed by id alone (nixpkgs), asking again brings the same ids (rows in view get their details by id)."""
    if not isinstance(value, BuildRows):
        return 30
    if value.partial:
        return 300
    return 10 if Counts.of_states(value.counts()).queued else 120


def _compare_pace(value: Any) -> float:
    if isinstance(value, Comparison) and value.count(Change.QUEUED):
        return 30
    return 300


def _steps_pace(value: Any) -> float:
    """A build's steps change while some run (every 10 s then); failed ones stay as they are."""
    return 10 if getattr(value, "running", None) else 300


def _build_pace(value: Any) -> float:
    if isinstance(value, Build) and not value.finished:
        return 5 if value.state is BuildState.RUNNING else 15
    return 300


@dataclass(eq=False)
class _Filler:
    """The row details being fetched for one evaluation."""

    eval_id: int
    wanted: list[int] = field(default_factory=list)  # the rows on screen still to fetch, most wanted first
    asked: frozenset[int] = frozenset()  # the rows on screen, as last asked for
    inflight: set[int] = field(default_factory=set)
    workers: set[asyncio.Future[None]] = field(default_factory=set)
    origin: tuple[str, str] | None = None  # project and jobset, for /api/latestbuilds
    latest_asked: bool = False
    failed: set[int] = field(default_factory=set)  # not fetched again until they come into view again
    arrived: list[tuple[int, BuildBase]] = field(default_factory=list)  # fetched, not yet in the rows
    flush_scheduled: bool = False
    #: The comparisons whose rows were written into the rows of these ids (a screen opened again skips them).
    compared_into: object = None
    compared: list[Comparison] = field(default_factory=list)

    def _to_fetch(self, rows: BuildRows, build_id: int) -> bool:
        p = rows.position(build_id)
        return p is not None and not rows.known_at(p) and build_id not in self.failed

    def pending(self, rows: BuildRows) -> list[int]:
        """The wanted rows still unknown and not on their way."""
        return [i for i in self.wanted if self._to_fetch(rows, i) and i not in self.inflight]

    def next_wanted(self, rows: BuildRows) -> int | None:
        """Take the first wanted row still to fetch. Rows known or failed are dropped; those on their way stay
        (a bulk request may not cover them after all)."""
        self.wanted = [i for i in self.wanted if self._to_fetch(rows, i)]
        for n, build_id in enumerate(self.wanted):
            if build_id not in self.inflight:
                del self.wanted[n]
                return build_id
        return None


class DataService:
    """The one door to server data for the UI (and scripts): cached, single-flight, polled while watched."""

    def __init__(self, client: HydraClient, clock: Clock, *, state_file: Path | None = None) -> None:
        self.client = client
        self.clock = clock
        self.cache = Cache(clock)
        self.poller = Poller(self.cache)
        self.state_file = state_file
        self.user: str | None = None
        self._fillers: dict[int, _Filler] = {}
        #: Builds seen running (`/status` has no start time): build id → (when first seen, already running then).
        #: Kept here so that the operator's view opened again goes on counting.
        self.running_seen: dict[int, tuple[float, bool]] = {}
        self.running_listed = False
        self._prefetches: set[asyncio.Future[Entry]] = set()

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
            return key, lambda: c.jobset_errors(args[0], args[1], background=background), steady(60)
        if kind == "evals":
            return key, lambda: c.evals(args[0], args[1], args[2]), steady(30 if args[2] == 1 else 300)
        if kind == "eval":
            return key, lambda: c.eval(args[0]), steady(300)
        if kind == "eval_builds":
            return key, lambda: self._eval_rows(args[0]), _rows_pace
        if kind == "build":
            return key, lambda: c.build(args[0]), _build_pace
        if kind == "log_tail":  # (build id,): the last LOG_TAIL_LINES lines, decoded; the log viewer opens on them
            return key, lambda: self.log_tail(args[0]), steady(10)
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
            return key, lambda: c.build_steps(args[0], background=background), _steps_pace
        if kind == "eval_job":  # (eval id, job name) → build id or None
            return key, lambda: c.eval_job(args[0], args[1]), steady(300)
        if kind == "eval_summaries":  # (project, jobset, page): one request for a page's counts, not one an eval
            return key, lambda: c.eval_summaries(args[0], args[1], args[2]), steady(60 if args[2] == 1 else 300)
        if kind == "queue_size":
            return key, c.queue_size, steady(OPERATOR_PACES[kind])
        if kind == "queue_runner":
            return key, c.queue_runner_status, steady(OPERATOR_PACES[kind])
        if kind == "running":
            return key, c.running, steady(OPERATOR_PACES[kind])
        if kind == "machines":
            return key, c.machines, steady(OPERATOR_PACES[kind])
        if kind == "queue_head":  # (nr,)
            return key, lambda: c.queue(args[0]), steady(OPERATOR_PACES[kind])
        if kind == "job_builds":  # (project, jobset, job, nr): a job's newest finished builds, one request
            return key, lambda: c.latest_builds(args[3], project=args[0], jobset=args[1], job=args[2]), steady(120)
        if kind == "job_last_success":  # (project, jobset, job) → build id or None
            return key, lambda: c.job_last_success(args[0], args[1], args[2]), steady(300)
        if kind == "latest_eval_id":  # (project, jobset): the redirect alone, no build ids
            return key, lambda: c.latest_eval_id(args[0], args[1]), steady(60)
        raise ValueError(f"unknown kind of data: {kind}")

    def subscribe(self, kind: str, *args: Any, on_change: Callable[[Entry], None]) -> Subscription:
        key, fetch, pace = self.source(kind, *args)
        return self.poller.subscribe(key, fetch, on_change, pace)

    async def get(self, kind: str, *args: Any) -> Entry:
        key, fetch, _ = self.source(kind, *args)
        return await self.cache.get(key, fetch)

    async def value(self, kind: str, *args: Any) -> Any:
        """The value of a kind of data through the cache; its error when there is no value to give (scripts)."""
        entry = await self.get(kind, *args)
        if entry.error is not None and not entry.has_value:
            raise entry.error
        return entry.value

    async def get_in_background(self, kind: str, *args: Any) -> Entry:
        """Like `get`, but the request gives way to everything else (for details nobody is waiting on)."""
        key, fetch, _ = self.source(kind, *args, background=True)
        with priority(Priority.BACKGROUND):
            return await self.cache.get(key, fetch)

    async def refresh(self, kind: str, *args: Any) -> Entry:
        key, fetch, _ = self.source(kind, *args)
        return await self.cache.refresh(key, fetch)

    # --- the builds of an evaluation ---------------------------------------------------------------

    def _current_rows(self, eval_id: int) -> BuildRows | None:
        entry = self.cache.peek(("eval_builds", eval_id))
        return entry.value if entry is not None and isinstance(entry.value, BuildRows) else None

    async def _eval_rows(self, eval_id: int) -> BuildRows:
        """All builds with details when the server can list them; otherwise every id, details on demand."""
        old = self._current_rows(eval_id)
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
        # Details may have arrived while the ids were on their way: keep what the cache holds now, not what it
        # held when the poll began. The same ids keep the same object, so nothing changes and nothing is dropped.
        now = self._current_rows(eval_id)
        if now is not None and now.partial and now.ids == detail.build_ids:
            return now
        rows = BuildRows(detail.build_ids)
        rows.partial = True
        if now is not None:
            rows.adopt_details(now)
        return rows

    def _filler(self, eval_id: int) -> _Filler:
        filler = self._fillers.get(eval_id)
        if filler is None:
            filler = self._fillers[eval_id] = _Filler(eval_id)
        return filler

    def _apply(self, eval_id: int, builds: Iterable[BuildBase | ComparedBuild]) -> int:
        """Write these builds' details into the evaluation's rows as they are now, and publish them at once."""
        entry = self.cache.peek(("eval_builds", eval_id))
        if entry is None or not isinstance(entry.value, BuildRows):
            return 0
        updated = entry.value.copy()
        changed = 0
        for build in builds:
            if isinstance(build, ComparedBuild):
                if build.id is not None:
                    changed += updated.fill(build.id, job=build.job, system=build.system, state=build.state)
            elif isinstance(build, Build):
                changed += updated.update_from_model(build)
            else:
                changed += updated.fill(build.id, job=build.job, system=build.system, state=build.state)
        if changed:
            self.cache.put(
                entry.key, updated, fetched_at=entry.fetched_at or self.clock.now(), from_disk=entry.from_disk
            )
        return changed

    def _arrived(self, filler: _Filler, build_id: int, build: BuildBase) -> None:
        """One build's details arrived: show it with whatever else arrives in the same turn of the loop. It counts
        as on its way until then, so that nobody asks for it again meanwhile."""
        filler.arrived.append((build_id, build))
        if not filler.flush_scheduled:
            filler.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush, filler)

    def _flush(self, filler: _Filler) -> int:
        filler.flush_scheduled = False
        arrived, filler.arrived = filler.arrived, []
        changed = self._apply(filler.eval_id, [build for _, build in arrived]) if arrived else 0
        filler.inflight.difference_update(build_id for build_id, _ in arrived)
        return changed

    async def _fetch_one(self, filler: _Filler, build_id: int) -> bool:
        filler.inflight.add(build_id)
        try:
            build = await self.client.build(build_id)
        except HydraError:
            filler.inflight.discard(build_id)
            filler.failed.add(build_id)  # until it comes into view again
            return False
        except BaseException:
            filler.inflight.discard(build_id)
            raise
        self._arrived(filler, build_id, build)
        return True

    async def fill_rows(self, eval_id: int, ids: Iterable[int]) -> int:
        """Fetch the details of these builds into the evaluation's rows, each shown as soon as it arrives.
        Returns how many rows changed."""
        rows = self._current_rows(eval_id)
        if rows is None:
            return 0
        filler = self._filler(eval_id)
        wanted = [
            i
            for i in dict.fromkeys(ids)
            if (p := rows.position(i)) is not None and not rows.known_at(p) and i not in filler.inflight
        ]
        if not wanted:
            return 0
        await asyncio.gather(*(self._fetch_one(filler, i) for i in wanted))
        self._flush(filler)
        now = self._current_rows(eval_id)
        return 0 if now is None else sum(1 for i in wanted if (p := now.position(i)) is not None and now.known_at(p))

    def want_rows(
        self, eval_id: int, ids: Iterable[int], *, project: str | None = None, jobset: str | None = None
    ) -> None:
        """The rows on screen now, most wanted first: fetch their details in that order, in the background.

        Replaces what was wanted before, so rows that left the screen before their request went out are not
        fetched. A row whose fetch failed is fetched again when it is wanted again. With the project and jobset,
        one `/api/latestbuilds` request fills the newest rows first, where it covers them.
        """
        filler = self._filler(eval_id)
        wanted = list(dict.fromkeys(ids))
        # A row that failed is tried again once it has left the screen and come back.
        filler.failed.intersection_update(filler.asked)
        filler.failed.intersection_update(wanted)
        filler.asked = frozenset(wanted)
        filler.wanted = wanted
        if project and jobset:
            filler.origin = (project, jobset)
        workers = max(1, min(4, self.client.limits.in_flight))
        while filler.wanted and len(filler.workers) < workers:
            with priority(Priority.POLL):  # rows in view: after what a person asked for, before background work
                task = asyncio.ensure_future(self._work(filler))
            filler.workers.add(task)
            task.add_done_callback(filler.workers.discard)

    async def _work(self, filler: _Filler) -> None:
        while True:
            rows = self._current_rows(filler.eval_id)
            if rows is None:
                filler.wanted = []
                return
            if self._latest_due(filler, rows):
                await self._fill_from_latest(filler, rows)
                continue
            build_id = filler.next_wanted(rows)
            if build_id is None:
                return
            await self._fetch_one(filler, build_id)

    def _latest_due(self, filler: _Filler, rows: BuildRows) -> bool:
        """Whether `/api/latestbuilds` may cover a wanted row: only the newest ids of an evaluation can be among
        a jobset's newest finished builds, and it is asked once per evaluation."""
        if filler.origin is None or filler.latest_asked:
            return False
        newest = rows.ids[max(0, len(rows) - LATEST_BUILDS_NR)] if len(rows) else 0
        return any(i >= newest for i in filler.pending(rows))

    async def _fill_from_latest(self, filler: _Filler, rows: BuildRows) -> None:
        assert filler.origin is not None
        filler.latest_asked = True
        newest = rows.ids[max(0, len(rows) - LATEST_BUILDS_NR)]
        covered = [i for i in filler.pending(rows) if i >= newest]
        filler.inflight.update(covered)
        try:
            await self.fill_from_latest(filler.eval_id, *filler.origin)
        finally:
            filler.inflight.difference_update(covered)

    async def fill_from_latest(self, eval_id: int, project: str, jobset: str, nr: int = LATEST_BUILDS_NR) -> int:
        """Fill the rows that the jobset's newest finished builds cover, with one `/api/latestbuilds` request.
        Returns how many rows changed (0 when the request failed: the rows are then fetched one by one)."""
        try:
            builds = await self.client.latest_builds(nr, project=project, jobset=jobset)
        except HydraError:
            return 0
        return self._apply(eval_id, builds)

    def fill_rows_from(self, eval_id: int, builds: Iterable[ComparedBuild]) -> int:
        """Fill the evaluation's rows from a comparison's rows (id, job, system, state), without a request.
        Rows of other evaluations (a removed job's) are ignored. Returns how many rows changed."""
        return self._apply(eval_id, builds)

    def fill_rows_from_comparison(self, eval_id: int, comparison: Comparison) -> int:
        """Fill the evaluation's rows from every row of this comparison, once: a comparison already written into
        these rows (the screen opened again, the same answer polled) costs nothing (it took 60-80 ms for nixpkgs)."""
        rows = self._current_rows(eval_id)
        if rows is None:
            return 0
        filler = self._filler(eval_id)
        if filler.compared_into is not rows.ids:
            filler.compared_into, filler.compared = rows.ids, []
        if any(comparison is c for c in filler.compared):
            return 0
        filler.compared = [*filler.compared[-(COMPARISONS_KEPT - 1) :], comparison]
        return self.fill_rows_from(eval_id, [b for c in comparison.categories.values() for b in c.builds])

    def rows_if_whole(self, eval_id: int) -> BuildRows | None:
        """The evaluation's rows when the server listed them whole with every detail (a private Hydra's jobsets),
        else None."""
        rows = self._current_rows(eval_id)
        return rows if rows is not None and not rows.partial and not rows.unknown else None

    def local_comparison(self, eval_id: int, other_id: int | None) -> Comparison | None:
        """Hydra's comparison of two evaluations computed here with BuildDiff.pm's rules, when both are cached
        whole (every category then comes complete, without `full=1`); None otherwise."""
        from hydra_tui.api.builddiff import diff_builds, inputs_from_rows

        rows = self.rows_if_whole(eval_id)
        other = self.rows_if_whole(other_id) if other_id is not None else BuildRows(())
        if rows is None or other is None:
            return None
        current, previous = inputs_from_rows(rows), inputs_from_rows(other)
        if current is None or previous is None:
            return None
        return diff_builds(eval_id, current, other_id, previous)

    def mark_success(self) -> None:
        """Data was read from the server outside the cache (watch mode): the connection is live."""
        self.cache.last_success = self.clock.now()
        for callback in list(self.cache.on_any_change):
            callback()

    # --- logs -------------------------------------------------------------------------------------

    async def log_tail(self, build_id: int, lines: int = LOG_TAIL_LINES) -> list[str]:
        """The end of a build log, asked of `/log/<drv>?tail=N` directly when the build's derivation is known."""
        from hydra_tui.logs.sanitize import decode

        known = self.cache.peek(("build", build_id))
        drvpath = known.value.drvpath if known is not None and isinstance(known.value, Build) else None
        raw = await self.client.log_tail(build_id, lines, drvpath=drvpath)
        # Decoding a few MB is quick, but not quick enough for the UI loop: a thread does it.
        return await asyncio.to_thread(lambda: [decode(line) for line in raw])

    async def log_end(self, build_id: int, *, fresh: bool = False) -> list[str]:
        """The end of a build log through the cache: what the build screen (or a prefetch) fetched is reused."""
        entry = await (self.refresh("log_tail", build_id) if fresh else self.get("log_tail", build_id))
        if entry.error is not None and (fresh or not entry.has_value):
            raise entry.error
        return entry.value or []

    def prefetch_log(self, build_id: int) -> bool:
        """Fetch a log's end before it is asked for, but only when that costs nothing against the rate limit
        (the bucket is full and no request waits). True when a fetch was started."""
        if self.cache.is_fresh(("log_tail", build_id)) or not self.client.limiter.idle:
            return False
        task = asyncio.ensure_future(self.get_in_background("log_tail", build_id))
        self._prefetches.add(task)
        task.add_done_callback(self._prefetches.discard)
        return True

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
        for filler in self._fillers.values():
            filler.wanted = []
            for task in list(filler.workers):
                task.cancel()
        for task in list(self._prefetches):
            task.cancel()
        self.cache.cancel_fetches()
        self.save_state()
        await self.client.aclose()
