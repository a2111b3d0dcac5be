"""A job's history against the demo: since when it fails, its builds newest first, the JSON shape of `hydra-tui job`,
bare attributes resolved as hydra-check does, and watching listed jobs."""

from __future__ import annotations

import io
import json

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.api.status import BuildState
from hydra_tui.cache.service import DataService
from hydra_tui.clock import FrozenClock
from hydra_tui.config import Profile
from hydra_tui.demo.runner import DemoServer
from hydra_tui.job.cli import job_main
from hydra_tui.job.history import add_details, load_history
from hydra_tui.job.mine import MineTracker, parse_specs
from hydra_tui.job.names import JobNameError, JobRef, channel_jobset, local_system, resolve_job
from hydra_tui.watch.cli import watch_main

DARWIN = JobRef("hello", "main", "hello.x86_64-darwin")


async def test_a_newly_failing_job_says_since_when_and_lists_its_builds_newest_first(
    client: HydraClient, clock
) -> None:
    service = DataService(client, clock)
    history = await load_history(service.value, DARWIN, 10)
    await add_details(service.value, history.builds)
    ids = [b.id for b in history.builds]
    assert ids == sorted(ids, reverse=True) and len(ids) == 10
    current = history.current
    assert current is not None and current.state is BuildState.FAILED
    assert history.builds[1].state is BuildState.SUCCEEDED
    streak = history.streak()
    assert streak is not None and streak.failing and streak.since.id == current.id and streak.count == 1
    assert history.last_good is not None and history.last_good.id == history.builds[1].id
    summary = history.summary()
    assert summary.startswith(f"failing since build {current.id} (")
    assert f"last good: build {history.last_good.id}" in summary
    # With the time now, how long ago the streak began stands beside its date, not after the last good build.
    since = streak.since.when
    assert since
    dated = history.summary(since + 7200)
    assert dated.startswith(f"failing since build {current.id} (") and ", 2h ago)" in dated.split(";")[0]
    assert "ago" not in dated.split("last good")[1]
    assert all(b.detailed and b.eval_id for b in history.builds)
    assert len(history.durations()) == 10


async def test_the_current_build_comes_first_even_while_running(client: HydraClient, clock) -> None:
    service = DataService(client, clock)
    history = await load_history(service.value, JobRef("hello", "main", "lint.x86_64-linux"), 5)
    current = history.current
    assert current is not None and not current.finished and current.state is BuildState.RUNNING
    assert all(b.finished for b in history.builds[1:])
    assert history.summary().startswith(f"build {current.id} running; ")


async def test_last_good_beyond_the_list_costs_one_redirect(demo: DemoServer, client: HydraClient, clock) -> None:
    # Two failures in a row: with a list of one the success is not listed, and /job/P/J/JOB/latest names it.
    service = DataService(client, clock)
    history = await load_history(service.value, DARWIN, 10)
    second = history.builds[1].id
    demo.call(lambda world: setattr(world.build(second), "outcome", 1))
    short = await load_history(DataService(client, clock).value, DARWIN, 2)
    streak = short.streak()
    assert streak is not None and streak.failing and not streak.complete
    assert short.last_good is not None and short.last_good.id == history.builds[2].id
    assert "failing since at least build" in short.summary()


def test_json_shape_and_status_words(demo: DemoServer) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = job_main(
        ["--url", demo.url, "hello:main:hello.x86_64-darwin", "--format", "json", "--limit", "3"],
        out=out,
        err=err,
        limits=Limits.unlimited(),
    )
    assert code == 1, err.getvalue()  # failing
    data = json.loads(out.getvalue())
    assert list(data) == ["project", "jobset", "job", "builds"]
    assert (data["project"], data["jobset"], data["job"]) == ("hello", "main", "hello.x86_64-darwin")
    assert len(data["builds"]) == 3
    for b in data["builds"]:
        assert list(b) == ["id", "status", "finished", "system", "timestamp", "stoptime"]
        assert b["finished"] is True and b["system"] == "x86_64-darwin"
        assert isinstance(b["stoptime"], int) and isinstance(b["timestamp"], int)
    assert [b["status"] for b in data["builds"][:2]] == ["failed", "succeeded"]
    assert [b["id"] for b in data["builds"]] == sorted((b["id"] for b in data["builds"]), reverse=True)


def test_running_build_status_word_in_json(demo: DemoServer) -> None:
    out = io.StringIO()
    job_main(
        ["--url", demo.url, "hello:main:lint.x86_64-linux", "--format", "json", "--limit", "2"],
        out=out,
        limits=Limits.unlimited(),
    )
    builds = json.loads(out.getvalue())["builds"]
    assert builds[0]["status"] == "running" and builds[0]["finished"] is False and builds[0]["stoptime"] is None


