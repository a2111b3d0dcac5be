"""The evaluation list of a jobset, paged as the server pages it (20 a page), more pages on demand."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer

from hydra_tui.api.models import JobsetEval
from hydra_tui.api.status import Counts
from hydra_tui.api.timefmt import ago
from hydra_tui.cache.store import Entry
from hydra_tui.ui.screens.base import FilterBox, HydraScreen, Message
from hydra_tui.ui.text import counts_text, safe
from hydra_tui.ui.widgets.status_line import StatusLine


def add_eval_columns(table: DataTable[Text]) -> None:
    table.add_column("EVAL", key="id", width=9)
    table.add_column("WHEN", key="when", width=9)
    table.add_column("BUILDS", key="builds", width=7)
    table.add_column("CHANGED INPUTS", key="inputs")


def builds_cell(e: JobsetEval, counts: Counts | None = None) -> Text:
    """The BUILDS column: the number of builds, or Hydra's ✔ / ✘ / queued for the evaluation once they are known
    (from its evaluations page). The one place an evaluation's counts are drawn in an evaluation table."""
    if counts is not None:
        return counts_text(counts.succeeded, counts.failed, counts.queued, align=False)
    return Text(f"{e.nrbuilds if e.nrbuilds is not None else '?':>6}")


def eval_cells(e: JobsetEval, previous: JobsetEval | None, now: float, counts: Counts | None = None) -> list[Text]:
    changed = e.changed_inputs(previous)
    if e.flake:
        inputs = safe(e.flake)
    elif previous is None:
        inputs = Text("(first evaluation on this page)", style="bright_black")
    elif not changed:
        inputs = Text("no input changed", style="bright_black")
    else:
        inputs = Text(", ").join(
            safe(f"{name} → {e.jobsetevalinputs[name].describe().rsplit(' ', 1)[-1]}") for name in changed
        )
    return [
        Text(str(e.id), style="bold"),
        Text(ago(e.timestamp, now)),
        builds_cell(e, counts),
        inputs,
    ]


def eval_search_text(e: JobsetEval) -> str:
    parts = [str(e.id)] + [f"{i.name} {i.describe()}" for i in e.jobsetevalinputs.values()]
    return " ".join(parts).lower()


def fill_eval_table(
    table: DataTable[Text],
    evals: list[JobsetEval],
    needle: str,
    now: float,
    limit: int = 0,
    counts: Mapping[int, Counts] | None = None,
) -> None:
    """Show evaluations (newest first) in a table, by key: rows are rebuilt only when the set changes. `counts`:
    Hydra's numbers per evaluation id where known; those rows show ✔ / ✘ / queued instead of a build count."""
    counts = counts or {}
    if counts:
        for column in table.columns.values():
            column.auto_width = column.auto_width or column.key == "builds"  # room for the counts
    pairs = [(e, evals[n + 1] if n + 1 < len(evals) else None) for n, e in enumerate(evals)]
    if limit:
        pairs = pairs[:limit]
    needle = needle.lower()
    rows = [(e, p) for e, p in pairs if not needle or needle in eval_search_text(e)]
    keys = [str(e.id) for e, _ in rows]
    if [str(k.value) for k in table.rows] != keys:
        cursor = table.cursor_row
        table.clear()
        for e, prev in rows:
            table.add_row(*eval_cells(e, prev, now, counts.get(e.id)), key=str(e.id))
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        return
    for e, prev in rows:
        for col, cell in zip(table.columns, eval_cells(e, prev, now, counts.get(e.id)), strict=False):
            if table.get_cell(str(e.id), col) != cell:
                table.update_cell(str(e.id), col, cell)


class EvalTableScreen(HydraScreen):
    """A screen whose list is a table of evaluations of one jobset."""

    project: str
    jobset_name: str
    filter_text: str = ""

    def render_rows(self) -> None:
        raise NotImplementedError

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.hydra_app.open_eval(int(event.row_key.value), self.project, self.jobset_name)

    def apply_filter(self, text: str) -> None:
        self.filter_text = text
        self.render_rows()

    def focus_list(self) -> None:
        table = self.query_one("#evals", DataTable)
        table.focus()
        if table.row_count:
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

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter by id or input", id="filter")
        yield Message(Text("Loading evaluations…"), id="message")
        yield DataTable(id="evals", cursor_type="row")
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#evals", DataTable)
        add_eval_columns(table)
        table.border_title = safe(f"Evaluations of {self.project}:{self.jobset_name}")
        self._watch_page(1)

    def _watch_page(self, page: int) -> None:
        if page not in self.pages:
            self.pages[page] = []
            self.watch_data("evals", self.project, self.jobset_name, page, handler=lambda e, p=page: self.on_page(p, e))

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
        fill_eval_table(table, self.all_evals(), self.filter_text, self.service.clock.now())
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
