"""Watch mode without a UI: one line (or one JSON object) per change, for pipes and scripts."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TextIO

from hydra_tui.api.errors import HydraError
from hydra_tui.clock import Clock
from hydra_tui.watch.core import Change, Verdict, Watcher


def format_line(change: Change) -> str:
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(change.time))
    return f"{when} eval {change.eval_id} {change.counts.text()} {change.summary()}"


def run_command(command: str, change: Change) -> None:
    """The user's `--on-change` command, with the change as JSON in $HYDRA_TUI_CHANGE; never waited for long."""
    import os

    env = dict(os.environ, HYDRA_TUI_CHANGE=json.dumps(change.to_json()), HYDRA_TUI_SUMMARY=change.summary())
    subprocess.Popen(command, shell=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def watch_lines(
    watcher: Watcher,
    *,
    interval: float,
    clock: Clock,
    as_json: bool = False,
    exit_status: bool = False,
    timeout: float | None = None,
    on_change: str | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int:
    started = clock.now()
    last_error = ""
    while True:
        try:
            change = await watcher.poll()
        except HydraError as exc:
            if str(exc) != last_error:
                print(f"hydra-tui: {exc}", file=err, flush=True)
                last_error = str(exc)
            change = None
        else:
            last_error = ""
        if change is not None:
            print(json.dumps(change.to_json()) if as_json else format_line(change), file=out, flush=True)
            if on_change and change.matters:
                run_command(on_change, change)
        if exit_status:
            verdict = watcher.verdict()
            if verdict is not None:
                return int(verdict)
        if timeout is not None and clock.now() - started >= timeout:
            if exit_status:
                print(f"hydra-tui: timed out after {timeout:g}s", file=err, flush=True)
            return int(Verdict.TIMEOUT)
        await sleep(interval)
