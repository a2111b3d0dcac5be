"""Network limits against a hostile server: the cookie stays with its origin, a request has an overall deadline,
an answer a size cap (after decompression), `watch --timeout` is exact and a newline-less log reads in linear time
off the UI loop. Nothing here trusts the server."""

from __future__ import annotations

import asyncio
import gzip
import io
import time

import httpx
import pytest

from hydra_tui.api.client import HydraClient, origin
from hydra_tui.api.errors import BadResponseError, TooLargeError, UnreachableError
from hydra_tui.api.limits import Limits
from hydra_tui.cache.service import DataService
from hydra_tui.clock import SystemClock
from hydra_tui.demo.runner import DemoServer
from hydra_tui.logs.source import MAX_LINE
from hydra_tui.watch.cli import watch_main
from tests.faults.rawhttp import RawServer, answer, redirect

QUICK = Limits(rate=0, burst=1, in_flight=4, retries=0, timeout=5.0, deadline=5.0)
USER = b'{"username": "alice", "userroles": []}'


def cookies_sent_to(server: RawServer, path: str) -> list[str | None]:
    return [seen.headers.get("cookie") for seen in server.seen if seen.path.split("?")[0] == path]


async def test_the_session_cookie_goes_only_to_its_own_origin() -> None:
    with RawServer() as other, RawServer() as hydra:
        hydra.routes["/login"] = answer(USER, headers=("Set-Cookie: hydra_session=s3cret; Path=/; HttpOnly",))
        hydra.routes["/current-user"] = answer(USER)
        # The log redirects to another port of the same host, then to "localhost" (another host name).
        hydra.routes["/build/1/log/raw"] = redirect(f"{other.url}/log")
        other.routes["/log"] = redirect(f"http://localhost:{hydra.port}/final")
        hydra.routes["/final"] = answer(b"log text\n", ctype="text/plain")
        async with HydraClient(hydra.url, limits=QUICK) as client:
            await client.login("alice", "pw")
            assert client.session_cookie == "s3cret"
            assert await client.current_user() is not None
            lines = await client.log_tail(1)
        assert lines == [b"log text"]
        assert cookies_sent_to(hydra, "/current-user") == ["hydra_session=s3cret"]
        assert cookies_sent_to(hydra, "/build/1/log/raw") == ["hydra_session=s3cret"]
        assert cookies_sent_to(other, "/log") == [None]  # another port
        assert cookies_sent_to(hydra, "/final") == [None]  # same port, but another host name


def test_the_cookie_never_goes_over_http_after_https_nor_to_a_subdomain() -> None:
    client = HydraClient("https://hydra.example.org")
    client.set_session_cookie("s3cret")
    for url, sent in [
        ("https://hydra.example.org/build/1", True),
        ("https://hydra.example.org:443/x", True),
        ("http://hydra.example.org/build/1/log/raw", False),  # https → http
        ("https://cache.hydra.example.org/log", False),  # a subdomain
        ("https://hydra.example.org:8443/x", False),  # another port
        ("https://example.org/x", False),  # the parent domain
    ]:
        request = httpx.Request("GET", url)
        client._attach_cookie(request)
        assert ("cookie" in request.headers) is sent, url
    assert origin("http://hydra:3000/x") == ("http", "hydra", 3000)


@pytest.mark.parametrize("host", ["localhost", "hydra"])
async def test_a_saved_login_works_on_dotless_hosts(host: str) -> None:
    """`http://localhost:3000` and `http://hydra:3000`: the cookie is sent (a cookie jar would drop it)."""
    with RawServer() as hydra:
        hydra.routes["/current-user"] = answer(USER)
        transport = httpx.AsyncHTTPTransport()

        class ToTheTestServer(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                request.url = request.url.copy_with(host="127.0.0.1", port=hydra.port)
                return await transport.handle_async_request(request)

        async with HydraClient(f"http://{host}:3000", limits=QUICK, transport=ToTheTestServer()) as client:
            client.set_session_cookie("saved")
            assert await client.current_user() is not None
        assert cookies_sent_to(hydra, "/current-user") == ["hydra_session=saved"]


async def test_a_trickling_server_meets_the_overall_deadline() -> None:
    async def trickle(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100_000):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)  # each read well within the read timeout

    with RawServer(routes={"/": trickle}) as server:
        limits = Limits(rate=0, burst=1, retries=0, timeout=3.0, deadline=1.5)
        async with HydraClient(server.url, limits=limits) as client:
            started = time.monotonic()
            with pytest.raises(UnreachableError, match="deadline"):
                await client.projects()
            assert time.monotonic() - started < 3.0


