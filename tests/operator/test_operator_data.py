"""The operator's data: both queue-runner formats and the runner's down states, from samples and from the demo."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.api.operator import assemble, host_of, merge_machines, read_machines, read_runner_status
from hydra_tui.clock import FrozenClock
from hydra_tui.demo import queuerunner
from hydra_tui.demo.runner import DemoServer
from hydra_tui.operator_cli import fetch_view, render_json, render_text, status_main
from tests.conftest import T0

SAMPLES = Path("/work/shared/reference/samples/derived")


def _sample(name: str) -> object:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample {name} not available")
    return json.loads(path.read_text())


def test_rust_sample_reads() -> None:
    status = read_runner_status(_sample("queue-runner-status_GET_queue-runner-v2.json"))
    assert (status.state, status.format) == ("up", "rust")
    (q,) = status.queue
    assert (q.system, q.queued, q.building, q.waiting, q.avg_wait) == ("x86_64-linux", 4000, 120, 3880, 600)
    (m,) = status.machines
    assert (m.hostname, m.current_jobs, m.max_jobs, m.steps_done, m.load1) == ("builder1.example.org", 2, 8, 1523, 3.2)
    assert m.store_free_percent == 64.0 and m.mem_total == 135089557504 and not m.trouble
    (listed,) = read_machines(_sample("machines_GET_queue-runner-v2.json"))
    assert listed.systems == ("x86_64-linux", "i686-linux") and listed.mem_usage == 21474836480


@pytest.mark.parametrize(
    ("body", "state"),
    [({"status": "down"}, "down"), ({"status": "unknown"}, "unknown"), ({"status": "unreachable"}, "unreachable")],
)
def test_runner_not_up(body: dict[str, str], state: str) -> None:
    status = read_runner_status(body)
    assert (status.state, status.format, status.up, status.queue, status.machines) == (state, "none", False, (), ())


def test_legacy_format_and_merge() -> None:
    legacy = {
        "status": "up",
        "time": 1000,
        "nrQueuedBuilds": 7,
        "machines": {
            "ssh://root@a.example.org": {
                "enabled": 1,
                "systemTypes": ["x86_64-linux"],
                "currentJobs": 2,
                "nrStepsDone": "17",
                "consecutiveFailures": 3,
                "disabledUntil": 1300,
                "lastFailure": 990,
            },
            "ssh://b.example.org": {"enabled": False, "currentJobs": 0, "disabledUntil": 0, "consecutiveFailures": 0},
        },
        "machineTypes": {"x86_64-linux": {"runnable": 4, "running": 2, "waitTime": 400}},
    }
    status = read_runner_status(legacy)
    assert status.format == "legacy" and status.builds_queued == 7
    (q,) = status.queue
    assert (q.queued, q.runnable, q.building, q.avg_wait) == (6, 4, 2, 100)
    a, b = status.machines
    assert a.hostname == "a.example.org" and a.disabled_until == 1300 and a.consecutive_failures == 3 and a.trouble
    assert b.hostname == "b.example.org" and not b.enabled and b.trouble
    listed = read_machines({"a.example.org": {"maxJobs": 4, "systemTypes": ["x86_64-linux", "i686-linux"]}})
    merged = {m.hostname: m for m in merge_machines(listed, status.machines)}
    assert merged["a.example.org"].max_jobs == 4 and merged["a.example.org"].current_jobs == 2
    assert merged["a.example.org"].systems == ("x86_64-linux",)  # the runner's own list wins


def test_hostile_strings_are_cleaned() -> None:
    body = {
        "queueRunner": {"status": "up", "queueStats": {"x86\x1b[2J_64": {"totalRunnable": 1}}},
        "machines": {
            "h": {"hostname": "evil\x1b]2;pwn\x07.org", "systems": ["a\u202eb"], "stats": {"currentJobs": "x"}}
        },
    }
    status = read_runner_status(body)
    assert "\x1b" not in status.queue[0].system
    assert status.machines == () or all(
        "\x1b" not in m.hostname and "\u202e" not in "".join(m.systems) for m in status.machines
    )
    assert host_of("ssh://root@x.org/") == "x.org"


def test_flaky_machine_fails_then_is_disabled_then_comes_back() -> None:
    world = DemoServer(clock=FrozenClock(T0), start=T0).world
    states = [queuerunner.flaky_state(world, T0 + t) for t in range(-200, 700, 30)]
    assert any(s.failures and s.disabled_until is None for s in states)  # failing, not yet disabled
    assert any(s.disabled_until for s in states)
    assert states[-1].failures == 0 and states[-1].disabled_until is None


async def test_demo_rust_format(client: HydraClient, demo: DemoServer) -> None:
    view = await fetch_view(client)
    assert view.runner.format == "rust" and view.runner.up and not view.errors
    assert view.queued == await client.queue_size() and view.queued > 0
    assert len(view.running) == len(await client.running()) > 0
    assert all(r.machine for r in view.running)  # matched through the runner's jobs
    flaky = next(m for m in view.machines if m.hostname == queuerunner.FLAKY)
    assert flaky.disabled_until and flaky.consecutive_failures == 3 and flaky.trouble
    busy = sum(m.current_jobs or 0 for m in view.machines)
    assert busy == len(view.running)
    assert {q.system for q in view.queue} >= {"x86_64-linux", "aarch64-linux"}


async def test_demo_legacy_format(client: HydraClient, demo: DemoServer) -> None:
    demo.call(lambda w: setattr(w, "queue_runner", "legacy"))
    view = await fetch_view(client)
    assert view.runner.format == "legacy" and view.runner.up
    flaky = next(m for m in view.machines if m.hostname == queuerunner.FLAKY)
    assert flaky.max_jobs == 6  # from /machines (the machines file): the legacy status does not say it
    assert flaky.disabled_until and flaky.consecutive_failures == 3
    assert all(not r.machine for r in view.running)  # the legacy runner names no derivations


@pytest.mark.parametrize("state", ["down", "unknown", "unreachable"])
async def test_demo_runner_down(client: HydraClient, demo: DemoServer, state: str) -> None:
    demo.call(lambda w: setattr(w, "queue_runner_state", state))
    view = await fetch_view(client)
    assert view.runner.state == state and view.machines == ()
    # The queue per system comes from the head of /api/queue instead.
    assert view.queue and sum(q.queued or 0 for q in view.queue) == min(view.queued or 0, 100)


async def test_machines_move_with_the_clock(client: HydraClient, demo: DemoServer, clock: FrozenClock) -> None:
    before = await fetch_view(client)
    clock.advance(600)
    after = await fetch_view(client)
    assert {r.id for r in before.running} != {r.id for r in after.running}
    flaky = next(m for m in after.machines if m.hostname == queuerunner.FLAKY)
    assert flaky.disabled_until is None and flaky.consecutive_failures == 0
    steps = lambda v: sum(m.steps_done or 0 for m in v.machines)  # noqa: E731
    assert steps(after) > steps(before)


def test_status_command(demo: DemoServer) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert status_main(["--url", demo.url], out=out, err=err) == 0, err.getvalue()
    text = out.getvalue()
    assert "queued" in text.splitlines()[0] and "Queue by system" in text and "builder-arm-02" in text
    out = io.StringIO()
    assert status_main(["--url", demo.url, "--json"], out=out, err=err) == 0
    data = json.loads(out.getvalue())
    assert data["runner"]["format"] == "rust" and data["queued"] > 0 and data["machines"]
    demo.call(lambda w: setattr(w, "queue_runner_state", "down"))
    out = io.StringIO()
    assert status_main(["--url", demo.url], out=out, err=err) == 1
    assert "runner DOWN" in out.getvalue()


def test_status_command_unreachable_server() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert status_main(["--url", "http://127.0.0.1:9"], out=out, err=err) == 2
    assert "/api/nrqueue" in err.getvalue() and not out.getvalue()


def test_render_without_anything() -> None:
    view = assemble(queued=None, runner=None)
    assert "— queued" in render_text(view, T0)
    assert json.loads(render_json(view))["runner"]["state"] == "unknown"
