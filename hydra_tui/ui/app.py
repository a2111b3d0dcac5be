"""HydraApp: screens, global keys, the command palette, actions with confirmation and login."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from hydra_tui.api.errors import ForbiddenError, HydraError, LoginRequiredError, NotFoundError
from hydra_tui.config import server_name, state_dir
from hydra_tui.crash import crash_message, write_crash_report
from hydra_tui.ui.commands import JumpProvider
from hydra_tui.ui.gc_pause import GcPause

if TYPE_CHECKING:
    from hydra_tui.actions import Action, Actions
    from hydra_tui.auth import Auth
    from hydra_tui.cache.service import DataService

#: Seconds a lone ESC waits for the rest of an escape sequence before it counts as the Esc key (ncurses' ESCDELAY,
#: which still wins when set). Textual waits 100 ms, which is all of "back"'s budget; 40 ms is under Neovim's
#: ttimeoutlen (50 ms) and far above what an arrow key's bytes take to arrive together, even over ssh.
ESCAPE_DELAY = 0.04

#: Seconds the palette's mask may stay up while a command asks the server whether what it opens exists.
MASK_HOLD = 0.3

#: Seconds between looks at whether a full garbage collection can run unnoticed.
GC_TICK = 0.25

#: The screens' modules, imported ahead one at a time while no key comes (every `AHEAD_TICK` s once the user has
#: been quiet for `AHEAD_QUIET` s), so that opening a screen the first time does not import it first: 5-25 ms each,
#: before its first frame.
AHEAD = tuple(
    f"hydra_tui.ui.screens.{name}"
    for name in ("jobset", "eval_builds", "build", "log", "evals", "job", "operator", "help", "root_causes", "compare")
)
AHEAD_TICK = 0.25
AHEAD_QUIET = 0.5

#: Builds the service layer (client, cache service, login, actions): see `HydraApp(connect=…)`.
Connect = Callable[[], "tuple[DataService, Auth, Actions]"]


class HydraApp(App[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "hydra-tui"
    COMMANDS = App.COMMANDS | {JumpProvider}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+q,ctrl+c", "quit", "Quit", show=False, priority=True, id="quit-now"),
        Binding("A", "action_log", "Action log", show=False, id="action-log"),
    ]

    def __init__(
        self,
        service: DataService | None = None,
        *,
        connect: Connect | None = None,
        server: str = "",
        target: str | None = None,
        auth: Auth | None = None,
        actions: Actions | None = None,
        theme: str = "textual-dark",
        on_theme_change: object = None,
        gc_pause: bool = False,
    ) -> None:
        """Either the `service` itself, or `connect`, which builds it (with login and actions) after the first
        frame: the service layer's imports (pydantic, the models, httpx) cost more than Textual's first frame, and
        until then `server` (the host) is all the screen says."""
        super().__init__()
        if "ESCDELAY" not in os.environ:
            from textual import constants

            constants.ESCAPE_DELAY = ESCAPE_DELAY  # type: ignore[misc]  # read at each ESC, not only at import
        self._connect = connect
        #: Whether the service layer is there (with `connect`, only after the first frame).
        self.started = False
        self.server = server
        self.target = target
        self.theme = theme
        if service is not None:
            self._attach(service, auth, actions)
        self._on_theme_change = on_theme_change
        self.crash_dir = state_dir()
        self._end_mask: Callable[[], None] | None = None
        self._mask_timer: Timer | None = None
        self._early_keys: list[events.Key] = []
        self.crash_report: Path | None = None
        #: Full garbage collections kept away from keystrokes (ui/gc_pause.py): for the app in a terminal of its
        #: own; in a process that holds much else (a test run) its whole collections would walk all of that.
        self.gc_pause = GcPause() if gc_pause else None
        self._last_input = 0.0
        self._ahead = [name for name in AHEAD if name not in sys.modules]
        self._ahead_timer: Timer | None = None

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, with an Esc that answers within the escape delay on Linux and macOS (ui/driver.py)."""
        from textual.drivers.linux_driver import LinuxDriver

        driver = super().get_driver_class()
        if driver is LinuxDriver:
            from hydra_tui.ui.driver import PromptEscDriver

            return PromptEscDriver
        return driver

    def _handle_exception(self, error: Exception) -> None:
        self.crash_report = write_crash_report(error, self.crash_dir)
        super()._handle_exception(error)

    def _print_error_renderables(self) -> None:
        if self._exit_renderables and self._exception is not None:
            self._exit_renderables.clear()
            print(crash_message(self._exception, self.crash_report), file=sys.stderr)
        super()._print_error_renderables()

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        """Textual's toast, put where it hides least: away from the row being read (widgets/toasts.py)."""
        if self._end_mask is not None:
            self._end_mask()  # a command that ends in a toast ("no such build") shows it at once
        super().notify(message, **kwargs)
        self.place_toasts()

    def place_toasts(self) -> None:
        from textual.widgets._toast import ToastRack

        from hydra_tui.ui.widgets.toasts import toasts_on_top

        try:
            screen = self.screen
            rack = screen.get_child_by_type(ToastRack)
        except Exception:  # no screen yet, or one without a rack: the toast waits in Textual's list
            return
        rack.set_class(toasts_on_top(screen), "-top")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_failure(event)

    def report_worker_failure(self, event: Worker.StateChanged) -> None:
        """A background task failed in a way nobody handled: keep running, but say so and keep the details.
        (Worker state messages do not bubble, so every screen forwards its own here.)"""
        error = event.worker.error
        if event.state is not WorkerState.ERROR or error is None or isinstance(error, HydraError):
            return
        report = write_crash_report(error, self.crash_dir)
        where = f" Details: {report}" if report else ""
        self.notify(
            f"Something went wrong inside hydra-tui ({type(error).__name__}); it keeps running.{where}",
            title="Internal error",
            severity="error",
            timeout=20,
            markup=False,
        )

    def first_screen(self) -> Screen[None]:
        from hydra_tui.ui.screens.projects import ProjectsScreen

        project, _, jobset = (self.target or "").partition(":")
        return ProjectsScreen(initial_filter=project if project and not jobset else "")

    def _attach(self, service: DataService, auth: Auth | None, actions: Actions | None) -> None:
        from hydra_tui.actions import Actions
        from hydra_tui.auth import Auth
        from hydra_tui.config import Profile

        self.service = service
        self.started = True
        self.server = server_name(service.client.base_url)
        self.auth = auth or Auth(service.client, Profile(url=service.client.base_url), None)
        self.actions = actions or Actions(service, self.auth)

    def on_mount(self) -> None:
        if self.started:
            self._start()
            return
        from hydra_tui.ui.screens.start import StartScreen

        self.push_screen(StartScreen(self.server))
        self.call_after_refresh(self._connect_now)

    def _connect_now(self) -> None:
        assert self._connect is not None
        self._attach(*self._connect())
        self._start()

    def _start(self) -> None:
        if not self.service.client.verify:
            self.notify(
                "TLS certificates are NOT verified (--insecure or insecure = true): anyone on the network path "
                "could pose as this server.",
                title="Insecure connection",
                severity="warning",
                timeout=30,
                markup=False,
            )
        # Requests (and the HTTP client, ~90 ms of TLS set-up) wait until the first frame is drawn.
        gate = asyncio.Event()
        self.service.client.start_gate = gate
        self.call_after_refresh(gate.set)
        self.service.load_state()
        from hydra_tui.ui.screens.start import StartScreen

        start = self.screen if isinstance(self.screen, StartScreen) else None
        if start is not None:
            self._early_keys = start.early_keys  # typed on the start screen: for the tree, once it has mounted
            self.switch_screen(self.first_screen())
        else:
            self.push_screen(self.first_screen())
        if self.target and self.target.count(":") == 2:
            project, jobset, job = self.target.split(":")
            self.open_job(project, jobset, job)
        elif self.target:
            project, _, jobset = self.target.partition(":")
            if jobset:
                self.open_jobset(project, jobset)
        self.restore_session()
        # What is alive once the first screen is drawn lives as long as the app: out of every collection from now on.
        if self.gc_pause is not None:
            self.call_after_refresh(self.gc_pause.start)
            self.set_interval(GC_TICK, self.gc_pause.tick, name="gc_pause")
        if self._ahead:
            self._last_input = time.monotonic() + AHEAD_QUIET  # the first data is read first: a second from now
            self._ahead_timer = self.set_interval(AHEAD_TICK, self.import_ahead, name="import_ahead")

    @work(group="auth", exit_on_error=False)
    async def restore_session(self) -> None:
        try:
            user = await self.auth.restore()
        except HydraError:
            return
        if user is not None:
            self.service.user = user.username

    def watch_theme(self, theme: str) -> None:
        if callable(self._on_theme_change):
            self._on_theme_change(theme)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._last_input = time.monotonic()
            if self.gc_pause is not None:
                self.gc_pause.touched()
        await super().on_event(event)

    def import_ahead(self) -> None:
        """Import the next screen module not imported yet, if no key came for a moment (see `AHEAD`)."""
        if time.monotonic() - self._last_input < AHEAD_QUIET:
            return
        while self._ahead:
            name = self._ahead.pop(0)
            if name not in sys.modules:
                importlib.import_module(name)
                return
        if self._ahead_timer is not None:
            self._ahead_timer.stop()

    async def on_unmount(self) -> None:
        if self.gc_pause is not None:
            self.gc_pause.stop()
        if self.started:
            await self.service.aclose()

    # --- opening things --------------------------------------------------------------------------

    def open_project(self, project: str) -> None:
        from hydra_tui.ui.screens.projects import ProjectsScreen

        while len(self.screen_stack) > 2:
            self.pop_screen()
        screen = self.screen
        if isinstance(screen, ProjectsScreen):
            screen.show_filter(project)

    def open_jobset(self, project: str, jobset: str) -> None:
        from hydra_tui.ui.screens.jobset import JobsetScreen

        self.push_screen(JobsetScreen(project, jobset))

    def open_eval(self, eval_id: int, project: str | None = None, jobset: str | None = None) -> None:
        """The evaluation's screen. Without its jobset (an id from the palette), once the server has said that
        the evaluation exists, and with the jobset it belongs to."""
        from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen

        if project is None:
            self._open_eval_checked(eval_id)
        else:
            self.push_screen(EvalBuildsScreen(eval_id, project, jobset))

    @work(group="open-eval", exclusive=True, exit_on_error=False)
    async def _open_eval_checked(self, eval_id: int) -> None:
        from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen

        self.hold_mask()
        key = ("compare", eval_id, None, "", False)  # what the screen reads first: asked once, kept for it
        entry = await self.service.get(*key)
        if isinstance(entry.error, NotFoundError) and not entry.has_value:
            self.service.cache.entries.pop(key, None)
            self.notify(
                f"There is no evaluation {eval_id} on {self.server}.",
                title="Not found",
                severity="warning",
                markup=False,
            )
            return
        self.push_screen(EvalBuildsScreen(eval_id))

    def open_build(self, build_id: int) -> None:
        """The build's screen, once the server has said the build exists (an id typed in the palette may not):
        an unknown id is a toast, with no screen and no error kept in the cache."""
        from hydra_tui.ui.screens.build import BuildScreen

        entry = self.service.cache.peek(("build", build_id))
        if entry is not None and entry.has_value:
            self.push_screen(BuildScreen(build_id))
        else:
            self._open_build_checked(build_id)

    @work(group="open-build", exclusive=True, exit_on_error=False)
    async def _open_build_checked(self, build_id: int) -> None:
        from hydra_tui.ui.screens.build import BuildScreen

        self.hold_mask()
        entry = await self.service.get("build", build_id)
        if isinstance(entry.error, NotFoundError) and not entry.has_value:
            self.service.cache.entries.pop(("build", build_id), None)
            self.notify(
                f"There is no build {build_id} on {self.server}.", title="Not found", severity="warning", markup=False
            )
            return
        self.push_screen(BuildScreen(build_id))  # other errors: the screen says what is wrong and retries

    def open_job(self, project: str, jobset: str, job: str) -> None:
        from hydra_tui.job.names import JobRef
        from hydra_tui.ui.screens.job import JobScreen

        self.push_screen(JobScreen(JobRef(project, jobset, job)))

    def open_log(self, build_id: int) -> None:
        from hydra_tui.ui.screens.log import LogScreen

        self.push_screen(LogScreen(build_id))

    def open_operator(self, part: str = "running") -> None:
        """The queue, running builds and machines; from the project tree (`s`) and the command palette."""
        from hydra_tui.ui.screens.operator import OperatorScreen

        if isinstance(self.screen, OperatorScreen):
            self.screen.action_part(part)
            return
        self.push_screen(OperatorScreen(part))

    # --- the palette's commands ------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's (theme, quit, screenshot) less its own keys panel, and ours: keys, action log, log in and out,
        refresh."""
        from hydra_tui.ui.screens.base import HydraScreen

        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Maximize", "Minimize"):
                yield command
        if isinstance(screen, HydraScreen):
            yield SystemCommand("Keys", "The keys of this screen (also ?)", screen.action_help)
            yield SystemCommand("Refresh", "Fetch what this screen shows again now (also r)", screen.action_refresh)
        if not self.started:
            return
        yield SystemCommand("Action log", "Every write of this session, its outcome (A)", self.action_action_log)
        if self.auth.user is None:
            yield SystemCommand("Log in", f"Log in to {self.service.client.base_url}", self.action_log_in)
        else:
            name = self.auth.user.username
            yield SystemCommand("Log out", f"End the session of {name} on this server", self.action_log_out)
            yield SystemCommand("Switch user", f"Log out {name} and log in as someone else", self.action_switch_user)

    def action_log_in(self) -> None:
        self._login_flow(switch=False)

    def action_switch_user(self) -> None:
        self._login_flow(switch=True)

    @work(group="auth", exclusive=True, exit_on_error=False)
    async def _login_flow(self, switch: bool) -> None:
        if switch:
            await self._log_out()
        if self.auth.user is not None:
            self.notify(f"Logged in as {self.auth.user.username} already.", title="Login", markup=False)
            return
        await self._log_in("Log in to act on builds, evaluations and jobsets.", ask=switch)

    @work(group="auth", exclusive=True, exit_on_error=False)
    async def action_log_out(self) -> None:
        name = await self._log_out()
        if name is not None:
            self.notify(f"Logged out {name}; the saved session is forgotten.", title="Logout", markup=False)

    async def _log_out(self) -> str | None:
        user = self.auth.user
        await self.auth.logout()
        self.service.user = None
        return user.username if user is not None else None

    def action_action_log(self) -> None:
        if not self.started:
            return
        from hydra_tui.ui.screens.modals import ActionLogScreen

        self.push_screen(ActionLogScreen(self.actions.log, read_only=self.actions.read_only))

    # --- actions ---------------------------------------------------------------------------------

    def perform(self, action: Action, *, offer_force: bool = False) -> None:
        """Confirm, log in if needed, run, report. Declining does nothing at all."""
        if self.actions.read_only:
            self.notify(
                "This server is configured read-only (read_only in the config, or --read-only): actions are off.",
                title=action.title,
                severity="warning",
                markup=False,
            )
            return
        self._run_action(action, offer_force)

    @work(group="action", exclusive=True, exit_on_error=False)
    async def _run_action(self, action: Action, offer_force: bool) -> None:
        from hydra_tui.actions import Action, ReadOnlyError
        from hydra_tui.ui.screens.modals import ConfirmScreen

        answer = await self.push_screen_wait(ConfirmScreen(action, offer_force=offer_force))
        if answer is None:
            return
        if answer == "force" and action.kind == "push":
            action = Action.push(action.project, action.jobset, force=True)
        if self.auth.user is None and not await self._log_in(f"{action.title} needs you to be logged in."):
            return
        for attempt in range(2):
            try:
                outcome = await self.actions.run(action)
            except LoginRequiredError:
                self.auth.session_expired()
                self.service.user = None
                if attempt or not await self._log_in("Your session has expired: log in again."):
                    return
                continue
            except ForbiddenError as exc:
                self.notify(str(exc), title=f"{action.title}: not allowed", severity="error", markup=False)
                return
            except ReadOnlyError as exc:
                self.notify(str(exc), title=action.title, severity="warning", markup=False)
                return
            except HydraError as exc:
                self.notify(str(exc), title=f"{action.title} failed", severity="error", markup=False)
                return
            self.notify(outcome, title=action.title, markup=False)
            return

    async def _log_in(self, reason: str, *, ask: bool = False) -> bool:
        """Log in: with the configured credentials when there are some (unless `ask`), else by asking."""
        from hydra_tui.auth import CredentialError
        from hydra_tui.ui.screens.modals import LoginScreen

        try:
            user = None if ask else await self.auth.login_with_known()
        except CredentialError as exc:
            self.notify(str(exc), title="Login", severity="error", markup=False)
            user = None
        except LoginRequiredError:
            user = None
            reason = "The configured credentials were refused: " + reason
        except HydraError as exc:
            self.notify(str(exc), title="Login failed", severity="error", markup=False)
            return False
        error = ""
        warning = self.auth.plain_http_warning
        while user is None:
            answer = await self.push_screen_wait(
                LoginScreen(
                    self.service.client.base_url,
                    username=self.auth.profile.username or "",
                    reason=reason,
                    error=error,
                    warning=warning or "",
                )
            )
            if answer is None:
                return False
            try:
                user = await self.auth.login(*answer)
            except LoginRequiredError:
                error = "Bad username or password."
            except HydraError as exc:
                error = str(exc)
        self.service.user = user.username
        self.notify(f"Logged in as {user.username}.", title="Login", markup=False)
        return True

    def delay_update(self, delay: float = 0.05) -> None:
        """Textual's palette hides the screen for 50 ms when it closes, so that the one its command opens appears
        without a frame of what is underneath; here the mask ends as soon as that screen has mounted (at the
        latest after `delay`), so that a jump to cached data is not 50 ms slower than it need be."""
        self._begin_batch()
        ended = False

        def end() -> None:
            nonlocal ended
            if ended:
                return
            ended = True
            self._end_mask = None
            self._end_batch()
            if not self._batch_count:
                self.screen.refresh()

        self._end_mask = end
        self._mask_timer = self.set_timer(delay, end, name="delay_update")

    def hold_mask(self, seconds: float = MASK_HOLD) -> None:
        """A command that asks the server before it opens a screen (a build id, an evaluation id): the palette's
        mask stays up to `seconds` longer, so that a quick answer shows no frame of the screen underneath."""
        if self._end_mask is not None and self._mask_timer is not None:
            self._mask_timer.stop()
            self._mask_timer = self.set_timer(seconds, self._end_mask, name="delay_update")

    def screen_mounted(self) -> None:
        """A screen has mounted: what it shows is ready for the next frame (ends `delay_update`'s mask)."""
        if self._end_mask is not None:
            self._end_mask()
        keys, self._early_keys = self._early_keys, []
        for key in keys:
            self.post_message(key)
