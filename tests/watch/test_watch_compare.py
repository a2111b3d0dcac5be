"""Watch names newly failing and fixed builds from Hydra's comparison: computed from both evaluations when they can
be listed (equal to the server's page), read from the server's comparison page at nixpkgs scale, a bounded number
of requests per poll and never one per build."""

from __future__ import annotations

import asyncio
import io
import json
import re

import httpx

from hydra_tui.api.client import HydraClient
from hydra_tui.api.comparison import Change as Kind
from hydra_tui.api.limits import Limits
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer
from hydra_tui.watch.cli import watch_main
from hydra_tui.watch.core import Watcher


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests on and keeps each one's path and query."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url.raw_path.decode())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def jobs(comparison, kind: Kind) -> list[str]:
    return sorted(b.job for b in comparison.categories[kind].builds)


async def test_small_jobset_names_what_hydras_comparison_calls_newly_failing(demo: DemoServer, clock) -> None:
    async with HydraClient(demo.url, limits=Limits.unlimited()) as client:
        eval_id = (await client.evals("hello", "main")).evals[0].id
        before = await client.compare(eval_id)
        # One newly failing build is aborted instead: Hydra's comparison then calls it aborted, not newly failing.
        aborted = before.categories[Kind.NEWLY_FAILING].builds[0]
        demo.call(lambda world: setattr(world.build(aborted.id), "outcome", 3))
        clock.advance(3000)  # every build of the evaluation finishes
        server = await client.compare(eval_id)
        assert aborted.job in jobs(server, Kind.ABORTED)
        assert jobs(server, Kind.NEWLY_FAILING) and jobs(server, Kind.NEWLY_SUCCEEDING)

        watcher = Watcher(client, "hello", "main", clock)
        change = await watcher.poll()
    assert change is not None and change.compared_to == server.compare_to
    assert watcher.comparison is not None and watcher.comparison.source == "client"
    assert sorted(change.newly_failed) == jobs(server, Kind.NEWLY_FAILING)
    assert aborted.job not in change.newly_failed
    assert sorted(change.fixed) == jobs(server, Kind.NEWLY_SUCCEEDING)
    ids = {b.job: b.id for b in server.categories[Kind.NEWLY_FAILING].builds}
    assert change.newly_failed_builds == [ids[job] for job in change.newly_failed]


async def test_nixpkgs_newly_failing_from_the_comparison_in_a_few_requests(demo: DemoServer, clock) -> None:
    recorder = Recorder()
    async with HydraClient(demo.url, limits=Limits.unlimited(), transport=recorder) as client:
        watcher = Watcher(client, "nixpkgs", "trunk", clock)
        change = await watcher.poll()
        first = list(recorder.seen)
        assert await watcher.poll() is None  # nothing changed: no comparison asked for again
        second = recorder.seen[len(first) :]
    assert change is not None
    server = watcher.comparison
    assert server is not None and server.source == "server" and server.compare_to == change.compared_to
    newly = server.categories[Kind.NEWLY_FAILING]
    assert newly.count > 250 and newly.complete, "past a page's rows, the failing tabs are read whole"
    assert change.newly_failed == jobs(server, Kind.NEWLY_FAILING)
    assert len(change.newly_failed) == newly.count
    assert len(change.fixed) == server.count(Kind.NEWLY_SUCCEEDING)
    assert all(isinstance(i, int) for i in change.newly_failed_builds)
    # One comparison, no build fetched alone, no build list of a nixpkgs-sized evaluation.
    assert len(first) <= 4, first
    assert sum(1 for p in first if p.startswith(f"/eval/{change.eval_id}?")) == 1, first
    assert not [p for p in first + second if p.startswith("/build/") or "/builds" in p], first + second
    assert len(second) <= 3 and not [p for p in second if p.startswith("/eval/")], second


def test_watch_plain_names_nixpkgs_newly_failing_builds(demo: DemoServer, clock) -> None:
    own = FrozenClock(clock.now())  # the watch's own time: the demo's builds stay as they are

    async def sleep(seconds: float) -> None:
        own.advance(seconds)

    async def expected() -> tuple[list[str], list[int]]:
        async with HydraClient(demo.url, limits=Limits.unlimited()) as client:
            eval_id = (await client.evals("nixpkgs", "trunk")).evals[0].id
            c = await client.compare(eval_id, full=True, until=Kind.STILL_SUCCEEDING)
        rows = sorted(c.categories[Kind.NEWLY_FAILING].builds, key=lambda b: b.job)
        return [b.job for b in rows], [b.id for b in rows if b.id is not None]

    names, ids = asyncio.run(expected())
    outputs = []
    for mode in ("--plain", "--json"):
        out, err = io.StringIO(), io.StringIO()
        before = demo.faults.counts.get("requests", 0)
        args = [mode, "--timeout", "60", "--interval", "60", "nixpkgs:trunk"]
        code = watch_main(args, out=out, err=err, sleep=sleep, clock=own, demo_url=demo.url, limits=Limits.unlimited())
        assert code == 124 and out.getvalue().count("\n") == 1, err.getvalue()
        assert demo.faults.counts["requests"] - before <= 4, "one poll: evaluations, errors, counts, comparison"
        outputs.append(out.getvalue())
    line = outputs[0]
    assert f"{len(names):,} newly failed: " in line or f"{len(names)} newly failed: " in line, line
    assert ", ".join(names[:5]) + " …" in line
    event = json.loads(outputs[1])
    assert event["newly_failed"] == names and event["newly_failed_builds"] == ids
    # Each line says where and when, and links every build it names.
    assert event["jobset"] == "nixpkgs:trunk" and event["project"] == "nixpkgs"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time_iso"])
    assert event["eval_url"] == f"{demo.url}/eval/{event['eval']}"
    assert event["jobset_url"] == f"{demo.url}/jobset/nixpkgs/trunk"
    assert event["newly_failed_urls"] == [f"{demo.url}/build/{i}" for i in ids]
