"""The log viewer (`l` on a build): opens at the end at once, loads the rest on demand, follows a running build.

Keys: `/` search then n / N (the head says which match of how many, and the line in view), `e` first error
line, `w` wrap, `#` line numbers, `g`/Home whole log from the top, `G`/End follow, `o` open in $PAGER, `b` the
build's page in a browser (or its URL where there is none).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import webbrowser
from bisect import bisect_left, bisect_right

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.widgets import Input, Static

from hydra_tui.api.errors import HydraError, NotFoundError
from hydra_tui.api.models import Build
from hydra_tui.api.status import BuildState
from hydra_tui.cache.service import LOG_TAIL_LINES
from hydra_tui.cache.store import Entry
from hydra_tui.logs.pager import pager_command, run_pager
from hydra_tui.logs.sanitize import clean
from hydra_tui.logs.source import FileLines, LineSource, MemoryLines
from hydra_tui.ui.screens.base import HydraScreen, LineInput, Message, Place
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.log_view import LogView
from hydra_tui.ui.widgets.status_line import StatusLine

TAIL_LINES = LOG_TAIL_LINES
FOLLOW_EVERY = 2.0


def browser_available() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def merge_tail(current: LineSource, tail: list[str]) -> list[str] | None:
    """The lines of `tail` that come after what `current` ends with; None when they do not overlap."""
    n = len(current)
    if n == 0:
        return tail
    m = min(20, n)
    last = [current.line(i) for i in range(n - m, n)]
    for j in range(len(tail) - 1, -1, -1):
        k = min(m, j + 1)  # the overlap may be cut off where the tail starts
        if tail[j] == last[-1] and tail[j - k + 1 : j + 1] == last[m - k :]:
            return tail[j + 1 :]
    return None


class SearchBox(LineInput):
    """The log's `/` search: Enter searches, then n / N."""

    BINDINGS = [Binding("escape", "close", "Close search", show=False)]

    def action_close(self) -> None:
        self.remove_class("-active")
        self.screen.query_one(LogView).focus()


