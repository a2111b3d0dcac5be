"""HydraApp: screens, global keys, the command palette, and opening things by name or id."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from hydra_tui.cache.service import DataService
from hydra_tui.ui.commands import JumpProvider


class HydraApp(App[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "hydra-tui"
    COMMANDS = App.COMMANDS | {JumpProvider}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, service: DataService, *, target: str | None = None) -> None:
        super().__init__()
        self.service = service
        self.target = target
        self.theme = "textual-dark"

    def on_mount(self) -> None:
        from hydra_tui.ui.screens.projects import ProjectsScreen

        self.service.load_state()
        self.push_screen(ProjectsScreen())
        if self.target:
            project, _, jobset = self.target.partition(":")
            if jobset:
                self.open_jobset(project, jobset)
            else:
                self.open_project(project)

    async def on_unmount(self) -> None:
        await self.service.aclose()

    def open_project(self, project: str) -> None:
        from hydra_tui.ui.screens.projects import ProjectsScreen

        while len(self.screen_stack) > 2:
            self.pop_screen()
        screen = self.screen
        if isinstance(screen, ProjectsScreen):
            filter_box = screen.query_one("#filter")
            filter_box.add_class("-active")
            filter_box.value = project  # type: ignore[attr-defined]
            screen.apply_filter(project)
            screen.focus_list()

    def open_jobset(self, project: str, jobset: str) -> None:
        from hydra_tui.ui.screens.jobset import JobsetScreen

        self.push_screen(JobsetScreen(project, jobset))

    def open_eval(self, eval_id: int, project: str | None = None, jobset: str | None = None) -> None:
        from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen

        self.push_screen(EvalBuildsScreen(eval_id, project, jobset))

    def open_build(self, build_id: int) -> None:
        from hydra_tui.ui.screens.build import BuildScreen

        self.push_screen(BuildScreen(build_id))
