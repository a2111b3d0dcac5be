"""Polls only what a screen on display subscribed to, adapting its pace to how live the data is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hydra_tui.cache.store import Cache, Entry, Fetch, Key

Interval = Callable[[Any], float]


@dataclass(eq=False)
class Subscription:
    key: Key
    task: asyncio.Task[None]
    stop_listening: Callable[[], None]
    forget: Callable[[Subscription], None] = lambda _s: None

    def cancel(self) -> None:
        self.stop_listening()
        self.task.cancel()
        self.forget(self)


def steady(seconds: float) -> Interval:
    return lambda _value: seconds


class Poller:
    """Runs one polling loop per subscription; the client underneath keeps every loop within its rate limit."""

    def __init__(self, cache: Cache, *, speed: float = 1.0, min_interval: float = 2.0) -> None:
        self.cache = cache
        self.speed = speed  # a multiplier on every interval (tests and watch mode change it)
        self.min_interval = min_interval
        self.subscriptions: set[Subscription] = set()

    def subscribe(
        self,
        key: Key,
        fetch: Fetch,
        on_change: Callable[[Entry], None],
        interval: Interval,
        *,
        immediate: bool = True,
    ) -> Subscription:
        """Deliver the key's value now (if known), fetch it, and keep it fresh until cancelled."""
        stop = self.cache.listen(key, on_change)
        known = self.cache.peek(key)
        if known is not None and known.has_value:
            on_change(known)

        async def loop() -> None:
            first = True
            while True:
                entry = await (self.cache.get(key, fetch) if first and immediate else self.cache.refresh(key, fetch))
                first = False
                pause = max(self.min_interval, interval(entry.value)) if entry.error is None else self._retry(entry)
                await asyncio.sleep(pause * self.speed)

        task = asyncio.ensure_future(loop())
        sub = Subscription(key, task, stop, self.subscriptions.discard)
        self.subscriptions.add(sub)
        task.add_done_callback(lambda _t: self.subscriptions.discard(sub))
        return sub

    def _retry(self, entry: Entry) -> float:
        # The client already backed off inside the request; wait a little more between failed polls.
        return max(self.min_interval, 10.0)

    def cancel_all(self) -> None:
        for sub in list(self.subscriptions):
            sub.cancel()
