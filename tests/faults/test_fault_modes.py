"""Each fault mode of the demo: the client raises the right typed error, and the dashboard keeps the last good
data marked stale with the reason, and recovers by itself when the server does."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from textual.widgets import Static

from hydra_tui.api import errors
from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.demo.faults import Faults
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.widgets.status_line import StatusLine
from tests.ui.helpers import make_app, wait_for
from tests.ui.test_navigation import tree_labels

FAULT_ERRORS = {
    "errors": errors.ServerError,
    "resets": errors.UnreachableError,
    "bad_json": errors.BadResponseError,
    "html": errors.BadResponseError,
}
REASONS = {
    "errors": "answered 50",
    "resets": "connection",
    "bad_json": "malformed JSON",
    "html": "HTML page where JSON was expected",
    "away": "Cannot connect",
}


def no_retries() -> Limits:
    return Limits(rate=0, retries=0, in_flight=4, backoff_base=0.01, backoff_max=0.01)


@pytest.mark.parametrize("mode", sorted(FAULT_ERRORS))
async def test_client_error_for_each_fault(demo: DemoServer, mode: str) -> None:
    setattr(demo.faults, mode, 1.0)
    async with HydraClient(demo.url, limits=no_retries()) as hydra:
        with pytest.raises(FAULT_ERRORS[mode]) as info:
            await hydra.projects()
    assert "Traceback" not in str(info.value) and info.value.hint


async def test_client_retries_through_occasional_faults(demo: DemoServer) -> None:
    demo.faults.errors = 0.3
    demo.faults.resets = 0.2
    async with HydraClient(demo.url, limits=Limits(rate=0, retries=8, backoff_base=0.01, backoff_max=0.02)) as hydra:
        for _ in range(10):
            assert await hydra.projects()
    assert demo.faults.counts.get("reset", 0) + sum(demo.faults.counts.get(s, 0) for s in ("500", "502", "504"))


async def test_latency_is_survived(demo: DemoServer) -> None:
    demo.faults.latency = 0.3
    async with HydraClient(demo.url, limits=Limits(rate=0, timeout=0.1, retries=0)) as hydra:
        with pytest.raises(errors.UnreachableError, match="did not answer in time"):
            await hydra.projects()
    async with HydraClient(demo.url, limits=Limits(rate=0, timeout=5)) as hydra:
        assert await hydra.projects()


async def test_server_goes_away_and_comes_back(demo: DemoServer) -> None:
    async with HydraClient(demo.url, limits=no_retries()) as hydra:
        assert await hydra.projects()
        demo.go_away()
        with pytest.raises(errors.UnreachableError):
            await hydra.projects()
        demo.come_back()
        assert await hydra.projects()


async def test_nginx_rate_limit_is_never_hit_by_default_limits(demo: DemoServer) -> None:
    demo.faults.rate_limit = True
    demo.faults.errors = 0.5  # errors pile up, retries must still respect the rate
    async with HydraClient(demo.url, limits=Limits(retries=2, backoff_base=0.05, backoff_max=0.1)) as hydra:
        start = time.monotonic()
        results = await asyncio.gather(*(hydra.project("hello") for _ in range(8)), return_exceptions=True)
        elapsed = time.monotonic() - start
    sent = demo.faults.counts["requests"]
    assert demo.faults.counts.get("429", 0) == 0
    assert sent <= 4 + 1.5 * elapsed + 1  # burst + rate × time
    assert all(not isinstance(r, BaseException) or isinstance(r, errors.HydraError) for r in results)


async def test_rate_limited_client_backs_off_and_recovers(demo: DemoServer) -> None:
    demo.faults.rate_limit = True
    limits = Limits(rate=0, retries=12, backoff_base=0.3, backoff_max=1.0)
    async with HydraClient(demo.url, limits=limits, rng=random.Random(3)) as hydra:
        results = await asyncio.gather(*(hydra.project("hello") for _ in range(12)))
    assert len(results) == 12 and demo.faults.counts.get("429", 0) > 0


@pytest.mark.parametrize("mode", [*sorted(FAULT_ERRORS), "away"])
async def test_dashboard_keeps_last_good_data_and_recovers(demo: DemoServer, clock, mode: str) -> None:
    app = make_app(demo.url, clock)
    app.service.client.limits = no_retries()
    app.service.poller.speed = 0.02  # retry polls come round quickly in the test
    async with app.run_test(size=(100, 30)) as pilot:
        names = ("main", "trunk", "master")
        await wait_for(pilot, lambda: all(any(x.startswith(n) for x in tree_labels(app)) for n in names))
        await wait_for(pilot, lambda: all("enabled" in x for x in tree_labels(app) if x.startswith("master")))
        before = tree_labels(app)
        if mode == "away":
            demo.go_away()
        else:
            setattr(demo.faults, mode, 1.0)
        await pilot.press("r")
        message = app.screen.query_one("#message", Static)
        await wait_for(pilot, lambda: REASONS[mode] in str(message.render()) and not message.has_class("-hidden"))
        assert "stale since just now" in str(message.render()) and "Showing data from just now" in str(message.render())
        assert tree_labels(app) == before  # the last good data stays
        status = str(app.screen.query_one(StatusLine).render())
        assert "error" in status or "stale" in status or "backing off" in status
        if mode == "away":
            demo.come_back()
        else:
            demo.faults.clear()
        await wait_for(pilot, lambda: message.has_class("-hidden"), timeout=15)
        await wait_for(pilot, lambda: "live" in str(app.screen.query_one(StatusLine).render()), timeout=15)
        assert app.is_running


def test_fault_spec_parsing() -> None:
    faults = Faults.parse("latency=0.5,errors=0.2,rate_limit,resets,bad-json=0.1,html=0")
    assert (faults.latency, faults.errors, faults.rate_limit, faults.resets, faults.bad_json, faults.html) == (
        0.5,
        0.2,
        True,
        0.3,
        0.1,
        0.0,
    )
    with pytest.raises(ValueError, match="unknown fault"):
        Faults.parse("explode")


async def test_tls_is_verified_unless_insecure() -> None:
    import ssl

    async with HydraClient("https://hydra.example.org") as strict:
        context = strict._http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    async with HydraClient("https://hydra.example.org", verify=False) as loose:
        context = loose._http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.verify_mode == ssl.CERT_NONE


def test_insecure_warns(demo: DemoServer, clock) -> None:
    import io

    from hydra_tui.watch.cli import watch_main

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    err = io.StringIO()
    watch_main(
        ["--plain", "--insecure", "--timeout", "1", "hello:main"],
        out=io.StringIO(),
        err=err,
        sleep=sleep,
        clock=clock,
        demo_url=demo.url,
        limits=Limits.unlimited(),
    )
    assert "TLS certificates are NOT verified" in err.getvalue()
