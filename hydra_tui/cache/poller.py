"""Polls only what a screen on display subscribed to, adapting its pace to how live the data is.

One polling loop per key, shared by every subscription to it; a paused subscription (its screen is covered by
another) stops counting, and the loop stops when nobody active is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hydra_tui.api.limits import Priority, priority
from hydra_tui.cache.store import Cache, Entry, Fetch, Key

Interval = Callable[[Any], float]


def steady(seconds: float) -> Interval:
    return lambda _value: seconds


@dataclass(eq=False)
class Subscription:
    key: Key
    poller: Poller
    fetch: Fetch
    interval: Interval
    stop_listening: Callable[[], None]
    active: bool = False
    cancelled: bool = False

    def pause(self) -> None:
        """Stop polling for this subscriber (its value stays cached and it still hears about changes)."""
        if self.active:
            self.active = False
            self.poller._release(self.key)

    def resume(self) -> None:
        if not self.active and not self.cancelled:
            self.active = True
            self.poller._acquire(self.key, self.fetch, self.interval)

    def cancel(self) -> None:
        self.stop_listening()
        self.pause()
        self.cancelled = True
        self.poller.subscriptions.discard(self)

    @property
    def task(self) -> asyncio.Task[None] | None:
        loop = self.poller._loops.get(self.key)
        return loop.task if loop is not None else None


@dataclass
class _Loop:
    task: asyncio.Task[None]
    users: int = 1
    interval: Interval = field(default=steady(30))


class Poller:
    """Runs one loop per polled key; the client underneath keeps every loop within its rate limit."""

    def __init__(self, cache: Cache, *, speed: float = 1.0, min_interval: float = 2.0) -> None:
        self.cache = cache
        self.speed = speed  # a multiplier on every interval (tests and the soak bench change it)
        self.min_interval = min_interval
        self.subscriptions: set[Subscription] = set()
        self._loops: dict[Key, _Loop] = {}

    @property
    def polled_keys(self) -> set[Key]:
        return set(self._loops)

    def subscribe(self, key: Key, fetch: Fetch, on_change: Callable[[Entry], None], interval: Interval) -> Subscription:
        """Deliver the key's value now (if known), fetch it if stale, and keep it fresh until paused or cancelled."""
        stop = self.cache.listen(key, on_change)
        known = self.cache.peek(key)
        if known is not None and known.has_value:
            on_change(known)
        sub = Subscription(key, self, fetch, interval, stop)
        self.subscriptions.add(sub)
        sub.resume()
        return sub

    def _acquire(self, key: Key, fetch: Fetch, interval: Interval) -> None:
        loop = self._loops.get(key)
        if loop is not None and not loop.task.done():
            loop.users += 1
            return
        task = asyncio.ensure_future(self._run(key, fetch, interval))
        self._loops[key] = _Loop(task, 1, interval)

    def _release(self, key: Key) -> None:
        loop = self._loops.get(key)
        if loop is None:
            return
        loop.users -= 1
        if loop.users <= 0:
            loop.task.cancel()
            del self._loops[key]

    async def _run(self, key: Key, fetch: Fetch, interval: Interval) -> None:
        entry = await self.cache.get(key, fetch)
        while True:
            try:
                pause = max(self.min_interval, interval(entry.value)) if entry.error is None else self._retry(entry)
            except Exception:  # a pace that cannot read the value must not end the polling
                pause = self._retry(entry)
            await asyncio.sleep(pause * self.speed)
            with priority(Priority.POLL):  # the first fetch above is what the screen waits for; these are not
                entry = await self.cache.refresh(key, fetch)

    def _retry(self, entry: Entry) -> float:
        # The client already backed off inside the request; wait a little more between failed polls.
        return max(self.min_interval, 10.0)

    def cancel_all(self) -> None:
        for sub in list(self.subscriptions):
            sub.cancel()
        for loop in list(self._loops.values()):
            loop.task.cancel()
        self._loops.clear()
