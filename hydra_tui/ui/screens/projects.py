"""The project tree: projects and their jobsets, with state and current build counts, updated by key; above them
"Mine", the jobs the profile lists, with their state in the newest evaluation, failures first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from hydra_tui.api.comparison import Change as Kind
from hydra_tui.api.errors import HydraError
from hydra_tui.api.models import Jobset, JobsetOverview, JobsetState, Project
from hydra_tui.api.status import Counts
from hydra_tui.cache.store import Entry
from hydra_tui.job.mine import MineRow, MineStatus, MineTracker, profile_specs
from hydra_tui.job.names import JobNameError
from hydra_tui.ui.screens.base import FilterBox, HydraScreen, Message, Place
from hydra_tui.ui.text import counts_text, safe, state_style
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.lists import ListTree
from hydra_tui.ui.widgets.status_line import StatusLine

AUTO_EXPAND = 8  # expand every visible project when there are at most this many


@dataclass(frozen=True)
class NodeRef:
    project: str
    jobset: str | None = None
    job: str | None = None  # a row of "Mine"
    mine: bool = False  # the "Mine" section itself

    @property
    def is_jobset(self) -> bool:
        return self.jobset is not None and self.job is None


#: Seconds between looks at my jobs (a look costs one redirect per jobset while nothing changed).
MINE_INTERVAL = 60.0


def move_cursor(tree: Tree[NodeRef], node: TreeNode[NodeRef]) -> None:
    """Textual numbers a tree's lines when it next draws them, and moving to a node just added used its line
    number before that (none: the cursor went to the top). The lines are numbered first."""
    tree._tree_lines  # noqa: B018 - the property numbers them
    tree.move_cursor(node)


def mine_label(row: MineRow, width: int = 34) -> Text:
    """One of my jobs: its state, its name, its jobset, and how Hydra's comparison files it when that is news."""
    state = Text(row.state.short, style=state_style(row.state))
    state.pad_right(10 - state.cell_len)
    name = safe(row.ref.job)
    name.truncate(width, overflow="ellipsis")
    name.pad_right(width - name.cell_len)
    text = Text.assemble(state, name, " ", safe(f"{row.ref.project}:{row.ref.jobset}", "bright_black"))
    if row.change is Kind.NEWLY_FAILING:
        text.append("  newly failing", style="red bold")
    elif row.change is Kind.NEWLY_SUCCEEDING:
        text.append("  fixed", style="green bold")
    return text


def mine_title(status: MineStatus | None) -> Text:
    text = Text("Mine", style="bold")
    if status is None:
        text.append("  loading…", style="bright_black")
        return text
    counts = Counts.of_states(Counter(r.state for r in status.rows))
    text.append("  ")
    text.append_text(counts_text(counts.succeeded, counts.failed, counts.queued, align=False))
    if status.missing:
        text.append(f"  {len(status.missing)} not in the newest evaluation", style="yellow")
    if status.errors:
        text.append(f"  {status.errors[0]}", style="red")
    return text


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


