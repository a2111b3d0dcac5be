"""The client's page methods over httpx.MockTransport serving the hand-written fixtures: requests, headers,
redirects, and answers that are not the expected page."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from hydra_tui.api.client import USER_AGENT, HydraClient
from hydra_tui.api.comparison import Change
from hydra_tui.api.errors import BadResponseError
from hydra_tui.api.limits import Limits
from hydra_tui.api.pages import PageError
from tests.conftest import DATA

PAGES = DATA / "pages"
HTML = {"content-type": "text/html; charset=utf-8"}


def client(handler: Callable[[httpx.Request], httpx.Response]) -> HydraClient:
    return HydraClient("https://hydra.example.org", limits=Limits.unlimited(), transport=httpx.MockTransport(handler))


async def test_compare_sends_params_and_html_accept() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers=HTML, content=(PAGES / "eval_2026.html").read_bytes())

    async with client(handler) as hydra:
        result = await hydra.compare(1002, compare="-86400", filter="open ssl", full=True)
    (request,) = seen
    assert request.url.path == "/eval/1002"
    assert dict(request.url.params) == {"compare": "-86400", "filter": "open ssl", "full": "1"}
    assert request.headers["accept"].startswith("text/html")
    assert request.headers["user-agent"] == USER_AGENT
    assert result.eval_id == 1002 and result.count(Change.NEWLY_FAILING) == 1253


async def test_compare_of_a_big_page_parses_off_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    threaded: list[object] = []
    real = asyncio.to_thread

    async def spy(func: Callable[..., object], *args: object) -> object:
        threaded.append(func)
        return await real(func, *args)

    monkeypatch.setattr(asyncio, "to_thread", spy)
    body = (PAGES / "eval_2026.html").read_bytes() + b"<!--" + b" " * 1_100_000 + b"-->"
    async with client(lambda r: httpx.Response(200, headers=HTML, content=body)) as hydra:
        result = await hydra.compare(1002)
    assert threaded and result.count(Change.NEW) == 2


async def test_compare_answered_with_json_is_a_bad_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 1002, "builds": []})

    async with client(handler) as hydra:
        with pytest.raises(BadResponseError, match="/eval/1002 answered with JSON where an HTML page"):
            await hydra.compare(1002)


async def test_compare_of_a_foreign_html_page_is_a_page_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=HTML, content=b"<html><body>Checking your browser...</body></html>")

    async with client(handler) as hydra:
        with pytest.raises(PageError, match="/eval/9"):
            await hydra.compare(9)


async def test_eval_job_follows_no_redirect() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/eval/1002/job/hello.x86_64-linux":
            return httpx.Response(302, headers={"location": "https://hydra.example.org/build/5005"})
        if request.url.path == "/build/5005":
            raise AssertionError("the redirect must not be followed")
        return httpx.Response(404, json={"error": "This evaluation has no job with the specified name."})

    async with client(handler) as hydra:
        assert await hydra.eval_job(1002, "hello.x86_64-linux") == 5005
        assert await hydra.eval_job(1002, "nope") is None


async def test_eval_job_without_redirect_is_a_bad_response() -> None:
    async with client(lambda r: httpx.Response(200, headers=HTML, content=b"<html></html>")) as hydra:
        with pytest.raises(BadResponseError, match="redirect"):
            await hydra.eval_job(1, "x")


async def test_eval_summaries_and_build_steps() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        name = {
            "/jobset/nixpkgs/trunk/evals": "evals_2026.html",
            "/build/102": "build_failed_2019.html",
        }[request.url.path]
        assert request.headers["accept"].startswith("text/html")
        return httpx.Response(200, headers=HTML, content=(PAGES / name).read_bytes())

    async with client(handler) as hydra:
        evals = await hydra.eval_summaries("nixpkgs", "trunk")
        steps = await hydra.build_steps(102, background=True)
    assert [e.failed for e in evals] == [5211, 5000, 0]
    assert steps.culprit == 99 and steps.build_id == 102
