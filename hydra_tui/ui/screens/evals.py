"""The evaluation list of a jobset, paged as the server pages it (20 a page), more pages on demand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from hydra_tui.api.models import JobsetEval
from hydra_tui.api.pages import EvalSummary
from hydra_tui.api.status import Counts
from hydra_tui.api.timefmt import ago
from hydra_tui.cache.store import Entry
from hydra_tui.ui.screens.base import FilterBox, HydraScreen, Message, Place
from hydra_tui.ui.text import counts_text, safe
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.lists import ListTable
from hydra_tui.ui.widgets.status_line import StatusLine

#: The columns of an evaluation table, most important first: (key, header). The counts and the change are
#: never cut; when the table is narrow, the changed inputs are dropped first, then the time.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "EVAL"),
    ("when", "WHEN"),
    ("builds", "BUILDS"),
    ("delta", "Δ"),
    ("inputs", "CHANGED INPUTS"),
)
DROP_ORDER = ("inputs", "when")
#: The fewest characters of changed inputs worth a column.
MIN_INPUTS = 12
#: A cell's padding on each side (DataTable's default), and the room kept for the vertical scrollbar.
CELL_PADDING = 1
SCROLLBAR = 2

Layout = tuple[tuple[str, str, int], ...]


def add_eval_columns(table: DataTable[Text], layout: Layout | None = None) -> None:
    """The table's columns: `layout` as `eval_layout` made it, or the widths for a wide table."""
    for key, label, width in layout or eval_layout(0, {"id": 9, "when": 9, "builds": 7, "delta": 0}):
        table.add_column(label, key=key, width=width)


def eval_layout(width: int, needed: Mapping[str, int]) -> Layout:
    """The columns to show in a table `width` characters wide (0: wide enough) and their widths. `needed` is the
    width each column's content takes (the inputs take the rest). A column with nothing to show (the change before
    counts are known) is left out; the least important columns go first when they do not all fit."""
    keys = [key for key, _ in COLUMNS if key == "inputs" or needed.get(key, 0) > 0]
    labels = dict(COLUMNS)

    def widths(keys: list[str]) -> dict[str, int]:
        return {k: max(needed.get(k, 0), len(labels[k])) for k in keys if k != "inputs"}

    room = width - SCROLLBAR if width else 0
    for drop in (None, *DROP_ORDER):
        if drop is not None and drop in keys:
            keys.remove(drop)
        used = sum(w + 2 * CELL_PADDING for w in widths(keys).values())
        rest = room - used - (2 * CELL_PADDING + MIN_INPUTS if "inputs" in keys else 0)
        if not room or rest >= 0:
            break
    fixed = widths(keys)
    if "inputs" in keys:
        used = sum(w + 2 * CELL_PADDING for w in fixed.values())
        fixed["inputs"] = max(MIN_INPUTS, room - used - 2 * CELL_PADDING) if room else 60
    return tuple((k, labels[k], fixed[k]) for k in keys)


def counts_of(summary: EvalSummary) -> Counts:
    """Hydra's three numbers for an evaluation, from its row on the evaluations page."""
    return Counts(succeeded=summary.succeeded, failed=summary.failed, queued=summary.queued)


def builds_cell(e: JobsetEval, counts: Counts | None = None, widths: tuple[int, int] | None = None) -> Text:
    """The BUILDS column: the number of builds, or Hydra's ✔ / ✘ / queued for the evaluation once they are known
    (from its evaluations page). The one place an evaluation's counts are drawn in an evaluation table. `widths`
    line the numbers up from row to row."""
    if counts is not None:
        if widths is None:
            return counts_text(counts.succeeded, counts.failed, counts.queued, align=False)
        return counts_text(counts.succeeded, counts.failed, counts.queued, widths=widths)
    return Text(f"{e.nrbuilds:,}" if e.nrbuilds is not None else "?")


def counts_widths(summaries: Iterable[EvalSummary]) -> tuple[int, int]:
    """How wide the ✔ and ✘ parts of the counts are on the widest row, with two spaces after each."""
    rows = list(summaries)
    succeeded = max((len(f"✔ {s.succeeded:,}") for s in rows), default=0)
    failed = max((len(f"✘ {s.failed:,}") for s in rows), default=0)
    return succeeded + 2, failed + 2


