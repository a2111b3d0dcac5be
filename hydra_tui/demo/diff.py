"""The demo's own comparison of two evaluations, by the rules of Hydra's `BuildDiff.pm`.

Both sides are sorted by (job, system) and walked together: `aborted` (finished with buildstatus 3, 4, 7 or 10),
`unfinished` (either side not finished), still/now succeeding/failing, `new`, and `removed` with its quirk: jobs
of the other side that sort after the current side's last job are never reached, so never counted.

`build_diff` is the walk itself, over any builds. `BigDiff` gives the same answer for two evaluations of the
nixpkgs-sized jobset without touching 250,000 Python objects: it classifies each side once into a byte per job
(in the jobs' sorted order, shared by every evaluation) and combines the two byte strings in C.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from hydra_tui.demo import bigset


class Cat(enum.IntEnum):
    NONE = 0
    ABORTED = 1
    NOW_FAIL = 2
    NOW_SUCCEED = 3
    NEW = 4
    REMOVED = 5
    STILL_FAIL = 6
    STILL_SUCCEED = 7
    UNFINISHED = 8


ABORTED_STATUSES = frozenset({3, 4, 7, 10})


class Item(NamedTuple):
    """One build of one side: what BuildDiff reads, and a reference to render its row."""

    job: str
    system: str
    id: int
    finished: bool
    buildstatus: int | None
    ref: object = None


class Totals(NamedTuple):
    failed: int
    aborted: int
    queued: int


class Diff:
    """The categories' contents: items for builds, (job, system) for removed jobs."""

    def __init__(self, lists: dict[Cat, list[Item]], totals: Totals) -> None:
        self.lists = lists
        self.totals = totals

    def count(self, cat: Cat) -> int:
        return len(self.lists[cat])

    def items(self, cat: Cat, limit: int | None = None) -> Sequence[Item]:
        found = self.lists[cat]
        return found if limit is None else found[:limit]


def build_diff(current: Iterable[Item], other: Iterable[Item]) -> Diff:
    """BuildDiff.pm's `buildDiff`, line by line."""
    cur = sorted(current, key=lambda b: (b.job, b.system))
    oth = sorted(other, key=lambda b: (b.job, b.system))
    lists: dict[Cat, list[Item]] = {c: [] for c in Cat if c is not Cat.NONE}
    failed = aborted_total = queued = 0
    n = 0
    for build in cur:
        aborted = build.finished and build.buildstatus in ABORTED_STATUSES
        found = False
        key = (build.job, build.system)
        while n < len(oth):
            build2 = oth[n]
            key2 = (build2.job, build2.system)
            if key < key2:
                break
            if key == key2:
                n += 1
                found = True
                if aborted:
                    pass
                elif not build.finished or not build2.finished:
                    lists[Cat.UNFINISHED].append(build)
                elif build.buildstatus == 0 and build2.buildstatus == 0:
                    lists[Cat.STILL_SUCCEED].append(build)
                elif build.buildstatus != 0 and build2.buildstatus != 0:
                    lists[Cat.STILL_FAIL].append(build)
                elif build.buildstatus == 0:
                    lists[Cat.NOW_SUCCEED].append(build)
                else:
                    lists[Cat.NOW_FAIL].append(build)
                break
            lists[Cat.REMOVED].append(build2)
            n += 1
        if aborted:
            lists[Cat.ABORTED].append(build)
        elif not found:
            lists[Cat.NEW].append(build)
        if build.finished and build.buildstatus != 0:
            if aborted:
                aborted_total += 1
            else:
                failed += 1
        elif not build.finished:
            queued += 1
    return Diff(lists, Totals(failed, aborted_total, queued))


def like_pattern(text: str) -> re.Pattern[str]:
    """SQL `ILIKE '%TEXT%'` as a regex over one lower-cased line: % any run, _ any one character, \\ escapes."""
    out: list[str] = []
    chars = iter(text.lower())
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "%":
            out.append("[^\n]*")
        elif ch == "_":
            out.append("[^\n]")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


# --- the nixpkgs-sized fast path ---------------------------------------------------------------------

_QUEUED = (bigset.QUEUED, bigset.RUNNING)


def _table(f: Callable[[int], int]) -> bytes:
    return bytes(f(v) for v in range(256))


