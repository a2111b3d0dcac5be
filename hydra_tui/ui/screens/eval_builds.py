"""The evaluation screen: Hydra's comparison with another evaluation, one list per category, and every build.

It opens on the comparison with the evaluation before (`/eval/N` as Hydra's page: one request), on the first
category with builds, failing ones first. A bar shows every category with Hydra's name and exact count; `1`-`8`,
Tab / Shift+Tab, `[` / `]` or `f` switch, `0` shows every build of the evaluation (details load as they come into
view). A category Hydra lists in part (250 rows) says so, and `w` lists the failing ones whole. `c` compares with
another evaluation, `/` filters what is loaded and Enter searches the whole evaluation on the server, `x` opens
the root causes of its dependency failures. When both evaluations can be listed whole, the comparison is computed
here (BuildDiff.pm's rules) and every category is complete.

No list, filter, sort or count covers a part without the message line saying which part.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from hydra_tui.api.comparison import ORDER, Category, Change, Comparison
from hydra_tui.api.errors import NotFoundError
from hydra_tui.api.rows import BuildRows
from hydra_tui.api.status import BuildState, Counts
from hydra_tui.cache.poller import Subscription
from hydra_tui.cache.store import Entry
from hydra_tui.ui.screens.base import FilterBox, HydraScreen, Message, Place
from hydra_tui.ui.screens.compare import PREVIOUS, describe_compare
from hydra_tui.ui.text import counts_text, fit, safe
from hydra_tui.ui.widgets.build_list import SORTS, BuildList, category_rows
from hydra_tui.ui.widgets.category_bar import VIEW_KEYS, BarItem, CategoryBar, short_label
from hydra_tui.ui.widgets.footer import KeyFooter
from hydra_tui.ui.widgets.status_line import StatusLine

#: `f`, the status filter: every build, then each category of the comparison (empty ones are skipped).
STATUS_CYCLE: tuple[Change | None, ...] = (None, *ORDER)
#: Tab and `[` `]`: the categories in Hydra's order, then every build.
VIEWS: tuple[Change | None, ...] = (*ORDER, None)
FAILING = tuple(c for c in ORDER if c.failing)


def filter_comparison(comparison: Comparison, needle: str) -> Comparison:
    """A complete comparison narrowed to the jobs whose name contains `needle`, as Hydra's `filter=` does
    (ILIKE '%needle%'): the counts stay exact because every row is known."""
    needle = needle.lower()
    categories = {}
    for change, category in comparison.categories.items():
        builds = [b for b in category.builds if needle in b.job.lower()]
        categories[change] = Category(change, len(builds), builds)
    return replace(comparison, categories=categories, filter=needle)


def merge_whole(base: Comparison, whole: Comparison | None) -> Comparison:
    """The first page's comparison with the categories a `full=1` read listed whole (or further) put in."""
    if whole is None:
        return base
    categories = {}
    for change, category in base.categories.items():
        listed = whole.categories[change]
        longer = len(listed.builds) > len(category.builds) and listed.count == category.count
        categories[change] = listed if longer else category
    return replace(base, categories=categories)


#: Seconds the cursor rests on a build before its log's end is fetched ahead (when that costs nothing).
PREFETCH_AFTER = 0.4


