"""Files hydra-tui writes: folders only the user can read, files written whole or not at all.

- `private_dir`: the state and cache folders, created (and kept) at mode 0700 whatever the umask.
- `atomic_write`: a temporary file with a unique name (mkstemp) next to the target, written, fsynced, given its
  final mode before it holds anything worth reading, then renamed over the target. A full disk leaves the old
  file as it was.
- `append_private`: one line appended to a file of mode 0600 (the action log).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if needed; `path` itself ends up 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def atomic_write(path: Path, data: bytes, *, mode: int | None = 0o600) -> None:
    """Replace `path` with `data` at once. `mode` None keeps the mode the file has (0644 for a new one)."""
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself reaches the disk
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def append_private(path: Path, line: str) -> None:
    """Append one line to a file only the user can read (created 0600, made 0600 if it was not)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
            os.fchmod(fd, 0o600)
        os.write(fd, line.encode("utf-8", errors="replace"))
    finally:
        os.close(fd)
