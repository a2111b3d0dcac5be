"""`c` on the evaluation screen: what to compare the evaluation with (Hydra's `compare=`).

The choices are the ones Hydra's page takes: the previous evaluation (no `compare=`), one day or one week
earlier (`-86400`, `-604800`: this jobset's last evaluation before then), the latest evaluation of another
jobset of the project (its name, e.g. staging-next against trunk), or an evaluation id typed in.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from hydra_tui.ui.screens.modals import MODAL_CSS
from hydra_tui.ui.text import safe
from hydra_tui.ui.widgets.lists import ListOptions

DAY = -86400
WEEK = -7 * 86400

#: What a compare spec is called in the evaluation's header.
NAMED_SPANS = {str(DAY): "one day earlier", str(WEEK): "one week earlier"}

#: The dismissed value for "the previous evaluation" (None means the modal was cancelled).
PREVIOUS = ""


def describe_compare(spec: int | str | None, project: str | None = None) -> str:
    """How the header names what the evaluation is compared against, before the id is known."""
    if spec is None or spec == PREVIOUS:
        return "previous"
    if isinstance(spec, int):
        return "chosen"
    if spec in NAMED_SPANS:
        return NAMED_SPANS[spec]
    return f"{project}:{spec}" if project else spec


class CompareScreen(ModalScreen[int | str | None]):
    """Dismisses with an evaluation id, "-SECONDS", a jobset name, PREVIOUS, or None when cancelled."""

    DEFAULT_CSS = (
        MODAL_CSS.format(name="CompareScreen")
        + """
    CompareScreen OptionList { height: auto; max-height: 12; border: none; padding: 0; }
    CompareScreen Input { margin-top: 1; }
    CompareScreen .error { margin-top: 1; }
    """
    )
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, eval_id: int, project: str | None, jobset: str | None, jobsets: list[str]) -> None:
        super().__init__()
        self.eval_id = eval_id
        self.project = project
        self.jobset_name = jobset
        self.jobsets = [j for j in jobsets if j != jobset]

    def compose(self) -> ComposeResult:
        options = [
            Option("The previous evaluation", id="previous"),
            Option("One day earlier (-1d)", id=str(DAY)),
            Option("One week earlier (-1w)", id=str(WEEK)),
        ]
        # Jobset names come from the server: plain text options, never markup.
        options += [Option(safe(f"Latest of {self.project}:{name}"), id=f"jobset:{name}") for name in self.jobsets]
        with Vertical():
            yield Label(Text(f"Compare evaluation {self.eval_id} with…"), classes="title")
            yield ListOptions(*options, id="choices")
            yield Input(placeholder="or an evaluation id, then Enter", id="by-id", restrict=r"[0-9]*")
            yield Static(id="error", classes="error")
            yield Static(Text("Enter chooses · Tab moves to the id box · Esc cancels", style="italic"))

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id or ""
        if choice == "previous":
            self.dismiss(PREVIOUS)
        elif choice.startswith("jobset:"):
            self.dismiss(choice.removeprefix("jobset:"))
        else:
            self.dismiss(choice)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value.isdigit():
            self.query_one("#error", Static).update(Text("Type the id of an evaluation (digits only)."))
            return
        self.dismiss(int(value))
