"""The operator's view: the queue by system, the builds running now and the build machines, live.

Polls `/api/nrqueue`, `/queue-runner-status`, `/status` and `/machines` through the cache while shown (nothing while
covered), in either queue-runner format. At 120x40 the three parts are stacked; on a smaller terminal one part is
shown at a time (1, 2, 3 or Tab switch). Rows are updated by key and what changed is highlighted for a moment.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from hydra_tui.api.errors import HydraError
from hydra_tui.api.models import Build
from hydra_tui.api.operator import Machine, OperatorView, RunnerStatus, RunningBuild, assemble
from hydra_tui.api.timefmt import ago, duration
from hydra_tui.cache.service import QUEUE_HEAD_NR
from hydra_tui.cache.store import Entry
from hydra_tui.operator_cli import (
    machine_cells,
    num,
    queue_cells,
    runner_line,
    running_cells,
    running_time,
    size,
)
from hydra_tui.ui.screens.base import FilterBox, HydraScreen, Message, Place
from hydra_tui.ui.text import safe
from hydra_tui.ui.widgets.live_table import LiveTable
from hydra_tui.ui.widgets.status_line import StatusLine

PARTS = ("queue", "running", "machines")
TITLES = {"queue": "Queue by system", "running": "Running", "machines": "Machines"}
NARROW_WIDTH = 110  # below this width (or NARROW_HEIGHT rows) one part is shown at a time
NARROW_HEIGHT = 32
TROUBLE_STYLE = "bold red"
BUSY_STYLE = "yellow"


QUEUE_COLUMNS = [
    ("system", "system"),
    ("queued", "queued"),
    ("runnable", "runnable"),
    ("waiting", "waiting"),
    ("building", "building"),
    ("avg wait", "wait"),
]
WIDE_COLUMNS = {
    "queue": QUEUE_COLUMNS,
    "running": [
        ("build", "id"),
        ("job", "job"),
        ("project:jobset", "jobset"),
        ("system", "system"),
        ("machine", "machine"),
        ("running", "time"),
    ],
    "machines": [
        ("machine", "host"),
        ("systems", "systems"),
        ("load", "load"),
        ("jobs", "jobs"),
        ("steps", "steps"),
        ("last seen", "seen"),
        ("state", "state"),
        ("mem", "mem"),
        ("store", "store"),
    ],
}
# Two lines a row, so that every field fits in 80 columns.
NARROW_COLUMNS = {
    "queue": QUEUE_COLUMNS,
    "running": [("build", "id"), ("job / project:jobset", "job"), ("system / machine", "where"), ("running", "time")],
    "machines": [
        ("machine / systems", "host"),
        ("state", "state"),
        ("jobs / load", "jobs"),
        ("steps / seen", "steps"),
        ("mem / store", "mem"),
    ],
}
RUNNING_TIME_COLUMN = {True: 5, False: 3}  # by `wide`
#: The running builds (in the server's order) whose start time is read from their details, in the background.
STARTS_READ = 60
# Columns that change by themselves (running time, load, last seen, memory, the queue's waits): not highlighted.
QUIET = {
    True: {"queue": (5,), "running": (5,), "machines": (2, 5, 7)},
    False: {"queue": (5,), "running": (3,), "machines": (2, 3, 4)},
}
JOB_WIDTH = 30


def short_host(host: str) -> str:
    """`builder-x86-01.example.org` → `builder-x86-01` (the full name is in the machine's details)."""
    return host.split(".", 1)[0] if not host.replace(".", "").isdigit() else host


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _int_first(cells: Any) -> Any:
    first = cells[0].plain if hasattr(cells[0], "plain") else str(cells[0])
    return int(first) if first.isdigit() else 0


def _text_first(cells: Any) -> Any:
    return cells[0].plain if hasattr(cells[0], "plain") else str(cells[0])


class MachineScreen(ModalScreen[None]):
    """Everything the queue runner says about one machine."""

    DEFAULT_CSS = """
    MachineScreen { align: center middle; }
    MachineScreen > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, machine: Machine, now: float) -> None:
        super().__init__()
        self.machine = machine
        self.now = now

    def compose(self) -> ComposeResult:
        m, now = self.machine, self.now
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        rows: list[tuple[str, str]] = [
            ("systems", ", ".join(m.systems) or "—"),
            ("features", ", ".join(m.features) or "—"),
            ("jobs", f"{num(m.current_jobs)} of {num(m.max_jobs)}"),
            ("steps done", num(m.steps_done)),
            ("average step", duration(m.avg_step_seconds) if m.avg_step_seconds else "—"),
            ("load", f"{m.load1:.2f}" if m.load1 is not None else "—"),
            ("memory", f"{size(m.mem_usage)} of {size(m.mem_total)}" if m.mem_total else "—"),
            ("pressure", m.pressure or "—"),
            ("store free", f"{m.store_free_percent:.1f}%" if m.store_free_percent is not None else "—"),
            ("build dir free", f"{m.build_dir_free_percent:.1f}%" if m.build_dir_free_percent is not None else "—"),
            ("enabled", "no" if not m.enabled else "yes"),
            ("disabled until", ago(m.disabled_until, now) if m.disabled_until else "—"),
            ("failures in a row", str(m.consecutive_failures)),
            ("last failure", ago(m.last_failure, now) if m.last_failure else "—"),
            ("last seen", ago(m.last_seen, now) if m.last_seen else "—"),
            ("idle since", ago(m.idle_since, now) if m.idle_since else "—"),
            ("Nix", m.nix_version or "—"),
        ]
        for name, value in rows:
            table.add_row(name, safe(value, TROUBLE_STYLE if name == "disabled until" and m.disabled_until else ""))
        with VerticalScroll():
            yield Static(safe(m.hostname, "bold"))
            yield Static(table)
            yield Static(Text("Esc closes", style="italic"))


class OperatorScreen(HydraScreen):
    """Queue, running builds and machines; `1` `2` `3` (or Tab) pick the part, Enter opens, `l` a build's log."""

    TITLE_TEXT = "queue, running builds and machines"

    def place(self) -> Place:
        return Place(leaf="queue, running, machines")

    AUTO_FOCUS = None  # the current part's table, focused on mount
    BINDINGS = [
        Binding("1", "part('queue')", "Queue"),
        Binding("2", "part('running')", "Running"),
        Binding("3", "part('machines')", "Machines"),
        Binding("tab", "next_part", "Next part", show=False),
        Binding("shift+tab", "next_part(-1)", "Previous part", show=False),
        Binding("l", "log", "Log"),
    ]
    DEFAULT_CSS = """
    OperatorScreen #summary { height: 1; padding: 0 1; }
    OperatorScreen .part { height: 1fr; }
    OperatorScreen #queue { height: 6; }
    OperatorScreen .part-title { height: 1; padding: 0 1; color: $text-muted; text-style: bold; }
    OperatorScreen .part.-current .part-title { color: $accent; }
    OperatorScreen LiveTable { height: 1fr; }
    OperatorScreen.-narrow .part { display: none; }
    OperatorScreen.-narrow .part.-current { display: block; height: 1fr; max-height: 100%; }
    """

    def __init__(self, part: str = "running") -> None:
        super().__init__()
        self.part = part if part in PARTS else "running"
        self.entries: dict[str, Entry] = {}
        self.view: OperatorView | None = None
        self.filters: dict[str, str] = dict.fromkeys(PARTS, "")
        self._head_watched = False
        self._reading_starts = False
        self._no_start: set[int] = set()  # running builds whose details were asked for their start
        self._wide: bool | None = None
        self._settled = False

    # --- layout ----------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter this part", id="filter")
        yield Static(id="summary")
        yield Message(Text("Loading the queue, the running builds and the machines…"), id="message")
        columns = WIDE_COLUMNS if self.wide else NARROW_COLUMNS
        sorts = {"queue": (_text_first, False), "running": (_int_first, True), "machines": (_text_first, False)}
        for part in PARTS:
            with Vertical(id=part, classes="part"):
                yield Static(TITLES[part], classes="part-title", id=f"{part}-title")
                key, reverse = sorts[part]
                height = 1 if self.wide or part == "queue" else 2
                yield LiveTable(
                    columns[part],
                    sort_key=key,
                    reverse=reverse,
                    row_height=height,
                    quiet=QUIET[self.wide][part],
                    id=f"{part}-table",
                )
        yield StatusLine()
        yield Footer()

    @property
    def wide(self) -> bool:
        """Chosen when the screen opens: wide columns (one line a row) or narrow ones (two lines a row)."""
        if self._wide is None:
            self._wide = self.app.size.width >= NARROW_WIDTH
        return self._wide

    def on_mount(self) -> None:
        self._layout()
        self._mark_current()
        self.table().focus()
        for kind in ("queue_size", "queue_runner", "running", "machines"):
            self.watch_data(kind, handler=lambda e, k=kind: self.on_data(k, e))
        self.set_interval(1.0, self.tick)

    def on_resize(self) -> None:
        self._layout()

    @property
    def narrow(self) -> bool:
        return self.size.width < NARROW_WIDTH or self.size.height < NARROW_HEIGHT

    def _layout(self) -> None:
        self.set_class(self.narrow, "-narrow")

    def _mark_current(self) -> None:
        for part in PARTS:
            self.query_one(f"#{part}").set_class(part == self.part, "-current")

    def table(self, part: str | None = None) -> LiveTable:
        return self.query_one(f"#{part or self.part}-table", LiveTable)

    def action_part(self, part: str) -> None:
        self.part = part
        self._mark_current()
        box = self.query_one("#filter", FilterBox)
        with box.prevent(FilterBox.Changed):
            box.value = self.filters[part]
        box.set_class(bool(self.filters[part]), "-active")
        self.table().focus()
        self._titles()

    def action_next_part(self, step: int = 1) -> None:
        self.action_part(PARTS[(PARTS.index(self.part) + step) % len(PARTS)])

    def on_descendant_focus(self, event: Any) -> None:
        widget = event.widget if hasattr(event, "widget") else None
        if isinstance(widget, LiveTable) and widget.id:
            part = widget.id.removesuffix("-table")
            if part != self.part:
                self.part = part
                self._mark_current()
                self._titles()

    def focus_list(self, first: bool = True) -> None:
        self.table().focus()

    def apply_filter(self, text: str) -> None:
        self.filters[self.part] = text
        self.render_view(flash=False)  # filtering is not a change: rows come and go at once

    # --- data --------------------------------------------------------------------------------------------

    def on_data(self, kind: str, entry: Entry) -> None:
        self.entries[kind] = entry
        runner = self._value("queue_runner")
        if isinstance(runner, RunnerStatus) and not runner.queue and not self._head_watched:
            # The runner says nothing per system (down, or a runner that does not): count the queue's head.
            self._head_watched = True
            self.watch_data("queue_head", QUEUE_HEAD_NR, handler=lambda e: self.on_data("queue_head", e))
        self.render_view()

    def _value(self, kind: str) -> Any:
        entry = self.entries.get(kind)
        return entry.value if entry is not None and entry.has_value else None

    def render_view(self, *, flash: bool = True) -> None:
        now = self.service.clock.now()
        runner = self._value("queue_runner")
        self.view = view = assemble(
            queued=self._value("queue_size"),
            runner=runner,
            status=self._value("running") or (),
            listed=self._value("machines") or (),
            queue_head=self._value("queue_head") if runner is None or not runner.queue else None,
        )
        if self._value("running") is not None:
            seen = self.service.running_seen
            at_start = not self.service.running_listed
            for b in view.running:
                if b.id not in seen:
                    seen[b.id] = (now, at_start)
            self.service.running_listed = True
            live = {b.id for b in view.running}
            for gone in [i for i in seen if i not in live]:
                del seen[gone]
            self.view = view = replace(view, running=tuple(self._with_start(b) for b in view.running))
            if not self._reading_starts and any(b.starttime is None for b in view.running[:STARTS_READ]):
                self._reading_starts = True
                self.read_starts()
        self._summary(view)
        self._problems()
        # Nothing is highlighted until every source has answered once: the first answers are not changes.
        kinds = ["queue_size", "queue_runner", "running", "machines"] + (["queue_head"] if self._head_watched else [])
        flash = flash and self._settled
        self._settled = all(k in self.entries and (self.entries[k].has_value or self.entries[k].error) for k in kinds)
        self._sync_queue(view, now, flash)
        self._sync_running(view, now, flash)
        self._sync_machines(view, now, flash)
        self._titles()

    def _problems(self) -> None:
        message = self.query_one("#message", Message)
        lines: list[Text] = []
        for kind, label in (
            ("queue_size", "/api/nrqueue"),
            ("queue_runner", "/queue-runner-status"),
            ("running", "/status"),
            ("machines", "/machines"),
        ):
            entry = self.entries.get(kind)
            if entry is None:
                continue
            problem = self.describe_problem(entry)
            if problem is not None:
                lines.append(Text.assemble(f"{label}: ", problem))
        if not self.entries:
            message.show(Text("Loading the queue, the running builds and the machines…"))
        else:
            message.show(Text("\n").join(lines) if lines else None)

    def _summary(self, view: OperatorView) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        queued = view.queued
        text.append(f"{num(queued)} queued" if queued is not None else "queued: …", style="bold")
        text.append(f"  {len(view.running):,} building", style=BUSY_STYLE if view.running else "")
        ok = sum(1 for m in view.machines if not m.trouble)
        trouble = len(view.machines) - ok
        text.append(f"  machines {ok}/{len(view.machines)} ok" if view.machines else "  no machines reported")
        if trouble:
            text.append(f" ({trouble} off/failing)", style=TROUBLE_STYLE)
        runner = view.runner
        if "queue_runner" in self.entries and self.entries["queue_runner"].has_value:
            text.append("  ")
            line = runner_line(runner)
            if self.narrow and runner.up:
                line = line.split(",")[0] + ")" if "," in line else line  # no uptime: the rest must fit
            text.append(line, style="" if runner.up else TROUBLE_STYLE)
        self.query_one("#summary", Static).update(text)

    def _titles(self) -> None:
        view = self.view
        # The queue takes the rows it needs (a title, a header and a row per system, at most 8), the rest share.
        self.query_one("#queue").styles.height = "1fr" if self.narrow else min(8, len(view.queue) if view else 1) + 2
        counts = {
            "queue": len(view.queue) if view else 0,
            "running": len(view.running) if view else 0,
            "machines": len(view.machines) if view else 0,
        }
        for n, part in enumerate(PARTS, start=1):
            title = Text(f"{n} {TITLES[part]} ({counts[part]:,})")
            if part == "queue" and view is not None and not view.runner.queue and view.queue:
                title.append(f"  the next {QUEUE_HEAD_NR} queued builds, by system", style="italic")
            if part == "machines" and view is not None and not view.machines:
                title.append("  none reported" + ("" if view.runner.up else ": the queue runner is not up"), "italic")
            if self.filters[part]:
                title.append(f"  filter: {self.filters[part]}", style="italic")
            if self.narrow and part == self.part:
                title.append("   1 2 3 or Tab: other parts", style="dim")
            self.query_one(f"#{part}-title", Static).update(title)

    def _matches(self, part: str, cells: list[str]) -> bool:
        needle = self.filters[part].lower()
        return not needle or any(needle in c.lower() for c in cells)

    def _sync_queue(self, view: OperatorView, now: float, flash: bool) -> None:
        rows: dict[str, list[Text]] = {}
        for q in view.queue:
            cells = queue_cells(q)
            if self._matches("queue", cells):
                row = [safe(c) for c in cells]
                if q.waiting:
                    row[3].stylize(BUSY_STYLE)
                rows[q.system] = row
        self.table("queue").sync(rows, now, flash=flash)

    def _with_start(self, build: RunningBuild) -> RunningBuild:
        """The build with its start time, when its details were read (`/status` carries none)."""
        if build.starttime is not None:
            return build
        entry = self.service.cache.peek(("build", build.id))
        start = entry.value.starttime if entry is not None and isinstance(entry.value, Build) else None
        return replace(build, starttime=start) if start else build

    @work(group="running-starts", exclusive=True, exit_on_error=False)
    async def read_starts(self) -> None:
        """Read the start time of the running builds in view from their details, one at a time and only when the
        rate limit has nothing better to do; each shows as it comes ("≥" times until then)."""
        try:
            while self.is_current and self.view is not None:
                running = self.view.running[:STARTS_READ]
                build_id = next((b.id for b in running if b.starttime is None and b.id not in self._no_start), None)
                if build_id is None:
                    return
                self._no_start.add(build_id)  # asked once: a build whose details say no start stays "≥"
                try:
                    await self.service.get_in_background("build", build_id)
                except HydraError:
                    continue
                self.render_view(flash=False)
        finally:
            self._reading_starts = False

    def _time_text(self, build_id: int, now: float) -> str:
        view = self.view
        build = next((b for b in view.running if b.id == build_id), None) if view else None
        return "—" if build is None else self._running_time(build, now)

    def _running_time(self, build: RunningBuild, now: float) -> str:
        seen = self.service.running_seen.get(build.id)
        return running_time(build, seen[0] if seen else None, seen[1] if seen else False, now)

    def _sync_running(self, view: OperatorView, now: float, flash: bool) -> None:
        rows: dict[str, list[Text]] = {}
        for b in view.running:
            cells = running_cells(b, self._running_time(b, now))
            if not self._matches("running", cells):
                continue
            if self.wide:
                rows[str(b.id)] = [safe(c) for c in cells]
            else:
                job = Text.assemble(safe(_cut(b.job, JOB_WIDTH)), "\n", safe(_cut(cells[2], JOB_WIDTH), "dim"))
                where = Text.assemble(safe(b.system), "\n", safe(short_host(b.machine) or "—", "dim"))
                rows[str(b.id)] = [safe(cells[0]), job, where, safe(cells[5])]
        self.table("running").sync(rows, now, flash=flash)

    def _sync_machines(self, view: OperatorView, now: float, flash: bool) -> None:
        rows: dict[str, list[Text]] = {}
        for m in view.machines:
            cells = machine_cells(m, now)
            if not self._matches("machines", cells):
                continue
            host, systems, load, jobs, steps, seen, state, mem, store = (safe(c) for c in cells)
            if m.trouble:
                host.stylize(TROUBLE_STYLE)
                state.stylize(TROUBLE_STYLE)
            elif m.current_jobs:
                jobs.stylize(BUSY_STYLE)
            if m.store_free_percent is not None and m.store_free_percent < 15:
                store.stylize(TROUBLE_STYLE)
            if self.wide:
                rows[m.hostname] = [host, systems, load, jobs, steps, seen, state, mem, store]
            else:
                short = safe(short_host(m.hostname), host.style)
                # "off till 12:03, 3 fails" on two lines: at 80 columns its one line left no room for the store.
                rows[m.hostname] = [
                    Text.assemble(short, "\n", safe(systems.plain, "dim")),
                    Text("\n").join(state.split(", ", include_separator=False)),
                    Text.assemble(jobs, "\n", safe(f"load {load.plain}", "dim")),
                    Text.assemble(steps, "\n", safe(seen.plain, "dim")),
                    Text.assemble(mem, "\n", safe(f"store {store.plain}", "dim")),
                ]
        self.table("machines").sync(rows, now, flash=flash)

    def tick(self) -> None:
        """Every second: the running times tick, highlights end, finished builds leave."""
        now = self.service.clock.now()
        running = self.table("running")
        if self.view is not None:
            for b in self.view.running:
                key = str(b.id)
                if key in running.values:
                    running.set_cell(key, RUNNING_TIME_COLUMN[self.wide], safe(self._time_text(b.id, now)))
        for part in PARTS:
            self.table(part).tick(now)

    # --- opening ----------------------------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        key = event.row_key.value
        table = event.data_table
        if key is None or self.view is None:
            return
        if table.id == "running-table":
            self.hydra_app.open_build(int(key))
        elif table.id == "machines-table":
            machine = next((m for m in self.view.machines if m.hostname == key), None)
            if machine is not None:
                self.app.push_screen(MachineScreen(machine, self.service.clock.now()))
        elif table.id == "queue-table":
            # A system's row opens what runs for it: the running builds, filtered to the system.
            self.filters["running"] = key
            self.action_part("running")
            self.render_view(flash=False)

    def action_log(self) -> None:
        if self.part != "running":
            return
        key = self.table("running").current_key
        if key is not None:
            self.hydra_app.open_log(int(key))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "log":
            return self.part == "running" or None
        return super().check_action(action, parameters)