def _cur_class(status: int) -> int:
    if status == bigset.ABSENT:
        return 0
    if status in _QUEUED:
        return 4
    if status in ABORTED_STATUSES:
        return 3
    return 1 if status == 0 else 2


def _other_class(status: int) -> int:
    if status == bigset.ABSENT:
        return 0
    if status in _QUEUED:
        return 4
    return 1 if status == 0 else 2


def _category(v: int) -> int:
    cur, other = v & 0xF, v >> 4
    if cur == 0:
        return Cat.REMOVED if other else Cat.NONE
    if cur == 3:
        return Cat.ABORTED
    if other == 0:
        return Cat.NEW
    if cur == 4 or other == 4:
        return Cat.UNFINISHED
    pairs = {(1, 1): Cat.STILL_SUCCEED, (2, 2): Cat.STILL_FAIL, (1, 2): Cat.NOW_SUCCEED, (2, 1): Cat.NOW_FAIL}
    return pairs.get((cur, other), Cat.NONE)  # other sides never have class 3


CUR_TABLE = _table(_cur_class)
OTHER_TABLE = _table(lambda s: _other_class(s) << 4)
CAT_TABLE = _table(lambda v: _category(v) if (v & 0xF) <= 4 and (v >> 4) <= 4 else 0)


def _or(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") | int.from_bytes(b, "big")).to_bytes(len(a), "big")


class BigDiff:
    """BuildDiff over two evaluations of the nixpkgs-sized jobset, given each side's statuses in rank order.

    `matches`: the ranks whose job matches `filter=` (None: every job). Rows are ranks; the caller turns a rank
    into a row.
    """

    def __init__(self, current: bytes, other: bytes, matches: Sequence[int] | None = None) -> None:
        cur = current.translate(CUR_TABLE)
        cat = _or(cur, other.translate(OTHER_TABLE)).translate(CAT_TABLE)
        if matches is not None:
            cur = bytes(cur[r] for r in matches)
            cat = bytes(cat[r] for r in matches)
        # Removed jobs count only up to the current side's last job.
        last = len(cur.rstrip(b"\0"))
        cat = cat[:last] + cat[last:].replace(bytes([Cat.REMOVED]), b"\0")
        self.cat = cat
        self.matches = matches
        self.totals = Totals(failed=cur.count(2), aborted=cur.count(3), queued=cur.count(4))

    def count(self, cat: Cat) -> int:
        return self.cat.count(cat)

    def ranks(self, cat: Cat, limit: int | None = None) -> list[int]:
        return list(self.iter_ranks(cat, limit))

    def iter_ranks(self, cat: Cat, limit: int | None = None) -> Iterator[int]:
        found = (m.start() for m in re.finditer(re.escape(bytes([cat])), self.cat))
        positions = found if limit is None else itertools.islice(found, limit)
        if self.matches is None:
            return positions
        matches = self.matches
        return (matches[i] for i in positions)


class Row(NamedTuple):
    """What a row of the evaluation page shows. `id` is None for a removed job."""

    id: int | None
    job: str
    system: str
    finished: bool = True
    buildstatus: int | None = None
    stoptime: int | None = None
    nixname: str = ""


class Compared:
    """A comparison ready to render: counts, rows per category, and BuildDiff's totals."""

    def __init__(
        self,
        count: Callable[[Cat], int],
        rows: Callable[[Cat, int | None], Iterable[Row]],
        totals: Totals,
    ) -> None:
        self.count = count
        self.iter_rows = rows
        self.totals = totals

    def rows(self, cat: Cat, limit: int | None) -> list[Row]:
        return list(self.iter_rows(cat, limit))

    @classmethod
    def of_diff(cls, diff: Diff, row: Callable[[Item], Row]) -> Compared:
        def rows(cat: Cat, limit: int | None) -> Iterator[Row]:
            items = diff.items(cat, limit)
            if cat is Cat.REMOVED:
                return (Row(None, i.job, i.system) for i in items)
            return (row(i) for i in items)

        return cls(diff.count, rows, diff.totals)

    @classmethod
    def of_big(cls, diff: BigDiff, row: Callable[[Cat, int], Row]) -> Compared:
        def rows(cat: Cat, limit: int | None) -> Iterator[Row]:
            return (row(cat, r) for r in diff.iter_ranks(cat, limit))

        return cls(diff.count, rows, diff.totals)
