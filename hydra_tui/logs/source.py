"""Where a log's lines live: the tail in memory, or the whole log spooled to a temporary file and read by offset.

A 100 MB log is never held whole in memory: the file keeps the bytes, an array keeps where each line starts.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from array import array
from collections.abc import AsyncIterator, Iterator

from hydra_tui.logs.sanitize import clean, decode

ERROR_LINE = re.compile(r"\b(error|failed|FAIL|fatal|Traceback)\b", re.IGNORECASE)


class LineSource:
    """Lines by number; `complete` is False when only the end of the log is here."""

    complete: bool = True

    def __len__(self) -> int:
        raise NotImplementedError

    def line(self, index: int) -> str:
        raise NotImplementedError

    def search(self, needle: str, start: int, *, backwards: bool = False) -> int | None:
        """The next line (wrapping around) whose text, colours removed, contains `needle` (case-insensitive)."""
        n = len(self)
        if not n or not needle:
            return None
        needle = needle.lower()
        order: Iterator[int] = (
            ((start - k) % n for k in range(1, n + 1)) if backwards else ((start + k) % n for k in range(1, n + 1))
        )
        for i in order:
            if needle in plain_line(self.line(i)).lower():
                return i
        return None

    def first_error(self) -> int | None:
        for i in range(len(self)):
            if ERROR_LINE.search(plain_line(self.line(i))):
                return i
        return None

    def close(self) -> None:
        pass


_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def plain_line(raw: str) -> str:
    return _SGR.sub("", clean(raw))


class MemoryLines(LineSource):
    def __init__(self, lines: list[str], *, complete: bool) -> None:
        self.lines = lines
        self.complete = complete

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, index: int) -> str:
        return self.lines[index]


class FileLines(LineSource):
    """A whole log in a temporary file (deleted on close)."""

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix="hydra-tui-log-", suffix=".txt")
        self._fd = handle
        self.offsets = array("q", [0])
        self._size = 0
        self.complete = True

    async def fill(self, chunks: AsyncIterator[bytes]) -> None:
        async for chunk in chunks:
            self.append(chunk)
        self.finish()

    def append(self, chunk: bytes) -> None:
        os.write(self._fd, chunk)
        base = self._size
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                break
            self.offsets.append(base + nl + 1)
            start = nl + 1
        self._size += len(chunk)

    def finish(self) -> None:
        if self.offsets[-1] != self._size:
            self.offsets.append(self._size)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def line(self, index: int) -> str:
        start, end = self.offsets[index], self.offsets[index + 1]
        data = os.pread(self._fd, end - start, start)
        return decode(data.rstrip(b"\n"))

    def close(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            self.close()
