"""A job's story: since when it fails (or succeeds) and its last good build, its durations as a chart, and its
builds: the newest evaluation's first (even queued or running), then the earlier ones, newest first."""

from __future__ import annotations

import asyncio
import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Sparkline, Static

from hydra_tui.api.errors import HydraError
from hydra_tui.api.status import Category
from hydra_tui.api.timefmt import duration
from hydra_tui.job.history import JobBuild, JobHistory, load_history
from hydra_tui.job.names import JobRef
from hydra_tui.ui.screens.base import HydraScreen, Message, Place
from hydra_tui.ui.text import CATEGORY_STYLE, safe, state_style
from hydra_tui.ui.widgets.lists import ListTable, update_row
from hydra_tui.ui.widgets.status_line import StatusLine

#: Builds shown: enough for a chart, one latestbuilds request.
LIMIT = 30
#: Seconds between reloads while the newest build is unfinished (finished builds never change).
RELOAD = 30.0


class JobScreen(HydraScreen):
    """Keys: Enter opens the highlighted build, `l` its log, `r` reloads."""

    TITLE_TEXT = "job"

    def place(self) -> Place:
        return Place(self.ref.project, self.ref.jobset, job=self.ref.job, leaf="job history")

    AUTO_FOCUS = "#builds"
    BINDINGS = [
        Binding("enter", "open_build", "Open build", show=False),
        Binding("l", "log", "Log"),
        Binding("r", "refresh", "Reload", show=False),
    ]
    DEFAULT_CSS = """
    JobScreen #summary { height: auto; padding: 0 1; }
    JobScreen #chart { height: 4; border: round $primary; padding: 0 1; }
    JobScreen #chart Sparkline { width: 1fr; height: 2; }
    JobScreen #chart-label { width: auto; max-width: 24; height: 2; padding: 0 0 0 1; color: $text-muted; }
    JobScreen #builds { height: 1fr; border: round $primary; }
    """

    def __init__(self, ref: JobRef) -> None:
        super().__init__()
        self.ref = ref
        self.history: JobHistory | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield Message(Text(f"Loading the builds of {self.ref.job}…"), id="message")
        with Horizontal(id="chart"):
            yield Sparkline([], summary_function=max, id="durations")
            yield Static(id="chart-label")
        yield ListTable(id="builds", cursor_type="row", zebra_stripes=False)  # j/k, g/G as on every list
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#builds", DataTable)
        table.border_title = "Builds, newest first (Enter opens, l log)"
        table.add_column("BUILD", key="id", width=9)
        table.add_column("STATUS", key="status", width=17)
        table.add_column("SYSTEM", key="system", width=13)
        table.add_column("FINISHED", key="finished", width=11)
        table.add_column("TOOK", key="took", width=8)
        table.add_column("EVAL", key="eval", width=7)
        self.query_one("#chart").border_title = "Duration of each build, oldest → newest"
        self.render_summary()
        self.load()

    # --- data ------------------------------------------------------------------------------------

    @work(group="job", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        message = self.query_one("#message", Message)
        try:
            history = await load_history(self.service.value, self.ref, LIMIT)
        except HydraError as exc:
            message.show(Text(f"The builds of {self.ref.name} cannot be loaded: {exc}", style="red"))
            return
        self.history = history
        message.show(
            None
            if history.builds
            else Text(
                f"{self.ref.name} has no builds. Is the name right? A bare attribute gets this machine's system.",
                style="yellow",
            )
        )
        self.render_all()
        # Each build's times and evaluation from /build/N, shown as they arrive (the client paces them).
        pending = [b for b in history.builds if not b.detailed]

        async def one(b: JobBuild) -> None:
            try:
                b.add_details(await self.service.value("build", b.id))
            except HydraError:
                return
            self.render_row(b)
            self.render_summary()
            self.render_chart()

        await asyncio.gather(*(one(b) for b in pending))
        current = history.current
        if current is not None and not current.finished:
            self.set_timer(RELOAD, self.load)

    def action_refresh(self) -> None:
        self.load()

    # --- rendering -------------------------------------------------------------------------------

    def render_all(self) -> None:
        self.render_summary()
        self.render_chart()
        table = self.query_one("#builds", DataTable)
        history = self.history
        if history is None:
            return
        keys = [str(b.id) for b in history.builds]
        if [str(k.value) for k in table.rows] != keys:
            cursor = table.cursor_row
            table.clear()
            for b in history.builds:
                table.add_row(*self.cells(b), key=str(b.id))
            table.move_cursor(row=min(cursor, max(0, table.row_count - 1)))
        else:
            for b in history.builds:
                self.render_row(b)

    def cells(self, b: JobBuild) -> tuple[Text, ...]:
        style = state_style(b.state)
        finished = time.strftime("%m-%d %H:%M", time.localtime(b.stoptime)) if b.stoptime else ""
        if not b.finished and b.starttime:
            took = Text(duration(self.service.clock.now() - b.starttime), style="yellow")
        else:
            took = Text(duration(b.duration) if b.detailed else "…", style="" if b.detailed else "bright_black")
        return (
            Text(f"{b.id}{'*' if b.current else ''}", style="bold" if b.current else ""),
            Text(b.state.label, style=style),
            safe(b.system),
            Text(finished or ("—" if b.detailed else "…"), style="" if finished else "bright_black"),
            took,
            Text(str(b.eval_id) if b.eval_id else ("—" if b.detailed else "…"), style="bright_black"),
        )

    def render_row(self, b: JobBuild) -> None:
        table = self.query_one("#builds", DataTable)
        key = str(b.id)
        if key not in table.rows:
            return
        columns = ("id", "status", "system", "finished", "took", "eval")
        update_row(table, key, dict(zip(columns, self.cells(b), strict=True)))  # only this row is drawn again

    def render_summary(self) -> None:
        text = Text()
        text.append(self.ref.job, style="bold")
        text.append(f"  {self.ref.project}:{self.ref.jobset}", style="bright_black")
        history = self.history
        if history is not None:
            streak = history.streak()
            if streak is not None:
                style = CATEGORY_STYLE[Category.FAILED if streak.failing else Category.SUCCEEDED]
                text.append("\n")
                text.append(history.summary(self.service.clock.now()), style=style)
            elif history.builds:
                text.append("\n" + history.summary(), style="yellow")
            if history.latest_eval is not None:
                text.append(f"\nnewest evaluation {history.latest_eval}", style="bright_black")
                if history.current is not None:
                    text.append(f" · its build {history.current.id} (marked *)", style="bright_black")
        self.query_one("#summary", Static).update(text)

    def render_chart(self) -> None:
        history = self.history
        data = history.durations() if history is not None else []
        self.query_one("#durations", Sparkline).data = data or [0.0]
        label = self.query_one("#chart-label", Static)
        if data:
            label.update(Text(f"max {duration(max(data))}\nlast {duration(data[-1])}", style="bright_black"))
        else:
            label.update(Text("no durations yet", style="bright_black"))

    # --- keys ------------------------------------------------------------------------------------

    def _highlighted(self) -> int | None:
        table = self.query_one("#builds", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.hydra_app.open_build(int(event.row_key.value))

    def action_open_build(self) -> None:
        build_id = self._highlighted()
        if build_id is not None:
            self.hydra_app.open_build(build_id)

    def action_log(self) -> None:
        build_id = self._highlighted()
        if build_id is not None:
            self.hydra_app.open_log(build_id)
