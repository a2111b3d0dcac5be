"""When something goes wrong beyond repair: the traceback goes to a file in the user state dir, not the screen."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from hydra_tui import __version__
from hydra_tui.files import private_dir


def write_crash_report(error: BaseException, directory: Path) -> Path | None:
    """Write the traceback to `crash-<time>.log` (mode 0600); None if even that is impossible."""
    try:
        private_dir(directory)
        path = directory / time.strftime("crash-%Y%m%d-%H%M%S.log")
        text = f"hydra-tui {__version__} crashed at {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n\n" + "".join(
            traceback.format_exception(type(error), error, error.__traceback__)
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        return path
    except OSError:
        return None


def crash_message(error: BaseException, path: Path | None) -> str:
    where = f"The details are in {path}" if path else "The details could not be saved"
    return f"hydra-tui stopped on an internal error ({type(error).__name__}). {where}; please report it."
