"""Watch mode in the dashboard: one jobset, refreshed by itself, every change since the start listed and
announced (toast, bell, OSC 9 / OSC 777 desktop notification, optional command)."""

from __future__ import annotations

import re
import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from hydra_tui.api.comparison import Change as Kind
from hydra_tui.api.errors import HydraError
from hydra_tui.job.mine import MineSpec
from hydra_tui.ui.screens.base import HydraScreen, Message, Place
from hydra_tui.ui.text import counts_text, safe
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.lists import ListTable
from hydra_tui.ui.widgets.status_line import StatusLine
from hydra_tui.watch.core import Change, Watcher
from hydra_tui.watch.jobs import JobsWatcher
from hydra_tui.watch.lines import run_command

#: The most rows the start lists of what fails now (a nixpkgs evaluation has thousands).
FAILING_ROWS = 500
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f;]")


def desktop_notification(title: str, body: str) -> str:
    """OSC 9 (iTerm2, WezTerm, Windows Terminal…) and OSC 777 (rxvt, foot, Ghostty…), with no control bytes."""
    title, body = _UNSAFE.sub(" ", title)[:80], _UNSAFE.sub(" ", body)[:200]
    return f"\x1b]9;{title}: {body}\x07\x1b]777;notify;{title};{body}\x07"


