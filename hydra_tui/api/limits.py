"""Politeness towards a server: a cap on requests in flight, a client-side rate limit, and backoff."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """How hard hydra-tui may press one server. Defaults stay under hydra.nixos.org's 2 requests/s."""

    rate: float = 1.5  # requests per second, on average
    burst: int = 4  # requests that may go at once after a quiet spell
    in_flight: int = 2  # concurrent requests
    retries: int = 4  # attempts after the first, for reads
    backoff_base: float = 1.0  # seconds before the first retry
    backoff_max: float = 60.0
    timeout: float = 30.0  # seconds for connect and for each read
    deadline: float = 120.0  # seconds for a whole request, its answer read to the end (a trickle cannot hold it)
    max_body: int = 256 << 20  # bytes of an answer, counted after decompression
    log_deadline: float = 900.0  # seconds for downloading a whole build log (logs are spooled to a file)

    @classmethod
    def unlimited(cls) -> Limits:
        """For a local demo server in tests: no rate limit, quick retries."""
        return cls(
            rate=0, burst=1, in_flight=8, retries=2, backoff_base=0.05, backoff_max=0.2, timeout=10.0, deadline=30.0
        )


class RateLimiter:
    """A token bucket: `rate` tokens a second, at most `burst` saved up. rate 0 means unlimited."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._monotonic = monotonic
        self._sleep = sleep
        self._last = monotonic()
        self._lock = asyncio.Lock()
        self.waited = 0.0  # total seconds spent waiting, for tests and benches

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    async def acquire(self, *, background: bool = False) -> None:
        """Wait for a token. A background request also waits until one token stays spare, so that what the
        user is waiting for never queues behind it."""
        if self.rate <= 0:
            return
        if background:
            spare = min(self.burst, 2)
            while True:
                self._refill()
                if self._tokens >= spare:
                    break
                await self._sleep(1 / self.rate)
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                self.waited += wait
                await self._sleep(wait)
                self._refill()
            self._tokens -= 1

    def penalise(self, seconds: float) -> None:
        """After a 429, spend tokens so that nothing goes out for `seconds`."""
        if self.rate > 0:
            self._refill()
            self._tokens = min(self._tokens, -seconds * self.rate)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [base/2, min(cap, base·2^attempt)]."""
    upper = min(cap, base * (2**attempt))
    rng = rng or random
    return rng.uniform(min(base / 2, upper), upper)
