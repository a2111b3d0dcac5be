"""The async cache: freshness, single-flight, stale-on-error, change-only notifications, polling, disk."""

from __future__ import annotations

import asyncio

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.api.errors import UnreachableError
from hydra_tui.api.limits import Priority, priority
from hydra_tui.api.models import Project
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState
from hydra_tui.cache import disk
from hydra_tui.cache.service import DataService, _build_pace, _jobsets_pace, _rows_pace
from hydra_tui.cache.store import Cache
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer


class Source:
    def __init__(self) -> None:
        self.calls = 0
        self.value: object = [1]
        self.fail = False
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> object:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise UnreachableError("Cannot connect to the test server.")
        return self.value


async def test_two_callers_one_request() -> None:
    cache = Cache(FrozenClock(0))
    source = Source()
    source.gate = asyncio.Event()
    first = asyncio.ensure_future(cache.get(("projects",), source))
    second = asyncio.ensure_future(cache.get(("projects",), source))
    await asyncio.sleep(0)
    source.gate.set()
    a, b = await asyncio.gather(first, second)
    assert a is b and source.calls == 1 and cache.stats.shared == 1


async def test_a_fetch_goes_at_the_priority_of_whoever_waits_for_it() -> None:
    """A poll's fetch that a person comes to wait for goes as theirs; once nobody waits (a screen closed before its
    request got a token) it drops to background: it spends nothing a waiting person could use, and still fills
    the cache for whoever comes back (issue 14)."""
    cache = Cache(FrozenClock(0))
    source = Source()
    source.gate = asyncio.Event()
    key = ("build", 1)
    with priority(Priority.POLL):
        poll = asyncio.ensure_future(cache.get(key, source))
    await asyncio.sleep(0)
    ticket = cache._tickets[cache._inflight[key]]
    assert ticket.level is Priority.POLL
    person = asyncio.ensure_future(cache.get(key, source))  # the default priority: a person waits
    await asyncio.sleep(0)
    assert ticket.level is Priority.INTERACTIVE and source.calls == 1
    person.cancel()  # the screen closed
    await asyncio.sleep(0)
    assert ticket.level is Priority.POLL
    poll.cancel()
    await asyncio.sleep(0)
    assert ticket.level is Priority.BACKGROUND and cache.stats.abandoned == 1
    source.gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert cache.entries[key].value == [1] and source.calls == 1  # the fetch went on and filled the cache


async def test_freshness_window_per_kind() -> None:
    clock = FrozenClock(0)
    cache = Cache(clock)
    source = Source()
    await cache.get(("projects",), source)
    clock.advance(200)
    await cache.get(("projects",), source)
    assert source.calls == 1  # projects stay fresh 300 s
    await cache.get(("build", 1), source)
    clock.advance(20)
    await cache.get(("build", 1), source)
    assert source.calls == 3  # a build only 15 s
    cache.invalidate(("projects",))
    await cache.get(("projects",), source)
    assert source.calls == 4


async def test_failure_keeps_last_good_value_marked_stale() -> None:
    clock = FrozenClock(100)
    cache = Cache(clock)
    source = Source()
    seen = []
    cache.listen(("projects",), lambda e: seen.append((e.value, e.error is not None)))
    await cache.refresh(("projects",), source)
    source.fail = True
    clock.advance(30)
    entry = await cache.refresh(("projects",), source)
    assert entry.value == [1] and entry.stale and entry.error_at == 130
    clock.advance(30)
    entry = await cache.refresh(("projects",), source)
    assert entry.error_at == 130  # stale since the first failure
    source.fail = False
    entry = await cache.refresh(("projects",), source)
    assert not entry.stale and entry.error is None
    assert seen == [([1], False), ([1], True), ([1], True), ([1], False)]


async def test_listeners_hear_only_real_changes() -> None:
    cache = Cache(FrozenClock(0))
    source = Source()
    versions = []
    cache.listen(("projects",), lambda e: versions.append(e.version))
    for _ in range(3):
        await cache.refresh(("projects",), source)
    source.value = [2]
    await cache.refresh(("projects",), source)
    assert versions == [1, 2]


async def test_poller_polls_until_cancelled(demo: DemoServer, client: HydraClient) -> None:
    service = DataService(client, FrozenClock(0))
    service.poller.min_interval = 0
    service.poller.speed = 0.001
    got: list[int] = []
    sub = service.subscribe("projects", on_change=lambda e: got.append(e.version))
    for _ in range(500):
        if service.cache.stats.requests >= 3:
            break
        await asyncio.sleep(0.01)
    assert service.cache.stats.requests >= 3 and got == [1]  # polled thrice, one change
    task = sub.task
    sub.cancel()
    await asyncio.sleep(0)
    assert task is not None and (task.cancelled() or task.done())
    assert not service.poller.subscriptions and not service.poller.polled_keys


