"""Politeness towards a server: a cap on requests in flight, a client-side rate limit, and backoff."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass


class Priority(enum.IntEnum):
    """Who is waiting for a request. Lower goes first; each class leaves tokens and a connection to those above."""

    INTERACTIVE = 0  # a person waits: a screen opening, a log, a search, the palette, an action
    POLL = 1  # keeping what is on screen fresh, and the details of the rows in view
    BACKGROUND = 2  # work nobody waits on: the project tree's jobset states, root-cause scans


#: Tokens a request of each priority leaves in the bucket for the priorities above it (at most the burst less
#: one). Opening a jobset asks three things at once, so polls leave two tokens: with the default burst of 4, a
#: person's three requests go at once while polls run, and background work waits for a full bucket. Polls lose no
#: throughput by it: in a steady state they still go at the full rate, only never as a burst.
RESERVE = {Priority.INTERACTIVE: 0, Priority.POLL: 2, Priority.BACKGROUND: 3}

_CURRENT: ContextVar[Priority] = ContextVar("hydra_tui_priority", default=Priority.INTERACTIVE)


@dataclass
class Ticket:
    """The priority of one piece of work that may change while it waits for a token: a fetch nobody waits for any
    more drops to BACKGROUND (it still fills the cache, behind everything else), one a person comes to wait for
    rises to INTERACTIVE. The cache gives each fetch one; requests made inside it carry it to the rate limit."""

    level: Priority


_TICKET: ContextVar[Ticket | None] = ContextVar("hydra_tui_ticket", default=None)


def current_priority() -> Priority:
    """The priority of requests made here (a context variable: tasks inherit it from where they start)."""
    ticket = _TICKET.get()
    return ticket.level if ticket is not None else _CURRENT.get()


def current_ticket() -> Ticket:
    """The ticket of the work under way here, or a fixed one at the current priority."""
    return _TICKET.get() or Ticket(_CURRENT.get())


@contextlib.contextmanager
def priority(level: Priority) -> Iterator[None]:
    """Make the requests of this block (and of the tasks it starts) go at `level`."""
    token, ticket = _CURRENT.set(level), _TICKET.set(None)
    try:
        yield
    finally:
        _TICKET.reset(ticket)
        _CURRENT.reset(token)


@contextlib.contextmanager
def ticketed(ticket: Ticket) -> Iterator[None]:
    """Make the requests of this block (and of the tasks it starts) carry `ticket`: their priority is its level
    at each moment."""
    token = _TICKET.set(ticket)
    try:
        yield
    finally:
        _TICKET.reset(token)


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
    """A token bucket: `rate` tokens a second, at most `burst` saved up. rate 0 means unlimited.

    Waiting requests are served by priority, then in order of arrival, so a request a person waits for never
    queues behind polls or background work; those also leave `RESERVE` tokens in the bucket, so that one finds
    a token at once as long as the server's budget allows.
    """

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
        self._waiters: list[tuple[Ticket, int]] = []  # (priority, order of arrival): the least goes first
        self._arrivals = itertools.count()
        self.waited = 0.0  # total seconds spent waiting, for tests and benches
        self.granted: list[Priority] = []  # the order tokens went out in (the last 100), for tests

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    @property
    def idle(self) -> bool:
        """Nothing waits and the bucket is full: a request now costs nothing anyone would wait for."""
        if self.rate <= 0:
            return not self._waiters
        self._refill()
        return not self._waiters and self._tokens >= self.burst - 1e-9

    async def acquire(self, level: Priority | Ticket | None = None, *, background: bool = False) -> None:
        """Wait for a token. Without `level`, the priority of the calling context (`background` forces
        BACKGROUND); with a Ticket, its level as it is at each look (it may change while this waits)."""
        if self.rate <= 0:
            return
        if level is None:
            level = Priority.BACKGROUND if background else current_ticket()
        ticket = level if isinstance(level, Ticket) else Ticket(level)
        me = (ticket, next(self._arrivals))
        self._waiters.append(me)
        try:
            while True:
                self._refill()
                need = 1 + min(RESERVE[ticket.level], self.burst - 1)
                first = min(self._waiters, key=lambda w: (w[0].level, w[1])) is me
                if first and self._tokens >= need:
                    self._waiters.remove(me)
                    self._tokens -= 1
                    self.granted = [*self.granted[-99:], ticket.level]
                    return
                # Sleep until this one could go if nothing else came; look again sooner when others are ahead.
                wait = max((need - self._tokens) / self.rate, 0.0) if first else 1 / self.rate
                if first:
                    self.waited += wait
                await self._sleep(max(wait, 0.001))
        except BaseException:
            if me in self._waiters:
                self._waiters.remove(me)
            raise

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