def delta_cell(summary: EvalSummary | None) -> Text:
    """The change in succeeded builds against the previous evaluation, as Hydra's evaluations page shows it:
    +N green, -N red, nothing when it shows none."""
    if summary is None or not summary.diff:
        return Text("")
    return Text(f"{summary.diff:+,}", style="green" if summary.diff > 0 else "red", justify="right")


def inputs_cell(e: JobsetEval, previous: JobsetEval | None, summary: EvalSummary | None) -> Text:
    """What changed since the evaluation before, with Hydra's "Eval Errors" mark first when it had errors."""
    changed = e.changed_inputs(previous)
    if e.flake:
        inputs = safe(e.flake)
    elif previous is None and summary is not None:
        inputs = Text(", ").join(safe(c) for c in summary.changed_inputs) if summary.changed_inputs else Text("-")
    elif previous is None:
        inputs = Text("(first evaluation on this page)", style="bright_black")
    elif not changed:
        inputs = Text("no input changed", style="bright_black")
    else:
        inputs = Text(", ").join(
            safe(f"{name} → {e.jobsetevalinputs[name].describe().rsplit(' ', 1)[-1]}") for name in changed
        )
    if summary is not None and summary.has_errors:
        return Text.assemble(("eval errors", "bold red"), " ", inputs)
    return inputs


def eval_cells(
    e: JobsetEval,
    previous: JobsetEval | None,
    now: float,
    summary: EvalSummary | None = None,
    widths: tuple[int, int] | None = None,
) -> dict[str, Text]:
    """Every column's cell for one evaluation, by column key."""
    return {
        "id": Text(str(e.id), style="bold"),
        "when": Text(ago(e.timestamp, now)),
        "builds": builds_cell(e, counts_of(summary) if summary is not None else None, widths),
        "delta": delta_cell(summary),
        "inputs": inputs_cell(e, previous, summary),
    }


def eval_search_text(e: JobsetEval) -> str:
    parts = [str(e.id)] + [f"{i.name} {i.describe()}" for i in e.jobsetevalinputs.values()]
    return " ".join(parts).lower()


def fill_eval_table(
    table: DataTable[Text],
    evals: list[JobsetEval],
    needle: str,
    now: float,
    limit: int = 0,
    counts: Mapping[int, EvalSummary] | None = None,
) -> None:
    """Show evaluations (newest first) in a table, by key: rows are rebuilt only when the set or the layout
    changes. `counts`: each evaluation's row of Hydra's evaluations page, where known; those rows show ✔ / ✘ /
    queued instead of a build count, the change against the evaluation before, and whether it had errors.

    The columns fit the table's width: numbers are never cut, the least important columns are dropped instead."""
    counts = counts or {}
    pairs = [(e, evals[n + 1] if n + 1 < len(evals) else None) for n, e in enumerate(evals)]
    if limit:
        pairs = pairs[:limit]
    needle = needle.lower()
    rows = [(e, p) for e, p in pairs if not needle or needle in eval_search_text(e)]
    known = [counts[e.id] for e, _ in rows if e.id in counts]
    widths = counts_widths(known) if known else None
    cells = {str(e.id): eval_cells(e, p, now, counts.get(e.id), widths) for e, p in rows}
    needed = {
        "id": max((len(c["id"]) for c in cells.values()), default=0),
        "when": max((len(c["when"]) for c in cells.values()), default=0),
        "builds": max((c["builds"].cell_len for c in cells.values()), default=0),
        "delta": max((len(c["delta"]) for c in cells.values()), default=0),
    }
    needed["delta"] = max(needed["delta"], 1 if known else 0)  # the column shows once counts are known
    layout = eval_layout(table.size.width or table.app.size.width, needed)
    keys = list(cells)
    cursor = table.cursor_row
    current = tuple((str(c.key.value), str(c.label), c.width) for c in table.columns.values())
    if current != layout:
        table.clear(columns=True)
        add_eval_columns(table, layout)
    elif [str(k.value) for k in table.rows] == keys:
        for key, row in cells.items():
            for column, _, _ in layout:
                if table.get_cell(key, column) != row[column]:
                    table.update_cell(key, column, row[column])
        return
    table.clear()
    for key, row in cells.items():
        table.add_row(*(row[column] for column, _, _ in layout), key=key)
    if rows:
        table.move_cursor(row=min(cursor, len(rows) - 1))