async def test_one_loop_per_key_and_paused_subscribers_do_not_count(client: HydraClient) -> None:
    service = DataService(client, FrozenClock(0))
    first = service.subscribe("projects", on_change=lambda e: None)
    second = service.subscribe("projects", on_change=lambda e: None)
    assert service.poller.polled_keys == {("projects",)} and first.task is second.task
    first.pause()
    assert service.poller.polled_keys == {("projects",)}
    second.pause()
    assert service.poller.polled_keys == set()
    second.resume()
    assert service.poller.polled_keys == {("projects",)}
    service.poller.cancel_all()


def test_adaptive_paces() -> None:
    from hydra_tui.api.models import Build, JobsetOverview

    busy = [JobsetOverview(name="a", nrscheduled=3)]
    idle = [JobsetOverview(name="a", nrscheduled=0)]
    assert _jobsets_pace(busy) < _jobsets_pace(idle)
    running = Build(id=1, finished=False, starttime=5)
    done = Build(id=1, finished=True, buildstatus=0)
    assert _build_pace(running) < _build_pace(done)
    rows = BuildRows([1, 2])
    rows.set(1, job="a", system="x", state=BuildState.QUEUED, starttime=None, stoptime=None)
    rows.set(2, job="b", system="x", state=BuildState.SUCCEEDED, starttime=1, stoptime=2)
    finished = BuildRows([1])
    finished.set(1, job="a", system="x", state=BuildState.SUCCEEDED, starttime=1, stoptime=2)
    assert _rows_pace(rows) < _rows_pace(finished)
    # Listed by id alone, asking again brings the same ids: an evaluation's builds never change.
    ids_only = BuildRows([1, 2])
    ids_only.partial = True
    assert _rows_pace(ids_only) >= 300


async def test_partial_rows_fill_on_demand(client: HydraClient) -> None:
    service = DataService(client, FrozenClock(0))
    latest = await client.latest_eval("nixpkgs", "trunk")
    entry = await service.get("eval_builds", latest.eval.id)
    rows: BuildRows = entry.value
    assert rows.partial and len(rows) == 250_000 and rows.unknown == 250_000
    wanted = list(rows.ids[:5])
    assert await service.fill_rows(latest.eval.id, wanted) == 5
    filled: BuildRows = service.cache.peek(("eval_builds", latest.eval.id)).value
    assert filled.unknown == 250_000 - 5 and filled.jobs[0]
    again = await service.refresh("eval_builds", latest.eval.id)
    assert again.value.unknown == 250_000 - 5  # a re-poll keeps what was learnt


async def test_state_on_disk(tmp_path, client: HydraClient) -> None:
    path = disk.cache_file(tmp_path, client.base_url)
    first = DataService(client, FrozenClock(0), state_file=path)
    await first.get("projects")
    await first.get("jobsets", "hello")
    first.save_state()
    second = DataService(client, FrozenClock(50), state_file=path)
    second.load_state()
    entry = second.cache.peek(("projects",))
    assert entry is not None and entry.from_disk and entry.stale
    assert [p.name for p in entry.value] == [p.name for p in first.cache.peek(("projects",)).value]
    assert isinstance(entry.value[0], Project)
    assert not second.cache.is_fresh(("projects",))
    fresh = await second.get("projects")
    assert not fresh.from_disk


def test_broken_state_file_is_ignored(tmp_path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    assert disk.load(Cache(FrozenClock(0)), path) == []
    path.write_text('[{"key": ["projects"], "at": 1, "value": [{"bad": 1}]}, 5]')
    assert disk.load(Cache(FrozenClock(0)), path) == []


@pytest.mark.parametrize("kind", ["nonsense"])
def test_unknown_kind(kind: str, client: HydraClient) -> None:
    with pytest.raises(ValueError):
        DataService(client, FrozenClock(0)).source(kind)


async def test_unwatched_heavy_entries_are_dropped() -> None:
    cache = Cache(FrozenClock(0))
    source = Source()
    for n in range(5):
        stop = cache.listen(("eval_builds", n), lambda e: None)
        await cache.refresh(("eval_builds", n), source)
        stop()
    assert sorted(k[1] for k in cache.entries) == [3, 4]  # only the two most recent stay
    stop = cache.listen(("eval_builds", 9), lambda e: None)
    await cache.refresh(("eval_builds", 9), source)
    assert ("eval_builds", 9) in cache.entries  # a watched one is never dropped
    stop()
