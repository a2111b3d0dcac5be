"""Modals: confirm an action, log in, and the action log."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from hydra_tui.actions import Action, ActionRecord
from hydra_tui.ui.text import safe

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 70; max-width: 100%; height: auto; max-height: 90%; border: round $accent;
    background: $surface; padding: 0 1; }}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} .error {{ color: $error; height: auto; }}
{name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 1; min-width: 10; }}
"""


class ConfirmScreen(ModalScreen[str | None]):
    """Says what will happen to what; dismisses with "yes", "force" or None."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding("escape,n", "dismiss(None)", "No"),
        Binding("y", "dismiss('yes')", "Yes"),
        Binding("f", "force", "Force", show=False),
    ]

    def __init__(self, action: Action, *, offer_force: bool = False) -> None:
        super().__init__()
        self.action_ = action
        self.offer_force = offer_force

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(f"{self.action_.title}?"), classes="title")
            yield Static(safe(self.action_.explain()))
            if self.offer_force:
                yield Static(Text("f: force it, even if the jobset is disabled or nothing changed.", style="italic"))
            with Horizontal():
                if self.offer_force:
                    yield Button("Force (f)", id="force", variant="warning")
                yield Button("Yes (y)", id="yes", variant="primary")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "no" else event.button.id)

    def action_force(self) -> None:
        if self.offer_force:
            self.dismiss("force")


class LoginScreen(ModalScreen[tuple[str, str] | None]):
    """Asks for a username and password. The password box never shows what is typed."""

    DEFAULT_CSS = MODAL_CSS.format(name="LoginScreen") + "LoginScreen Input { margin-bottom: 1; }"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(
        self, server: str, *, username: str = "", reason: str = "", error: str = "", warning: str = ""
    ) -> None:
        super().__init__()
        self.warning = warning
        self.server = server
        self.username = username
        self.reason = reason
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(f"Log in to {self.server}"), classes="title")
            if self.reason:
                yield Static(safe(self.reason))
            if self.warning:
                yield Static(safe(self.warning), classes="error", id="warning")
            yield Input(self.username, placeholder="username", id="username")
            yield Input(placeholder="password", password=True, id="password")
            yield Static(safe(self.error), classes="error", id="error")
            with Horizontal():
                yield Button("Log in", id="login", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#password" if self.username else "#username", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "username":
            self.query_one("#password", Input).focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "login":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username or not password:
            self.query_one("#error", Static).update(Text("Both a username and a password are needed."))
            return
        self.dismiss((username, password))


class ActionLogScreen(ModalScreen[None]):
    """Every write: time, user, action, target, outcome, newest first, in columns that stay aligned; it scrolls."""

    DEFAULT_CSS = (
        MODAL_CSS.format(name="ActionLogScreen").replace("width: 70", "width: 120")
        + "ActionLogScreen DataTable { height: auto; max-height: 20; }"
    )
    BINDINGS = [Binding("escape,q,A", "dismiss(None)", "Close")]

    def __init__(self, records: list[ActionRecord], *, read_only: bool = False) -> None:
        super().__init__()
        self.records = records
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Action log", classes="title")
            if self.read_only:
                yield Static(Text("Read-only: actions are off for this server.", style="yellow"))
            if not self.records:
                yield Static(Text("No actions yet in this session.", style="italic"))
            else:
                table: DataTable[Text] = DataTable(id="records", cursor_type="row", zebra_stripes=True)
                for label in ("TIME", "USER", "ACTION", "TARGET", "RESULT"):
                    table.add_column(label, key=label.lower())
                for record in reversed(self.records):
                    style = "" if record.ok else "red"
                    table.add_row(
                        Text(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.at))),
                        safe(record.user or "-"),
                        safe(record.action),
                        safe(record.target),
                        safe(("ok: " if record.ok else "FAILED: ") + record.outcome, style),
                    )
                yield table
            yield Static(Text("Esc closes", style="italic"))
