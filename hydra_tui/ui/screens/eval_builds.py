"""The builds of one evaluation: filter by text and status, sort, open one. Built for 250,000 rows."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import FILTER_NAMES, Counts
from hydra_tui.cache.store import Entry
from hydra_tui.ui.screens.base import FilterBox, HydraScreen, Message
from hydra_tui.ui.text import counts_text
from hydra_tui.ui.widgets.build_list import SORTS, BuildList
from hydra_tui.ui.widgets.status_line import StatusLine

# `f` cycles through Hydra's counts and the comparison's "aborted" (every name of FILTER_NAMES works in code).
STATUS_CYCLE: tuple[str | None, ...] = (None, "failed", "aborted", "queued", "running", "succeeded")


class EvalBuildsScreen(HydraScreen):
    TITLE_TEXT = "builds of an evaluation"
    AUTO_FOCUS = "#builds"
    BINDINGS = [
        Binding("f", "cycle_status", "Status filter"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("l", "log", "Log"),
        Binding("R", "eval_action('restart')", "Restart failed"),
        Binding("C", "eval_action('cancel')", "Cancel all"),
        Binding("B", "eval_action('bump')", "Bump all"),
    ]
    DEFAULT_CSS = """
    EvalBuildsScreen #summary { height: 1; width: 1fr; padding: 0 1; }
    """

    def __init__(self, eval_id: int, project: str | None = None, jobset: str | None = None) -> None:
        super().__init__()
        self.eval_id = eval_id
        self.project = project
        self.jobset_name = jobset
        self.status_filter: str | None = None

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter by job name or build id", id="filter")
        yield Static(id="summary")
        yield Message(Text("Loading builds…"), id="message")
        yield BuildList(id="builds")
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        self.builds.now = self.service.clock.now
        self.render_summary()
        self.watch_data("eval_builds", self.eval_id, handler=self.on_rows)

    @property
    def builds(self) -> BuildList:
        return self.query_one("#builds", BuildList)

    def on_rows(self, entry: Entry) -> None:
        message = self.query_one("#message", Message)
        problem = self.describe_problem(entry)
        if entry.has_value:
            rows: BuildRows = entry.value
            self.builds.set_rows(rows)
            if not len(rows):
                message.show("This evaluation has no builds.")
            elif rows.partial and problem is None:
                message.show(
                    Text(
                        f"{len(rows):,} builds: too many for the server to list at once; details load as you scroll.",
                        style="bright_black",
                    )
                )
            else:
                message.show(problem)
        else:
            message.show(problem or "Loading builds…")
        self.render_summary()

    def render_summary(self) -> None:
        text = Text()
        text.append(f"Evaluation {self.eval_id}", style="bold")
        if self.project:
            text.append(f"  {self.project}:{self.jobset_name}", style="bright_black")
        rows = self.builds.rows if self.is_mounted else None
        if rows is not None and len(rows):
            counts = Counts.of_states(rows.counts())
            text.append(f"  {len(rows):,} builds  ")
            if counts.unknown:
                text.append(f"({len(rows) - counts.unknown:,} loaded: ", style="bright_black")
            text.append_text(counts_text(counts.succeeded, counts.failed, counts.queued, align=False))
            if counts.unknown:
                text.append(")", style="bright_black")
            shown = len(self.builds.view)
            if shown != len(rows):
                text.append(f"  showing {shown:,}", style="bold")
        if self.status_filter:
            text.append(f"  [status: {self.status_filter}]", style="cyan")
        if self.is_mounted and self.builds.sort != "id":
            text.append(f"  [sort: {self.builds.sort}]", style="cyan")
        # One line of a fixed size: its text changes with every row that arrives, the layout never does.
        self.query_one("#summary", Static).update(text, layout=False)

    # --- details for the nixpkgs case ------------------------------------------------------------

    def on_build_list_need_details(self, event: BuildList.NeedDetails) -> None:
        # Replaces what was asked before: rows that left the screen are not fetched any more.
        self.service.want_rows(self.eval_id, event.build_ids, project=self.project, jobset=self.jobset_name)

    def on_screen_suspend(self) -> None:
        super().on_screen_suspend()
        if not isinstance(self.app.screen, ModalScreen):
            self.service.want_rows(self.eval_id, [])

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.builds.ask_again()

    def on_unmount(self) -> None:
        super().on_unmount()
        self.service.want_rows(self.eval_id, [])

    def on_build_list_selected(self, event: BuildList.Selected) -> None:
        self.hydra_app.open_build(event.build_id)

    def action_log(self) -> None:
        if self.builds.current_id is not None:
            self.hydra_app.open_log(self.builds.current_id)

    def action_eval_action(self, kind: str) -> None:
        from hydra_tui.actions import Action

        self.hydra_app.perform(Action.on_eval(kind, self.eval_id))

    # --- filters ---------------------------------------------------------------------------------

    def action_cycle_status(self) -> None:
        n = STATUS_CYCLE.index(self.status_filter)
        self.status_filter = STATUS_CYCLE[(n + 1) % len(STATUS_CYCLE)]
        self.builds.states = FILTER_NAMES[self.status_filter] if self.status_filter else None
        self.builds.refilter(keep=self.builds.current_id)
        self.render_summary()

    def action_cycle_sort(self) -> None:
        self.builds.sort = SORTS[(SORTS.index(self.builds.sort) + 1) % len(SORTS)]
        self.builds.refilter(keep=self.builds.current_id)
        self.render_summary()

    def apply_filter(self, text: str) -> None:
        self.builds.text_filter = text
        self.builds.refilter()
        self.render_summary()

    def focus_list(self) -> None:
        self.builds.cursor = 0
        self.builds.focus()