class WatchScreen(HydraScreen):
    TITLE_TEXT = "watch"
    BINDINGS = [Binding("o", "open_jobset", "Open jobset")]
    DEFAULT_CSS = """
    WatchScreen #summary { height: auto; padding: 0 1; }
    WatchScreen #builds { height: 1fr; min-height: 4; border: round $primary; }
    WatchScreen #changes { height: 1fr; border: round $primary; padding: 0 1; }
    """
    AUTO_FOCUS = "#builds"

    def __init__(
        self,
        project: str,
        jobset: str,
        *,
        interval: float,
        exit_status: bool = False,
        timeout: float | None = None,
        on_change: str | None = None,
        specs: list[MineSpec] | None = None,
    ) -> None:
        super().__init__()
        self.specs = specs
        self.project = project
        self.jobset_name = jobset
        self.interval = interval
        self.exit_status = exit_status
        self.timeout = timeout
        self.on_change = on_change
        self.changes: list[Change] = []
        self.started = 0.0
        self.watcher: Watcher | JobsWatcher | None = None

    def place(self) -> Place:
        return Place(self.project, self.jobset_name, leaf="watch")

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield Message(Text("Watching… first poll under way."), id="message")
        yield ListTable(id="builds", cursor_type="row")
        with VerticalScroll(id="changes"):
            yield Static(id="change-list")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.specs is not None:
            self.watcher = JobsWatcher(self.service, self.specs, self.service.clock)
        else:
            self.watcher = Watcher(self.service.client, self.project, self.jobset_name, self.service.clock)
        self.started = self.service.clock.now()
        self.query_one("#changes").border_title = "Changes since the start"
        table = self.query_one("#builds", DataTable)
        table.border_title = "Failing now, then what changed (Enter opens)"
        table.border_subtitle = "none yet"
        table.add_column("CHANGE", key="change", width=13)
        table.add_column("WHEN", key="when", width=9)
        table.add_column("BUILD", key="build", width=10)
        table.add_column("JOB", key="job")
        self.poll()
        self.set_interval(self.interval, self.poll)
        if self.timeout is not None:
            # Exact, whatever the interval: not checked only after a poll.
            self.set_timer(self.timeout, lambda: self.app.exit(124, return_code=124))

    @work(group="watch", exclusive=True, exit_on_error=False)
    async def poll(self) -> None:
        assert self.watcher is not None
        message = self.query_one("#message", Message)
        try:
            change = await self.watcher.poll()
        except HydraError as exc:
            message.show(Text(f"Poll failed, retrying: {exc}", style="yellow"))
            return
        except Exception as exc:  # a bug or an input that breaks a library: shown, and the next poll comes
            message.show(Text(f"Poll failed ({type(exc).__name__}), retrying.", style="yellow"))
            return
        message.show(None)
        self.service.mark_success()
        if change is not None:
            first = not self.changes
            self.changes.append(change)
            if first:
                self.mark_failing_now(change)
            else:
                self.mark_builds(change)
            self.render_all()
            if not first and change.matters:
                self.announce(change)
        if self.exit_status:
            verdict = self.watcher.verdict()
            if verdict is not None:
                self.app.exit(int(verdict), return_code=int(verdict))
        if self.timeout is not None and self.service.clock.now() - self.started >= self.timeout:
            self.app.exit(124, return_code=124)

    @property
    def watched(self) -> str:
        """What is watched, for titles: the jobset, or the listed jobs."""
        return "my jobs" if self.specs is not None else f"{self.project}:{self.jobset_name}"

    def announce(self, change: Change) -> None:
        title = self.watched
        severity = "error" if change.newly_failed or change.eval_error else "information"
        self.app.notify(change.summary(), title=title, severity=severity, markup=False)
        self.app.bell()
        driver = self.app._driver
        if driver is not None and not self.app.is_headless:
            driver.write(desktop_notification(title, change.summary()))
        if self.on_change:
            run_command(self.on_change, change)

    def render_all(self) -> None:
        if not self.changes or self.watcher is None:
            return
        latest = self.changes[-1]
        c = latest.counts
        summary = Text()
        summary.append(f"Watching {self.watched}", style="bold")
        summary.append(f"  evaluation {latest.eval_id}  ")
        summary.append_text(counts_text(c.succeeded, c.failed, c.queued, align=False))
        if self.watcher.eval_error:
            summary.append("\nevaluation error: ", style="red bold")
            summary.append_text(safe(self.watcher.eval_error, "red"))
        self.query_one("#summary", Static).update(summary)
        lines = Text()
        for change in reversed(self.changes):
            when = time.strftime("%H:%M:%S", time.localtime(change.time))
            lines.append(f"{when} ", style="bright_black")
            lines.append(f"eval {change.eval_id} ", style="cyan" if change.new_eval else "")
            c = change.counts
            lines.append_text(counts_text(c.succeeded, c.failed, c.queued, align=False))
            lines.append("  ")
            style = "red" if change.newly_failed or change.eval_error else "green" if change.fixed else ""
            style = style or ("yellow" if change.newly_queued else "")
            lines.append_text(safe(change.summary() if change is not self.changes[0] else "started watching", style))
            lines.append("\n")
        self.query_one("#change-list", Static).update(lines)

    def mark_failing_now(self, change: Change) -> None:
        """At the start: what fails in the latest evaluation, newly failing first (Hydra's comparison with the
        evaluation before, as `--plain` prints it), then still failing and aborted; at most FAILING_ROWS rows."""
        assert self.watcher is not None
        comparison = self.watcher.comparison
        if comparison is None:
            return
        table = self.query_one("#builds", DataTable)
        when = time.strftime("%H:%M:%S", time.localtime(change.time))
        kinds = (
            (Kind.NEWLY_FAILING, "newly failed", "red"),
            (Kind.STILL_FAILING, "still failing", "red"),
            (Kind.ABORTED, "aborted", "magenta"),
        )
        total = 0
        for kind, what, style in kinds:
            category = comparison.categories[kind]
            total += category.count
            for build in sorted(category.builds, key=lambda b: b.job):
                if build.id is None or table.row_count >= FAILING_ROWS or str(build.id) in table.rows:
                    continue
                row = (Text(what, style=style), Text(when), Text(str(build.id)), safe(build.job, style))
                table.add_row(*row, key=str(build.id))
        if table.row_count:
            shown = (
                f"{table.row_count:,} failing now"
                if table.row_count >= total
                else (f"{table.row_count:,} of {total:,} failing now")
            )
            table.border_subtitle = shown
        else:
            table.border_subtitle = "nothing failing now"

    def mark_builds(self, change: Change) -> None:
        """Highlight each build that changed since the start: one row a job, its latest change on top."""
        assert self.watcher is not None
        table = self.query_one("#builds", DataTable)
        when = time.strftime("%H:%M:%S", time.localtime(change.time))
        marks = [(job, "newly failed", "red") for job in change.newly_failed]
        marks += [(job, "fixed", "green") for job in change.fixed]
        marks += [(job, "newly queued", "yellow") for job in change.newly_queued]
        for job, what, style in marks:
            build_id = self.watcher.build_ids.get(job)
            if build_id is None:
                continue
            key = str(build_id)
            if key in table.rows:
                table.remove_row(key)
            row = (Text(what, style=style), Text(when), Text(key), safe(job, style))
            table.add_row(*row, key=key)
        if table.row_count and marks:
            table.sort("when", key=lambda when: when.plain, reverse=True)
            table.border_subtitle = f"{table.row_count:,} since the start"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_jobset" and self.specs is not None:
            return False
        return super().check_action(action, parameters)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.hydra_app.open_build(int(event.row_key.value))

    def action_open_jobset(self) -> None:
        self.hydra_app.open_jobset(self.project, self.jobset_name)
