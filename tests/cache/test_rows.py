"""Row details of a nixpkgs-sized evaluation: shown as they arrive, fetched for what is on screen, kept by polls,
filled in bulk from `/api/latestbuilds` and from a comparison's rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.api.comparison import Change, ComparedBuild, Comparison
from hydra_tui.api.errors import UnreachableError
from hydra_tui.api.models import Build
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState
from hydra_tui.cache.service import DataService
from hydra_tui.clock import FrozenClock


class Gate:
    """Holds calls of one client method until released, so a test can see what happens in between."""

    def __init__(self, client: HydraClient, name: str) -> None:
        self.real: Callable[..., Awaitable[Any]] = getattr(client, name)
        self.open = asyncio.Event()
        self.waiting = 0
        self.calls: list[tuple[Any, ...]] = []
        setattr(client, name, self)

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(args)
        self.waiting += 1
        try:
            await self.open.wait()
        finally:
            self.waiting -= 1
        return await self.real(*args, **kwargs)


async def until(condition: Callable[[], object]) -> None:
    """Let other tasks (and the demo's answers) run until `condition()` holds, for at most 10 s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never true: {condition}")
        await asyncio.sleep(0.005)


async def big_eval(service: DataService) -> tuple[int, BuildRows]:
    latest = await service.client.latest_eval("nixpkgs", "trunk")
    entry = await service.get("eval_builds", latest.eval.id)
    return latest.eval.id, entry.value


def rows_of(service: DataService, eval_id: int) -> BuildRows:
    return service.cache.peek(("eval_builds", eval_id)).value


async def test_a_poll_keeps_details_that_arrive_while_it_runs(client: HydraClient) -> None:
    service = DataService(client, FrozenClock(0))
    eval_id, rows = await big_eval(service)
    first = list(rows.ids[:3])
    assert await service.fill_rows(eval_id, first) == 3
    gate = Gate(client, "eval")
    poll = asyncio.ensure_future(service.refresh("eval_builds", eval_id))
    await until(lambda: gate.waiting == 1)
    # While the poll waits for the evaluation's ids, more details arrive.
    more = list(rows.ids[3:6])
    assert await service.fill_rows(eval_id, more) == 3
    gate.open.set()
    await poll
    after = rows_of(service, eval_id)
    assert all(after.known_at(after.position(i)) for i in first + more)
    assert after.unknown == len(after) - 6


async def test_two_fills_at_once_keep_each_other(client: HydraClient) -> None:
    service = DataService(client, FrozenClock(0))
    eval_id, rows = await big_eval(service)
    gate = Gate(client, "build")
    one = asyncio.ensure_future(service.fill_rows(eval_id, [rows.ids[0]]))
    two = asyncio.ensure_future(service.fill_rows(eval_id, [rows.ids[1]]))
    await until(lambda: gate.waiting == 2)
    gate.open.set()
    assert await one + await two == 2
    after = rows_of(service, eval_id)
    assert after.known_at(0) and after.known_at(1)


@pytest.fixture
def service(client: HydraClient) -> DataService:
    return DataService(client, FrozenClock(0))


async def test_details_show_one_by_one(service: DataService) -> None:
    eval_id, rows = await big_eval(service)
    gate = Gate(service.client, "build")
    real = gate.real
    held = asyncio.Event()

    async def first_goes_through(build_id: int) -> Build:
        if build_id != rows.ids[0]:
            await held.wait()
        return await real(build_id)

    gate.real = first_goes_through
    gate.open.set()
    wanted = list(rows.ids[:5])
    fill = asyncio.ensure_future(service.fill_rows(eval_id, wanted))
    # The first row is in the cache (and so on screen) while the other four requests are still held.
    await until(lambda: rows_of(service, eval_id).known_at(0))
    assert rows_of(service, eval_id).unknown == len(rows) - 1
    assert not fill.done()
    held.set()
    assert await fill == 5


async def small_eval_as_partial(service: DataService, monkeypatch: pytest.MonkeyPatch) -> tuple[int, BuildRows]:
    """hello:main's latest evaluation, treated like a nixpkgs one: only its ids, details on demand. Returns it and
    the whole listing (fetched aside, for what the rows should become)."""
    monkeypatch.setattr("hydra_tui.cache.service.DIRECT_LIST_LIMIT", 0)
    latest = await service.client.latest_eval("hello", "main")
    whole = await service.client.eval_builds(latest.eval.id)
    rows = (await service.get("eval_builds", latest.eval.id)).value
    assert rows.partial and rows.unknown == len(rows) == len(whole)
    return latest.eval.id, whole


async def test_latest_builds_fill_the_rows_they_cover_with_one_request(
    service: DataService, monkeypatch: pytest.MonkeyPatch
) -> None:
    eval_id, whole = await small_eval_as_partial(service, monkeypatch)
    finished = [whole.ids[i] for i in range(len(whole)) if whole.state_at(i).finished]
    assert len(finished) > 10
    latest = Gate(service.client, "latest_builds")
    latest.open.set()
    single = Gate(service.client, "build")
    single.open.set()
    service.want_rows(eval_id, finished, project="hello", jobset="main")
    await until(lambda: rows_of(service, eval_id).unknown == len(whole) - len(finished))
    assert len(latest.calls) == 1 and single.calls == []
    rows = rows_of(service, eval_id)
    for build_id in finished:
        p = rows.position(build_id)
        q = whole.position(build_id)
        assert (rows.jobs[p], rows.state_at(p), rows.system_names[rows._systems[p]]) == (
            whole.jobs[q],
            whole.state_at(q),
            whole.system_names[whole._systems[q]],
        )


async def test_rows_latest_builds_do_not_cover_are_fetched_one_by_one(
    service: DataService, monkeypatch: pytest.MonkeyPatch
) -> None:
    eval_id, whole = await small_eval_as_partial(service, monkeypatch)
    unfinished = [whole.ids[i] for i in range(len(whole)) if not whole.state_at(i).finished]
    assert unfinished
    single = Gate(service.client, "build")
    single.open.set()
    service.want_rows(eval_id, unfinished, project="hello", jobset="main")

    def known(rows: BuildRows, ids: list[int]) -> bool:
        return all(rows.known_at(rows.position(i)) for i in ids)

    await until(lambda: known(rows_of(service, eval_id), unfinished))
    assert sorted(args[0] for args in single.calls) == sorted(unfinished)
    # The one latestbuilds request filled the finished rows too, though they were not on screen.
    assert rows_of(service, eval_id).unknown == 0


async def test_fill_rows_from_a_comparison(service: DataService, monkeypatch: pytest.MonkeyPatch) -> None:
    eval_id, whole = await small_eval_as_partial(service, monkeypatch)
    compared = [
        ComparedBuild(whole.ids[i], whole.jobs[i], whole.system_names[whole._systems[i]], whole.state_at(i))
        for i in range(5)
    ]
    removed = ComparedBuild(None, "gone", "x86_64-linux", BuildState.SUCCEEDED)
    elsewhere = ComparedBuild(1, "other", "x86_64-linux", BuildState.FAILED)  # not in this evaluation
    requests = service.client.health.requests
    assert service.fill_rows_from(eval_id, [*compared, removed, elsewhere]) == 5
    assert service.client.health.requests == requests  # nothing asked of the server
    rows = rows_of(service, eval_id)
    assert rows.unknown == len(rows) - 5
    for c in compared:
        p = rows.position(c.id)
        assert (rows.jobs[p], rows.system_names[rows._systems[p]], rows.state_at(p)) == (c.job, c.system, c.state)
    assert service.fill_rows_from(eval_id, compared) == 0  # nothing new


async def test_a_comparison_is_written_into_the_rows_once(
    service: DataService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screen opened again on a nixpkgs evaluation, or a poll bringing the same answer, costs no second pass over
    the comparison's rows (60-80 ms for nixpkgs), but a new answer is written in."""
    eval_id, whole = await small_eval_as_partial(service, monkeypatch)
    compared = [
        ComparedBuild(whole.ids[i], whole.jobs[i], whole.system_names[whole._systems[i]], whole.state_at(i))
        for i in range(5)
    ]
    first = Comparison.empty(eval_id, None)
    first.categories[Change.NEW].builds.extend(compared[:3])
    applied: list[int] = []
    real = service._apply
    monkeypatch.setattr(service, "_apply", lambda e, builds: applied.append(len(builds)) or real(e, builds))
    assert service.fill_rows_from_comparison(eval_id, first) == 3
    assert service.fill_rows_from_comparison(eval_id, first) == 0
    assert applied == [3]
    second = Comparison.empty(eval_id, None)
    second.categories[Change.NEW].builds.extend(compared)
    assert service.fill_rows_from_comparison(eval_id, second) == 2
    assert applied == [3, 5]
    assert rows_of(service, eval_id).unknown == len(whole) - 5


async def test_a_row_that_failed_is_fetched_again_when_it_comes_back_into_view(service: DataService) -> None:
    eval_id, rows = await big_eval(service)
    first, second = rows.ids[0], rows.ids[1]
    gate = Gate(service.client, "build")
    real = gate.real
    failing = {first}

    async def flaky(build_id: int) -> Build:
        if build_id in failing:
            raise UnreachableError("Cannot connect to the test server.")
        return await real(build_id)

    gate.real = flaky
    gate.open.set()
    service.want_rows(eval_id, [first, second])
    await until(lambda: rows_of(service, eval_id).known_at(1) and len(gate.calls) == 2)
    failing.clear()
    service.want_rows(eval_id, [first, second])  # still in view: not hammered again
    await until(lambda: not service._fillers[eval_id].workers)
    assert len(gate.calls) == 2
    service.want_rows(eval_id, [rows.ids[2]])  # scrolled away…
    service.want_rows(eval_id, [first, rows.ids[2]])  # …and back
    await until(lambda: rows_of(service, eval_id).known_at(0))
    assert [args[0] for args in gate.calls].count(first) == 2


def test_the_journal_names_the_rows_whose_job_changed() -> None:
    rows = BuildRows([10, 20, 30])
    mark = rows.job_mark()
    one = rows.copy()
    one.set(20, job="hello", system="x86_64-linux", state=BuildState.SUCCEEDED, starttime=1, stoptime=2)
    two = one.copy()
    two.set(30, job="zlib", system="x86_64-linux", state=BuildState.QUEUED, starttime=None, stoptime=None)
    two.set(20, job="hello", system="x86_64-linux", state=BuildState.FAILED, starttime=1, stoptime=3)  # same job
    assert list(two.jobs_changed_since(mark)) == [1, 2]
    assert list(two.jobs_changed_since(one.job_mark())) == [2]
    assert list(one.jobs_changed_since(two.job_mark())) == [2]  # either way round
    assert two.ids is rows.ids  # the ids are shared, never copied
    # A change to rows that are not the newest starts a journal of their own: a reader must compare every row.
    one.set(10, job="gcc", system="x86_64-linux", state=BuildState.QUEUED, starttime=None, stoptime=None)
    assert one.jobs_changed_since(two.job_mark()) is None
    assert one.jobs_changed_since(mark) is None
    fresh = BuildRows([10, 20, 30])
    fresh.adopt_details(two)
    assert fresh.jobs == two.jobs and fresh.jobs_changed_since(mark) is None


def test_fill_keeps_times_and_running() -> None:
    rows = BuildRows([1, 2])
    rows.set(1, job="a", system="s", state=BuildState.RUNNING, starttime=100, stoptime=None)
    assert not rows.fill(1, job="a", system="s", state=BuildState.QUEUED)  # a page cannot tell running apart
    assert rows.fill(1, job="a", system="s", state=BuildState.SUCCEEDED)
    assert rows.row(0).starttime == 100 and rows.state_at(0) is BuildState.SUCCEEDED
    assert rows.fill(2, job="b", system="s", state=BuildState.UNKNOWN) and not rows.known_at(1)
    assert not rows.fill(3, job="c", system="s", state=BuildState.FAILED)