class LogScreen(HydraScreen):
    TITLE_TEXT = "build log"
    #: The footer's keys, most important first (widgets/footer.py): following a running build above all.
    FOOTER_ORDER = ("follow", "search", "first_error", "wrap")
    AUTO_FOCUS = "#log"
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("n", "next_match", "Next"),
        Binding("N", "previous_match", "Previous"),
        Binding("e", "first_error", "First error"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("number_sign", "toggle_line_numbers", "Line numbers"),
        Binding("g,home", "top", "Top", show=False),
        Binding("G,end", "follow", "Follow"),
        Binding("o", "pager", "Pager"),
        Binding("b", "browser", "Browser"),
    ]
    DEFAULT_CSS = """
    LogScreen #head { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, build_id: int) -> None:
        super().__init__()
        self.build_id = build_id
        self.build: Build | None = None
        self.loading_whole = False
        self.loaded = False
        self.status_note = ""
        #: The lines that match the search, in order (None: not counted yet), and what they were counted in.
        self.matches: list[int] | None = None
        self._counted: tuple[str, object, int] = ("", None, 0)

    def place(self) -> Place:
        b = self.build
        if b is None:
            return Place(build_id=self.build_id, leaf="log")
        evals = frozenset(b.jobsetevals)
        return Place(b.project, b.jobset, build_id=self.build_id, job=b.job, leaf="log", evals=evals)

    def compose(self) -> ComposeResult:
        yield SearchBox(placeholder="search the log (Enter, then n / N)", id="search")
        yield Static(id="head")
        yield Message(Text("Loading the end of the log…"), id="message")
        yield LogView(id="log")
        yield StatusLine()
        yield KeyFooter()

    @property
    def view(self) -> LogView:
        return self.query_one("#log", LogView)

    def on_mount(self) -> None:
        self.watch_data("build", self.build_id, handler=self.on_build)
        self.load_tail()
        self.set_interval(FOLLOW_EVERY, self.poll)
        self.render_head()

    def on_build(self, entry: Entry) -> None:
        if entry.has_value:
            self.build = entry.value
            self.show_title()
            self.render_head()

    @property
    def running(self) -> bool:
        return self.build is not None and self.build.state in (BuildState.RUNNING, BuildState.QUEUED)

    # --- loading ---------------------------------------------------------------------------------

    @work(group="log-tail", exclusive=True, exit_on_error=False)
    async def load_tail(self) -> None:
        message = self.query_one("#message", Message)
        try:
            lines = await self.service.log_end(self.build_id)
        except NotFoundError:
            message.show(Text("This build has no log yet (it has not started).", style="bright_black"))
            self.loaded = True
            return
        except HydraError as exc:
            message.show(Text(f"The log cannot be loaded: {exc}", style="red"))
            return
        message.show(None if lines else Text("The log is empty so far.", style="bright_black"))
        self.view.set_source(MemoryLines(lines, complete=len(lines) < TAIL_LINES))
        self.loaded = True
        self.render_head()

    async def poll(self) -> None:
        if not self.loaded or not self.running or self.loading_whole:
            return
        self.follow_once()

    @work(group="log-follow", exclusive=True, exit_on_error=False)
    async def follow_once(self) -> None:
        try:
            tail = await self.service.log_end(self.build_id, fresh=True)
        except HydraError:
            return
        source = self.view.source
        new = merge_tail(source, tail)
        if new is None:
            self.view.set_source(MemoryLines(tail, complete=False))
        elif new:
            if isinstance(source, MemoryLines):
                source.lines.extend(new)
                self.view.set_source(source, keep_from_end=False)
            elif isinstance(source, FileLines):
                source.append(("\n".join(new) + "\n").encode())
                source.finish()
                self.view.set_source(source, keep_from_end=False)
        self.query_one("#message", Message).show(None)
        self._recount()
        self.render_head()

    @work(group="log-whole", exclusive=True, exit_on_error=False)
    async def load_whole(self) -> None:
        if self.loading_whole or self.view.source.complete:
            return
        self.loading_whole = True
        self.status_note = "loading the whole log…"
        self.render_head()
        try:
            source = await self.service.whole_log(self.build_id)
        except HydraError as exc:
            self.notify(str(exc), title="The whole log cannot be loaded", severity="error", markup=False)
            return
        finally:
            self.loading_whole = False
            self.status_note = ""
        self.view.set_source(source, keep_from_end=True)
        self.view.go_home()
        self._recount()
        self.render_head()

    def on_log_view_reached_top(self, event: LogView.ReachedTop) -> None:
        if not self.view.source.complete:
            self.load_whole()

    def on_log_view_followed(self, event: LogView.Followed) -> None:
        self.render_head()

    def render_head(self) -> None:
        if not self.is_mounted:
            return
        view = self.view
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"Log of build {self.build_id}", style="bold")
        if self.build is not None:
            text.append(f"  {self.build.state.label}", style="")
        lines = len(view.source)
        if lines:
            # Where you are: the line at the top of the view, of how many.
            text.append(f"  line {view.top_line + 1:,}", style="bold")
        if view.source.complete:
            text.append(f" of {lines:,}" if lines else "  0 lines")
        else:
            text.append(f" of the last {lines:,} (g: whole log)", style="yellow")
        if view.needle:
            text.append("  ")
            text.append_text(self.search_position())
        if self.running:
            text.append(
                "  ● following" if view.follow else "  ‖ paused (End follows)",
                style="green" if view.follow else "yellow",
            )
        if view.wrap:
            text.append("  wrap", style="cyan")
        if self.status_note:
            text.append(f"  {self.status_note}", style="italic")
        self.query_one("#head", Static).update(text)

    # --- keys ------------------------------------------------------------------------------------

    def action_search(self) -> None:
        box = self.query_one(SearchBox)
        box.add_class("-active")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, SearchBox):
            self.view.needle = event.value
            event.input.remove_class("-active")
            self.view.focus()
            self.view.current = None
            self.matches = None
            if event.value:
                self._count_matches(then_go=True)
            self.render_head()
        else:
            super().on_input_submitted(event)

    def search_position(self) -> Text:
        """`search "warning" 3/17`: the match the view is on (– when on none), of how many lines match."""
        view = self.view
        text = Text(f'search "{view.needle}" ', style="cyan")
        if self.matches is None:
            text.append("counting…", style="italic")
        elif not self.matches:
            text.append("no match", style="yellow")
        else:
            at = bisect_left(self.matches, view.current) if view.current is not None else len(self.matches)
            on = at < len(self.matches) and self.matches[at] == view.current
            text.append(f"{at + 1 if on else '–'}/{len(self.matches):,}", style="bold cyan")
        return text

    def _count_matches(self, *, then_go: bool = False) -> None:
        view = self.view
        self._counted = (view.needle, view.source, len(view.source))
        self._count(view.source, view.needle, then_go)

    @work(thread=True, group="log-search", exclusive=True, exit_on_error=False)
    def _count(self, source: LineSource, needle: str, then_go: bool) -> None:
        # A thread: counting through a 100 MB log must not freeze the screen.
        matches = source.matching_lines(needle)
        self.app.call_from_thread(self._counted_matches, source, needle, matches, then_go)

    def _counted_matches(self, source: LineSource, needle: str, matches: list[int], then_go: bool) -> None:
        view = self.view
        if needle != view.needle or source is not view.source:
            return
        self.matches = matches
        if then_go:
            if matches:
                # The first match from the top of the view down (wrapping round).
                at = bisect_left(matches, view.top_line)
                view.go_to_line(matches[at % len(matches)])
            else:
                self.notify(f"Not found: {needle}", severity="warning", markup=False)
        self.render_head()

    def _recount(self) -> None:
        """The log changed (grew, or loaded whole): count the matches again."""
        view = self.view
        if view.needle and self._counted != (view.needle, view.source, len(view.source)):
            self.matches = None
            self._count_matches()

    def _find(self, *, backwards: bool) -> None:
        view = self.view
        if not view.needle:
            self.notify("Press / to search first.", markup=False)
            return
        matches = self.matches
        if matches is None:
            self.notify("Still counting the matches…", markup=False)
            return
        if not matches:
            self.notify(f"Not found: {view.needle}", severity="warning", markup=False)
            return
        origin = view.current if view.current is not None else view.top_line - (0 if backwards else 1)
        at = bisect_left(matches, origin) - 1 if backwards else bisect_right(matches, origin)
        view.go_to_line(matches[at % len(matches)])
        self.render_head()

    def _found(self, line: int | None, missing: str) -> None:
        self.status_note = ""
        if line is None:
            self.notify(missing, severity="warning", markup=False)
        else:
            self.view.go_to_line(line)
        self.render_head()

    def action_next_match(self) -> None:
        self._find(backwards=False)

    def action_previous_match(self) -> None:
        self._find(backwards=True)

    def action_first_error(self) -> None:
        self.status_note = "looking for the first error…"
        self.render_head()
        self._first_error(self.view.source)

    @work(thread=True, group="log-search", exclusive=True, exit_on_error=False)
    def _first_error(self, source: LineSource) -> None:
        found = source.first_error()
        self.app.call_from_thread(self._found, found, "No error line in what is loaded.")

    def action_toggle_wrap(self) -> None:
        if not self.view.set_wrap(not self.view.wrap):
            self.notify("This log is too long to wrap; scroll sideways with ← →.", markup=False)
        self.render_head()

    def action_toggle_line_numbers(self) -> None:
        self.view.set_line_numbers(not self.view.line_numbers)
        self.render_head()

    def on_log_view_moved(self, event: LogView.Moved) -> None:
        self.render_head()

    def action_top(self) -> None:
        self.view.go_home()
        if not self.view.source.complete:
            self.load_whole()

    def action_follow(self) -> None:
        self.view.go_end()
        self.render_head()

    def action_browser(self) -> None:
        url = self.service.client.build_url(self.build_id)
        if browser_available():
            with contextlib.suppress(webbrowser.Error):
                if webbrowser.open(url):
                    self.notify(f"Opened {url}", markup=False)
                    return
        self.notify(url, title="No browser here: the build's page is", timeout=15, markup=False)

    @work(group="pager", exclusive=True, exit_on_error=False)
    async def action_pager(self) -> None:
        source = self.view.source
        if not source.complete:
            self.notify("Loading the whole log for the pager…", markup=False)
            try:
                source = await self.service.whole_log(self.build_id)
            except HydraError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
        handle, path = tempfile.mkstemp(prefix="hydra-tui-log-", suffix=".txt")
        try:
            with os.fdopen(handle, "w") as out:
                for i in range(len(source)):
                    out.write(clean(source.line(i)) + "\n")  # colours only: nothing else reaches the terminal
            command = pager_command(path)
            with self.app.suspend():
                run_pager(command)
        except SuspendNotSupported:
            keep = path
            path = ""
            self.notify(f"This terminal cannot hand over to a pager; the log is saved in {keep}", markup=False)
        except OSError as exc:
            self.notify(f"The pager could not run: {exc.strerror}", severity="error", markup=False)
        finally:
            if path:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            if source is not self.view.source:
                source.close()
