"""An evaluation's report: the comparison with another evaluation, its failing builds listed whole, and the
root causes of its dependency failures. `hydra-tui report` prints it; the screens show the same pieces.

How the failing categories are listed whole: Hydra's evaluation page shows at most 250 rows a tab. When a
failing tab (newly failing, still failing, aborted) has more, one `full=1` request lists every row. Every
comparison request makes the server load both evaluations' builds (a few columns each), whatever its options;
`full=1` adds the rendering of every row. The alternative, several `filter=` requests, each loads the matching
builds of both sides again, and substring filters cannot split a job list into disjoint parts, so a category of
a few thousand jobs takes tens of requests at 2 requests/s. One `full=1` request is the cheaper way (see the
README's figures).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hydra_tui.api.comparison import ORDER, Change, ComparedBuild, Comparison
from hydra_tui.api.errors import BadResponseError, NotFoundError
from hydra_tui.cache.service import DataService
from hydra_tui.report.rootcauses import RootCause, RootCauseScan, ScanProgress, candidates

#: Rows Hydra's page lists per tab without `full=1`.
PAGE_ROWS = 250
FAILING = (Change.NEWLY_FAILING, Change.STILL_FAILING, Change.ABORTED)

_SPAN = re.compile(r"^-(\d+)([hdw]?)$")
_UNITS = {"": 1, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_compare(text: str | None) -> int | str | None:
    """`--compare`: an evaluation id, `-1d` / `-1w` / `-12h` / `-SECONDS` before this one, or a jobset name."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _SPAN.match(text)
    if match:
        return f"-{int(match.group(1)) * _UNITS[match.group(2)]}"
    return text


@dataclass
class EvalReport:
    project: str
    jobset: str
    comparison: Comparison
    root_causes: list[RootCause] = field(default_factory=list)
    #: The dependency failures in scope, and how many of their pages were read (fewer with --max-pages).
    in_scope: int = 0
    scanned: int = 0
    all_failures: bool = False

    @property
    def eval_id(self) -> int:
        return self.comparison.eval_id

    @property
    def sampled(self) -> bool:
        return self.scanned < self.in_scope

    def estimate(self, cause: RootCause) -> int:
        """How many builds in scope `cause` breaks, scaled up from a sample (exact when every page was read)."""
        if not self.sampled or not self.scanned:
            return cause.breaks
        return round(cause.breaks * self.in_scope / self.scanned)

    def to_json(self, *, limit_passing: int = PAGE_ROWS) -> dict[str, Any]:
        """The report's JSON (see the README). Passing categories list at most `limit_passing` builds."""
        categories: dict[str, Any] = {}
        for change in ORDER:
            category = self.comparison.categories[change]
            builds = category.builds if change.failing else category.builds[:limit_passing]
            categories[change.value] = {
                "count": category.count,
                "complete": len(builds) >= category.count,
                "builds": [_build_json(b) for b in builds],
            }
        return {
            "eval": self.eval_id,
            "project": self.project,
            "jobset": self.jobset,
            "compare_to": self.comparison.compare_to,
            "categories": categories,
            "root_causes_scope": {"dependency_failures": self.in_scope, "pages_read": self.scanned},
            "root_causes": [
                {
                    "build": c.build,
                    "job": c.job,
                    "name": c.name,
                    "system": c.system,
                    "breaks": c.breaks,
                    "builds": list(c.builds),
                    **({"estimated_breaks": self.estimate(c)} if self.sampled else {}),
                }
                for c in self.root_causes
            ],
        }


def _build_json(b: ComparedBuild) -> dict[str, Any]:
    return {"id": b.id, "job": b.job, "system": b.system, "status": b.state.label.lower() if b.id else "removed"}


def scope(comparison: Comparison, *, all_failures: bool) -> list[ComparedBuild]:
    """The builds whose root causes are looked for: the newly failing ones, or every failing one."""
    changes = FAILING if all_failures else (Change.NEWLY_FAILING,)
    return [b for change in changes for b in comparison.categories[change].builds]


async def whole_comparison(
    service: DataService, eval_id: int, compare: int | str | None, *, filter: str = ""
) -> Comparison:
    """The comparison with every failing category listed whole (one more request when a tab overflows)."""
    entry = await service.get("compare", eval_id, compare, filter, False)
    comparison = _value(entry, eval_id)
    if all(comparison.categories[c].complete for c in FAILING):
        return comparison
    entry = await service.get("compare", eval_id, compare, filter, True)
    return _value(entry, eval_id)


def _value(entry: Any, eval_id: int) -> Comparison:
    if isinstance(entry.value, Comparison) and entry.error is None:
        return entry.value
    if isinstance(entry.error, NotFoundError) and entry.key[2] is not None:
        raise NotFoundError(
            f"Evaluation {eval_id} cannot be compared with {entry.key[2]!r}: the server knows no such evaluation, "
            "or no such jobset in this project.",
            url=entry.error.url,
            hint="Give an evaluation id, -1d / -1w, or the name of another jobset of the same project.",
        )
    if entry.error is not None:
        raise entry.error
    raise BadResponseError(f"Evaluation {eval_id}'s comparison could not be read.")


async def build_report(
    service: DataService,
    project: str,
    jobset: str,
    *,
    eval_id: int | None = None,
    compare: int | str | None = None,
    all_failures: bool = False,
    max_pages: int | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> EvalReport:
    """Everything `hydra-tui report` prints. Progress lines go to `on_progress` (stderr for the CLI)."""

    def say(text: str) -> None:
        if on_progress is not None:
            on_progress(text)

    if eval_id is None:
        say(f"Finding the latest evaluation of {project}:{jobset}…")
        eval_id = await service.client.latest_eval_id(project, jobset)
    say(f"Comparing evaluation {eval_id}…")
    comparison = await whole_comparison(service, eval_id, compare)
    in_scope = scope(comparison, all_failures=all_failures)
    todo = candidates(in_scope)
    known = [b for c in comparison.categories.values() for b in c.builds]
    last = [-1]

    def progress(p: ScanProgress, _causes: list[RootCause]) -> None:
        step = max(1, p.total // 20)
        if p.done == p.total or p.done - last[0] >= step:
            last[0] = p.done
            say(f"Reading build steps: {p.done:,}/{p.total:,}" + (f" ({p.failed} unreadable)" if p.failed else ""))

    scan = RootCauseScan(service, todo, known=known, on_progress=progress, limit=max_pages)
    causes = await scan.run() if todo else []
    return EvalReport(
        project,
        jobset,
        comparison,
        causes,
        in_scope=len(todo),
        scanned=scan.progress.done,
        all_failures=all_failures,
    )
