"""Reads Hydra's HTML pages for what its JSON lacks: the evaluation comparison, per-evaluation counts, and a
build's failed and running steps.

The pages are read with lxml's incremental HTML parser and a parser target: lxml's C tokenizer calls back for
each tag and text, no tree is built, and a body can be fed as it arrives (`bench/parsers.py` measured it
against selectolax, an lxml tree and the standard library; see the README's "Reading Hydra's pages").

Only what has lasted since 2019 is relied on: the tab pane ids (`tabs-now-fail` …), the `title` of the status
icons, `/build/N` and `/eval/N` links, the header of the steps table (`Nr … Status`, "What" before 2026, "Step"
after), the h3 titles "Failed build steps" / "Running build steps", and the `<time data-timestamp>` of dates.
Bootstrap's markup around them (2.x labels until April 2021, 4.x badges and nav-items since) is ignored.

Every string is decoded from its entities by the parser, then cleaned with `clean_name`, as JSON strings are.
A page that lacks its anchors raises `PageError`, naming the page and what was missing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from hydra_tui.api.comparison import Category, Change, ComparedBuild, Comparison
from hydra_tui.api.errors import BadResponseError
from hydra_tui.api.status import BuildState
from hydra_tui.api.text import clean_name


class PageError(BadResponseError):
    """A Hydra page that could not be read: it lacks what every Hydra version since 2019 renders."""

    hint = (
        "The server may run a Hydra version hydra-tui does not know, or something other than Hydra answered "
        "(a proxy, a login page or a bot filter)."
    )

    @property
    def short(self) -> str:
        return "unreadable page"


#: The status icon's `title` (renderBuildStatusIcon, unchanged since 2019) → the build's state.
ICON_TITLES: dict[str, BuildState] = {
    "Succeeded": BuildState.SUCCEEDED,
    "Failed": BuildState.FAILED,
    "Dependency failed": BuildState.DEPENDENCY_FAILED,
    "Aborted": BuildState.ABORTED,
    "Cancelled": BuildState.CANCELLED,
    "Failed with output": BuildState.FAILED_WITH_OUTPUT,
    "Timed out": BuildState.TIMED_OUT,
    "Log limit exceeded": BuildState.LOG_LIMIT,
    "Output size limit exceeded": BuildState.OUTPUT_LIMIT,
    "Non-deterministic build": BuildState.NON_DETERMINISTIC,
    "Queued": BuildState.QUEUED,
}

_BUILD_LINK = re.compile(r"/build/(\d+)/?(?:[?#]|$)")
_EVAL_LINK = re.compile(r"/eval/(\d+)/?(?:[?#].*)?$")
_TAB_COUNT = re.compile(r"\(\s*([\d,]+)\s*\)\s*$")
_OMITTED = re.compile(r"\(\s*([\d,]+) more (?:builds|jobs) omitted\s*\)")
_SPACES = re.compile(r"\s+")


def _text(parts: Iterable[str]) -> str:
    """Joined, cleaned, whitespace collapsed (non-breaking spaces too)."""
    return _SPACES.sub(" ", clean_name("".join(parts).replace("\xa0", " "))).strip()


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _path(url: str) -> str:
    return urlsplit(url).path or url or "the page"


def _build_id(href: str) -> int | None:
    """N of a link to `/build/N` (not of `/build/N/step/2` or `/build/N/log`)."""
    found = _BUILD_LINK.search(href)
    return int(found.group(1)) if found else None


class _Reader:
    """A parser target: lxml calls `start`, `end` and `data`. Subclasses keep only what they need."""

    def __init__(self) -> None:
        self._parser = etree.HTMLParser(target=self, encoding="utf-8", no_network=True)

    def feed(self, chunk: bytes | str) -> None:
        self._parser.feed(chunk.encode("utf-8", "surrogatepass") if isinstance(chunk, str) else chunk)

    def finish(self) -> None:
        # An empty or cut-off document: what was read is checked by the caller.
        with contextlib.suppress(etree.Error):
            self._parser.close()

    # lxml's target interface
    def start(self, tag: str, attrib: dict[str, str]) -> None: ...

    def end(self, tag: str) -> None: ...

    def data(self, data: str) -> None: ...

    def close(self) -> None:
        return None


def _feed(reader: _Reader, html: bytes | str) -> None:
    reader.feed(html)
    reader.finish()


# --- the evaluation comparison: /eval/N --------------------------------------------------------------------


@dataclass
class _Row:
    cells: list[list[str]] = field(default_factory=list)
    title: str = ""
    links: list[tuple[str, list[str]]] = field(default_factory=list)
    tt: list[str] = field(default_factory=list)
    tt_cell: int = -1
    header: bool = False


class ComparisonReader(_Reader):
    """Reads `/eval/N` as HTML; feed it the body in chunks, then `result()`."""

    def __init__(self, url: str = "") -> None:
        super().__init__()
        self.url = url
        self.tab_counts: dict[Change, int] = {}
        self.rows: dict[Change, list[ComparedBuild]] = {}
        self.omitted: dict[Change, int] = {}
        self.panes: set[Change] = set()
        self.compare_to: int | None = None
        self.filter = ""
        self._tab: tuple[Change, list[str]] | None = None
        self._pane: Change | None = None
        self._pane_depth = 0
        self._div_depth = 0
        self._para: list[str] | None = None
        self._para_evals: list[int] = []
        self._row: _Row | None = None
        self._in_tt = False
        self._link_text: list[str] | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == "div":
            self._div_depth += 1
            change = Change.from_tab_id(attrib.get("id", "")) if attrib.get("id", "").startswith("tabs-") else None
            if change is not None:
                self._pane, self._pane_depth = change, self._div_depth
                self.panes.add(change)
                self.rows.setdefault(change, [])
            return
        if tag == "a":
            href = attrib.get("href", "")
            if href.startswith("#tabs-"):
                change = Change.from_tab_id(href)
                if change is not None:
                    self._tab = (change, [])
            if self._para is not None:
                found = _EVAL_LINK.search(urlsplit(href).path)
                if found:
                    self._para_evals.append(int(found.group(1)))
            if self._row is not None:
                self._link_text = []
                self._row.links.append((href, self._link_text))
        elif tag == "p":
            self._para, self._para_evals = [], []
        elif tag == "input" and attrib.get("name") == "filter":
            self.filter = clean_name(attrib.get("value", ""))
        elif self._pane is None:
            return
        elif tag == "tr":
            self._row = _Row()
        elif self._row is None:
            return
        elif tag in ("td", "th"):
            self._row.cells.append([])
            self._row.header |= tag == "th"
        elif tag == "img" and "title" in attrib and not self._row.title:
            self._row.title = attrib["title"]
        elif tag == "tt" and self._row.tt_cell < 0:
            self._in_tt = True
            self._row.tt_cell = len(self._row.cells) - 1

    def end(self, tag: str) -> None:
        if tag == "div":
            if self._pane is not None and self._div_depth == self._pane_depth:
                self._pane = None
                self._row = None
            self._div_depth -= 1
        elif tag == "a":
            if self._tab is not None:
                change, parts = self._tab
                found = _TAB_COUNT.search(_text(parts))
                if found:
                    self.tab_counts[change] = _number(found.group(1))
                self._tab = None
            self._link_text = None
        elif tag == "p" and self._para is not None:
            if "Comparisons are relative to" in _text(self._para) and self._para_evals:
                self.compare_to = self._para_evals[-1]
            self._para = None
        elif tag == "tt":
            self._in_tt = False
        elif tag == "tr" and self._row is not None and self._pane is not None:
            self._finish_row(self._pane, self._row)
            self._row = None

    def data(self, data: str) -> None:
        if self._tab is not None:
            self._tab[1].append(data)
        if self._para is not None:
            self._para.append(data)
        row = self._row
        if row is None:
            return
        if row.cells:
            row.cells[-1].append(data)
        if self._link_text is not None:
            self._link_text.append(data)
        if self._in_tt:
            row.tt.append(data)

    def _finish_row(self, change: Change, row: _Row) -> None:
        if row.header:
            return
        if not row.title and not row.tt:  # not a build or job row: perhaps "(N more builds omitted)"
            omitted = _OMITTED.search(_text(part for cell in row.cells for part in cell))
            if omitted:
                self.omitted[change] = _number(omitted.group(1))
            return
        system = _text(row.tt)
        if change is Change.REMOVED:
            if row.links:
                self.rows[change].append(ComparedBuild(None, _text(row.links[0][1]), system))
            elif row.cells:
                self.rows[change].append(ComparedBuild(None, _text(row.cells[0]), system))
            return
        ids = [(bid, text) for href, text in row.links if (bid := _build_id(href)) is not None]
        if not ids:
            return
        build_id = ids[0][0]
        job = next((_text(text) for bid, text in ids[1:] if bid == build_id), "")
        nixname = _text(row.cells[row.tt_cell - 1]) if row.tt_cell >= 1 else ""
        state = ICON_TITLES.get(row.title.strip(), BuildState.UNKNOWN)
        self.rows[change].append(ComparedBuild(build_id, job, system, state, nixname))

    def result(self, eval_id: int | None = None) -> Comparison:
        if not self.panes and not self.tab_counts:
            raise PageError(
                f"{_path(self.url)} has no comparison tabs (no #tabs-now-fail, #tabs-still-succeed … panes).",
                url=self.url,
            )
        if eval_id is None:
            found = _EVAL_LINK.search(_path(self.url))
            eval_id = int(found.group(1)) if found else 0
        categories: dict[Change, Category] = {}
        for change in Change:
            rows = self.rows.get(change, [])
            count = max(self.tab_counts.get(change, 0), len(rows) + self.omitted.get(change, 0))
            categories[change] = Category(change, count, rows)
        return Comparison(eval_id, self.compare_to, categories, filter=self.filter, source="server")


def read_comparison(html: bytes | str, url: str = "", eval_id: int | None = None) -> Comparison:
    """The comparison on Hydra's evaluation page. A tab that is absent has count 0; `complete` tells whether
    a category lists all its rows (without `full=1` Hydra shows 250 and says how many it omitted)."""
    reader = ComparisonReader(url)
    _feed(reader, html)
    return reader.result(eval_id)


# --- the evaluations list: /jobset/P/J/evals (renderEvals) --------------------------------------------------


@dataclass
class EvalSummary:
    """One row of Hydra's evaluations table: its counts and the inputs that changed."""

    id: int
    timestamp: int | None
    succeeded: int
    failed: int
    queued: int
    #: The delta against the previous evaluation, as Hydra shows it (0 when it shows none).
    diff: int
    has_errors: bool
    changed_inputs: list[str] = field(default_factory=list)


