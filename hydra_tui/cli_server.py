"""The server a subcommand (watch, report, status) talks to: the profile's, or a demo Hydra started for the
command with `--demo`; and the warning each of them gives when TLS certificates go unchecked."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TextIO

from hydra_tui.config import Settings

INSECURE_WARNING = "hydra-tui: warning: TLS certificates are NOT verified (--insecure)."


@contextlib.contextmanager
def command_server(settings: Settings, *, demo: bool, err: TextIO) -> Iterator[str]:
    """The server's URL for the block (the profile's URL is set to it); a demo Hydra runs until the block ends."""
    if settings.profile.insecure:
        print(INSECURE_WARNING, file=err)
    if not demo:
        yield settings.profile.url
        return
    from hydra_tui.demo.runner import DemoServer

    with DemoServer() as server:
        settings.profile.url = server.url
        yield server.url
