"""Inputs that used to kill the app: a colour with a 5,000-digit parameter, JSON nested too deeply, and any other
unexpected exception in a fetch. Each becomes a plain line or a shown error, and polling goes on."""

from __future__ import annotations

import asyncio

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.api.errors import BadResponseError, InternalError
from hydra_tui.api.limits import Limits
from hydra_tui.cache.poller import steady
from hydra_tui.cache.service import DataService
from hydra_tui.clock import SystemClock
from hydra_tui.logs.sanitize import clean, to_text
from hydra_tui.ui.widgets.log_view import LogView
from tests.faults.rawhttp import RawServer, answer

HUGE_SGR = "\x1b[38;5;" + "9" * 5000 + "mhuge\x1b[0m tail"


def test_a_colour_with_a_huge_parameter_leaves_the_line_plain() -> None:
    text = to_text("\x1b[31mred\x1b[0m " + HUGE_SGR)
    assert text.plain == "red huge tail"
    assert not text.spans  # the whole line plain: no colour half-applied
    assert to_text("\x1b[31mred\x1b[0m").spans  # a short colour stays
    assert clean("a\x1b[" + "1;" * 40 + "1mb") == "ab"  # too many parameters is not short either
    assert clean("\x1b[38;2;255;0;0mok") == "\x1b[38;2;255;0;0mok"


async def test_a_huge_colour_in_a_shown_log_line_does_not_crash() -> None:
    from textual.app import App, ComposeResult

    from hydra_tui.logs.source import MemoryLines

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield LogView(id="log")

    app = One()
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(LogView)
        view.set_source(MemoryLines(["before", HUGE_SGR, "after"], complete=True))
        await pilot.pause()
        assert "huge tail" in "\n".join(view.visible_plain())
        assert app.is_running


async def test_deeply_nested_json_is_an_error_on_the_entry_and_polling_goes_on() -> None:
    with RawServer() as server:
        server.routes["/"] = answer(b"[" * 200_000 + b"]" * 200_000)
        client = HydraClient(server.url, limits=Limits(rate=0, retries=0))
        service = DataService(client, SystemClock())
        service.poller.min_interval = 0.01
        service.poller.speed = 0.01  # a failed poll waits 10 s: 0.1 s here
        seen: list[object] = []
        sub = service.subscribe("projects", on_change=lambda entry: seen.append(entry.error))
        for _ in range(500):
            if len(server.seen) >= 3:  # it polled again after the failure
                break
            await asyncio.sleep(0.02)
        entry = service.cache.peek(("projects",))
        assert entry is not None and isinstance(entry.error, BadResponseError)
        assert "nested too deeply" in str(entry.error)
        assert len(server.seen) >= 3 and sub.task is not None and not sub.task.done()
        await service.aclose()


async def test_any_unexpected_exception_in_a_fetch_is_shown_and_polling_goes_on() -> None:
    client = HydraClient("http://127.0.0.1:9")
    service = DataService(client, SystemClock())
    service.poller.min_interval = 0.01
    calls = 0

    async def broken() -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RecursionError("maximum recursion depth exceeded \x1b]0;PWNED\x07")
        return ["fine"]

    errors: list[object] = []
    service.poller.speed = 0.001
    sub = service.poller.subscribe(("x",), broken, lambda e: errors.append(e.error), steady(0.01))
    for _ in range(500):
        if calls >= 2:
            break
        await asyncio.sleep(0.01)
    assert isinstance(errors[0], InternalError) and "RecursionError" in str(errors[0])
    assert "\x1b" not in str(errors[0]) and "PWNED" not in str(errors[0])
    assert calls >= 2 and service.cache.peek(("x",)).value == ["fine"]  # type: ignore[union-attr]
    sub.cancel()
    await client.aclose()


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000])
async def test_nested_json_anywhere_is_a_bad_response(body: bytes) -> None:
    with RawServer() as server:
        server.routes["*"] = answer(body)
        async with HydraClient(server.url, limits=Limits(rate=0, retries=0)) as client:
            for call in (client.projects, lambda: client.build(1), lambda: client.eval(1)):
                with pytest.raises(BadResponseError):
                    await call()