class _EvalsReader(_Reader):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.found_table = False
        self.evals: list[EvalSummary] = []
        self._header: list[str] | None = None
        self._row: _Row | None = None
        self._timestamp: int | None = None
        self._badge: list[str] | None = None
        self._errors = False
        self._badge_at = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == "th":
            self._header = []
        elif tag == "img" and attrib.get("title") == "Delta":
            self.found_table = True
        elif tag == "tr":
            self._row, self._timestamp, self._errors = _Row(), None, False
        elif self._row is None:
            return
        elif tag == "td":
            self._row.cells.append([])
        elif tag == "a":
            self._row.links.append((attrib.get("href", ""), []))
        elif tag == "time":
            stamp = attrib.get("data-timestamp", "")
            self._timestamp = int(stamp) if stamp.isdigit() else self._timestamp
        elif tag == "span" and ("badge" in attrib.get("class", "") or "label" in attrib.get("class", "")):
            self._badge = []
            self._badge_at = len(self._row.cells[-1]) if self._row.cells else 0

    def end(self, tag: str) -> None:
        if tag == "th" and self._header is not None:
            if _text(self._header) == "Input changes":
                self.found_table = True
            self._header = None
        elif tag == "span" and self._badge is not None:
            if _text(self._badge) == "Eval Errors":
                self._errors = True
                if self._row is not None and self._row.cells:
                    del self._row.cells[-1][self._badge_at :]  # the badge is not an input
            self._badge = None
        elif tag == "tr" and self._row is not None:
            self._finish_row(self._row)
            self._row = None

    def data(self, data: str) -> None:
        if self._header is not None:
            self._header.append(data)
        if self._badge is not None:
            self._badge.append(data)
        if self._row is not None and self._row.cells:
            self._row.cells[-1].append(data)

    def _finish_row(self, row: _Row) -> None:
        if len(row.cells) < 6 or not row.links:
            return
        found = _EVAL_LINK.search(urlsplit(row.links[0][0]).path)
        if not found:
            return
        counts = [_text(cell) for cell in row.cells[-4:]]
        numbers = [_number(c) if c.replace(",", "").isdigit() else 0 for c in counts[:3]]
        delta = counts[3].replace(",", "").replace("+", "")
        diff = int(delta) if re.fullmatch(r"-?\d+", delta) else 0
        inputs = _text(row.cells[-5])
        changed = [] if inputs in ("", "-") else [part.strip() for part in inputs.split(", ") if part.strip()]
        self.evals.append(EvalSummary(int(found.group(1)), self._timestamp, *numbers, diff, self._errors, changed))


