"""Shared fixtures: a demo Hydra on 127.0.0.1 with a frozen clock, and clients for it."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.api.limits import Limits
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer

os.environ["TZ"] = "UTC"
time.tzset()

# 2026-11-26 12:00:00 UTC: the demo's "now" in every test.
T0 = 1_795_694_400
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def private_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's real config, cache or state."""
    base = tmp_path_factory.mktemp("xdg")
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(base / name.lower()))
    for name in ("HYDRA_URL", "HYDRA_PROFILE", "HYDRA_USER", "HYDRA_PASSWORD", "HYDRA_TUI_CONFIG", "HYDRA_READ_ONLY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session", autouse=True)
def nixpkgs_arrays() -> None:
    """The demo's nixpkgs-sized jobset is computed once per process (a few seconds); do it before any test, so
    that no test's first request to it waits on it under a read timeout."""
    from hydra_tui.demo.world import World

    World(clock=FrozenClock(T0), start=T0).big.warm()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def demo(clock: FrozenClock) -> Iterator[DemoServer]:
    """A fresh demo Hydra per test (it starts in milliseconds), so tests that change it stay independent."""
    server = DemoServer(clock=clock, start=T0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def client(demo: DemoServer) -> AsyncIterator[HydraClient]:
    async with HydraClient(demo.url, limits=Limits.unlimited()) as hydra:
        yield hydra


@pytest.fixture
async def alice(client: HydraClient) -> HydraClient:
    """The client, logged in as a user with every action role."""
    await client.login("alice", "alice-pw")
    return client
