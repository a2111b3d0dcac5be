"""Build detail: status, times, derivation, outputs, products, metrics, evaluations, URL; the build steps that failed
or are running (from the build's page), the build a dependency failure came from, and the end of the log of a
failed or running build (live while it runs)."""

from __future__ import annotations

import re
import time

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from hydra_tui.api.errors import HydraError
from hydra_tui.api.models import Build
from hydra_tui.api.pages import BuildSteps, Step
from hydra_tui.api.status import BuildState, Category
from hydra_tui.api.timefmt import ago, duration
from hydra_tui.cache.poller import Subscription
from hydra_tui.cache.store import Entry
from hydra_tui.logs.sanitize import to_text
from hydra_tui.ui.screens.base import HydraScreen, Message, Place
from hydra_tui.ui.text import safe, state_text
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.lists import StepTable
from hydra_tui.ui.widgets.status_line import StatusLine

LOG_TAIL = 25
#: The label column: one width on every build, whatever its labels.
LABEL_WIDTH = 12
#: How many step rows show before the table scrolls.
STEP_ROWS = 6


def _when(ts: int | None, now: float) -> str:
    if ts is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) + f" ({ago(ts, now)})"


_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> int | None:
    """Seconds in a duration as Hydra's pages write it (`1h 2m 3s`, `8m 57s`, `0s`); None when it is not one."""
    parts = re.findall(r"(\d+)\s*([dhms])", text)
    if not parts or re.sub(r"[\d\sdhms]", "", text):
        return None
    return sum(int(n) * _UNITS[unit] for n, unit in parts)


def step_duration(step: Step, elapsed: float) -> str:
    """A step's duration; a running step's grows by the time since its page was read."""
    if step.running:
        seconds = parse_duration(step.duration)
        if seconds is not None:
            return duration(seconds + max(0, elapsed))
    return step.duration


def _outputs(step: Step) -> str:
    """The output's name without the store path's hash (`hello-6.2`), every output when there are several."""
    names = [re.sub(r"^/nix/store/[0-9a-z]{32}-", "", out.strip()) for out in step.outputs.split(",") if out.strip()]
    return ", ".join(names)


class LogTail(Static):
    """The last lines of the log, in a box shorter than they are at 80x24: each time they are laid out at a new
    height (more lines, a resized box) the box shows their end. Scrolling the box after the end was shown happens
    only on a size change, once laid out (a scroll asked for after a refresh used the height before the new
    lines)."""

    def on_resize(self, event: events.Resize) -> None:
        if isinstance(self.parent, VerticalScroll):
            self.parent.scroll_end(animate=False, immediate=True)


