"""Row details of a nixpkgs-sized evaluation: shown as they arrive, fetched for what is on screen, kept by polls,
filled in bulk from `/api/latestbuilds` and from a comparison's rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.api.models import Build
from hydra_tui.api.rows import BuildRows
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
