"""Watch line mode and every exit code, against the demo Hydra; time moves as the watcher sleeps."""

from __future__ import annotations

import io
import json

import pytest

from hydra_tui.api.limits import Limits
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.watch import desktop_notification
from hydra_tui.watch.cli import watch_main
from tests.conftest import T0


def latest_builds(world, jobset: str):
    js = world.projects["hello"].jobsets[jobset]
    return [world.builds[i] for i in world.evals[js.evals[-1]].build_ids]


def run(demo: DemoServer, clock: FrozenClock, *args: str, on_sleep=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    sleeps = 0

    async def sleep(seconds: float) -> None:
        nonlocal sleeps
        sleeps += 1
        clock.advance(seconds)
        if on_sleep is not None:
            on_sleep(sleeps)

    code = watch_main(
        list(args), out=out, err=err, sleep=sleep, clock=clock, demo_url=demo.url, limits=Limits.unlimited()
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def all_good(clock):
    def configure(world) -> None:
        for b in latest_builds(world, "nightly"):
            b.outcome, b.cancelled_at = 0, None
            b.start_at, b.finish_at = T0 + 60, T0 + 300

    with DemoServer(clock=clock, start=T0, configure=configure) as demo:
        yield demo


def test_failing_jobset_exits_1_and_names_new_failures(demo: DemoServer, clock) -> None:
    code, out, _ = run(demo, clock, "--plain", "--exit-status", "hello:main")
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].startswith("2026-11-26T12:00:00Z eval 1044 ")
    assert "newly failed" in out and "all builds finished" in lines[-1]


def test_succeeding_jobset_exits_0(all_good: DemoServer, clock) -> None:
    code, out, _ = run(all_good, clock, "--json", "--exit-status", "hello:nightly")
    assert code == 0
    events = [json.loads(line) for line in out.strip().splitlines()]
    assert events[-1]["finished"] and events[-1]["counts"]["failed"] == 0
    assert events[0]["counts"]["queued"] == events[0]["counts"]["total"]


def test_timeout_exits_124(clock) -> None:
    def never(world) -> None:
        for b in latest_builds(world, "staging"):
            b.start_at = b.finish_at = None

    with DemoServer(clock=clock, start=T0, configure=never) as demo:
        code, _, err = run(
            demo, clock, "--plain", "--exit-status", "--timeout", "300", "--interval", "60", "hello:staging"
        )
    assert code == 124 and "timed out" in err


def test_evaluation_error_exits_2(demo: DemoServer, clock) -> None:
    code, out, _ = run(demo, clock, "--plain", "--exit-status", "hello:broken")
    assert code == 2 and "evaluation failed" in out


def test_only_cancelled_exits_3(clock) -> None:
    def cancelled(world) -> None:
        for n, b in enumerate(latest_builds(world, "nightly")):
            b.outcome = 0 if n % 2 else 4
            b.cancelled_at = T0 - 10 if b.outcome == 4 else None
            b.start_at, b.finish_at = T0 - 100, T0 - 50

    with DemoServer(clock=clock, start=T0, configure=cancelled) as demo:
        code, _, _ = run(demo, clock, "--plain", "--exit-status", "hello:nightly")
    assert code == 3


def test_a_new_evaluation_is_compared_with_the_one_before(all_good: DemoServer, clock) -> None:
    def push(n: int) -> None:
        if n == 2:
            all_good.call(lambda world: world.push("hello", "nightly", True))

    def fail_new(world) -> None:
        original = world._new_eval

        def new_eval(jobset, **kw):
            ev = original(jobset, **kw)
            for n, i in enumerate(ev.build_ids):
                world.builds[i].outcome = 1 if n < 2 else 0
                world.builds[i].start_at, world.builds[i].finish_at = world.now() + 10, world.now() + 20
            return ev

        world._new_eval = new_eval

    all_good.call(fail_new)
    code, out, _ = run(all_good, clock, "--json", "--timeout", "900", "hello:nightly", on_sleep=push)
    events = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 124
    new = [e for e in events if e["new_eval"]]
    assert len(new) == 1
    failed = [job for e in events for job in e["newly_failed"]]
    assert failed == ["hello.aarch64-linux", "hello.x86_64-linux"]


def test_interval_has_a_floor(demo: DemoServer, clock) -> None:
    code, _, err = run(demo, clock, "--plain", "--timeout", "10", "--interval", "0.1", "hello:main")
    assert code == 124 and "below the floor" in err


def test_bad_target(demo: DemoServer, clock) -> None:
    code, _, err = run(demo, clock, "--plain", "hello")
    assert code == 2 and "PROJECT:JOBSET" in err


def test_unreachable_server_is_reported_once_and_times_out(clock) -> None:
    from hydra_tui.demo.runner import free_port

    out, err = io.StringIO(), io.StringIO()

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    code = watch_main(
        ["--plain", "--timeout", "100", "x:y"],
        out=out,
        err=err,
        sleep=sleep,
        clock=clock,
        demo_url=f"http://127.0.0.1:{free_port()}",
        limits=Limits.unlimited(),
    )
    assert code == 124 and err.getvalue().count("Cannot connect") == 1 and "Traceback" not in err.getvalue()


def test_desktop_notification_is_clean() -> None:
    text = desktop_notification("p:j", "evil\x1b]0;x\x07; name")
    assert text.startswith("\x1b]9;p:j: evil ]0 x   name\x07")
    assert text.count("\x1b") == 2 and text.count("\x07") == 2
