"""Cache entries keyed by request, each kind with its own freshness window; one request per key at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hydra_tui.api.errors import HydraError, InternalError
from hydra_tui.api.limits import Priority, Ticket, current_priority, ticketed
from hydra_tui.clock import Clock

Key = tuple[Any, ...]
Fetch = Callable[[], Awaitable[Any]]

# Seconds a value of each kind stays fresh; polls of a key on screen may be faster (see poller).
FRESHNESS: dict[str, float] = {
    "projects": 300,
    "jobsets": 30,
    "jobset": 60,
    "jobset_errors": 60,
    "evals": 60,
    "eval": 600,
    "eval_builds": 20,
    "build": 15,
    "user": 600,
    "compare": 60,
    "build_steps": 3600,  # a finished build's steps never change; running ones are polled by their screen
    "eval_job": 600,
    "eval_summaries": 60,
    "queue_size": 5,
    "queue_runner": 5,
    "running": 10,
    "machines": 60,
    "queue_head": 30,
}


# How many entries of a kind may stay cached once no screen shows them (the rest are dropped, oldest first),
# so that a long session that visits many nixpkgs-sized evaluations does not keep them all.
KEEP_UNWATCHED: dict[str, int] = {
    "eval_builds": 2,
    "log_tail": 4,
    "build": 300,
    "eval": 20,
    "evals": 40,
    "compare": 6,
    "eval_job": 200,
}


@dataclass
class Entry:
    """The last good value of one key, and what happened since."""

    key: Key
    value: Any = None
    fetched_at: float | None = None  # when `value` was fetched (or loaded from disk)
    version: int = 0  # bumped whenever `value` really changed
    error: HydraError | None = None  # the last refresh's failure, cleared by a success
    error_at: float | None = None
    from_disk: bool = False
    expired: bool = False  # an action changed what this holds: fetch again before trusting it

    @property
    def has_value(self) -> bool:
        return self.fetched_at is not None

    @property
    def stale(self) -> bool:
        return self.error is not None or self.from_disk


@dataclass
class CacheStats:
    requests: int = 0
    shared: int = 0  # callers that joined a request already in flight
    abandoned: int = 0  # fetches everyone waiting for gave up on (they go on at background priority)
    failures: int = 0
    listeners: dict[Key, int] = field(default_factory=dict)


class Cache:
    """Values by key. `get` returns a fresh value or fetches; `refresh` always fetches (single-flight)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.entries: dict[Key, Entry] = {}
        self._inflight: dict[Key, asyncio.Task[Entry]] = {}
        self._waiting: dict[asyncio.Task[Entry], list[Priority]] = {}  # the priorities of each fetch's callers
        self._tickets: dict[asyncio.Task[Entry], Ticket] = {}  # each fetch's priority, which its waiters move
        self._listeners: dict[Key, list[Callable[[Entry], None]]] = {}
        self._released: list[Key] = []  # keys nobody listens to any more, oldest first
        self.stats = CacheStats()
        self.last_success: float | None = None
        self.on_any_change: list[Callable[[], None]] = []

    def entry(self, key: Key) -> Entry:
        found = self.entries.get(key)
        if found is None:
            found = self.entries[key] = Entry(key)
        return found

    def peek(self, key: Key) -> Entry | None:
        return self.entries.get(key)

    def is_fresh(self, key: Key, max_age: float | None = None) -> bool:
        entry = self.entries.get(key)
        if entry is None or entry.fetched_at is None or entry.error is not None or entry.from_disk or entry.expired:
            return False
        window = FRESHNESS.get(str(key[0]), 30) if max_age is None else max_age
        return self.clock.now() - entry.fetched_at < window

    async def get(self, key: Key, fetch: Fetch, max_age: float | None = None) -> Entry:
        if self.is_fresh(key, max_age):
            return self.entries[key]
        return await self.refresh(key, fetch)

    async def refresh(self, key: Key, fetch: Fetch) -> Entry:
        """Fetch now, unless a fetch of the same key is already under way: then share its result. A fetch goes at
        the priority of the most urgent of those waiting for it: a poll's fetch that a person comes to wait for
        rises; one that everyone waiting for gave up on (a screen closed or covered) drops to background, so that
        it spends no share of the rate limit someone still waiting could use, and still fills the cache."""
        wanted = current_priority()
        task = self._inflight.get(key)
        if task is not None:
            self.stats.shared += 1
        else:
            ticket = Ticket(wanted)
            with ticketed(ticket):
                task = asyncio.ensure_future(self._fetch(key, fetch))
            self._inflight[key] = task
            self._tickets[task] = ticket
        waiting = self._waiting.setdefault(task, [])
        waiting.append(wanted)
        self._set_priority(task)
        try:
            return await asyncio.shield(task)
        finally:
            waiting.remove(wanted)
            if not waiting:
                del self._waiting[task]
                if not task.done():
                    self.stats.abandoned += 1
            self._set_priority(task)
            if self._inflight.get(key) is task and task.done():
                del self._inflight[key]

    def _set_priority(self, task: asyncio.Task[Entry]) -> None:
        ticket = self._tickets.get(task)
        if ticket is not None:
            ticket.level = min(self._waiting.get(task) or [Priority.BACKGROUND])

    async def _fetch(self, key: Key, fetch: Fetch) -> Entry:
        entry = self.entry(key)
        self.stats.requests += 1
        try:
            try:
                value = await fetch()
            except (HydraError, asyncio.CancelledError):
                raise
            except Exception as exc:  # a bug or an input that breaks a library: shown on the entry, polling goes on
                raise InternalError(f"Reading the answer failed ({type(exc).__name__}: {str(exc)[:200]}).") from exc
        except HydraError as exc:
            self.stats.failures += 1
            first = entry.error is None
            entry.error = exc
            entry.error_at = self.clock.now() if first or entry.error_at is None else entry.error_at
            self._tell(entry)
            return entry
        finally:
            self._inflight.pop(key, None)
            task = asyncio.current_task()
            if task is not None:
                self._tickets.pop(task, None)  # type: ignore[arg-type]
        now = self.clock.now()
        changed = entry.fetched_at is None or entry.from_disk or value != entry.value
        recovered = entry.error is not None
        entry.error = None
        entry.error_at = None
        entry.fetched_at = now
        entry.from_disk = False
        entry.expired = False
        self.last_success = now
        if changed:
            entry.value = value
            entry.version += 1
        if changed or recovered:
            self._tell(entry)
        return entry

    def cancel_fetches(self) -> None:
        """Stop every fetch under way (on shutdown, before the client closes)."""
        for task in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()

    def put(self, key: Key, value: Any, *, fetched_at: float, from_disk: bool = False) -> Entry:
        entry = self.entry(key)
        entry.value = value
        entry.fetched_at = fetched_at
        entry.from_disk = from_disk
        entry.version += 1
        self._tell(entry)
        return entry

    def invalidate(self, key: Key) -> None:
        """Make the next `get` fetch (after an action changed what the key holds)."""
        entry = self.entries.get(key)
        if entry is not None:
            entry.expired = True

    def invalidate_kind(self, kind: str) -> None:
        for key in list(self.entries):
            if key[0] == kind:
                self.invalidate(key)

    def listen(self, key: Key, callback: Callable[[Entry], None]) -> Callable[[], None]:
        """Call `callback(entry)` whenever the key's value changes or its error state does."""
        self._listeners.setdefault(key, []).append(callback)

        def stop() -> None:
            callbacks = self._listeners.get(key, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if not callbacks:
                self._listeners.pop(key, None)
                self._released.append(key)
                self._prune(str(key[0]))

        return stop

    def _prune(self, kind: str) -> None:
        keep = KEEP_UNWATCHED.get(kind)
        if keep is None:
            return
        unwatched = [k for k in self._released if k[0] == kind and k not in self._listeners and k in self.entries]
        for key in unwatched[: max(0, len(unwatched) - keep)]:
            if key not in self._inflight:
                del self.entries[key]
                self._released.remove(key)

    def _tell(self, entry: Entry) -> None:
        for callback in list(self._listeners.get(entry.key, [])):
            callback(entry)
        for callback in list(self.on_any_change):
            callback()
