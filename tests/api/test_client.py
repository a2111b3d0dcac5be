"""The client against the demo Hydra over loopback: every endpoint, login, actions, and each error type."""

from __future__ import annotations

import httpx
import pytest

from hydra_tui.api import errors
from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.api.models import JobsetState
from hydra_tui.api.status import BuildState
from hydra_tui.demo.runner import DemoServer, free_port
from hydra_tui.demo.world import BIG_EVAL_SIZE


async def test_projects_and_jobsets(client: HydraClient) -> None:
    projects = {p.name: p for p in await client.projects()}
    assert {"hello", "nixpkgs", "patchelf", "infra-secrets"} <= set(projects)
    assert projects["infra-secrets"].hidden and not projects["patchelf"].enabled
    hello = await client.project("hello")
    assert "main" in hello.jobsets and hello.title == "GNU Hello"
    overview = {j.name: j for j in await client.jobsets("hello")}
    assert "pr-1234" not in overview  # hidden jobsets are only for the owner
    main = overview["main"]
    assert main.nrtotal == main.nrscheduled + main.nrsucceeded + main.nrfailed > 0
    # As on a real Hydra: errortime is written with every evaluation (errors or not), a later check that finds
    # nothing new moves only lastcheckedtime, and haserrormsg is false. So the overview cannot tell of errors.
    broken, ok = overview["broken"], overview["flake"]
    assert not broken.haserrormsg and not broken.has_error and not ok.has_error
    assert broken.errortime is not None and broken.lastcheckedtime > broken.errortime
    assert ok.errortime is not None and ok.errortime == max(
        e.timestamp for e in (await client.evals("hello", "flake")).evals
    )
    assert (await client.jobset_errors("hello", "flake")).errormsg == ""


async def test_jobset_states_and_errors(client: HydraClient) -> None:
    states = {
        name: (await client.jobset("hello", name)).enabled for name in ("main", "release-24.05", "nightly", "staging")
    }
    assert states == {
        "main": JobsetState.ENABLED,
        "release-24.05": JobsetState.DISABLED,
        "nightly": JobsetState.ONE_SHOT,
        "staging": JobsetState.ONE_AT_A_TIME,
    }
    broken = await client.jobset("hello", "broken")
    assert broken.errormsg == ""  # as on real Hydra since 2024
    assert "callPackag" in (await client.jobset_errors("hello", "broken")).errormsg
    assert (await client.jobset("hello", "flake")).is_flake


async def test_eval_pages(client: HydraClient) -> None:
    first = await client.evals("hello", "main")
    assert len(first.evals) == 20 and first.next_page == 2 and first.last_page == 3
    third = await client.evals("hello", "main", page=3)
    assert len(third.evals) == 5 and third.next_page is None
    ids = [e.id for e in first.evals]
    assert ids == sorted(ids, reverse=True)
    assert first.evals[0].changed_inputs(first.evals[1])


async def test_latest_eval_and_its_builds(client: HydraClient) -> None:
    latest = await client.latest_eval("hello", "main")
    assert latest.eval.nrbuilds == len(latest.build_ids) == 36
    rows = await client.eval_builds(latest.eval.id)
    assert len(rows) == 36
    states = set(rows.counts())
    assert {
        BuildState.QUEUED,
        BuildState.RUNNING,
        BuildState.SUCCEEDED,
        BuildState.FAILED,
        BuildState.CANCELLED,
        BuildState.TIMED_OUT,
        BuildState.DEPENDENCY_FAILED,
    } <= states
    again = await client.eval(latest.eval.id)
    assert list(again.build_ids) == list(latest.build_ids)


async def test_nixpkgs_sized_eval(client: HydraClient) -> None:
    latest = await client.latest_eval("nixpkgs", "trunk")
    assert len(latest.build_ids) == BIG_EVAL_SIZE
    with pytest.raises(errors.ServerError) as info:
        await client.eval_builds(latest.eval.id)
    assert info.value.status == 504
    build = await client.build(latest.build_ids[12345])
    assert build.project == "nixpkgs" and latest.eval.id in build.jobsetevals


async def test_build_details(client: HydraClient) -> None:
    latest = await client.latest_eval("hello", "main")
    found_metrics = found_products = False
    for build_id in latest.build_ids:
        build = await client.build(build_id)
        assert build.drvpath.endswith(".drv") and build.buildoutputs["out"].path
        found_metrics |= bool(build.buildmetrics)
        found_products |= bool(build.buildproducts)
    assert found_products and found_metrics
    tested = next(b for b in [await client.build(i) for i in latest.build_ids] if b.job.startswith("tested."))
    assert len(await client.build_constituents(tested.id)) == 35


