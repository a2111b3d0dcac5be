"""Politeness: the rate limit, the in-flight cap and backoff, with faults the demo cannot produce yet."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydra_tui.api import errors
from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits, Priority, RateLimiter, Ticket, backoff_delay, priority
from hydra_tui.demo.runner import DemoServer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_token_bucket_allows_a_burst_then_paces() -> None:
    t = FakeTime()
    limiter = RateLimiter(2.0, 3, monotonic=t.monotonic, sleep=t.sleep)
    for _ in range(9):
        await limiter.acquire()
    # 3 at once, then one every 0.5 s: 6 more take 3 s.
    assert t.sleeps[:1] == [0.5] and t.now == pytest.approx(3.0)
    assert 9 / t.now > 2.0  # the burst makes the first seconds faster…
    for _ in range(100):
        await limiter.acquire()
    assert 109 / t.now < 2.1  # …but the long-run average stays at the rate


async def test_penalty_after_429_holds_everything_back() -> None:
    t = FakeTime()
    limiter = RateLimiter(1.0, 4, monotonic=t.monotonic, sleep=t.sleep)
    limiter.penalise(10)
    await limiter.acquire()
    assert t.now >= 10


def test_default_limits_respect_hydra_nixos_org() -> None:
    limits = Limits()
    assert limits.rate < 2 and limits.burst <= 7 and limits.in_flight <= 4


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    rng = random.Random(5)
    delays = [backoff_delay(a, 1.0, 30.0, rng) for a in range(8)]
    assert all(0.5 <= d <= 30.0 for d in delays)
    assert max(delays[5:]) > max(delays[:2])
    assert len({round(d, 6) for d in delays}) == len(delays)


def _client(handler, sleep) -> HydraClient:
    limits = Limits(rate=0, retries=3, backoff_base=1.0, backoff_max=8.0)
    return HydraClient(
        "http://hydra.test", limits=limits, transport=httpx.MockTransport(handler), sleep=sleep, rng=random.Random(1)
    )


async def test_backoff_on_5xx_then_success() -> None:
    t = FakeTime()
    answers = iter([503, 502, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        return httpx.Response(status, json=[] if status == 200 else {"error": "busy"})

    async with _client(handler, t.sleep) as hydra:
        assert await hydra.projects() == []
        assert len(t.sleeps) == 2 and hydra.health.retries == 2 and hydra.health.ok
        assert t.sleeps[0] <= 1.0 and t.sleeps[1] <= 2.0


async def test_429_honours_retry_after_and_gives_up_typed() -> None:
    t = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"}, text="slow down")

    async with _client(handler, t.sleep) as hydra:
        with pytest.raises(errors.RateLimitedError) as info:
            await hydra.projects()
        assert info.value.retry_after == 7
        assert len(t.sleeps) == 3 and all(s >= 7 for s in t.sleeps)
        assert "back off" in str(info.value)


async def test_timeouts_are_unreachable_after_retries() -> None:
    t = FakeTime()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    async with _client(handler, t.sleep) as hydra:
        with pytest.raises(errors.UnreachableError, match="did not answer in time"):
            await hydra.projects()
    assert calls == 4


async def test_posts_are_not_retried_on_5xx() -> None:
    t = FakeTime()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(502, text="<html>bad gateway</html>", headers={"content-type": "text/html"})

    async with _client(handler, t.sleep) as hydra:
        with pytest.raises(errors.ServerError) as info:
            await hydra.restart_build(1)
    assert calls == 1 and info.value.status == 502 and "bad gateway" in str(info.value)


async def test_server_error_carries_hydras_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": "Invalid build ID ‘abc’."})

    async with _client(handler, FakeTime().sleep) as hydra:
        with pytest.raises(errors.ServerError) as info:
            await hydra.build(1)
    assert info.value.server_text == "Invalid build ID ‘abc’."


async def test_malformed_json_and_wrong_shapes() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(200, content=b'[{"name": "x"', headers={"content-type": "application/json"})
        return httpx.Response(200, json={"id": "not a number"})

    async with _client(handler, FakeTime().sleep) as hydra:
        with pytest.raises(errors.BadResponseError, match="malformed JSON"):
            await hydra.projects()
        with pytest.raises(errors.BadResponseError, match="cannot read"):
            await hydra.build(1)


async def test_tarpit_html_with_status_200() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>garbage</html>", headers={"content-type": "text/html"})

    async with _client(handler, FakeTime().sleep) as hydra:
        with pytest.raises(errors.BadResponseError) as info:
            await hydra.projects()
    assert "HTML page where JSON was expected" in str(info.value) and "proxy" in str(info.value)


async def test_rate_limit_against_the_demo(demo: DemoServer) -> None:
    limits = Limits(rate=50, burst=2, in_flight=2, retries=0)
    async with HydraClient(demo.url, limits=limits) as hydra:
        started = asyncio.get_running_loop().time()
        await asyncio.gather(*(hydra.project("hello") for _ in range(12)))
        # 2 go at once; the other 10 go 1/50 s apart.
        assert asyncio.get_running_loop().time() - started >= 10 / 50 * 0.95
        assert hydra.limiter.waited > 0
        assert hydra.health.requests == 12


async def test_in_flight_cap(demo: DemoServer) -> None:
    active = peak = 0

    class Counting(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            try:
                await asyncio.sleep(0)  # yield so that others could start
                return await super().handle_async_request(request)
            finally:
                active -= 1

    limits = Limits(rate=0, in_flight=2, retries=0)
    async with HydraClient(demo.url, limits=limits, transport=Counting()) as hydra:
        await asyncio.gather(*(hydra.project("hello") for _ in range(10)))
    assert peak == 2


async def test_huge_evals_page_ids_are_counted_not_parsed() -> None:
    import tracemalloc

    ids = ",".join(str(n) for n in range(1_000_000))
    page = (
        '{"evals": ['
        + ",".join(f'{{"id": {k}, "hasnewbuilds": 1, "builds": [{ids}], "jobsetevalinputs": {{}}}}' for k in (2, 1))
        + '], "first": "?page=1", "last": "?page=4", "next": "?page=2"}'
    ).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=page, headers={"content-type": "application/json"})

    async with _client(handler, FakeTime().sleep) as hydra:
        tracemalloc.start()
        result = await hydra.evals("nixpkgs", "trunk")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert [e.nrbuilds for e in result.evals] == [1_000_000, 1_000_000] and result.next_page == 2
    assert peak < 4 * len(page)  # 2 million Python ints would take far more


def test_drop_build_arrays() -> None:
    from hydra_tui.api.client import drop_build_arrays

    assert drop_build_arrays(b'{"builds": [], "x": {"builds":[1, 2 ,3]}}') == b'{"nrbuilds": 0, "x": {"nrbuilds": 3}}'


_TOKENS = [b'"builds"', b" ", b"\n", b":", b"[", b"]", b",", b"7", b"42", b"x", b"{", b"}", b'"', b'"nrbuilds"']


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=40))
def test_drop_build_arrays_does_what_its_pattern_says(tokens: list[bytes]) -> None:
    """The same as the regular expression it replaced, on any mix of the bytes that matter to it."""
    import re

    from hydra_tui.api.client import drop_build_arrays

    def count(match: re.Match[bytes]) -> bytes:
        ids = match.group(1).strip()
        return b'"nrbuilds": %d' % (ids.count(b",") + 1 if ids else 0)

    body = b"".join(tokens)
    assert drop_build_arrays(body) == re.sub(rb'"builds"\s*:\s*\[([0-9,\s]*)\]', count, body)


async def test_polls_and_background_work_leave_tokens_spare() -> None:
    t = FakeTime()
    limiter = RateLimiter(1.0, 4, monotonic=t.monotonic, sleep=t.sleep)
    for _ in range(3):
        await limiter.acquire()
    before = t.now
    await limiter.acquire(background=True)  # 1 token left: waits until 4 are there (3 spare), takes one
    assert t.now - before == pytest.approx(3.0)
    await limiter.acquire(Priority.POLL)  # a poll leaves 2 spare: 3 are there, it takes one at once
    await limiter.acquire()  # the requests a person waits for still find their tokens at once
    await limiter.acquire()
    assert t.now - before == pytest.approx(3.0)


class SteppedTime:
    """A fake clock for many concurrent sleepers: time jumps to the earliest wake-up once everyone is asleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._n = 0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._n += 1
        self._sleepers.append((self.now + seconds, self._n, future))
        await future

    async def run(self, *coroutines) -> None:
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every task run until it sleeps or ends
                await asyncio.sleep(0)
            if self._sleepers:
                self._sleepers.sort()
                wake, _, future = self._sleepers.pop(0)
                self.now = max(self.now, wake)
                future.set_result(None)
        for t in tasks:
            t.result()


