"""Watch mode without a UI: one line (or one JSON object) per change, for pipes and scripts.

Names in the lines are already clean (the models clean them); the lines and the environment of `--on-change` are
cleaned once more on the way out, so a NUL or a lone surrogate can never stop the output or the command.
`--timeout N` ends the watch N seconds after the start, whatever the poll interval and however long a poll takes.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TextIO

from hydra_tui.api.errors import HydraError
from hydra_tui.api.text import clean_text
from hydra_tui.clock import Clock
from hydra_tui.watch.core import Change, Verdict, Watcher

# Never handed to an `--on-change` command: it runs whatever the user wrote, often someone else's script.
SECRET_VARIABLES = ("HYDRA_PASSWORD",)


def format_line(change: Change) -> str:
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(change.time))
    return clean_text(f"{when} eval {change.eval_id} {change.counts.text()} {change.summary()}").replace("\n", " ")


def command_env(change: Change, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an `--on-change` command: ours without the password, and the change."""
    import os

    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in SECRET_VARIABLES}
    env["HYDRA_TUI_CHANGE"] = json.dumps(change.to_json())  # ASCII: every control is escaped
    env["HYDRA_TUI_SUMMARY"] = clean_text(change.summary()).replace("\n", " ")
    return env


def run_command(command: str, change: Change) -> None:
    """The user's `--on-change` command, with the change as JSON in $HYDRA_TUI_CHANGE; never waited for long."""
    subprocess.Popen(command, shell=True, env=command_env(change), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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

    def left() -> float:
        return float("inf") if timeout is None else timeout - (clock.now() - started)

    while True:
        try:
            if timeout is None:
                change = await watcher.poll()
            else:
                change = await asyncio.wait_for(watcher.poll(), max(0.0, left()))
        except TimeoutError:
            change = None
        except Exception as exc:  # HydraError, or a bug: said once, and the watch goes on
            text = clean_text(str(exc) if isinstance(exc, HydraError) else f"internal error ({type(exc).__name__})")
            if text != last_error:
                print(f"hydra-tui: {text}", file=err, flush=True)
                last_error = text
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
        if left() <= 0:
            if exit_status:
                print(f"hydra-tui: timed out after {timeout:g}s", file=err, flush=True)
            return int(Verdict.TIMEOUT)
        await sleep(min(interval, left()))
