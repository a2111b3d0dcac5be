"""Root causes: an evaluation's dependency failures grouped by the build that broke them, biggest first.

The scan reads one build page per dependency failure, in the background within the rate limit, with a
progress bar; Esc or `x` stops it and keeps what was read (the cache keeps every page, so a later scan or the
report starts where this one stopped). By default it covers the newly failing builds; `a` extends it to every
failing build.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, ProgressBar, Static
from textual.worker import Worker, WorkerState

from hydra_tui.api.comparison import Comparison
from hydra_tui.report.evalreport import scope
from hydra_tui.report.rootcauses import RootCause, RootCauseScan, ScanProgress, candidates
from hydra_tui.ui.screens.base import HydraScreen, Message, Place
from hydra_tui.ui.text import safe
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.lists import ListTable
from hydra_tui.ui.widgets.status_line import StatusLine


class RootCausesScreen(HydraScreen):
    """Culprits on top, the builds each one breaks below."""

    TITLE_TEXT = "root causes"
    AUTO_FOCUS = "#causes"
    BINDINGS = [
        Binding("a", "all_failures", "All failures"),
        Binding("x", "stop", "Stop"),
    ]
    DEFAULT_CSS = """
    RootCausesScreen #head { height: auto; max-height: 3; padding: 0 1; }
    RootCausesScreen #progress-row { height: 1; padding: 0 1; }
    RootCausesScreen #progress-row.-done { display: none; }
    RootCausesScreen #progress-text { width: auto; padding: 0 1; color: $text-muted; }
    RootCausesScreen #causes { height: 1fr; }
    RootCausesScreen #broken { height: 1fr; border-top: solid $primary; }
    """

    def __init__(self, comparison: Comparison, project: str | None = None, jobset: str | None = None) -> None:
        super().__init__()
        self.comparison = comparison
        self.project = project
        self.jobset_name = jobset
        self.all_failures = False
        self.causes: list[RootCause] = []
        self.progress = ScanProgress(0, 0)
        self.stopped = False

    def place(self) -> Place:
        return Place(self.project, self.jobset_name, self.comparison.eval_id, leaf="root causes")

    def compose(self) -> ComposeResult:
        yield Static(id="head")
        with Horizontal(id="progress-row"):
            yield ProgressBar(id="progress", show_eta=False)
            yield Static(id="progress-text")
        yield Message(id="message")
        yield ListTable(id="causes", cursor_type="row", zebra_stripes=True)
        yield ListTable(id="broken", cursor_type="row")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        causes = self.query_one("#causes", DataTable)
        causes.add_column("breaks", key="breaks")
        causes.add_column("build", key="build")
        causes.add_column("job", key="job")
        causes.add_column("system", key="system")
        broken = self.query_one("#broken", DataTable)
        broken.add_column("build", key="build")
        broken.add_column("job", key="job")
        self.set_interval(0.25, self._flush)
        self.start()

    def _flush(self) -> None:
        """Progress comes with every page read; the tables are redrawn at most four times a second."""
        if self._dirty:
            self._dirty = False
            self.render_causes()

    # --- the scan --------------------------------------------------------------------------------

    @property
    def in_scope(self) -> int:
        return len(candidates(scope(self.comparison, all_failures=self.all_failures)))

    def start(self) -> None:
        self.stopped = False
        self._dirty = False
        self.query_one("#progress-row").remove_class("-done")
        self.render_head()
        self.scan()

    @work(group="scan", exclusive=True)
    async def scan(self) -> None:
        builds = scope(self.comparison, all_failures=self.all_failures)
        known = [b for c in self.comparison.categories.values() for b in c.builds]
        runner = RootCauseScan(self.service, builds, known=known, on_progress=self.on_progress)
        self.on_progress(runner.progress, [])
        await runner.run()

    def on_progress(self, progress: ScanProgress, causes: list[RootCause]) -> None:
        self.progress = progress
        self.causes = causes
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(progress.total, 1), progress=progress.done)
        unreadable = f", {progress.failed:,} unreadable" if progress.failed else ""
        self.query_one("#progress-text", Static).update(
            f"{progress.done:,}/{progress.total:,} build pages read{unreadable} · x stops"
        )
        self._dirty = True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.worker.group != "scan" or event.state not in (WorkerState.SUCCESS, WorkerState.CANCELLED):
            return
        self.query_one("#progress-row").add_class("-done")
        self.render_head()
        self._flush()

    def action_stop(self) -> None:
        if any(w.group == "scan" and w.is_running for w in self.workers):
            self.stopped = True
            self.workers.cancel_group(self, "scan")
            self.render_head()

    def action_back(self) -> None:
        self.action_stop()
        super().action_back()

    def action_all_failures(self) -> None:
        if not self.all_failures:
            self.all_failures = True
            self.start()

    def action_refresh(self) -> None:
        self.start()

    # --- display ---------------------------------------------------------------------------------

    def render_head(self) -> None:
        what = "failing" if self.all_failures else "newly failing"
        text = Text()
        failures = "dependency failure" if self.in_scope == 1 else "dependency failures"
        text.append(f"Root causes of {self.in_scope:,} {failures}", style="bold")
        text.append(f" among the {what} builds of evaluation {self.comparison.eval_id}")
        if self.project:
            text.append_text(safe(f" ({self.project}:{self.jobset_name})"))
        if self.stopped:
            text.append(f"  stopped after {self.progress.done:,} of {self.progress.total:,}: r goes on", style="bold")
        if not self.all_failures:
            text.append("  a: every failing build", style="dim")
        self.query_one("#head", Static).update(text)
        message = self.query_one("#message", Message)
        message.show("No dependency failures to explain here." if not self.in_scope else None)

    def render_causes(self) -> None:
        table = self.query_one("#causes", DataTable)
        current = self._current_cause()
        table.clear()
        done, total = self.progress.done, self.progress.total
        for cause in self.causes:
            breaks = Text(f"{cause.breaks:>6,}", style="bold")
            if 0 < done < total:  # pages are read in a spread order: scale the sample to every page
                breaks.append(f" ≈{round(cause.breaks * total / done):,}", style="dim")
            table.add_row(
                breaks,
                Text(str(cause.build)),
                safe(cause.job or "…"),
                safe(cause.system),
                key=str(cause.build),
            )
        if current is not None:
            index = next((i for i, c in enumerate(self.causes) if c.build == current), 0)
            table.move_cursor(row=index)
        self.render_broken()

    def _current_cause(self) -> int | None:
        table = self.query_one("#causes", DataTable)
        if not table.row_count:
            return None
        return self.causes[min(table.cursor_row, len(self.causes) - 1)].build if self.causes else None

    def render_broken(self) -> None:
        broken = self.query_one("#broken", DataTable)
        broken.clear()
        build = self._current_cause()
        cause = next((c for c in self.causes if c.build == build), None)
        if cause is None:
            return
        jobs = {b.id: b.job for c in self.comparison.categories.values() for b in c.builds}
        for build_id in cause.builds:
            broken.add_row(Text(str(build_id)), safe(jobs.get(build_id, "")), key=str(build_id))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "causes":
            self.render_broken()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.hydra_app.open_build(int(event.row_key.value))
