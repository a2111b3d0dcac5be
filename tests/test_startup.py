"""Start-up (issue 11, item 22): what the first screen does not need is not loaded or made before its first frame."""

from __future__ import annotations

import subprocess
import sys

from hydra_tui.api.client import HydraClient


def test_the_first_screen_imports_no_page_reader() -> None:
    code = (
        "import sys, hydra_tui.cli, hydra_tui.ui.run, hydra_tui.ui.app, hydra_tui.ui.screens.projects\n"
        "print(sorted(m for m in ('lxml', 'hydra_tui.api.pages', 'aiohttp') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


async def test_the_http_client_is_made_at_the_first_request_after_the_gate(client: HydraClient) -> None:
    import asyncio

    fresh = HydraClient(client.base_url)
    assert fresh._client is None  # constructing costs no TLS set-up
    gate = asyncio.Event()
    fresh.start_gate = gate
    request = asyncio.ensure_future(fresh.projects())
    for _ in range(50):  # let the request run as far as it can
        await asyncio.sleep(0)
    assert not request.done() and fresh._client is None  # waits for the first frame
    gate.set()
    assert [p.name for p in await request]
    assert fresh._client is not None
    await fresh.aclose()
