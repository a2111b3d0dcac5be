"""Running $PAGER on a saved log: colours on for less (LESS=R unless the user set LESS), opened at the end, and a
pager that does not wait (PAGER=cat) followed by a prompt, so its output is not wiped at once by the dashboard."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: Pagers and viewers that wait for the user; anything else (cat, tee…) is followed by "press Enter".
INTERACTIVE = frozenset(
    {"less", "more", "most", "moar", "moor", "ov", "bat", "batcat", "lv", "pg", "w3m", "vi", "vim", "nvim", "view"}
)
PROMPT = "\n(end of the log) Press Enter to go back to hydra-tui. "


@dataclass(frozen=True)
class PagerCommand:
    argv: list[str]
    env: dict[str, str]
    #: The pager returns at once: ask for Enter before the dashboard comes back.
    prompt: bool


def pager_command(path: str, environ: Mapping[str, str] | None = None) -> PagerCommand:
    """The command that shows the log at `path`, from $PAGER (less when unset)."""
    environ = os.environ if environ is None else environ
    argv = shlex.split(environ.get("PAGER") or "") or ["less"]
    name = os.path.basename(argv[0])
    env = dict(environ)
    if name == "less":
        if "LESS" not in environ:
            env["LESS"] = "R"  # colours as colours, not "may be a binary file" then raw ESC[32m
        argv = [*argv, "+G"]  # the end of the log, where the error is
    return PagerCommand([*argv, path], env, prompt=name not in INTERACTIVE)


def run_pager(
    command: PagerCommand,
    *,
    run: Callable[..., object] = subprocess.run,
    ask: Callable[[str], object] = input,
) -> None:
    """Run the pager in the foreground (the caller has handed the terminal over). OSError if it cannot start."""
    run(command.argv, env=command.env, check=False)
    if command.prompt:
        with contextlib.suppress(EOFError, OSError):
            ask(PROMPT)
