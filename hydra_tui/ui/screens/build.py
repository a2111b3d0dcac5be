"""Build detail: status, times, derivation, outputs, products, metrics, evaluations, URL; a failed build's log end."""

from __future__ import annotations

import time

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from hydra_tui.api.models import Build
from hydra_tui.api.status import Category
from hydra_tui.api.timefmt import ago, duration
from hydra_tui.cache.store import Entry
from hydra_tui.logs.sanitize import to_text
from hydra_tui.ui.screens.base import HydraScreen, Message, Place
from hydra_tui.ui.text import safe, state_text
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.status_line import StatusLine

LOG_TAIL = 25


def _when(ts: int | None, now: float) -> str:
    if ts is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) + f" ({ago(ts, now)})"


class BuildScreen(HydraScreen):
    TITLE_TEXT = "build"
    AUTO_FOCUS = "#body"
    BINDINGS = [
        Binding("l", "log", "Log"),
        Binding("R", "build_action('restart')", "Restart"),
        Binding("C", "build_action('cancel')", "Cancel"),
        Binding("B", "build_action('bump')", "Bump"),
    ]
    DEFAULT_CSS = """
    BuildScreen #body { height: auto; max-height: 70%; padding: 0 1; }
    BuildScreen #logbox { height: 1fr; min-height: 5; border: round $error; padding: 0 1; display: none; }
    BuildScreen #logbox.-shown { display: block; }
    """

    def __init__(self, build_id: int) -> None:
        super().__init__()
        self.build_id = build_id
        self.build: Build | None = None
        self._log_watched = False

    def place(self) -> Place:
        b = self.build
        if b is None:
            return Place(build_id=self.build_id)
        return Place(b.project, b.jobset, build_id=self.build_id, job=b.job, evals=frozenset(b.jobsetevals))

    def compose(self) -> ComposeResult:
        yield Message(Text(f"Loading build {self.build_id}…"), id="message")
        with VerticalScroll(id="body"):
            yield Static(id="details")
        with VerticalScroll(id="logbox"):
            yield Static(id="log")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.watch_data("build", self.build_id, handler=self.on_build)

    def on_build(self, entry: Entry) -> None:
        message = self.query_one("#message", Message)
        message.show(
            self.describe_problem(entry) if entry.has_value or entry.error else f"Loading build {self.build_id}…"
        )
        if not entry.has_value:
            return
        self.build = entry.value
        self.show_title()
        self.render_details()
        failed = self.build is not None and self.build.state.category is Category.FAILED
        if not failed:
            self.query_one("#logbox").remove_class("-shown")  # e.g. restarted: the old log end no longer applies
        if failed and not self._log_watched:
            self._log_watched = True
            self.watch_data("log_tail", self.build_id, LOG_TAIL, handler=self.on_log)

    def render_details(self) -> None:
        b = self.build
        if b is None:
            return
        now = self.service.clock.now()
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(style="bright_black", no_wrap=True, width=11)
        table.add_column(overflow="fold")
        head = Text.assemble(Text(f"Build {b.id}  ", style="bold"), state_text(b.state, short=False))
        table.add_row("status", head)
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
            table.add_row("running", Text(duration(now - b.starttime)))
        table.add_row("derivation", safe(b.drvpath))
        for name, out in sorted(b.buildoutputs.items()):
            table.add_row(safe(f"out: {name}"[:11]), safe(out.path or "(not built yet)"))
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

    def action_log(self) -> None:
        self.hydra_app.open_log(self.build_id)

    def action_build_action(self, kind: str) -> None:
        from hydra_tui.actions import Action

        b = self.build
        job = f"{b.project}:{b.jobset}:{b.job}" if b is not None else ""
        self.hydra_app.perform(Action.on_build(kind, self.build_id, job))

    def on_log(self, entry: Entry) -> None:
        log = self.query_one("#log", Static)
        box = self.query_one("#logbox", VerticalScroll)
        if self.build is None or self.build.state.category is not Category.FAILED:
            return
        if entry.has_value and entry.value:
            box.add_class("-shown")
            box.border_title = f"End of the log (last {LOG_TAIL} lines)"
            log.update(Text("\n").join(to_text(line) for line in entry.value))
            self.call_after_refresh(box.scroll_end, animate=False)
        elif entry.error is not None:
            box.add_class("-shown")
            log.update(Text(f"The log cannot be shown: {entry.error}", style="yellow"))
