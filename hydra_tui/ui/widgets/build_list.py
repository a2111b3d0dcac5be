"""A Line-API list of an evaluation's builds: renders only the lines in view, so 250,000 rows cost nothing.

It holds row indices into BuildRows (filtered and sorted), a cursor, and asks for the details of the rows in
view when they are unknown.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hydra_tui.api.comparison import ComparedBuild
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState
from hydra_tui.api.timefmt import duration
from hydra_tui.logs.sanitize import plain
from hydra_tui.ui.text import state_style

SORTS = ("id", "job", "status", "duration")
#: Column widths (with the two spaces after each); JOB takes what is left, at least MIN_JOB, or SYSTEM goes.
ID_WIDTH = 11
STATUS_WIDTH = 10
SYSTEM_WIDTH = 16
TIME_WIDTH = 9
MIN_JOB = 24
#: More rows changed at once than this (a comparison filling them in bulk): the filter scans every row again.
MAX_PATCHED = 2000
#: The header's name of each sort order's column.
SORTED_COLUMN = {"job": "job", "status": "status", "duration": "time"}


def _cell(key: str, text: str, width: int) -> str:
    """One cell: cut with … when too long (never a number: ids and times fit their columns), padded to `width`."""
    room = width - 1 if key == "time" else width - 2
    if len(text) > room:
        text = text[: max(0, room - 1)] + "…"
    return text.rjust(room) + " " if key == "time" else text.ljust(width)


def _find(sorted_ints: list[int], value: int) -> tuple[int, bool]:
    """Where `value` is, or would go, in the sorted list, and whether it is there."""
    k = bisect_left(sorted_ints, value)
    return k, k < len(sorted_ints) and sorted_ints[k] == value


def _keep_sorted(sorted_ints: list[int], value: int, wanted: bool) -> None:
    """Put `value` into the sorted list, or take it out, as `wanted` says."""
    k, held = _find(sorted_ints, value)
    if wanted and not held:
        sorted_ints.insert(k, value)
    elif held and not wanted:
        del sorted_ints[k]


def category_rows(builds: Iterable[ComparedBuild]) -> BuildRows:
    """A comparison category's rows as BuildRows, for the list. Removed jobs (no build here) get ids -1, -2, …"""
    builds = list(builds)
    removed = 0
    keyed: list[tuple[int, ComparedBuild]] = []
    for b in builds:
        if b.id is None:
            removed -= 1
            keyed.append((removed, b))
        else:
            keyed.append((b.id, b))
    rows = BuildRows(i for i, _ in keyed)
    for i, b in keyed:
        rows.fill(i, job=b.job, system=b.system, state=b.state)
    return rows


