"""The project tree: projects and their jobsets, with state and current build counts, updated by key."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from hydra_tui.api.errors import HydraError
from hydra_tui.api.models import Jobset, JobsetOverview, JobsetState, Project
from hydra_tui.cache.store import Entry
from hydra_tui.ui.screens.base import FilterBox, HydraScreen, Message, Place
from hydra_tui.ui.text import counts_text, safe
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.status_line import StatusLine

AUTO_EXPAND = 8  # expand every visible project when there are at most this many


@dataclass(frozen=True)
class NodeRef:
    project: str
    jobset: str | None = None


def project_label(p: Project) -> Text:
    text = safe(p.name, "bold" if p.enabled and not p.hidden else "")
    if p.displayname and p.displayname != p.name:
        text.append("  ")
        text.append(safe(p.displayname, "bright_black"))
    if p.hidden:
        text.append("  (hidden)", style="italic bright_black")
        text.stylize("italic")
    if not p.enabled:
        text.append("  (disabled)", style="bright_black")
        text.stylize("bright_black")
    return text


STATE_BADGES = {
    JobsetState.DISABLED: ("disabled", "bright_black"),
    JobsetState.ONE_SHOT: ("one-shot", "cyan"),
    JobsetState.ONE_AT_A_TIME: ("1-at-a-time", "cyan"),
    JobsetState.ENABLED: ("enabled", "green"),
}


def jobset_label(j: JobsetOverview, state: JobsetState | None = None, width: int = 22) -> Text:
    name = safe(j.name)
    name.truncate(width, overflow="ellipsis")
    name.pad_right(width - name.cell_len)
    text = Text.assemble(name, " ")
    if j.evaluating:
        badge = Text("evaluating", style="cyan bold")
    elif j.has_error:
        badge = Text("eval error", style="red bold")
    elif state in STATE_BADGES:
        label, style = STATE_BADGES[state]  # type: ignore[index]
        badge = Text(label, style=style)
    else:
        badge = Text("")
    badge.pad_right(12 - badge.cell_len)
    text.append_text(badge)
    text.append_text(counts_text(j.counts.succeeded, j.counts.failed, j.counts.queued))
    return text


class ProjectsScreen(HydraScreen):
    TITLE_TEXT = "projects"
    AUTO_FOCUS = "#tree"

    def __init__(self, initial_filter: str = "") -> None:
        super().__init__()
        self.initial_filter = initial_filter
        self.projects: list[Project] = []
        self.jobsets: dict[str, list[JobsetOverview]] = {}
        self.watched: set[str] = set()
        self.filter_text = ""
        self.nodes: dict[NodeRef, TreeNode[NodeRef]] = {}
        self.states: dict[NodeRef, JobsetState] = {}  # from /jobset/P/J, fetched in the background

    def place(self) -> Place:
        return Place(leaf="projects")

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter projects and jobsets", id="filter")
        yield Message(Text("Loading projects…"), id="message")
        tree: Tree[NodeRef] = Tree(Text("Projects"), id="tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.watch_data("projects", handler=self.on_projects)
        if self.initial_filter:
            self.show_filter(self.initial_filter)

    def show_filter(self, text: str) -> None:
        """Open the filter box with `text` in it (for `hydra-tui PROJECT` and the command palette)."""
        box = self.query_one("#filter", FilterBox)
        box.add_class("-active")
        with box.prevent(FilterBox.Changed):
            box.value = text
        self.apply_filter(text)
        self.focus_list()

    # --- data ------------------------------------------------------------------------------------

    def on_projects(self, entry: Entry) -> None:
        message = self.query_one("#message", Message)
        problem = self.describe_problem(entry)
        if entry.has_value:
            self.projects = list(entry.value)
            self.rebuild()
            if self.filter_text:
                self._highlight_first()
            message.show(problem if problem else (None if self.projects else Text("This Hydra has no projects.")))
        else:
            message.show(problem or Text("Loading projects…"))

    def on_jobsets(self, project: str, entry: Entry) -> None:
        if entry.has_value:
            self.jobsets[project] = list(entry.value)
            self.update_project(project)
        elif entry.error is not None:
            node = self.nodes.get(NodeRef(project))
            if node is not None and not node.children:
                node.add_leaf(Text(f"cannot load jobsets: {entry.error.short}", style="red"))

    def _watch_jobsets(self, project: str) -> None:
        if project not in self.watched:
            self.watched.add(project)
            self.watch_data("jobsets", project, handler=lambda e, p=project: self.on_jobsets(p, e))

    # --- the tree --------------------------------------------------------------------------------

    def _matches(self, *names: str) -> bool:
        needle = self.filter_text.lower()
        return not needle or any(needle in n.lower() for n in names)

    def rebuild(self) -> None:
        tree = self.query_one("#tree", Tree)
        cursor = tree.cursor_node.data if tree.cursor_node is not None else None
        tree.clear()
        self.nodes.clear()
        visible = [p for p in self.projects if not p.hidden]
        expand_all = len(visible) <= AUTO_EXPAND
        ordered = sorted(self.projects, key=lambda p: (p.hidden, not p.enabled, p.name))
        for p in ordered:
            js = self.jobsets.get(p.name, [])
            if not self._matches(p.name, p.displayname, *(j.name for j in js)):
                continue
            node = tree.root.add(project_label(p), data=NodeRef(p.name), expand=False)
            self.nodes[NodeRef(p.name)] = node
            if (expand_all and not p.hidden) or self.filter_text or p.name in self.watched:
                node.expand()
                self._watch_jobsets(p.name)
            self._fill(p.name)
        if cursor is not None and cursor in self.nodes:
            tree.move_cursor(self.nodes[cursor])
        elif tree.cursor_line < 0 and self.nodes:
            tree.cursor_line = 0

    def _fill(self, project: str) -> None:
        node = self.nodes.get(NodeRef(project))
        if node is None:
            return
        jobsets = self.jobsets.get(project)
        if jobsets is None:
            if not node.children:
                node.add_leaf(Text("loading…", style="bright_black"), data=None)
            return
        matching = [j for j in jobsets if self._matches(project, j.name) or self._matches(j.name)]
        if self.filter_text and not self._matches(project):
            matching = [j for j in jobsets if self._matches(j.name)]
        existing = {child.data.jobset: child for child in node.children if child.data is not None}
        wanted = [j.name for j in matching]
        if list(existing) != wanted:
            node.remove_children()
            for j in matching:
                ref = NodeRef(project, j.name)
                self.nodes[ref] = node.add_leaf(jobset_label(j, self.states.get(ref)), data=ref)
            if not matching:
                node.add_leaf(Text("no jobsets", style="bright_black"))
        else:
            for j in matching:
                child = existing[j.name]
                label = jobset_label(j, self.states.get(NodeRef(project, j.name)))
                if child.label != label:
                    child.set_label(label)

    def update_project(self, project: str) -> None:
        self._fill(project)
        self.load_states()

    @work(group="jobset-states", exclusive=True, exit_on_error=False)
    async def load_states(self) -> None:
        """Each shown jobset's state (enabled, one-shot…) needs `/jobset/P/J`: fetch them one by one, giving
        way to everything else, while this screen is on display."""
        for ref in [r for r in self.nodes if r.jobset is not None]:
            if not self.is_current:
                return
            try:
                entry = await self.service.get_in_background("jobset", ref.project, ref.jobset)
            except HydraError:
                continue
            if isinstance(entry.value, Jobset) and self.states.get(ref) is not entry.value.enabled:
                self.states[ref] = entry.value.enabled
                self._fill(ref.project)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load_states()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        ref = event.node.data
        if ref is not None and ref.jobset is None:
            self._watch_jobsets(ref.project)

    def on_tree_node_selected(self, event: Tree.NodeSelected[NodeRef]) -> None:
        ref = event.node.data
        if ref is not None and ref.jobset is not None:
            self.hydra_app.open_jobset(ref.project, ref.jobset)

    # --- filter ----------------------------------------------------------------------------------

    def apply_filter(self, text: str) -> None:
        self.filter_text = text
        self.rebuild()
        self._highlight_first()
        if self.projects:
            nothing = text and not self.nodes
            self.query_one("#message", Message).show(
                Text(f"No project or jobset matches '{text}'.", style="yellow") if nothing else None
            )

    def _highlight_first(self) -> None:
        tree = self.query_one("#tree", Tree)
        first = next((n for ref, n in self.nodes.items() if ref.jobset is not None), None)
        first = first or next(iter(self.nodes.values()), None)
        if first is not None:
            tree.move_cursor(first)

    def focus_list(self) -> None:
        self._highlight_first()
        self.query_one("#tree", Tree).focus()