class EvalTableScreen(HydraScreen):
    """A screen whose list is a table of evaluations of one jobset."""

    project: str
    jobset_name: str
    filter_text: str = ""
    #: Each evaluation's row of Hydra's evaluations page (its counts), by evaluation id, as pages arrive.
    summaries: dict[int, EvalSummary]

    def render_rows(self) -> None:
        raise NotImplementedError

    def watch_summaries(self, page: int) -> None:
        """Keep a page of Hydra's evaluations page (one request for its 20 evaluations' counts) while shown."""
        self.watch_data("eval_summaries", self.project, self.jobset_name, page, handler=self.on_summaries)

    def on_summaries(self, entry: Entry) -> None:
        # An evaluations page that cannot be read (an old or unusual Hydra) leaves the build counts in place.
        if entry.has_value:
            self.summaries.update((s.id, s) for s in entry.value)
            self.render_rows()

    def on_resize(self) -> None:
        self.render_rows()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.hydra_app.open_eval(int(event.row_key.value), self.project, self.jobset_name)

    def apply_filter(self, text: str) -> None:
        self.filter_text = text
        self.render_rows()

    def focus_list(self, first: bool = True) -> None:
        table = self.query_one("#evals", DataTable)
        table.focus()
        if first and table.row_count:
            table.move_cursor(row=0)


class EvalsScreen(EvalTableScreen):
    TITLE_TEXT = "evaluations"
    AUTO_FOCUS = "#evals"
    BINDINGS = [Binding("n", "more", "More")]

    def __init__(self, project: str, jobset: str) -> None:
        super().__init__()
        self.project = project
        self.jobset_name = jobset
        self.pages: dict[int, list[JobsetEval]] = {}
        self.last_page: int | None = None
        self.filter_text = ""
        self.summaries = {}

    def place(self) -> Place:
        return Place(self.project, self.jobset_name, leaf="evaluations")

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter by id or input", id="filter")
        yield Message(Text("Loading evaluations…"), id="message")
        yield ListTable(id="evals", cursor_type="row")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#evals", DataTable)
        table.border_title = safe(f"Evaluations of {self.project}:{self.jobset_name}")
        self._watch_page(1)

    def _watch_page(self, page: int) -> None:
        if page not in self.pages:
            self.pages[page] = []
            self.watch_data("evals", self.project, self.jobset_name, page, handler=lambda e, p=page: self.on_page(p, e))
            self.watch_summaries(page)

    def on_page(self, page: int, entry: Entry) -> None:
        message = self.query_one("#message", Message)
        message.show(self.describe_problem(entry) if entry.has_value or entry.error else "Loading evaluations…")
        if not entry.has_value:
            return
        self.pages[page] = entry.value.evals
        if entry.value.last_page is not None:
            self.last_page = entry.value.last_page
        self.render_rows()
        if not entry.value.evals and page == 1:
            message.show("This jobset has no evaluations yet.")

    def all_evals(self) -> list[JobsetEval]:
        return [e for page in sorted(self.pages) for e in self.pages[page]]

    def render_rows(self) -> None:
        table = self.query_one("#evals", DataTable)
        fill_eval_table(table, self.all_evals(), self.filter_text, self.service.clock.now(), counts=self.summaries)
        loaded = max(self.pages) if self.pages else 0
        more = self.last_page is not None and loaded < self.last_page
        table.border_subtitle = f"page {loaded} of {self.last_page or '?'}" + ("  (n: more)" if more else "")

    def action_more(self) -> None:
        loaded = max(self.pages) if self.pages else 0
        if self.last_page is None or loaded < self.last_page:
            self._watch_page(loaded + 1)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if table.row_count and event.cursor_row >= table.row_count - 2 and not self.filter_text:
            self.action_more()