class BuildList(ScrollView, can_focus=True):
    """The builds of one evaluation."""

    DEFAULT_CSS = """
    BuildList { height: 1fr; overflow-x: hidden; }
    BuildList > .build-list--cursor { background: $accent 40%; text-style: bold; }
    BuildList:focus > .build-list--cursor { background: $accent; color: $text; }
    BuildList > .build-list--header { color: $text-muted; text-style: bold; }
    """
    COMPONENT_CLASSES = {"build-list--cursor", "build-list--header"}
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    @dataclass
    class Selected(Message):
        build_id: int

    @dataclass
    class NeedDetails(Message):
        """The rows in view whose details are unknown, most wanted first (empty: none any more)."""

        build_ids: list[int]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = BuildRows(())
        self.view = array("l")
        self.sort = "id"
        self.text_filter = ""
        self.states: frozenset[BuildState] | None = None
        self._asked: list[int] = []  # the rows last asked for, most wanted first
        self._lower: list[str] = []
        self._lower_of: BuildRows | None = None
        self._lower_ids: object = None
        self._lower_mark: tuple[object, int] = (None, 0)
        self._all = array("l")
        self._last_needle = ""
        self._last_matches: list[int] | None = None
        #: The clock for the running time of running builds; the screen sets the app's clock.
        self.now = time.time

    # --- data ------------------------------------------------------------------------------------

    def set_rows(self, rows: BuildRows) -> None:
        keep = self.current_id
        self.rows = rows
        self.refilter(keep=keep)

    def refilter(self, *, keep: int | None = None) -> None:
        rows = self.rows
        needle = self.text_filter.lower()
        n = len(rows)
        self._sync_index(rows)
        # None stands for every row in id order, the common case, which then costs no list of 250,000 ints.
        indices: list[int] | None = None
        if needle:
            indices = self._matches(needle)
            if needle.isdigit():
                pos = rows.position(int(needle))
                if pos is not None and not _find(indices, pos)[1]:
                    indices = [pos, *indices]  # the build of that id first
        else:
            self._last_needle, self._last_matches = "", None
        if self.states is not None:
            states = {int(s) for s in self.states}
            codes = rows._states
            indices = [i for i in (range(n) if indices is None else indices) if codes[i] in states]
        if self.sort != "id":
            # A copy: the matches are kept for the next keystroke in their own order.
            indices = list(range(n)) if indices is None else list(indices)
            if self.sort == "job":
                indices.sort(key=lambda i: (rows.jobs[i] == "", rows.jobs[i]))
            elif self.sort == "status":
                indices.sort(key=lambda i: (rows._states[i], rows.ids[i]))
            elif self.sort == "duration":
                indices.sort(key=lambda i: -rows.duration_at(i))
        self.view = self._identity(n) if indices is None else array("l", indices)
        self.virtual_size = Size(0, len(self.view) + 1)
        target = 0
        if keep is not None:
            pos = rows.position(keep)
            if pos is not None:
                try:
                    target = self.view.index(pos)
                except ValueError:
                    target = 0
        self.cursor = min(target, max(0, len(self.view) - 1))
        # Scrolled again once laid out: a list that has just grown (a filter cleared) cannot scroll that far yet.
        self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()
        self._ask_details()

    def _matches(self, needle: str) -> list[int]:
        """The positions whose job contains `needle` (lower-cased), in order. The same needle again costs nothing,
        and typing one more character only narrows the previous matches."""
        if needle == self._last_needle and self._last_matches is not None:
            return self._last_matches
        lower = self._lower
        if self._last_matches is not None and self._last_needle and self._last_needle in needle:
            candidates: range | list[int] = self._last_matches
        else:
            candidates = range(len(lower))
        matches = [i for i in candidates if needle in lower[i]]
        self._last_needle, self._last_matches = needle, matches
        return matches

    def _sync_index(self, rows: BuildRows) -> None:
        """Bring the lower-cased job names up to date with `rows`: only the rows whose job changed when `rows`
        descends from the rows indexed before (details arriving), every row otherwise. The last filter's matches
        follow the changed rows, so that details arriving while a filter is typed cost no scan of every row."""
        if self._lower_of is rows:
            return
        changed = rows.jobs_changed_since(self._lower_mark) if self._lower_ids is rows.ids else None
        if changed is None:
            self._lower = [job.lower() for job in rows.jobs]
            self._last_needle, self._last_matches = "", None
        else:
            lower, jobs = self._lower, rows.jobs
            needle = self._last_needle
            # The last filter's matches follow the changed rows; too many changes at once: scanned again instead.
            matches = self._last_matches if len(changed) <= MAX_PATCHED else None
            for i in changed:
                lower[i] = jobs[i].lower()
                if matches is not None:
                    _keep_sorted(matches, i, needle in lower[i])
            if matches is None:
                self._last_needle, self._last_matches = "", None
        self._lower_of = rows
        self._lower_ids = rows.ids
        self._lower_mark = rows.job_mark()

    def _identity(self, n: int) -> array[int]:
        """0, 1, …, n-1, made once per length and shared (a view is never changed in place)."""
        if len(self._all) != n:
            self._all = array("l", range(n))
        return self._all

    @property
    def current_id(self) -> int | None:
        if not self.view or self.cursor >= len(self.view):
            return None
        return self.rows.ids[self.view[self.cursor]]

    # --- rendering -------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, len(self.view) + 1)
        self._ask_details()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._ask_details()

    @property
    def page_height(self) -> int:
        """The lines the list shows, its header included (no scrollbar counted)."""
        return self.scrollable_content_region.height

    def columns(self, width: int) -> list[tuple[str, str, int]]:
        """The columns that fit `width`, by name: (key, header, width). JOB comes right after the status and takes
        the free width; SYSTEM goes first when the line is narrow (the job name then keeps its system suffix)."""
        cols = [("build", "BUILD", ID_WIDTH), ("status", "STATUS", STATUS_WIDTH), ("job", "JOB", 0)]
        if width - 1 - ID_WIDTH - STATUS_WIDTH - TIME_WIDTH - SYSTEM_WIDTH >= MIN_JOB:
            cols.append(("system", "SYSTEM", SYSTEM_WIDTH))
        cols.append(("time", "TIME", TIME_WIDTH))
        job = max(1, width - 1 - sum(w for _, _, w in cols))
        return [(k, h, job if k == "job" else w) for k, h, w in cols]

    def render_line(self, y: int) -> Strip:
        # The width left of the vertical scrollbar: the columns lay out in what is seen.
        width = self.scrollable_content_region.width or self.size.width
        base = self.rich_style
        columns = self.columns(width)
        if y == 0:
            sorted_by = SORTED_COLUMN.get(self.sort)
            header = " " + "".join(_cell(k, h + (" ↓" if k == sorted_by else ""), w) for k, h, w in columns)
            return Strip([Segment(header, base + self.get_component_rich_style("build-list--header"))], width)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.view):
            return Strip.blank(width, base)
        i = self.view[index]
        rows = self.rows
        state = rows.state_at(i)
        known = rows.known_at(i)
        system = rows.system_names[rows._systems[i]]
        secs = rows.duration_at(i)
        if state is BuildState.RUNNING and rows._starts[i]:
            secs = max(0, int(self.now()) - rows._starts[i])
        style = base
        status_style = base + Style.parse(state_style(state))
        if index == self.cursor:
            # The highlighted row takes the cursor's colours whole, so no status colour can vanish into it.
            style = status_style = base + self.get_component_rich_style("build-list--cursor")
        build_id = rows.ids[i]
        # A removed job has no build in this evaluation: its row stands under a negative id (`category_rows`).
        shown_id, shown_state = (str(build_id), state.short if known else "…") if build_id >= 0 else ("–", "removed")
        job = plain(rows.jobs[i])
        if system and job.endswith("." + system) and any(k == "system" for k, _, _ in columns):
            job = job[: -len(system) - 1]  # the SYSTEM column says it
        cells = {
            "build": shown_id,
            "status": shown_state,
            "job": job,
            "system": system,
            "time": duration(secs) if secs >= 0 else "",
        }
        segments = [Segment(" ", style)]
        for key, _, w in columns:
            segments.append(Segment(_cell(key, cells[key], w), status_style if key == "status" else style))
        return Strip(segments, width).crop(0, width).extend_cell_length(width, style)

    # --- movement --------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.page_height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        if self.view:
            self.cursor = max(0, min(len(self.view) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.page_height - 2))

    def action_jump(self, where: int) -> None:
        if self.view:
            self.cursor = 0 if where == 0 else len(self.view) - 1

    def action_select(self) -> None:
        if self.current_id is not None:
            self.post_message(self.Selected(self.current_id))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.view):
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = index

    def _ask_details(self) -> None:
        """Ask for the rows in view whose details are unknown: the cursor's row first, then those below it, then
        those above. Asked again whenever that list changes, so rows scrolled back into view (or whose fetch
        failed) are asked for again, and an empty list tells that nothing in view is missing any more."""
        if not self.rows.partial:
            return
        wanted: list[int] = []
        if self.view:
            top = int(self.scroll_offset.y)
            end = min(len(self.view), top + max(1, self.page_height))
            start = self.cursor if top <= self.cursor < end else top
            rows = self.rows
            for index in (*range(start, end), *range(start - 1, top - 1, -1)):
                i = self.view[index]
                if not rows.known_at(i):
                    wanted.append(rows.ids[i])
        if wanted != self._asked:
            self._asked = wanted
            self.post_message(self.NeedDetails(wanted))

    def ask_again(self) -> None:
        """Ask for the unknown rows in view even if they were asked for before (the screen is shown again)."""
        self._asked = []
        self._ask_details()