def test_a_bare_attribute_resolves_to_the_default_jobset_and_this_system(demo: DemoServer) -> None:
    ref = resolve_job("hello", system="x86_64-linux")
    assert ref == JobRef("nixpkgs", "trunk", "hello.x86_64-linux")
    assert resolve_job("hello").job == f"hello.{local_system()}"
    assert resolve_job("hello.aarch64-linux", system="x86_64-linux").job == "hello.aarch64-linux"
    assert resolve_job("hello", default_jobset="hello:main", system="x86_64-darwin") == DARWIN
    assert resolve_job("hello", channel="24.11", system="x86_64-linux") == JobRef(
        "nixos", "release-24.11", "nixpkgs.hello.x86_64-linux"
    )
    assert channel_jobset("staging-next") == ("nixpkgs", "staging-next")
    assert channel_jobset("24.11", system="aarch64-darwin") == ("nixpkgs", "nixpkgs-24.11-darwin")
    assert channel_jobset("unstable", {"unstable": "hello:main"}) == ("hello", "main")
    with pytest.raises(JobNameError):
        resolve_job("hello:main")
    out, err = io.StringIO(), io.StringIO()
    code = job_main(
        ["--url", demo.url, "hello", "--system", "x86_64-linux", "--format", "json"],
        out=out,
        err=err,
        limits=Limits.unlimited(),
    )
    assert code == 0, err.getvalue()
    data = json.loads(out.getvalue())
    assert (data["project"], data["jobset"], data["job"]) == ("nixpkgs", "trunk", "hello.x86_64-linux")
    assert data["builds"] and data["builds"][0]["status"] == "succeeded"


def test_text_output_names_the_streak(demo: DemoServer) -> None:
    out = io.StringIO()
    job_main(["--url", demo.url, "hello:main:hello.x86_64-darwin", "--limit", "4"], out=out, limits=Limits.unlimited())
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("failing since build ") and "last good: build" in lines[1]
    assert lines[3].split()[1] == "*" and lines[3].split()[2] == "failed"


async def test_mine_one_request_per_entry_and_evaluation(client: HydraClient, clock) -> None:
    profile = Profile(mine=["hello:main:hello.x86_64-darwin", "hello"], mine_filters=["nixpkgs:trunk:setuptools"])
    specs = parse_specs(profile, profile.mine, profile.mine_filters)
    service = DataService(client, clock)
    tracker = MineTracker(service, specs)
    status = await tracker.poll()
    first = service.cache.stats.requests
    assert first == 2 + len(specs)  # a latest-eval redirect per jobset, a filtered comparison per entry
    names = [r.ref.name for r in status.rows]
    assert "hello:main:hello.x86_64-darwin" in names
    assert any("setuptools" in n for n in names) and len(names) > 3
    failing = [r.failing for r in status.rows]
    assert failing == sorted(failing, reverse=True), "failures first"
    moving = sum(1 for spec, (_, rows) in tracker._seen.items() if any(r.unfinished for r in rows))
    await tracker.poll()  # the redirects again, and a page only for entries with a build still to finish
    assert service.cache.stats.requests - first == 2 + moving
    assert moving < len(specs)


def test_watch_on_listed_jobs_announces_a_new_failure(demo: DemoServer, clock: FrozenClock) -> None:
    # lint.x86_64-linux is running in the newest evaluation; its build before succeeded. It finishes failing.
    async def noop(_: float) -> None:
        return None

    lint = "hello:main:lint.x86_64-linux"
    probe = io.StringIO()
    job_main(["--url", demo.url, lint, "--format", "json", "--limit", "2"], out=probe, limits=Limits.unlimited())
    running, before = json.loads(probe.getvalue())["builds"]
    demo.call(lambda world: setattr(world.build(before["id"]), "outcome", 0))
    demo.call(lambda world: setattr(world.build(running["id"]), "outcome", 1))
    polls = 0

    async def sleep(_: float) -> None:
        nonlocal polls
        polls += 1
        clock.advance(3000)  # the running build finishes

    out, err = io.StringIO(), io.StringIO()
    code = watch_main(
        [lint, "hello:main:hello.x86_64-linux", "--json", "--exit-status", "--url", demo.url],
        out=out,
        err=err,
        sleep=sleep,
        clock=clock,
        limits=Limits.unlimited(),
    )
    changes = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 1, err.getvalue()
    assert changes[0]["counts"]["queued"] == 1 and "lint.x86_64-linux" not in changes[0]["newly_failed"]
    assert changes[-1]["newly_failed"] == ["lint.x86_64-linux"]
    assert changes[-1]["newly_failed_builds"] == [running["id"]]
    assert changes[-1]["finished"] is True


def test_watch_mine_without_a_list_says_how_to_make_one(demo: DemoServer) -> None:
    err = io.StringIO()
    assert watch_main(["--mine", "--plain", "--url", demo.url], out=io.StringIO(), err=err) == 2
    assert "mine = [" in err.getvalue()


def test_watch_takes_jobs_only_with_their_jobset(demo: DemoServer) -> None:
    err = io.StringIO()
    assert watch_main(["hello:main:hello.x86_64-linux", "hello", "--plain", "--url", demo.url], err=err) == 2
    assert "PROJECT:JOBSET:JOB" in err.getvalue() and "'hello'" in err.getvalue()