async def test_slim_lists_and_search(client: HydraClient) -> None:
    queue = await client.queue(100)
    assert queue and all(not b.finished for b in queue)
    assert await client.queue_size() == len(queue)
    latest = await client.latest_builds(5, project="hello", jobset="main")
    assert len(latest) == 5 and all(b.finished and b.jobset == "main" for b in latest)
    assert [b.id for b in latest] == sorted((b.id for b in latest), reverse=True)
    found = await client.search("hello")
    assert [p.name for p in found.projects] == ["hello"]
    evals = await client.global_evals()
    assert evals and evals[0].eval.id > evals[-1].eval.id
    shield = await client.shield("hello", "main", "hello.x86_64-linux")
    assert shield["schemaVersion"] == 1


async def test_logs_stream_and_tail(client: HydraClient) -> None:
    latest = await client.latest_eval("hello", "main")
    rows = await client.eval_builds(latest.eval.id)
    done = next(rows.ids[i] for i in range(len(rows)) if rows.state_at(i) is BuildState.SUCCEEDED)
    tail = await client.log_tail(done, 3)
    assert len(tail) == 3 and b"built" in tail[-1]
    whole = b"".join([chunk async for chunk in client.stream_log(done)])
    assert whole.startswith(b"\x1b[1mbuilding") and whole.endswith(tail[-1] + b"\n")
    queued = next(rows.ids[i] for i in range(len(rows)) if rows.state_at(i) is BuildState.QUEUED)
    assert await client.log_tail(queued, 10) == []


async def test_login_logout_and_current_user(client: HydraClient) -> None:
    assert await client.current_user() is None
    user = await client.login("alice", "alice-pw")
    assert user.username == "alice" and user.has_role("restart-jobs")
    assert client.session_cookie
    assert (await client.current_user()).username == "alice"  # type: ignore[union-attr]
    await client.logout()
    assert client.session_cookie is None and await client.current_user() is None


async def test_bad_password(client: HydraClient) -> None:
    with pytest.raises(errors.LoginRequiredError) as info:
        await client.login("alice", "wrong")
    assert "Bad username or password" in str(info.value)
    assert "wrong" not in str(info.value)


async def test_session_cookie_can_be_restored(demo: DemoServer, alice: HydraClient) -> None:
    cookie = alice.session_cookie
    async with HydraClient(demo.url, limits=Limits.unlimited()) as other:
        other.set_session_cookie(cookie)
        assert (await other.current_user()).username == "alice"  # type: ignore[union-attr]
        demo.call(lambda world: world.expire_sessions())
        assert await other.current_user() is None


async def test_actions_change_builds(alice: HydraClient, demo: DemoServer, clock) -> None:
    latest = await alice.latest_eval("hello", "main")
    rows = await alice.eval_builds(latest.eval.id)
    failed = next(rows.ids[i] for i in range(len(rows)) if rows.state_at(i) is BuildState.FAILED)
    queued = next(rows.ids[i] for i in range(len(rows)) if rows.state_at(i) is BuildState.QUEUED)
    await alice.restart_build(failed)
    assert (await alice.build(failed)).state is BuildState.QUEUED
    await alice.cancel_build(queued)
    assert (await alice.build(queued)).state is BuildState.CANCELLED
    await alice.bump_build(failed)
    with pytest.raises(errors.ServerError, match="cannot be cancelled"):
        await alice.cancel_build(queued)
    await alice.cancel_eval(latest.eval.id)
    after = await alice.eval_builds(latest.eval.id)
    assert BuildState.QUEUED not in after.counts() and BuildState.RUNNING not in after.counts()
    await alice.restart_eval_failed(latest.eval.id)
    assert BuildState.FAILED not in (await alice.eval_builds(latest.eval.id)).counts()
    await alice.bump_eval(latest.eval.id)
    await alice.restart_eval_aborted(latest.eval.id)