def read_evals(html: bytes | str, url: str = "") -> list[EvalSummary]:
    """The rows of Hydra's evaluations table (`/jobset/P/J/evals`, `/evals`, a jobset page's tab)."""
    reader = _EvalsReader(url)
    _feed(reader, html)
    if not reader.found_table:
        raise PageError(f"{_path(url)} has no evaluations table (no 'Input changes' column).", url=url)
    return reader.evals


# --- a build's steps: /build/N (renderBuildSteps) -----------------------------------------------------------


@dataclass
class Step:
    """One row of a build's steps table."""

    nr: int
    #: "Build", "Substitution" or "Resolution".
    what: str
    #: The output paths (or the resolved derivation), comma-separated.
    outputs: str
    duration: str
    machine: str
    #: "Succeeded", "Failed", "Cached failure", "Timed out" … or, while running, "Building", "Connecting" …
    status: str
    #: The error message after "Failed: ", "" when none.
    message: str
    #: The build that failed first, when this step's failure was propagated from it (the root cause).
    propagated_from: int | None
    running: bool


@dataclass
class BuildSteps:
    build_id: int
    failed: list[Step] = field(default_factory=list)
    running: list[Step] = field(default_factory=list)

    @property
    def culprit(self) -> int | None:
        """The first build a failed step's failure was propagated from, else None."""
        return next((s.propagated_from for s in self.failed if s.propagated_from is not None), None)


