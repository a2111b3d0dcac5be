"""What every screen shares: the status line, the footer, subscriptions that end with the screen, errors."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static
from textual.worker import Worker

from hydra_tui.api.timefmt import ago
from hydra_tui.cache.poller import Subscription
from hydra_tui.cache.store import Entry
from hydra_tui.ui.widgets.title_line import Crumb, TitleLine

if TYPE_CHECKING:
    from hydra_tui.cache.service import DataService
    from hydra_tui.ui.app import HydraApp


class LineInput(Input):
    """A one-line input docked at the top of a screen: no border, focused or not (Input's focused border is
    three lines tall and would leave no room for the text), hidden until it has the class `-active`."""

    DEFAULT_CSS = """
    LineInput, LineInput:focus, LineInput.-textual-compact { dock: top; height: 1; border: none; padding: 0 1; }
    LineInput { display: none; }
    LineInput.-active { display: block; }
    """

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=True)


class FilterBox(LineInput):
    """The `/` filter: typing filters the list; Enter goes back to the list on the first match."""

    BINDINGS = [Binding("escape", "close", "Close filter", show=False)]

    def action_close(self) -> None:
        self.value = ""
        self.remove_class("-active")
        self.screen.focus_list(first=False)  # type: ignore[attr-defined]


#: The screens' actions that write to the server (see hydra_tui.actions): hidden in a read-only profile.
WRITE_ACTIONS = frozenset({"build_action", "eval_action", "push"})


@dataclass(frozen=True)
class Place:
    """Where a screen is, for its title line: what it knows of project, jobset, evaluation and build, and what the
    screen itself is when that is not one of them ("evaluations", "log", …)."""

    project: str | None = None
    jobset: str | None = None
    eval_id: int | None = None
    build_id: int | None = None
    job: str | None = None
    leaf: str = ""
    #: The evaluations a build belongs to, when known: an evaluation screen below names one of them or none.
    evals: frozenset[int] | None = None


class HydraScreen(Screen[None]):
    """Base of the dashboard's screens."""

    BINDINGS = [
        Binding("escape", "back", "Back", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("question_mark", "help", "Keys"),
        Binding("r", "refresh", "Refresh", show=False),
    ]
    #: Short text naming the screen, for the help modal.
    TITLE_TEXT = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._subscriptions: list[Subscription] = []
        self._resumed = False

    # --- where am I: the title line ------------------------------------------------------------------

    def place(self) -> Place:
        """Where this screen is; each screen says what it knows."""
        return Place()

    def crumbs(self) -> list[Crumb]:
        """The title line's breadcrumb: server › project › jobset › evaluation › build › what this screen is. An
        evaluation the screen does not know itself comes from the evaluation screen it was opened from, when that
        one is of the same jobset (and holds the build)."""
        here = self.place()
        eval_id = here.eval_id
        if eval_id is None and here.build_id is not None:
            stack = self.app.screen_stack
            below = stack[: stack.index(self)] if self in stack else stack
            for screen in reversed(below):
                if not isinstance(screen, HydraScreen):
                    continue
                there = screen.place()
                same = (
                    here.project is None
                    or there.project is None
                    or (there.project, there.jobset)
                    == (
                        here.project,
                        here.jobset,
                    )
                )
                if there.eval_id is not None and same and (here.evals is None or there.eval_id in here.evals):
                    eval_id = there.eval_id
                    break
        crumbs: list[Crumb] = [self.hydra_app.server]
        if here.project:
            crumbs.append(here.project)
            if here.jobset:
                crumbs.append(here.jobset)
        if eval_id is not None:
            crumbs.append(f"evaluation {eval_id}")
        if here.build_id is not None:
            build = f"build {here.build_id}"
            crumbs.append((f"{build} {here.job}", build) if here.job else build)
        if here.leaf:
            crumbs.append(here.leaf)
        return crumbs

    def show_title(self) -> None:
        """Redraw the title line (a screen calls it when it learns more of where it is)."""
        if self.is_mounted:
            for line in self.query(TitleLine):
                line.show(self.crumbs())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every screen's compose yields the title line first, so it is laid out with the rest from the start (a
        line mounted later would resize the screen's widgets once more)."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("compose")
        if own is None or getattr(own, "_with_title", False):
            return

        def compose(self: HydraScreen) -> ComposeResult:
            line = TitleLine()
            line.crumbs = self.crumbs()
            yield line
            yield from own(self)

        compose._with_title = True  # type: ignore[attr-defined]
        cls.compose = compose  # type: ignore[method-assign]

    @property
    def hydra_app(self) -> HydraApp:
        return self.app  # type: ignore[return-value]

    @property
    def service(self) -> DataService:
        return self.hydra_app.service

    def watch_data(self, kind: str, *args: Any, handler: Any) -> Subscription:
        """Subscribe to a kind of data for as long as this screen exists (or until `unwatch`); `handler(entry)`
        on each change."""

        def run(entry: Entry) -> None:
            # A screen being removed (or not composed yet) has nothing to update.
            if self.is_attached and self.is_mounted:
                with contextlib.suppress(NoMatches):
                    handler(entry)

        def deliver(entry: Entry) -> None:
            if self.is_attached:
                self.call_later(run, entry)

        subscription = self.service.subscribe(kind, *args, on_change=deliver)
        self._subscriptions.append(subscription)
        return subscription

    def unwatch(self, subscription: Subscription | None) -> None:
        """End one subscription made by `watch_data` (its handler is not called any more)."""
        if subscription is not None and subscription in self._subscriptions:
            subscription.cancel()
            self._subscriptions.remove(subscription)

    def on_mount(self) -> None:
        # After the screen's own on_mount (Textual calls each class's handler) and what it queued before this.
        self.call_later(self.hydra_app.screen_mounted)

    def on_unmount(self) -> None:
        for sub in self._subscriptions:
            sub.cancel()
        self._subscriptions.clear()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.hydra_app.report_worker_failure(event)

    def on_screen_suspend(self) -> None:
        """Covered by another screen: stop polling what only this screen shows (a modal leaves it in view)."""
        if isinstance(self.app.screen, ModalScreen):
            return
        for sub in self._subscriptions:
            sub.pause()

    def on_screen_resume(self, event: events.ScreenResume | None = None) -> None:
        if event is not None and not self._resumed:
            # Textual restyles every widget of a screen it pushes (~10 ms for a build's screen, before its first
            # frame); a screen pushed new was styled as it mounted. Later resumes restyle as Textual decides.
            self._resumed = True
            event.refresh_styles = False
        for sub in self._subscriptions:
            sub.resume()
        self.show_title()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A read-only profile offers no writes at all (the status line says read-only).
        if action in WRITE_ACTIONS:
            actions = getattr(self.app, "actions", None)
            if actions is None or actions.read_only:
                return False
        # A screen without a list to filter does not offer the key.
        return not (action == "filter" and not self.query(FilterBox))

    def action_back(self) -> None:
        # An applied filter goes first; the next Esc goes back.
        box = self.query(FilterBox)
        if box and (box.first().value or box.first().has_class("-active")):
            box.first().action_close()
            return
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_help(self) -> None:
        from hydra_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    def action_refresh(self) -> None:
        for sub in self._subscriptions:
            self.service.cache.invalidate(sub.key)
        self.run_worker(self._refresh_all(), group="refresh", exclusive=True)

    async def _refresh_all(self) -> None:
        for sub in list(self._subscriptions):
            _, fetch, _ = self.service.source(*sub.key)
            await self.service.cache.refresh(sub.key, fetch)

    # --- filtering -------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query(FilterBox)
        if box:
            box.first().add_class("-active")
            box.first().focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBox):
            self.apply_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, FilterBox):
            if not event.value:
                event.input.remove_class("-active")
            self.focus_list()

    def apply_filter(self, text: str) -> None:
        """Screens with a list narrow it to `text`."""

    def focus_list(self, first: bool = True) -> None:
        """Screens give focus back to their list, with the first match highlighted (or, closing the filter, the
        row that was highlighted in it)."""

    # --- states ----------------------------------------------------------------------------------

    def describe_problem(self, entry: Entry) -> Text | None:
        """A line saying why the data is stale (or missing), or None when all is well."""
        if entry.error is not None:
            text = Text()
            if entry.has_value:
                since = ago(entry.error_at, self.service.clock.now())
                text.append(f"Showing data from {ago(entry.fetched_at, self.service.clock.now())}, ", style="yellow")
                text.append(f"stale since {since}: ", style="yellow")
            text.append(str(entry.error), style="red" if not entry.has_value else "yellow")
            return text
        if entry.from_disk:
            return Text(
                f"Saved data from {ago(entry.fetched_at, self.service.clock.now())}; refreshing…", style="yellow"
            )
        return None


class Message(Static):
    """A line for loading, empty and error states."""

    DEFAULT_CSS = """
    Message { height: auto; padding: 0 1; color: $text-muted; }
    Message.-hidden { display: none; }
    """

    _shown: Text | None = None

    def show(self, text: Text | str | None) -> None:
        if text is None or text == "":
            self.add_class("-hidden")
        else:
            self.remove_class("-hidden")
            text = text if isinstance(text, Text) else Text(text)
            # The same text again (each time row details arrive) costs no layout of the whole screen.
            if self._shown is None or text != self._shown:
                self._shown = text
                self.update(text)