async def test_a_request_a_person_waits_for_goes_before_queued_polls() -> None:
    t = SteppedTime()
    limiter = RateLimiter(1.0, 4, monotonic=t.monotonic, sleep=t.sleep)
    sent: list[str] = []

    async def poll(n: int) -> None:
        with priority(Priority.POLL):
            await limiter.acquire()
        sent.append(f"poll{n}")

    async def person() -> None:
        await t.sleep(2.5)  # the user presses `l` while the polls are queued
        await limiter.acquire()
        sent.append(f"person@{t.now:g}")

    async def background() -> None:
        await limiter.acquire(background=True)
        sent.append("background")

    await t.run(*(poll(n) for n in range(8)), person(), background())
    # Two polls go from the burst (two tokens stay spare), then one a second; the person's request, made at
    # 2.5 s, takes a spare token at once, ahead of the polls still queued; background work goes last.
    assert sent[:2] == ["poll0", "poll1"] and t.now > 2.5
    assert sent[sent.index("person@2.5") - 1] in ("poll3", "poll4")
    assert sent.index("person@2.5") < sent.index("poll7")
    assert sent[-1] == "background"
    assert limiter.granted.count(Priority.INTERACTIVE) == 1


async def test_polls_and_background_work_leave_a_connection_free(demo: DemoServer) -> None:
    """With every poll connection busy on a slow answer, a person's request still goes out at once."""
    release = asyncio.Event()
    started: list[str] = []

    class Slow(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            started.append(request.url.path)
            if request.url.path == "/project/hello":
                await release.wait()
            return await super().handle_async_request(request)

    limits = Limits(rate=0, burst=1, in_flight=2, retries=0)
    async with HydraClient(demo.url, limits=limits, transport=Slow()) as hydra:
        with priority(Priority.POLL):
            polls = [asyncio.ensure_future(hydra.project("hello")) for _ in range(3)]
        for _ in range(50):
            await asyncio.sleep(0)
        assert started.count("/project/hello") == 1  # polls hold one connection of two
        await asyncio.wait_for(hydra.projects(), 5)  # the person's request takes the other at once
        release.set()
        await asyncio.gather(*polls)


async def test_a_ticket_that_drops_while_waiting_lets_a_person_go_first() -> None:
    """A request for a screen that closed before it got its token drops to background and waits for a full
    bucket; the request of the screen now open goes ahead of it."""
    t = SteppedTime()
    limiter = RateLimiter(1.0, 4, monotonic=t.monotonic, sleep=t.sleep)
    for _ in range(4):
        await limiter.acquire()  # the bucket is empty
    closed = Ticket(Priority.INTERACTIVE)
    sent: list[str] = []

    async def for_the_closed_screen() -> None:
        await limiter.acquire(closed)
        sent.append(f"closed@{t.now:g}")

    async def the_screen_closes() -> None:
        await t.sleep(0.5)
        closed.level = Priority.BACKGROUND

    async def for_the_open_screen() -> None:
        await t.sleep(0.6)
        await limiter.acquire()
        sent.append(f"open@{t.now:g}")

    await t.run(for_the_closed_screen(), the_screen_closes(), for_the_open_screen())
    assert sent[0] == "open@1" and sent[1].startswith("closed@")
    assert float(sent[1].split("@")[1]) >= 4  # background waits for a full bucket