def jobset_label(j: JobsetOverview, state: JobsetState | None = None, width: int = 22, errors: bool = False) -> Text:
    name = safe(j.name)
    name.truncate(width, overflow="ellipsis")
    name.pad_right(width - name.cell_len)
    text = Text.assemble(name, " ")
    if j.evaluating:
        badge = Text("evaluating", style="cyan bold")
    elif j.has_error or errors:
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
    BINDINGS = [Binding("s", "operator", "Status")]

    def __init__(self, initial_filter: str = "") -> None:
        super().__init__()
        self._before_filter: NodeRef | None = None  # the row highlighted when a filter began
        self.initial_filter = initial_filter
        self.projects: list[Project] = []
        self.jobsets: dict[str, list[JobsetOverview]] = {}
        self.unreadable: set[str] = set()  # projects whose jobsets could not be read for the filter
        self.watched: set[str] = set()
        self.filter_text = ""
        self.nodes: dict[NodeRef, TreeNode[NodeRef]] = {}
        # From /jobset/P/J/errors, fetched in the background: the state (enabled, one-shot…) and whether the last
        # evaluation had errors (which nothing else says).
        self.states: dict[NodeRef, JobsetState] = {}
        self.errors: set[NodeRef] = set()
        self.mine: MineTracker | None = None
        self.mine_status: MineStatus | None = None

    def place(self) -> Place:
        return Place(leaf="projects")

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter projects and jobsets", id="filter")
        yield Message(Text("Loading projects…"), id="message")
        tree: Tree[NodeRef] = ListTree(Text("Projects"), id="tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.watch_data("projects", handler=self.on_projects)
        try:
            specs = profile_specs(self.hydra_app.auth.profile)
        except JobNameError as exc:
            self.notify(str(exc), title="Mine", severity="warning", markup=False)
            specs = []
        if specs:
            self.mine = MineTracker(self.service, specs)
            self.poll_mine()
            self.set_interval(MINE_INTERVAL, self.poll_mine)
        if self.initial_filter:
            self.show_filter(self.initial_filter)

    def action_operator(self) -> None:
        """`s`: the queue, running builds and build machines (Hydra's /status, /queue-summary and /machines)."""
        self.hydra_app.open_operator()

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
                # A filter typed before the projects arrived applies to them now.
                self._highlight_first()
                self.load_jobsets_for_filter()
            message.show(problem if problem else (None if self.projects else Text("This Hydra has no projects.")))
            if not problem and self.filter_text:
                self._show_matches()
        else:
            message.show(problem or Text("Loading projects…"))

    def on_jobsets(self, project: str, entry: Entry) -> None:
        if entry.has_value:
            known = project in self.jobsets
            self.jobsets[project] = list(entry.value)
            if self.filter_text and not known:
                self._refilter()  # the project may match the filter by one of its jobsets
            else:
                self.update_project(project)
        elif entry.error is not None:
            node = self.nodes.get(NodeRef(project))
            if node is not None and not node.children:
                node.add_leaf(Text(f"cannot load jobsets: {entry.error.short}", style="red"))

    def _watch_jobsets(self, project: str) -> None:
        if project not in self.watched:
            self.watched.add(project)
            self.watch_data("jobsets", project, handler=lambda e, p=project: self.on_jobsets(p, e))

    @work(group="mine", exclusive=True, exit_on_error=False)
    async def poll_mine(self) -> None:
        if self.mine is None or (self.mine_status is not None and not self.is_current):
            return
        try:
            self.mine_status = await self.mine.poll()
        except HydraError as exc:
            self.mine_status = MineStatus(errors=[exc.short])
        self.rebuild()

    # --- the tree --------------------------------------------------------------------------------

    def _add_mine(self, tree: Tree[NodeRef]) -> None:
        if self.mine is None:
            return
        rows = [r for r in (self.mine_status.rows if self.mine_status else []) if self._matches(r.ref.name)]
        if self.filter_text and not rows:
            return
        head = tree.root.add(mine_title(self.mine_status), data=NodeRef("", mine=True), expand=True)
        self.nodes[NodeRef("", mine=True)] = head
        for row in rows:
            ref = NodeRef(row.ref.project, row.ref.jobset, row.ref.job)
            self.nodes[ref] = head.add_leaf(mine_label(row), data=ref)

    def _matches(self, *names: str) -> bool:
        needle = self.filter_text.lower()
        return not needle or any(needle in n.lower() for n in names)

    def rebuild(self) -> None:
        tree = self.query_one("#tree", Tree)
        cursor = tree.cursor_node.data if tree.cursor_node is not None else None
        tree.clear()
        self.nodes.clear()
        self._add_mine(tree)
        visible = [p for p in self.projects if not p.hidden]
        expand_all = len(visible) <= AUTO_EXPAND
        ordered = sorted(self.projects, key=lambda p: (p.hidden, not p.enabled, p.name))
        for p in ordered:
            js = self.jobsets.get(p.name, [])
            # Names only: a description that happens to contain the text would match with no visible reason.
            if not self._matches(p.name, *(j.name for j in js)):
                continue
            node = tree.root.add(project_label(p), data=NodeRef(p.name), expand=False)
            self.nodes[NodeRef(p.name)] = node
            if (expand_all and not p.hidden) or self.filter_text or p.name in self.watched:
                node.expand()
                self._watch_jobsets(p.name)
            self._fill(p.name)
        if cursor is not None and cursor in self.nodes:
            move_cursor(tree, self.nodes[cursor])
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
                self.nodes[ref] = node.add_leaf(
                    jobset_label(j, self.states.get(ref), errors=ref in self.errors), data=ref
                )
            if not matching:
                node.add_leaf(Text("no jobsets", style="bright_black"))
        else:
            for j in matching:
                child = existing[j.name]
                ref = NodeRef(project, j.name)
                label = jobset_label(j, self.states.get(ref), errors=ref in self.errors)
                if child.label != label:
                    child.set_label(label)

    def update_project(self, project: str) -> None:
        self._fill(project)
        self.load_states()

    @work(group="jobset-states", exclusive=True, exit_on_error=False)
    async def load_states(self) -> None:
        """Each shown jobset's state (enabled, one-shot…) and evaluation errors need `/jobset/P/J/errors`: fetch
        them one by one, giving way to everything else, while this screen is on display."""
        for ref in [r for r in self.nodes if r.is_jobset]:
            if not self.is_current:
                return
            try:
                entry = await self.service.get_in_background("jobset_errors", ref.project, ref.jobset)
            except HydraError:
                continue
            if not isinstance(entry.value, Jobset):
                continue
            errors = bool(entry.value.errormsg)
            if self.states.get(ref) is not entry.value.enabled or errors != (ref in self.errors):
                self.states[ref] = entry.value.enabled
                if errors:
                    self.errors.add(ref)
                else:
                    self.errors.discard(ref)
                self._fill(ref.project)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load_states()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        ref = event.node.data
        if ref is not None and ref.jobset is None and not ref.mine:
            self._watch_jobsets(ref.project)

    def on_tree_node_selected(self, event: Tree.NodeSelected[NodeRef]) -> None:
        ref = event.node.data
        if ref is not None and ref.job is not None and ref.jobset is not None:
            self.hydra_app.open_job(ref.project, ref.jobset, ref.job)
        elif ref is not None and ref.jobset is not None:
            self.hydra_app.open_jobset(ref.project, ref.jobset)

    # --- filter ----------------------------------------------------------------------------------

    def apply_filter(self, text: str) -> None:
        tree = self.query_one("#tree", Tree)
        highlighted = tree.cursor_node.data if tree.cursor_node is not None else None
        if text and not self.filter_text:
            self._before_filter = highlighted
        self.filter_text = text
        self._refilter()
        if text:
            self.load_jobsets_for_filter()
        else:
            # Closed: the row the filter left highlighted stays, or, when it matched nothing, the row before it.
            before, self._before_filter = self._before_filter, None
            if highlighted is None and before is not None and before in self.nodes:
                move_cursor(tree, self.nodes[before])
            self.load_states()  # the jobsets the filter hid have their states read too

    def _refilter(self) -> None:
        self.rebuild()
        if self.filter_text:
            self._highlight_first()
        if self.projects:
            self._show_matches()

    def _show_matches(self) -> None:
        """The message line under a filter: still looking through jobsets, or nothing matches."""
        text = self.filter_text
        unknown = sum(1 for p in self.projects if p.name not in self.jobsets and p.name not in self.unreadable)
        message = None
        if text and unknown:
            message = Text(f"Looking for '{text}' in the jobsets of {unknown:,} more projects…", style="bright_black")
        elif text and not self.nodes:
            message = Text(f"No project or jobset name matches '{text}'.", style="yellow")
        self.query_one("#message", Message).show(message)

    @work(group="filter-jobsets", exclusive=True, exit_on_error=False)
    async def load_jobsets_for_filter(self) -> None:
        """A filter matches jobset names too: read the jobsets of the projects not loaded yet, one project at a
        time, and show each project as soon as it matches."""
        for p in list(self.projects):
            if not self.filter_text:
                return
            if p.name in self.jobsets or p.name in self.unreadable:
                continue
            try:
                entry = await self.service.get("jobsets", p.name)
            except HydraError:
                self.unreadable.add(p.name)
                continue
            if entry.has_value and p.name not in self.jobsets:
                self.jobsets[p.name] = list(entry.value)
                if self.filter_text:
                    self._refilter()
            elif not entry.has_value:
                self.unreadable.add(p.name)
        if self.filter_text:
            self._show_matches()

    def _highlight_first(self) -> None:
        tree = self.query_one("#tree", Tree)
        first = next((n for ref, n in self.nodes.items() if ref.is_jobset), None)
        first = first or next(iter(self.nodes.values()), None)
        if first is not None:
            move_cursor(tree, first)

    def focus_list(self, first: bool = True) -> None:
        if first:
            self._highlight_first()
        self.query_one("#tree", Tree).focus()
