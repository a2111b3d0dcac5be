"""The report as text (for a terminal), Markdown (for an issue or chat) or JSON (for scripts)."""

from __future__ import annotations

import json

from hydra_tui.api.comparison import ORDER, Change
from hydra_tui.report.evalreport import FAILING, EvalReport

#: Rows of each failing category printed in text and Markdown (JSON lists them all).
SHOWN = 50
CAUSES_SHOWN = 30


def _title(report: EvalReport) -> str:
    other = report.comparison.compare_to
    against = f"compared with evaluation {other}" if other is not None else "with nothing to compare against"
    return f"{report.project}:{report.jobset} evaluation {report.eval_id}, {against}"


def _summary(report: EvalReport) -> str:
    counts = report.comparison.categories
    return " · ".join(f"{change.label.removesuffix(' Jobs').lower()} {counts[change].count:,}" for change in ORDER)


def _scope(report: EvalReport) -> str:
    what = "failing" if report.all_failures else "newly failing"
    text = f"{report.in_scope:,} dependency failures among the {what} builds"
    if report.sampled:
        text += f"; {report.scanned:,} of their pages read, so counts are of that sample (≈ scaled to all)"
    return text


def _breaks(report: EvalReport, breaks: int, estimate: int) -> str:
    return f"{breaks:,} (≈{estimate:,})" if report.sampled else f"{breaks:,}"


def as_text(report: EvalReport) -> str:
    lines = [_title(report), "  " + _summary(report), ""]
    lines.append(f"Root causes ({_scope(report)}):")
    if not report.root_causes:
        lines.append("  none")
    for cause in report.root_causes[:CAUSES_SHOWN]:
        breaks = _breaks(report, cause.breaks, report.estimate(cause))
        lines.append(f"  {breaks:>16}  build {cause.build:<10} {cause.job or '?'}  ({cause.name or '?'})")
    if len(report.root_causes) > CAUSES_SHOWN:
        lines.append(f"  … {len(report.root_causes) - CAUSES_SHOWN} more")
    for change in FAILING:
        category = report.comparison.categories[change]
        if not category.count:
            continue
        lines += ["", f"{change.label} ({category.count:,}):"]
        for b in category.builds[:SHOWN]:
            lines.append(f"  {b.id or '':<10} {b.state.label:<20} {b.job}")
        if category.count > SHOWN:
            lines.append(f"  … {category.count - SHOWN:,} more (--format json lists them all)")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """A table cell: no pipes or backticks that would break the table."""
    return text.replace("|", "\\|").replace("`", "'")


def as_markdown(report: EvalReport, base_url: str = "") -> str:
    link = (lambda i: f"[{i}]({base_url}/build/{i})") if base_url else str
    lines = [f"### {_md(_title(report))}", "", "| " + " | ".join(c.label for c in ORDER) + " |"]
    lines.append("|" + "---:|" * len(ORDER))
    lines.append("| " + " | ".join(f"{report.comparison.categories[c].count:,}" for c in ORDER) + " |")
    lines += ["", f"#### Root causes ({_scope(report)})", ""]
    if report.root_causes:
        lines += ["| breaks | build | job | name | system |", "|---:|---|---|---|---|"]
        for cause in report.root_causes[:CAUSES_SHOWN]:
            cells = [
                _breaks(report, cause.breaks, report.estimate(cause)),
                link(cause.build),
                f"`{_md(cause.job)}`",
                _md(cause.name),
                _md(cause.system),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    else:
        lines.append("None.")
    for change in (Change.NEWLY_FAILING, Change.STILL_FAILING, Change.ABORTED):
        category = report.comparison.categories[change]
        if not category.count:
            continue
        lines += ["", f"<details><summary>{change.label} ({category.count:,})</summary>", ""]
        lines += ["| build | status | job |", "|---:|---|---|"]
        for b in category.builds[:SHOWN]:
            lines.append(f"| {link(b.id) if b.id else ''} | {b.state.label} | `{_md(b.job)}` |")
        if category.count > SHOWN:
            lines.append(f"| | | … {category.count - SHOWN:,} more |")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def as_json(report: EvalReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False) + "\n"
