"""Starting and stopping the demo Hydra: in a background thread (for the app and tests) or in the foreground."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable

from aiohttp import web

from hydra_tui.clock import Clock
from hydra_tui.demo.faults import Faults
from hydra_tui.demo.server import make_app
from hydra_tui.demo.world import World


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class DemoServer:
    """A demo Hydra on 127.0.0.1 in its own thread and event loop, so it never slows the UI's loop."""

    def __init__(
        self,
        *,
        seed: int = 1,
        clock: Clock | None = None,
        start: float | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        configure: Callable[[World], None] | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.world = World(seed=seed, clock=clock, start=start)
        self.faults = faults or Faults()
        if configure is not None:
            configure(self.world)
        self.host = host
        self.port = port or free_port(host)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoServer:
        self._thread = threading.Thread(target=self._run, name="demo-hydra", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise RuntimeError(f"The demo Hydra could not start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start()
            self._error = exc
        finally:
            self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._cleanup())
        loop.close()

    async def _serve(self) -> None:
        self._runner = web.AppRunner(make_app(self.world, self.faults), access_log=None, handler_cancellation=True)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()

    async def _go_away(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            for conn in list(self._runner.server.connections):
                conn.force_close()

    def go_away(self) -> None:
        """Stop listening (connections are refused) until `come_back()`; the world is kept."""
        self._run_in_loop(self._go_away())

    def come_back(self) -> None:
        self._run_in_loop(self._listen())

    def _run_in_loop(self, coro: object) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)  # type: ignore[arg-type]

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def call(self, fn: Callable[[World], object]) -> object:
        """Run `fn(world)` on the server's thread, for tests that change the world while it serves."""
        if self._loop is None:
            return fn(self.world)

        async def run() -> object:
            return fn(self.world)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# In a demo that runs on the wall clock, hello:staging is evaluated again this often, so the queue keeps moving.
LIVE_REBUILD_EVERY = 900.0


def set_queue_runner(world: World, mode: str) -> None:
    """`rust` or `legacy` (the format, runner up), or `down`, `unknown`, `unreachable` (Rust format, not up)."""
    if mode in ("rust", "legacy"):
        world.queue_runner, world.queue_runner_state = mode, "up"
    else:
        world.queue_runner, world.queue_runner_state = "rust", mode


def serve_forever(
    port: int, host: str = "127.0.0.1", seed: int = 1, faults: Faults | None = None, queue_runner: str = "rust"
) -> None:
    """`hydra-tui demo-server`: serve until interrupted."""
    world = World(seed=seed)
    world.rebuild_every = LIVE_REBUILD_EVERY
    set_queue_runner(world, queue_runner)
    world.big.warm()  # the nixpkgs-sized jobset's arrays, so that no first request pays for them
    if faults is not None:
        print(f"Fault modes on: {faults}")
    print(f"Demo Hydra listening on http://{host}:{port}  (users: alice/alice-pw with roles, bob/bob-pw without)")
    print("Try: curl -H 'Accept: application/json' " + f"http://{host}:{port}/")
    web.run_app(make_app(world, faults), host=host, port=port, print=None, access_log=None)