class EvalBuildsScreen(HydraScreen):
    """The evaluation screen (the name is kept from when it listed only the builds)."""

    TITLE_TEXT = "an evaluation: its comparison and its builds"
    AUTO_FOCUS = "#builds"
    BINDINGS = [
        Binding("f", "cycle_status", "Status filter"),
        Binding("tab,right_square_bracket,right", "next_view(1)", "Next category", show=False),
        Binding("shift+tab,left_square_bracket,left", "next_view(-1)", "Previous category", show=False),
        *(Binding(key, f"view('{key}')", "A category (0: every build)", show=False) for key in (*VIEW_KEYS.values(),)),
        Binding("w", "whole", "List all"),
        Binding("c", "compare", "Compare"),
        Binding("x", "root_causes", "Root causes"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("l", "log", "Log"),
        Binding("R", "eval_action('restart')", "Restart failed"),
        Binding("C", "eval_action('cancel')", "Cancel all"),
        Binding("B", "eval_action('bump')", "Bump all"),
    ]
    DEFAULT_CSS = """
    EvalBuildsScreen #summary { height: 1; width: 1fr; padding: 0 1; }
    """

    def __init__(self, eval_id: int, project: str | None = None, jobset: str | None = None) -> None:
        super().__init__()
        self._before_filter: int | None = None  # the build highlighted when a filter began
        self.eval_id = eval_id
        self.project = project
        self.jobset_name = jobset
        #: The view: a category of the comparison, or None for every build of the evaluation.
        self.view: Change | None = Change.NEWLY_FAILING
        self._chosen = False  # the user picked a view: arriving data no longer picks one
        #: What the evaluation is compared with: None (the previous one), an id, "-SECONDS" or a jobset name.
        self.compare_spec: int | str | None = None
        #: The search sent with Enter ("" none): the comparison then holds only the matching jobs.
        self.search = ""
        self.comparison: Comparison | None = None
        self._base: Comparison | None = None
        self._base_entry: Entry | None = None
        self._whole: Comparison | None = None
        self._whole_loading = False
        self._found: Comparison | None = None
        self._search_problem: Text | None = None
        self._client: Comparison | None = None
        self._client_inputs: tuple[object, object] = (None, None)
        self._rows: BuildRows | None = None
        self._rows_problem: Text | None = None
        self._base_sub: Subscription | None = None
        self._other_sub: Subscription | None = None
        self._other_id: int | None = None
        self._cursors: dict[Change | None, int | None] = {}
        self._view_rows: dict[Change | None, tuple[Comparison, BuildRows]] = {}
        self._merged: tuple[object, object, Comparison] | None = None
        self._narrowed: tuple[object, str, Comparison] | None = None
        self._pending_highlight: int | None = None
        self._finding_jobset = False

    # the status filter of the builds list, as the tests and help know it
    @property
    def status_filter(self) -> Change | None:
        return self.view

    def place(self) -> Place:
        return Place(self.project, self.jobset_name, self.eval_id)

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter loaded rows by job or id; Enter searches the whole evaluation", id="filter")
        yield Static(id="summary")
        yield CategoryBar(id="categories")
        yield Message(Text("Comparing with the previous evaluation…"), id="message")
        yield BuildList(id="builds")
        yield StatusLine()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.builds.now = self.service.clock.now
        # The comparison first: its first page names the failing jobs before any list of ids arrives.
        self._base_sub = self.watch_data("compare", self.eval_id, None, "", False, handler=self.on_compare)
        self.watch_data("eval_builds", self.eval_id, handler=self.on_rows)
        self.render_all()
        self._resting: int | None = None
        self.set_interval(PREFETCH_AFTER, self._prefetch_resting)

    def _prefetch_resting(self) -> None:
        """The cursor has rested on a build that has a log: fetch its end before `l` is pressed, if that costs
        nothing against the rate limit (the service checks)."""
        current = self.builds.current_id if self.is_mounted else None
        resting, self._resting = self._resting, current
        if current is None or current < 0 or current != resting or self.app.screen is not self:
            return
        rows = self.builds.rows
        position = rows.position(current)
        if position is not None and rows.known_at(position) and rows.state_at(position) is not BuildState.QUEUED:
            self.service.prefetch_log(current)

    @property
    def builds(self) -> BuildList:
        return self.query_one("#builds", BuildList)

    # --- data arriving ---------------------------------------------------------------------------

    def on_compare(self, entry: Entry) -> None:
        self._base_entry = entry
        if isinstance(entry.value, Comparison):
            base = entry.value
            whole = self._whole
            if whole is not None and any(whole.count(c) != base.count(c) for c in FAILING):
                self._whole = None  # the failing categories changed since they were listed whole
            self._base = base
        self._update()

    def on_rows(self, entry: Entry) -> None:
        self._rows_problem = self.describe_problem(entry)
        if isinstance(entry.value, BuildRows):
            self._rows = entry.value
        self._update()

    def on_other_rows(self, entry: Entry) -> None:
        self._update()

    def _find_jobset(self) -> None:
        """An evaluation opened by its id alone (the palette, a pasted URL) learns its project and jobset from one
        of its builds: Hydra's evaluation JSON does not name them."""
        if self.project is not None or self._finding_jobset:
            return
        some = None
        if self._rows is not None and len(self._rows):
            some = self._rows.ids[0]
        elif self._base is not None:
            some = next((b.id for c in self._base.categories.values() for b in c.builds if b.id is not None), None)
        if some is not None:
            self._finding_jobset = True
            self.find_jobset(some)

    @work(group="find-jobset", exclusive=True, exit_on_error=False)
    async def find_jobset(self, build_id: int) -> None:
        entry = await self.service.get("build", build_id)
        build = entry.value
        if build is None:
            self._finding_jobset = False  # tried again when more data arrives
            return
        self.project, self.jobset_name = build.project, build.jobset
        self.show_title()
        self.render_summary()

    def _update(self) -> None:
        """Recompute the comparison shown from what has arrived, and redraw."""
        self._find_jobset()
        rows = self._rows
        base = self._base
        # Both evaluations listed whole: the comparison is computed here, every category complete.
        other_id = base.compare_to if base is not None else None
        whole_rows = rows is not None and not rows.partial
        if whole_rows and base is not None and other_id is not None and self._other_id != other_id:
            self.unwatch(self._other_sub)
            self._other_id = other_id
            self._other_sub = self.watch_data("eval_builds", other_id, handler=self.on_other_rows)
        if base is not None and other_id is not None:
            other_rows = self.service.rows_if_whole(other_id)
            inputs = (self.service.rows_if_whole(self.eval_id), other_rows)
            if inputs[0] is None or inputs[1] is None:
                self._client = None
            elif inputs[0] is not self._client_inputs[0] or inputs[1] is not self._client_inputs[1]:
                self._client = self.service.local_comparison(self.eval_id, other_id)
            self._client_inputs = inputs
        full = self.unfiltered()
        if self.search and full is not None and full.complete:
            narrowed = self._narrowed
            if narrowed is None or narrowed[0] is not full or narrowed[1] != self.search:
                narrowed = self._narrowed = (full, self.search, filter_comparison(full, self.search))
            self.comparison = narrowed[2]
        elif self.search:
            self.comparison = self._found
        else:
            self.comparison = full
        self._fill_rows()
        if self.comparison is not None and not self._chosen:
            self.view = next((c for c in ORDER if self.comparison.count(c)), None)
        elif self.comparison is None and not self._chosen and self._compare_failed():
            self.view = None  # no comparison to show: every build instead
        self.show_view(keep_cursor=True)

    def _compare_failed(self) -> bool:
        entry = self._base_entry
        return entry is not None and entry.error is not None and not entry.has_value

    def unfiltered(self) -> Comparison | None:
        """The comparison without the search: computed here when it can be, else Hydra's page (with the
        failing categories listed whole once `w` or `x` asked for them)."""
        if self._client is not None:
            return self._client
        base, whole = self._base, self._whole
        if base is None or whole is None:
            return base
        # The same inputs give the same object, so the lists built from it are kept.
        if self._merged is None or self._merged[0] is not base or self._merged[1] is not whole:
            self._merged = (base, whole, merge_whole(base, whole))
        return self._merged[2]

    def _fill_rows(self) -> None:
        """Fill the evaluation's rows in bulk from every comparison's rows, once each (no request)."""
        rows = self._rows
        if rows is None or not rows.partial:
            return
        for comparison in (self._base, self._whole, self._found):
            if comparison is not None:
                self.service.fill_rows_from_comparison(self.eval_id, comparison)

    # --- the view --------------------------------------------------------------------------------

    def rows_of(self, view: Change | None) -> BuildRows:
        comparison = self.comparison
        if view is None and not self.search:
            return self._rows if self._rows is not None else BuildRows(())
        if comparison is None:
            return BuildRows(())
        known = self._view_rows.get(view)
        if known is not None and known[0] is comparison:
            return known[1]
        if view is None:  # a search's every build: its categories together, removed jobs aside
            builds = [b for c in ORDER if c is not Change.REMOVED for b in comparison.categories[c].builds]
        else:
            builds = comparison.categories[view].builds
        rows = category_rows(builds)
        self._view_rows[view] = (comparison, rows)
        return rows

    def show_view(self, *, keep_cursor: bool = False) -> None:
        builds = self.builds
        rows = self.rows_of(self.view)
        if builds.rows is not rows:
            keep = builds.current_id if keep_cursor else self._cursors.get(self.view)
            if keep_cursor and builds.cursor == 0 and builds.rows.ids is rows.ids:
                keep = None  # new details of the same rows: the top stays the top (a sort may move its build)
            elif keep is None:
                keep = self._cursors.get(self.view)
            builds.rows = rows
            builds.refilter(keep=keep)
            if self.view is not None or self.search:
                # Rows of a category are known whole: nothing to fetch for them.
                self.service.want_rows(self.eval_id, [])
        if self._pending_highlight is not None and rows.position(self._pending_highlight) is not None:
            builds.refilter(keep=self._pending_highlight)
            self._pending_highlight = None
        self.render_all()

    def switch_to(self, view: Change | None) -> None:
        if view == self.view and self._chosen:
            return
        self._cursors[self.view] = self.builds.current_id
        self._chosen = True
        self.view = view
        self.show_view()

    def action_view(self, key: str) -> None:
        view = next(v for v, k in VIEW_KEYS.items() if k == key)
        self.switch_to(view)

    def action_next_view(self, step: int) -> None:
        self.switch_to(VIEWS[(VIEWS.index(self.view) + step) % len(VIEWS)])

    def action_cycle_status(self) -> None:
        """The status filter: every build, then each category with builds."""
        n = STATUS_CYCLE.index(self.view)
        for k in range(1, len(STATUS_CYCLE) + 1):
            view = STATUS_CYCLE[(n + k) % len(STATUS_CYCLE)]
            if view is None or self.comparison is None or self.comparison.count(view):
                self.switch_to(view)
                return

    def action_cycle_sort(self) -> None:
        self.builds.sort = SORTS[(SORTS.index(self.builds.sort) + 1) % len(SORTS)]
        self.builds.refilter(keep=self.builds.current_id)
        self.render_all()

    # --- drawing ---------------------------------------------------------------------------------

    def render_all(self) -> None:
        self.render_summary()
        self.render_bar()
        self.render_message()

    def render_summary(self) -> None:
        """One line: the evaluation, what it is compared with, its numbers. At 80 columns the least important parts
        go whole (the jobset first: the title line names it), never a number cut in half."""
        parts: list[tuple[int, Text]] = [(0, Text(f"Evaluation {self.eval_id}", style="bold"))]
        if self.project:
            parts.append((5, safe(f"{self.project}:{self.jobset_name}", "bright_black")))
        base = self._base
        if base is not None:
            versus = Text("vs ")
            what = describe_compare(self.compare_spec, self.project)
            if base.compare_to is None:
                versus.append("nothing (no earlier evaluation)", style="bold")
            elif isinstance(self.compare_spec, str) and self.compare_spec not in ("-86400", "-604800"):
                versus.append_text(safe(f"{what} {base.compare_to}", "bold"))
            elif isinstance(self.compare_spec, int):
                versus.append(str(base.compare_to), style="bold")
            else:
                versus.append(str(base.compare_to), style="bold")
                versus.append(f" ({what})")
            parts.append((1, versus))
        rows = self._rows
        if rows is not None and len(rows):
            if not rows.partial and not rows.unknown:
                # Hydra's three numbers add up to the evaluation's builds.
                counts = Counts.of_states(rows.counts())
                parts.append((2, counts_text(counts.succeeded, counts.failed, counts.queued, align=False)))
            else:
                parts.append((2, Text(f"{len(rows):,} builds")))
        if self._client is not None:
            parts.append((4, Text("(compared here)", style="bright_black")))
        summary = self.query_one("#summary", Static)
        width = (summary.content_size.width or self.app.size.width - 2) - 1
        text = fit(parts, width)
        text.no_wrap, text.overflow = True, "ellipsis"
        # One line of a fixed size: its text changes with every row that arrives, the layout never does.
        summary.update(text, layout=False)

    def on_resize(self) -> None:
        self.render_summary()

    def render_bar(self) -> None:
        comparison = self.comparison
        items = []
        for change in ORDER:
            category = comparison.categories[change] if comparison is not None else None
            count = category.count if category is not None else None
            if count == 0 and change != self.view:
                continue  # like Hydra's page: an empty category has no tab
            items.append(BarItem(change, count, category.complete if category is not None else True))
        all_count: int | None
        if self.search:
            all_count = (
                sum(comparison.count(c) for c in ORDER if c is not Change.REMOVED) if comparison is not None else None
            )
        else:
            all_count = len(self._rows) if self._rows is not None else None
        items.append(BarItem(None, all_count))
        self.query_one("#categories", CategoryBar).show(items, self.view)

    def render_message(self) -> None:
        self.query_one("#message", Message).show(self.describe_view())

    def describe_view(self) -> Text | None:
        """What the list covers, whenever it is not everything: the message line."""
        builds = self.builds
        text = Text()

        def add(part: str | Text, style: str = "") -> None:
            if text:
                text.append(" · ", style="bright_black")
            text.append_text(part if isinstance(part, Text) else Text(part, style=style))

        total = self.total_builds()
        everything = f"all {total:,}" if total else "the whole evaluation"
        if self.search:
            where = "here" if self.unfiltered() is not None and self.unfiltered().complete else "on the server"
            add(safe(f'Search "{self.search}" ({where}): jobs whose name contains it', "bold"))
            if self.comparison is None:
                add(self._search_problem or Text("searching…"))
        comparison = self.comparison
        view = self.view
        needle = builds.text_filter.strip()
        typed = bool(needle) and needle.lower() != self.search.lower()
        shown = len(builds.view)
        if view is not None:
            if comparison is None:
                if not self.search:
                    add(self._compare_problem() or Text("Comparing with the previous evaluation…"))
                return text or None
            category = comparison.categories[view]
            loaded = len(category.builds)
            if not category.count:
                add(f"No {short_label(view).lower()} jobs{' match' if self.search else ''}.")
            elif not category.complete:
                add(Text(f"{loaded:,} of {category.count:,} shown", style="bold"))
                if view.failing and self._whole_loading:
                    add("listing them all…")
                elif view.failing:
                    add(f"w lists all {category.count:,}")
                elif not self.search:
                    add("Hydra lists this category whole only with every build; / then Enter searches it")
            if typed:
                part = f"the {loaded:,} loaded rows" if not category.complete else f"{loaded:,}"
                add(f"{shown:,} of {part} match")
                if not category.complete or not self.search:
                    add(f"Enter searches {everything}")
            if builds.sort != "id" and not category.complete:
                add(f"sorted by {builds.sort}: the {loaded:,} loaded rows only")
            problem = self._compare_problem()
            if problem is not None and comparison is not None:
                add(problem)
            return text or None
        # Every build of the evaluation.
        rows = builds.rows
        if self.search:
            if comparison is not None and not comparison.complete:
                listed = sum(len(comparison.categories[c].builds) for c in ORDER if c is not Change.REMOVED)
                add(Text(f"{listed:,} of {self.total_matches():,} matches shown", style="bold"))
                add("each category (1-8) says which part it lists")
            return text or None
        if self._rows is None:
            add(self._rows_problem or Text("Loading builds…"))
            return text
        if not len(rows):
            add("This evaluation has no builds.")
            return text
        unknown = rows.unknown
        if rows.partial or unknown:
            loaded = len(rows) - unknown
            counts = Counts.of_states(rows.counts())
            add(f"{len(rows):,} builds, too many to list at once: details load as you scroll; {loaded:,} loaded")
            add(counts_text(counts.succeeded, counts.failed, counts.queued, align=False))
            if typed:
                add(Text(f"{shown:,} of the {loaded:,} loaded rows match", style="bold"))
                add(f"Enter searches {everything}")
            if builds.sort != "id":
                add(f"sorted by {builds.sort}: rows not loaded yet sort as unknown")
        elif typed:
            add(f"{shown:,} of {len(rows):,} match")
        if self._rows_problem is not None:
            add(self._rows_problem)
        return text or None

    def _compare_problem(self) -> Text | None:
        entry = self._base_entry
        return self.describe_problem(entry) if entry is not None else None

    def total_builds(self) -> int:
        if self._rows is not None:
            return len(self._rows)
        base = self._base
        return sum(base.count(c) for c in ORDER if c is not Change.REMOVED) if base is not None else 0

    def total_matches(self) -> int:
        comparison = self.comparison
        return sum(comparison.count(c) for c in ORDER if c is not Change.REMOVED) if comparison is not None else 0

    # --- whole categories, root causes -----------------------------------------------------------

    def action_whole(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        view = self.view
        if view is None or comparison.categories[view].complete:
            self.notify("This list is complete already.", markup=False)
            return
        if not view.failing:
            self.notify(
                f"Hydra lists {short_label(view)} whole only with every build of the evaluation "
                f"({self.total_builds():,}). / then Enter searches it on the server.",
                title="Not listed whole",
                markup=False,
            )
            return
        if self.search:
            self.notify("Clear the search (Esc) to list the categories whole.", markup=False)
            return
        self.load_whole()

    @work(group="whole", exclusive=True, exit_on_error=False)
    async def load_whole(self) -> None:
        await self.list_whole()

    async def list_whole(self) -> Comparison | None:
        """The failing categories whole: one `full=1` request, read until the still succeeding rows begin."""
        spec = self.compare_spec
        self._whole_loading = True
        self.render_message()
        try:
            entry = await self.service.get("compare", self.eval_id, spec, "", True)
        finally:
            self._whole_loading = False
        if spec != self.compare_spec:
            return None
        if isinstance(entry.value, Comparison):
            self._whole = entry.value
        elif entry.error is not None:
            self.notify(str(entry.error), title="Listing whole", severity="error", markup=False)
        self._update()
        return self._whole

    def action_root_causes(self) -> None:
        self.open_root_causes()

    @work(group="root-causes", exclusive=True, exit_on_error=False)
    async def open_root_causes(self) -> None:
        from hydra_tui.ui.screens.root_causes import RootCausesScreen

        comparison = self.unfiltered()
        if comparison is None:
            self.notify("The comparison is not loaded yet.", markup=False)
            return
        if not all(comparison.categories[c].complete for c in FAILING):
            await self.list_whole()
            comparison = self.unfiltered()
            if comparison is None or not all(comparison.categories[c].complete for c in FAILING):
                return
        self.app.push_screen(RootCausesScreen(comparison, self.project, self.jobset_name))

    # --- compare with another evaluation ---------------------------------------------------------

    def action_compare(self) -> None:
        self.choose_compare()

    @work(group="compare", exclusive=True, exit_on_error=False)
    async def choose_compare(self) -> None:
        from hydra_tui.ui.screens.compare import CompareScreen

        jobsets: list[str] = []
        if self.project:
            entry = await self.service.get("jobsets", self.project)
            jobsets = [j.name for j in entry.value or []]
        answer = await self.app.push_screen_wait(CompareScreen(self.eval_id, self.project, self.jobset_name, jobsets))
        if answer is None:
            return
        await self.compare_with(None if answer == PREVIOUS else answer)

    async def compare_with(self, spec: int | str | None) -> bool:
        """Compare with `spec` instead; on an error, say so and keep the comparison shown."""
        if spec == self.compare_spec:
            return True
        self.query_one("#message", Message).show(Text(f"Comparing with {describe_compare(spec, self.project)}…"))
        entry = await self.service.get("compare", self.eval_id, spec, "", False)
        if not isinstance(entry.value, Comparison) or (entry.error is not None and not entry.has_value):
            error = entry.error
            if isinstance(error, NotFoundError):
                what = f"Evaluation {self.eval_id} cannot be compared with {spec!r}: the server knows no such "
                what += "evaluation, or no such jobset in this project."
            else:
                what = str(error) if error is not None else "The comparison could not be read."
            self.notify(what + " The comparison shown stays.", title="Compare", severity="error", markup=False)
            self.render_message()
            return False
        self.compare_spec = spec
        self._base = self._whole = self._found = self._client = None
        self._client_inputs = (None, None)
        self.unwatch(self._base_sub)
        self._base_sub = self.watch_data("compare", self.eval_id, spec, "", False, handler=self.on_compare)
        self.on_compare(entry)
        if self.search:
            self.run_search(self.search)
        return True

    # --- search ----------------------------------------------------------------------------------

    def apply_filter(self, text: str) -> None:
        """Typing filters the rows loaded in the list; the message line says how many of what."""
        builds = self.builds
        if text and not builds.text_filter:
            self._before_filter = builds.current_id
        builds.text_filter = text
        # The highlighted build stays highlighted while it matches; closed, the filter gives back the row it left.
        keep = builds.current_id if builds.current_id is not None else self._before_filter
        builds.refilter(keep=keep)
        if not text:
            self._before_filter = None
        if not text.strip() and self.search:
            self.clear_search()
        # A keystroke changes only what the message line says of the list (the header and the bar stay).
        self.render_message()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Otherwise HydraScreen's handler runs after this one (Textual calls each class's handler).
        if isinstance(event.input, FilterBox) and event.value.strip() and event.value.strip() != self.search:
            event.stop()
            event.prevent_default()
            self.run_search(event.value.strip())
            self.focus_list()

    def run_search(self, text: str) -> None:
        """Search the whole evaluation: here when every row is known, else on the server (`filter=`); an exact
        job name also goes to `/eval/N/job/NAME`."""
        self.search = text
        self._found = None
        self._search_problem = None
        self._pending_highlight = None
        self.builds.text_filter = text
        full = self.unfiltered()
        if full is None or not full.complete:
            self.search_server(text)
        elif not any(ch.isspace() for ch in text):
            self.find_job(text)
        self._update()

    @work(group="search", exclusive=True, exit_on_error=False)
    async def search_server(self, text: str) -> None:
        job = None
        if not any(ch.isspace() for ch in text):
            job = asyncio.ensure_future(self.service.get("eval_job", self.eval_id, text))
        entry = await self.service.get("compare", self.eval_id, self.compare_spec, text, False)
        if text != self.search:
            return
        if isinstance(entry.value, Comparison):
            self._found = entry.value
        else:
            self._search_problem = self.describe_problem(entry)
        self._update()
        if job is not None:
            await self._highlight_job(text, await job)

    @work(group="search", exclusive=True, exit_on_error=False)
    async def find_job(self, text: str) -> None:
        await self._highlight_job(text, await self.service.get("eval_job", self.eval_id, text))

    async def _highlight_job(self, text: str, entry: Entry) -> None:
        """The exact job's build: highlighted in its category, or opened when no list shows it."""
        if text != self.search or not isinstance(entry.value, int):
            return
        build_id = entry.value
        comparison = self.comparison
        view = None
        if comparison is not None:
            view = next((c for c in ORDER if any(b.id == build_id for b in comparison.categories[c].builds)), None)
        if view is None:
            self.hydra_app.open_build(build_id)
            return
        self._pending_highlight = build_id
        self._chosen = True
        self._cursors[self.view] = self.builds.current_id
        self.view = view
        self.show_view()
        self.builds.focus()

    def clear_search(self) -> None:
        self.search = ""
        self._found = None
        self._search_problem = None
        self.workers.cancel_group(self, "search")
        self._update()

    def focus_list(self, first: bool = True) -> None:
        if first:
            self.builds.cursor = 0
        self.builds.focus()

    # --- details for the nixpkgs case ------------------------------------------------------------

    def on_build_list_need_details(self, event: BuildList.NeedDetails) -> None:
        # Only the list of every build asks; replaces what was asked before (rows that left the screen).
        if self.builds.rows is self._rows:
            self.service.want_rows(self.eval_id, event.build_ids, project=self.project, jobset=self.jobset_name)

    def on_screen_suspend(self) -> None:
        super().on_screen_suspend()
        if not isinstance(self.app.screen, ModalScreen):
            self.service.want_rows(self.eval_id, [])

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.builds.ask_again()

    def on_unmount(self) -> None:
        super().on_unmount()
        self.service.want_rows(self.eval_id, [])

    def on_build_list_selected(self, event: BuildList.Selected) -> None:
        if event.build_id < 0:
            self.notify("A removed job has no build in this evaluation.", markup=False)
            return
        self.hydra_app.open_build(event.build_id)

    def action_log(self) -> None:
        if self.builds.current_id is not None and self.builds.current_id >= 0:
            self.hydra_app.open_log(self.builds.current_id)

    def action_eval_action(self, kind: str) -> None:
        from hydra_tui.actions import Action

        jobset = f"{self.project}:{self.jobset_name}" if self.project else ""
        count = self.touched(kind)
        self.hydra_app.perform(Action.on_eval(kind, self.eval_id, count=count, jobset=jobset))

    def touched(self, kind: str) -> int | None:
        """How many builds an evaluation-wide action touches: the failed ones (restart) or the unfinished ones
        (cancel, bump), from every row when all are known, else from Hydra's comparison; None when unknown."""
        rows = self._rows
        if rows is not None and len(rows) and not rows.partial and not rows.unknown:
            counts = Counts.of_states(rows.counts())
            return counts.failed if kind == "restart" else counts.queued
        base = self._base
        if base is None:
            return None
        if kind == "restart":
            return sum(base.count(c) for c in FAILING)
        return base.count(Change.QUEUED)

    def action_refresh(self) -> None:
        self._whole = None
        super().action_refresh()


#: The evaluation screen under its new name.
EvalScreen = EvalBuildsScreen
