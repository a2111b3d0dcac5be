"""Where a log's lines live: the tail in memory, or the whole log spooled to a temporary file and read by offset.

A 100 MB log is never held whole in memory: the file keeps the bytes, an array keeps where each line starts.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import tempfile
from array import array
from bisect import bisect_right
from collections.abc import AsyncIterator, Callable, Iterator

from hydra_tui.logs.sanitize import clean, decode

MAX_LINE = 64 << 10  # bytes of one line that are read for display


def cut_line(line: bytes, more: int = 0) -> bytes:
    """A line cut to MAX_LINE bytes, with a note of what was left out."""
    more += max(0, len(line) - MAX_LINE)
    return line[:MAX_LINE] + (b" \xe2\x80\xa6 [%d more bytes not shown]" % more if more else b"")


ERROR_LINE = re.compile(r"\b(error|failed|FAIL|fatal|Traceback)\b", re.IGNORECASE)
# Candidates only (colour codes can touch the word): each is confirmed with ERROR_LINE on the plain text.
_ERROR_WORDS = (b"error", b"fail", b"fatal", b"traceback")


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

    def matching_lines(self, needle: str) -> list[int]:
        """Every line whose text, colours removed, contains `needle` (case-insensitive), in order."""
        if not needle:
            return []
        needle = needle.lower()
        return [i for i in range(len(self)) if needle in plain_line(self.line(i)).lower()]

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
        """The line, cut to MAX_LINE bytes (a log with no newlines is one line: it is never read whole)."""
        start, end = self.offsets[index], self.offsets[index + 1]
        data = os.pread(self._fd, min(end - start, MAX_LINE + 1), start)
        if end - start > MAX_LINE + 1:
            return decode(cut_line(data, end - start - len(data)))
        return decode(data.rstrip(b"\n"))

    def _map(self) -> mmap.mmap | None:
        if self._size == 0:
            return None
        return mmap.mmap(self._fd, self._size, access=mmap.ACCESS_READ)

    def _line_of(self, offset: int) -> int:
        return max(0, bisect_right(self.offsets, offset) - 1)

    def _scan(
        self, pattern: re.Pattern[bytes], start: int, *, backwards: bool, check: Callable[[str], bool]
    ) -> int | None:
        """Search the bytes (fast, in C), then confirm on the line's text without escape sequences."""
        mapped = self._map()
        if mapped is None:
            return None
        with mapped:
            if backwards:
                begin = self.offsets[max(0, min(start, len(self)))]
                spans = [(0, begin), (begin, len(mapped))]
                for lo, hi in spans:
                    starts = [match.start() for match in pattern.finditer(mapped, lo, hi)]
                    for offset in reversed(starts):
                        line = self._line_of(offset)
                        if line != start and check(self.line(line)):
                            return line
                return None
            begin = self.offsets[min(len(self), max(0, start + 1))]
            for lo, hi in ((begin, len(mapped)), (0, begin)):
                pos = lo
                while True:
                    match = pattern.search(mapped, pos, hi)
                    if match is None:
                        break
                    line = self._line_of(match.start())
                    if check(self.line(line)):
                        return line
                    pos = self.offsets[line + 1]
        return None

    def matching_lines(self, needle: str) -> list[int]:
        """The bytes searched in C, each candidate line confirmed on its text without escape sequences."""
        mapped = self._map() if needle else None
        if mapped is None:
            return []
        sgr = rb"(?:\x1b\[[0-9;:]*m)*"
        pattern = re.compile(sgr.join(re.escape(ch.encode()) for ch in needle), re.IGNORECASE)
        lowered = needle.lower()
        found: list[int] = []
        with mapped:
            pos = 0
            while True:
                match = pattern.search(mapped, pos)
                if match is None:
                    break
                line = self._line_of(match.start())
                if line >= len(self):
                    break
                if lowered in plain_line(self.line(line)).lower():
                    found.append(line)
                pos = self.offsets[line + 1]
        return found

    def search(self, needle: str, start: int, *, backwards: bool = False) -> int | None:
        if not needle or not len(self):
            return None
        # Colour codes may sit between the letters of a match: allow them there.
        sgr = rb"(?:\x1b\[[0-9;:]*m)*"
        pattern = re.compile(sgr.join(re.escape(ch.encode()) for ch in needle), re.IGNORECASE)
        lowered = needle.lower()
        return self._scan(pattern, start, backwards=backwards, check=lambda raw: lowered in plain_line(raw).lower())

    def first_error(self) -> int | None:
        """Lower-cased chunks and plain `find` (memchr speed) for candidates, confirmed on the plain text."""
        mapped = self._map()
        if mapped is None:
            return None
        chunk, overlap = 8 << 20, 16
        with mapped:
            for lo in range(0, len(mapped), chunk):
                window = mapped[lo : lo + chunk + overlap].lower()
                candidates = []
                for word in _ERROR_WORDS:
                    at = window.find(word)
                    while at >= 0:
                        candidates.append(lo + at)
                        at = window.find(word, at + 1)
                checked: set[int] = set()
                for offset in sorted(candidates):
                    line = self._line_of(offset)
                    if line not in checked:
                        checked.add(line)
                        if ERROR_LINE.search(plain_line(self.line(line))):
                            return line
        return None

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