async def test_the_size_cap_counts_decompressed_bytes() -> None:
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb") as zipped:
        zipped.write(b"[" + b" " * (200 << 20) + b"]")  # 200 MB of JSON…
    bomb = packed.getvalue()
    assert len(bomb) < 1 << 20  # …in under 1 MB on the wire
    with RawServer() as server:
        server.routes["/"] = answer(bomb, headers=("Content-Encoding: gzip",))
        server.routes["/api/nrqueue"] = answer(b"1" * (9 << 20))  # plain, and simply too big
        server.routes["/api/jobsets"] = answer(b"[]")
        async with HydraClient(server.url, limits=Limits(rate=0, retries=0, max_body=8 << 20)) as client:
            with pytest.raises(TooLargeError, match="more than 8 MB"):
                await client.projects()
            with pytest.raises(TooLargeError):
                await client.queue_size()
            assert await client.jobsets("p") == []  # small answers still work


def test_watch_timeout_is_exact_whatever_the_interval(demo: DemoServer) -> None:
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = watch_main(
        ["--plain", "--timeout", "2", "--interval", "30", "hello:staging"], out=out, err=err, demo_url=demo.url
    )
    took = time.monotonic() - started
    assert code == 124
    assert 1.9 <= took < 5, took


async def test_a_newline_less_log_reads_in_linear_time_off_the_loop() -> None:
    sizes = {"/16": 16 << 20, "/32": 32 << 20}

    def log(size: int):
        async def handler(writer: asyncio.StreamWriter) -> None:
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {size}\r\n\r\n".encode())
            block = b"x" * (1 << 20)
            for _ in range(size >> 20):
                writer.write(block)
                await writer.drain()

        return handler

    with RawServer() as server:
        for path, size in sizes.items():
            server.routes[f"/build{path}/log/raw"] = log(size)
        client = HydraClient(server.url, limits=Limits(rate=0, retries=0, deadline=60))
        service = DataService(client, SystemClock())
        took: dict[int, float] = {}
        for path, size in sizes.items():
            lags: list[float] = []
            done = asyncio.Event()

            async def ticker(done: asyncio.Event = done, lags: list[float] = lags) -> None:
                last = time.monotonic()
                while not done.is_set():
                    await asyncio.sleep(0.01)
                    now = time.monotonic()
                    lags.append(now - last)
                    last = now

            tick = asyncio.create_task(ticker())
            started = time.monotonic()
            lines = await service.log_tail(int(path[1:]), 2000)
            took[size] = time.monotonic() - started
            done.set()
            await tick
            assert len(lines) == 1 and len(lines[0]) < MAX_LINE + 100
            assert lines[0].endswith(f"[{size - MAX_LINE} more bytes not shown]")
            assert max(lags) < 0.5, max(lags)  # the loop never froze
        await client.aclose()
    assert took[32 << 20] < 3 * took[16 << 20] + 0.5, took  # linear, not quadratic


async def test_a_huge_error_body_is_capped_too() -> None:
    with RawServer() as server:
        server.routes["/"] = answer(b"x" * (9 << 20), status="500 Internal Server Error", ctype="text/plain")
        async with HydraClient(server.url, limits=Limits(rate=0, retries=0, max_body=8 << 20)) as client:
            with pytest.raises(BadResponseError):
                await client.projects()
