"""Snapshots of the operator screen at 80x24 and 120x40: the Rust and the legacy queue runner, and a runner down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.screens.operator import OperatorScreen
from tests.conftest import T0
from tests.ui.helpers import PortMap, make_app, screen_ready, wait_for
from tests.ui.test_snapshots import SHOWN_PORT, SHOWN_URL, SIZES

VARIANTS = {"rust": ("rust", "up"), "legacy": ("legacy", "up"), "down": ("rust", "down")}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, DemoServer]]:
    started: dict[str, DemoServer] = {}
    for name, (fmt, state) in VARIANTS.items():

        def configure(world, fmt=fmt, state=state) -> None:
            world.queue_runner = fmt
            world.queue_runner_state = state

        started[name] = DemoServer(clock=FrozenClock(T0), start=T0, configure=configure).start()
    yield started
    for server in started.values():
        server.stop()


def _ready(*keys: str):
    async def ready(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: screen_ready(app, OperatorScreen) or bool(app.screen_stack[1:]))
        await pilot.press("s")
        await wait_for(pilot, lambda: screen_ready(app, OperatorScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen._settled and screen.table("running").row_count > 0)
        await wait_for(pilot, lambda: screen.table("queue").row_count > 0)
        # The running builds' start times, read from their details in the background, are all in.
        await wait_for(pilot, lambda: not screen._reading_starts)
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await pilot.pause(0.1)

    return ready


def _app(server: DemoServer):
    return make_app(SHOWN_URL, FrozenClock(T0), transport=PortMap(SHOWN_PORT, server.port))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_operator(snap_compare, servers: dict[str, DemoServer], size, variant: str) -> None:
    assert snap_compare(_app(servers[variant]), terminal_size=size, run_before=_ready())


@pytest.mark.parametrize("part", ["1", "3"], ids=["queue", "machines"])
def test_operator_small_parts(snap_compare, servers: dict[str, DemoServer], part: str) -> None:
    assert snap_compare(_app(servers["rust"]), terminal_size=(80, 24), run_before=_ready(part))