class BuildScreen(HydraScreen):
    TITLE_TEXT = "build"
    AUTO_FOCUS = "#body"
    BINDINGS = [
        Binding("l", "log", "Log"),
        Binding("j", "job", "Job history"),
        Binding("f", "failed_first", "Failed first"),
        Binding("R", "build_action('restart')", "Restart"),
        Binding("C", "build_action('cancel')", "Cancel"),
        Binding("B", "build_action('bump')", "Bump"),
    ]
    DEFAULT_CSS = """
    BuildScreen #body { height: auto; max-height: 50%; padding: 0 1; }
    BuildScreen #steps { height: auto; max-height: 9; border-top: solid $primary; display: none; overflow-x: hidden; }
    BuildScreen #steps.-shown { display: block; }
    BuildScreen #logbox { height: 1fr; min-height: 5; border: round $error; padding: 0 1; display: none; }
    BuildScreen #logbox.-running { border: round $accent; }
    BuildScreen #logbox.-shown { display: block; }
    """

    def __init__(self, build_id: int) -> None:
        super().__init__()
        self.build_id = build_id
        self.build: Build | None = None
        self.steps: BuildSteps | None = None
        self._steps_read_at: float | None = None
        self._steps_sub: Subscription | None = None
        self._log_sub: Subscription | None = None
        #: The build the dependency failure came from, once its details are read (its job, its state).
        self.culprit: Build | None = None

    def place(self) -> Place:
        b = self.build
        if b is None:
            return Place(build_id=self.build_id)
        return Place(b.project, b.jobset, build_id=self.build_id, job=b.job, evals=frozenset(b.jobsetevals))

    def compose(self) -> ComposeResult:
        yield Message(Text(f"Loading build {self.build_id}…"), id="message")
        with VerticalScroll(id="body"):
            yield Static(id="details")
        yield StepTable(id="steps", cursor_type="row")  # `j` stays the job history when the steps have focus
        with VerticalScroll(id="logbox"):
            yield LogTail(id="log")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#steps", DataTable)
        for key, label in (("nr", "#"), ("status", "STATUS"), ("machine", "MACHINE"), ("time", "TIME")):
            table.add_column(label, key=key)
        table.add_column("OUTPUT", key="what")
        self.watch_data("build", self.build_id, handler=self.on_build)
        self.set_interval(1.0, self.tick)

    @property
    def running(self) -> bool:
        return self.build is not None and self.build.state is BuildState.RUNNING

    def tick(self) -> None:
        """A running build's duration (and its running steps') go on by the second."""
        if self.running:
            self.render_details()
            self.render_steps()

    def on_build(self, entry: Entry) -> None:
        message = self.query_one("#message", Message)
        message.show(
            self.describe_problem(entry) if entry.has_value or entry.error else f"Loading build {self.build_id}…"
        )
        if not entry.has_value:
            return
        self.build = entry.value
        self.refresh_bindings()  # the actions the state allows
        self.show_title()
        self.render_details()
        failed = self.build.state.category is Category.FAILED
        # Steps and the log's end for a failed or a running build; none for one that succeeded or waits.
        wanted = failed or self.running
        box = self.query_one("#logbox")
        box.set_class(self.running, "-running")
        if not wanted:
            box.remove_class("-shown")  # e.g. restarted: the old log end no longer applies
            self.query_one("#steps").remove_class("-shown")
            self.unwatch(self._log_sub)
            self.unwatch(self._steps_sub)
            self._log_sub = self._steps_sub = None
            return
        if self._log_sub is None:
            self._log_sub = self.watch_data("log_tail", self.build_id, handler=self.on_log)
        if self._steps_sub is None:
            self._steps_sub = self.watch_data("build_steps", self.build_id, handler=self.on_steps)

    # --- details ---------------------------------------------------------------------------------

    def render_details(self) -> None:
        b = self.build
        if b is None:
            return
        now = self.service.clock.now()
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(style="bright_black", no_wrap=True, width=LABEL_WIDTH, min_width=LABEL_WIDTH)
        table.add_column(overflow="fold", ratio=1)  # only the values take the width that is left
        head = Text.assemble(Text(f"Build {b.id}  ", style="bold"), state_text(b.state, short=False))
        table.add_row("status", head)
        culprit = self.steps.culprit if self.steps is not None else None
        if culprit is not None:
            table.add_row("failed first", self._culprit_text(culprit))
        for step in self.steps.failed if self.steps is not None else []:
            if step.message:  # the reason a step failed, whole (the steps table has no room for it)
                table.add_row(f"step {step.nr}"[:LABEL_WIDTH], safe(step.message, "red"))
        table.add_row("job", safe(f"{b.project}:{b.jobset}:{b.job}"))
        table.add_row("system", safe(b.system))
        if b.nixname:
            table.add_row("name", safe(b.nixname))
        table.add_row("queued", Text(_when(b.timestamp, now)))
        table.add_row("started", Text(_when(b.starttime, now)))
        table.add_row("stopped", Text(_when(b.stoptime, now)))
        if b.duration is not None:
            table.add_row("duration", Text(duration(b.duration)))
        elif b.starttime and not b.finished:
            table.add_row("running", Text(duration(now - b.starttime), style="cyan"))
        table.add_row("derivation", safe(b.drvpath))
        for name, out in sorted(b.buildoutputs.items()):
            table.add_row(safe(f"out: {name}"[:LABEL_WIDTH]), safe(out.path or "(not built yet)"))
        for product in b.buildproducts.values():
            size = f"  {product.filesize:,} bytes" if product.filesize else ""
            table.add_row("product", safe(f"{product.type}/{product.subtype} {product.name}{size}"))
        for name, metric in sorted(b.buildmetrics.items()):
            value = "?" if metric.value is None else f"{metric.value:g}"
            table.add_row("metric", safe(f"{name} = {value}{(' ' + metric.unit) if metric.unit else ''}"))
        if b.jobsetevals:
            evals = ", ".join(str(e) for e in sorted(b.jobsetevals, reverse=True)[:8])
            more = f" (+{len(b.jobsetevals) - 8} more)" if len(b.jobsetevals) > 8 else ""
            table.add_row("evaluations", Text(evals + more))
        table.add_row("url", Text(self.service.client.build_url(b.id), style="underline"))
        self.query_one("#details", Static).update(table)

    def _culprit_text(self, culprit: int) -> Text:
        text = Text(f"build {culprit}", style="bold red")
        c = self.culprit
        if c is not None and c.id == culprit:
            text.append("  ")
            text.append_text(safe(f"{c.project}:{c.jobset}:{c.job}"))
            text.append("  ")
            text.append_text(state_text(c.state))
        return text

    # --- steps -----------------------------------------------------------------------------------

    def on_steps(self, entry: Entry) -> None:
        table = self.query_one("#steps", DataTable)
        if isinstance(entry.value, BuildSteps):
            first = self.steps is None
            self.steps = entry.value
            self._steps_read_at = entry.fetched_at
            self.render_steps()
            self.render_details()
            self.refresh_bindings()
            culprit = self.steps.culprit
            if culprit is not None and (self.culprit is None or self.culprit.id != culprit):
                self.run_worker(self._read_culprit(culprit), group="culprit", exclusive=True, exit_on_error=False)
            if first and culprit is not None:
                # A dependency failure: the step it came from is highlighted and focused, so Enter opens it.
                index = next(n for n, s in enumerate(self._shown_steps()) if s.propagated_from == culprit)
                table.move_cursor(row=index)
                table.focus()
        elif entry.error is not None and not entry.has_value:
            # An old or unusual Hydra whose build page cannot be read: the rest of the screen stands.
            table.add_class("-shown")
            table.border_title = f"Build steps cannot be read: {entry.error.short}"

    async def _read_culprit(self, build_id: int) -> None:
        try:
            entry = await self.service.get_in_background("build", build_id)
        except HydraError:
            return
        if isinstance(entry.value, Build):
            self.culprit = entry.value
            self.render_details()

    def _shown_steps(self) -> list[Step]:
        steps = self.steps
        return [] if steps is None else [*steps.running, *steps.failed]

    def render_steps(self) -> None:
        table = self.query_one("#steps", DataTable)
        shown = self._shown_steps()
        table.set_class(bool(shown), "-shown")
        if not shown or self.steps is None:
            return
        elapsed = self.service.clock.now() - self._steps_read_at if self._steps_read_at is not None else 0
        parts = []
        if self.steps.running:
            parts.append(f"{len(self.steps.running)} running")
        if self.steps.failed:
            parts.append(f"{len(self.steps.failed)} failed")
        table.border_title = "Build steps: " + ", ".join(parts)
        rows = []
        for step in shown:
            style = "cyan" if step.running else "red"
            what = Text(_outputs(step))
            if step.propagated_from is not None:
                what = Text.assemble(("failed in build ", "red"), (str(step.propagated_from), "bold red"), "  ", what)
            rows.append(
                (
                    Text(str(step.nr)),
                    safe(step.status, style),
                    safe(step.machine),
                    Text(step_duration(step, elapsed), justify="right"),
                    what,
                )
            )
        keys = [f"{'r' if s.running else 'f'}{s.nr}" for s in shown]
        if [str(k.value) for k in table.rows] == keys:
            for key, row in zip(keys, rows, strict=True):
                table.update_cell(key, "time", row[3])
                table.update_cell(key, "status", row[1])
            return
        cursor = table.cursor_row
        table.clear()
        for key, row in zip(keys, rows, strict=True):
            table.add_row(*row, key=key)
        table.move_cursor(row=min(cursor, len(rows) - 1))
        table.styles.max_height = min(len(rows), STEP_ROWS) + 2  # the header and the border line

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        shown = self._shown_steps()
        if 0 <= event.cursor_row < len(shown) and shown[event.cursor_row].propagated_from is not None:
            self.hydra_app.open_build(shown[event.cursor_row].propagated_from)  # type: ignore[arg-type]
        else:
            self.action_log()

    # --- keys ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only what the build's state allows: restart a finished build; cancel or bump a queued or running one."""
        allowed = super().check_action(action, parameters)
        if action == "build_action" and allowed:
            if self.build is None:
                return False
            return self.build.finished if parameters[0] == "restart" else not self.build.finished
        if action == "failed_first":
            return self.steps is not None and self.steps.culprit is not None
        return allowed

    def action_failed_first(self) -> None:
        if self.steps is not None and self.steps.culprit is not None:
            self.hydra_app.open_build(self.steps.culprit)

    def action_log(self) -> None:
        self.hydra_app.open_log(self.build_id)

    def action_job(self) -> None:
        b = self.build
        if b is not None and b.project and b.jobset and b.job:
            self.hydra_app.open_job(b.project, b.jobset, b.job)

    def action_build_action(self, kind: str) -> None:
        from hydra_tui.actions import Action

        b = self.build
        job = f"{b.project}:{b.jobset}:{b.job}" if b is not None else ""
        self.hydra_app.perform(Action.on_build(kind, self.build_id, job))

    def on_log(self, entry: Entry) -> None:
        log = self.query_one("#log", Static)
        box = self.query_one("#logbox", VerticalScroll)
        if self.build is None or not (self.build.state.category is Category.FAILED or self.running):
            return
        if entry.has_value and entry.value:
            box.add_class("-shown")
            live = "live, " if self.running else ""
            box.border_title = f"End of the log ({live}last {LOG_TAIL} lines)"
            log.update(Text("\n").join(to_text(line) for line in entry.value[-LOG_TAIL:]))
            self.call_after_refresh(box.scroll_end, animate=False)
        elif entry.error is not None:
            box.add_class("-shown")
            log.update(Text(f"The log cannot be shown: {entry.error}", style="yellow"))
