"""The jobset overview: configuration, evaluation error, current counts and the latest evaluations."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from hydra_tui.api.models import EvalsPage, Jobset, JobsetOverview
from hydra_tui.api.timefmt import ago, duration
from hydra_tui.cache.store import Entry
from hydra_tui.ui.screens.base import FilterBox, Message, Place
from hydra_tui.ui.screens.evals import EvalTableScreen, fill_eval_table
from hydra_tui.ui.text import JOBSET_STATE_STYLE, counts_text, safe
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.lists import ListTable
from hydra_tui.ui.widgets.status_line import StatusLine

LATEST = 10


class JobsetScreen(EvalTableScreen):
    TITLE_TEXT = "jobset"
    AUTO_FOCUS = "#evals"
    BINDINGS = [Binding("e", "all_evals", "All evaluations"), Binding("p", "push", "Evaluate")]

    DEFAULT_CSS = """
    JobsetScreen #top { height: auto; max-height: 60%; }
    JobsetScreen #info { height: auto; padding: 0 1; }
    JobsetScreen #error { height: auto; max-height: 12; padding: 0 1; border: round $error; display: none; }
    JobsetScreen #error.-shown { display: block; }
    JobsetScreen #evals { height: 1fr; min-height: 4; }
    """

    def __init__(self, project: str, jobset: str) -> None:
        super().__init__()
        self.project = project
        self.jobset_name = jobset
        self.jobset: Jobset | None = None
        self.overview: JobsetOverview | None = None
        self.page: EvalsPage | None = None
        self.filter_text = ""
        self.summaries = {}

    def place(self) -> Place:
        return Place(self.project, self.jobset_name)

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter evaluations by id or input", id="filter")
        yield Message(Text("Loading jobset…"), id="message")
        with VerticalScroll(id="top", can_focus=False):
            yield Static(id="info")
            with VerticalScroll(id="error"):
                yield Static(id="error-text")
        table: DataTable[Text] = ListTable(id="evals", cursor_type="row", zebra_stripes=False)
        yield table
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#evals", DataTable)
        table.border_title = "Latest evaluations (e: all)"
        # Asked in the order a person reads them: when the rate limit lets only some go at once, the list first.
        self.watch_data("evals", self.project, self.jobset_name, 1, handler=self.on_evals)
        # `/jobset/P/J/errors`, always: the jobset with its evaluation errors in one request. Nothing else tells
        # of them (Hydra writes errortime with every evaluation, and haserrormsg is false since 2024).
        self.watch_data("jobset_errors", self.project, self.jobset_name, handler=self.on_jobset)
        self.watch_summaries(1)
        self.watch_data("jobsets", self.project, handler=self.on_overview)

    def on_jobset(self, entry: Entry) -> None:
        message = self.query_one("#message", Message)
        message.show(self.describe_problem(entry) if entry.has_value or entry.error else Text("Loading jobset…"))
        if entry.has_value:
            self.jobset = entry.value
            self.render_info()
            self.show_errors(entry.value.errormsg, entry.value.errortime)

    def on_overview(self, entry: Entry) -> None:
        if entry.has_value:
            self.overview = next((j for j in entry.value if j.name == self.jobset_name), None)
            self.render_info()

    def show_errors(self, errormsg: str, errortime: int | None) -> None:
        box = self.query_one("#error")
        if errormsg:
            box.add_class("-shown")
            when = f" ({ago(errortime, self.service.clock.now())})" if errortime else ""
            box.border_title = f"Evaluation errors{when}"
            self.query_one("#error-text", Static).update(error_text(errormsg))
        else:
            box.remove_class("-shown")

    def on_evals(self, entry: Entry) -> None:
        if entry.has_value:
            self.page = entry.value
            self.render_rows()
        elif entry.error is not None:
            self.query_one("#evals", DataTable).border_subtitle = f"cannot load: {entry.error.short}"

    def render_info(self) -> None:
        now = self.service.clock.now()
        j, o = self.jobset, self.overview
        text = Text()
        text.append(f"{self.project}:{self.jobset_name}", style="bold")
        if j is not None:
            text.append("  ")
            text.append(j.enabled.label, style=JOBSET_STATE_STYLE[j.enabled])
            if not j.visible:
                text.append("  hidden", style="bright_black")
            if j.description:
                text.append("  ")
                text.append_text(safe(j.description, "bright_black"))
        if o is not None:
            text.append("\n")
            text.append_text(counts_text(o.counts.succeeded, o.counts.failed, o.counts.queued))
            text.append(f"   of {o.nrtotal:,} current builds")
            if o.evaluating:
                text.append("   evaluating now…", style="cyan bold")
        if j is not None:
            text.append("\n")
            if j.is_flake:
                text.append("flake ", style="bright_black")
                text.append_text(safe(j.flake))
            else:
                text.append("expression ", style="bright_black")
                text.append_text(safe(f"{j.nixexprinput}:{j.nixexprpath}"))
                for inp in j.inputs.values():
                    text.append("\n  ")
                    text.append_text(safe(f"{inp.name} ({inp.type}) ", "bright_black"))
                    text.append_text(safe(inp.value))
            text.append("\n")
            interval = f"every {duration(j.checkinterval)}" if j.checkinterval else "never (push only)"
            text.append("checks ", style="bright_black")
            text.append(interval)
            text.append("   last checked ", style="bright_black")
            text.append(ago(j.lastcheckedtime, now))
            if j.triggertime:
                text.append("   triggered ", style="bright_black")
                text.append(ago(j.triggertime, now), style="cyan")
            if j.fetcherrormsg:
                text.append("\nfetch error: ", style="red")
                text.append_text(safe(j.fetcherrormsg, "red"))
        self.query_one("#info", Static).update(text)

    def render_rows(self) -> None:
        table = self.query_one("#evals", DataTable)
        evals = self.page.evals if self.page else []
        fill_eval_table(table, evals, self.filter_text, self.service.clock.now(), limit=LATEST, counts=self.summaries)
        if not evals:
            table.border_subtitle = "no evaluations yet"

    def action_all_evals(self) -> None:
        from hydra_tui.ui.screens.evals import EvalsScreen

        self.app.push_screen(EvalsScreen(self.project, self.jobset_name))

    def action_push(self) -> None:
        from hydra_tui.actions import Action

        self.hydra_app.perform(Action.push(self.project, self.jobset_name), offer_force=True)


ERROR_LIMIT = 20_000  # characters of an evaluation error shown; Hydra's can run to megabytes


def error_text(message: str) -> Text:
    """The end of an evaluation error (where the cause usually is), safe to show, never megabytes of it."""
    message = message.rstrip()
    if len(message) <= ERROR_LIMIT:
        return safe(message, "red")
    cut = message[-ERROR_LIMIT:]
    cut = cut[cut.find("\n") + 1 :] if "\n" in cut else cut
    text = Text(
        f"… the first {len(message) - len(cut):,} of {len(message):,} characters are not shown …\n",
        style="italic bright_black",
    )
    text.append_text(safe(cut, "red"))
    return text