_STEP_COLUMNS = {"nr": "nr", "what": "what", "step": "what", "duration": "duration", "machine": "machine"}


class _StepsReader(_Reader):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.is_build_page = False
        self.sections: dict[str, list[Step]] = {"failed": [], "running": []}
        self.missing_table: list[str] = []
        self._h3: list[str] | None = None
        self._section: str | None = None
        self._columns: list[str] = []
        self._in_table = 0
        self._row: _Row | None = None
        self._status: list[tuple[str, str]] = []  # (kind, text) events of the status cell
        self._kind: list[str] = []
        self._in_tt = False

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == "div" and attrib.get("id") == "tabs-summary":
            self.is_build_page = True
        elif tag == "h3":
            self._h3 = []
        elif self._section is None:
            return
        elif tag == "table":
            self._in_table += 1
            if self._in_table == 1:
                self._columns = []
        elif not self._in_table:
            return
        elif tag == "tr":
            self._row, self._status, self._kind = _Row(), [], []
        elif self._row is None:
            return
        elif tag in ("td", "th"):
            self._row.cells.append([])
            self._row.header |= tag == "th"
        elif tag == "tt":
            self._in_tt = True
        elif self._columns and len(self._row.cells) == self._column("status") + 1:
            if tag == "a":
                self._status.append(("href", attrib.get("href", "")))
            self._kind.append(
                "error" if tag == "span" and "error" in attrib.get("class", "") else "em" if tag == "em" else tag
            )

    def _column(self, name: str) -> int:
        return self._columns.index(name) if name in self._columns else -1

    def end(self, tag: str) -> None:
        if tag == "h3" and self._h3 is not None:
            title = _text(self._h3).lower()
            self._h3 = None
            if title in ("failed build steps", "running build steps"):
                self._section = title.split()[0]
                self.missing_table.append(title)
            else:
                self._section = None
        elif self._section is None or not self._in_table:
            return
        elif tag == "table":
            self._in_table -= 1
            if not self._in_table:
                self._section = None
        elif tag == "tt":
            self._in_tt = False
        elif tag == "tr" and self._row is not None:
            self._finish_row(self._row)
            self._row = None
        elif self._kind and len(self._row.cells if self._row else []) == self._column("status") + 1:
            self._kind.pop()

    def data(self, data: str) -> None:
        if self._h3 is not None:
            self._h3.append(data)
        row = self._row
        if row is None or not row.cells:
            return
        row.cells[-1].append(data)
        if self._in_tt:
            row.tt.append(data)
        if self._columns and len(row.cells) == self._column("status") + 1:
            self._status.append((self._kind[-1] if self._kind else "", data))

    def _finish_row(self, row: _Row) -> None:
        section = self._section
        assert section is not None
        if row.header:
            self._columns = [_STEP_COLUMNS.get(_text(c).lower(), _text(c).lower()) for c in row.cells]
            if "nr" in self._columns and "status" in self._columns:
                title = f"{section} build steps"
                if title in self.missing_table:
                    self.missing_table.remove(title)
            return
        if not self._columns or self._column("nr") < 0 or self._column("status") < 0:
            return
        cells = [_text(c) for c in row.cells]

        def cell(name: str) -> str:
            i = self._column(name)
            return cells[i] if 0 <= i < len(cells) else ""

        nr_text = cell("nr")
        if not nr_text.isdigit():
            return
        what_cell = cell("what")
        what = what_cell.split(" of ", 1)[0] if " of " in what_cell else what_cell
        paths = _text(row.tt) if row.tt else what_cell.partition(" of ")[2]
        outputs = ", ".join(p.strip() for p in paths.split(",") if p.strip())
        status, message, propagated = self._read_status()
        step = Step(
            nr=int(nr_text),
            what=what,
            outputs=outputs,
            duration=cell("duration"),
            machine=cell("machine"),
            status=status or cell("status"),
            message=message,
            propagated_from=propagated,
            running=section == "running",
        )
        self.sections[section].append(step)

    def _read_status(self) -> tuple[str, str, int | None]:
        status: list[str] = []
        message: list[str] = []
        propagated: int | None = None
        before: list[str] = []
        last = ""
        for kind, text in self._status:
            if kind == "href":
                if propagated is None and _text(before).endswith("propagated from"):
                    propagated = _build_id(text)
                last = kind
                continue
            before.append(text)
            # Text arrives in pieces (an entity splits it): a piece continues what the previous one began.
            if kind in ("error", "strong") and (not status or last == kind):
                status.append(text)
            elif kind == "em" and status and (not message or last == kind):
                message.append(text)
            last = kind if text.strip() or kind == last else "text"
        return self._status_text(status, message, propagated, before)

    @staticmethod
    def _status_text(
        status_parts: list[str], message_parts: list[str], propagated: int | None, before: list[str]
    ) -> tuple[str, str, int | None]:
        status, message = _text(status_parts), _text(message_parts)
        if not status:
            plain = _text(before)
            status = plain.split("(", 1)[0].strip()
        return status, message, propagated


def read_build_steps(html: bytes | str, build_id: int, url: str = "") -> BuildSteps:
    """A build's "Failed build steps" and "Running build steps" (empty lists when the page shows neither)."""
    reader = _StepsReader(url or f"/build/{build_id}")
    _feed(reader, html)
    if not reader.is_build_page:
        raise PageError(f"{_path(reader.url)} is not a build page (no #tabs-summary).", url=url)
    if reader.missing_table:
        raise PageError(
            f"{_path(reader.url)} has '{reader.missing_table[0].capitalize()}' but no steps table "
            "(Nr … Status) after it.",
            url=url,
        )
    return BuildSteps(build_id, reader.sections["failed"], reader.sections["running"])