async def test_push_makes_a_new_eval(alice: HydraClient, clock) -> None:
    before = await alice.latest_eval("hello", "main")
    result = await alice.push("hello", "main")
    assert result.jobsetsTriggered == ["hello:main"]
    assert (await alice.jobsets("hello"))[0].project == "hello"
    assert any(j.evaluating for j in await alice.jobsets("hello") if j.name == "main")
    clock.advance(5)
    after = await alice.latest_eval("hello", "main")
    assert after.eval.id > before.eval.id
    with pytest.raises(errors.ActionFailedError, match="not triggered"):
        await alice.push("hello", "release-24.05")  # disabled: skipped without force
    assert (await alice.push("hello", "release-24.05", force=True)).jobsetsTriggered


async def test_push_error_in_a_200_body(alice: HydraClient) -> None:
    with pytest.raises(errors.ActionFailedError, match="doesn't exist"):
        await alice.push("hello", "no-such-jobset")


async def test_login_required_and_forbidden(client: HydraClient) -> None:
    latest = await client.latest_eval("hello", "main")
    with pytest.raises(errors.LoginRequiredError):
        await client.restart_build(latest.build_ids[0])
    with pytest.raises(errors.LoginRequiredError):
        await client.push("hello", "main")
    await client.login("bob", "bob-pw")
    with pytest.raises(errors.ForbiddenError) as info:
        await client.restart_build(latest.build_ids[0])
    assert info.value.role == "restart-jobs" and "restart-jobs" in str(info.value)
    with pytest.raises(errors.ForbiddenError) as push_info:
        await client.push("hello", "main")
    assert push_info.value.role == "eval-jobset"


async def test_not_found(client: HydraClient) -> None:
    with pytest.raises(errors.NotFoundError, match="doesn't exist"):
        await client.build(1)
    with pytest.raises(errors.NotFoundError, match="Project ‘nope’"):
        await client.project("nope")


async def test_html_where_json_was_expected(client: HydraClient) -> None:
    latest = await client.latest_eval("hello", "main")
    with pytest.raises(errors.BadResponseError, match="HTML page where JSON was expected"):
        await client.get_json(f"/build/{latest.build_ids[0]}/log")


async def test_requests_carry_the_right_headers(demo: DemoServer) -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    async with HydraClient(demo.url, limits=Limits.unlimited()) as hydra:
        hydra._http.event_hooks["request"].append(record)
        await hydra.projects()
        await hydra.login("alice", "alice-pw")
    get, post = seen
    assert get.headers["accept"] == "application/json"
    assert get.headers["user-agent"].startswith("hydra-tui/")
    assert post.headers["referer"] == demo.url + "/"


async def test_server_without_accept_sends_html(demo: DemoServer) -> None:
    async with httpx.AsyncClient() as raw:
        response = await raw.get(demo.url + "/", headers={"Accept": "*/*"})
        assert response.headers["content-type"].startswith("text/html")
        post = await raw.post(demo.url + "/login", json={"username": "alice", "password": "alice-pw"})
        assert post.status_code == 500 and "should come from" in post.text


async def test_unreachable() -> None:
    async with HydraClient(f"http://127.0.0.1:{free_port()}", limits=Limits.unlimited()) as hydra:
        with pytest.raises(errors.UnreachableError, match="Cannot connect"):
            await hydra.projects()
        assert not hydra.health.ok and hydra.health.retries == Limits.unlimited().retries


async def test_project_and_jobset_configuration(client: HydraClient) -> None:
    with pytest.raises(errors.LoginRequiredError):
        await client.put_project("newproj", {"displayname": "New", "enabled": True, "visible": True})
    await client.login("root", "root-pw")
    created = await client.put_project("newproj", {"displayname": "New", "enabled": True, "visible": True})
    assert created["type"] == "project" and created["uri"].endswith("/project/newproj")
    updated = await client.put_project("newproj", {"displayname": "Renamed", "enabled": True, "visible": True})
    assert "redirect" in updated and (await client.project("newproj")).displayname == "Renamed"
    js = await client.put_jobset("newproj", "main", {"enabled": 1, "visible": True, "checkinterval": 60})
    assert js["type"] == "jobset"
    assert (await client.jobset("newproj", "main")).checkinterval == 60
    await client.put_jobset("newproj", "main", {"enabled": 0})
    jobset = await client.jobset("newproj", "main")
    assert jobset.enabled == 0 and not jobset.visible  # presence flags, as on real Hydra
    assert "redirect" in await client.delete_jobset("newproj", "main")
    assert "redirect" in await client.delete_project("newproj")
    with pytest.raises(errors.NotFoundError):
        await client.project("newproj")
