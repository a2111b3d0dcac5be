"""The demo's HTML pages, structured as Hydra's templates render them (reference: hydra-pages.md).

Written from the templates' structure, not copied: `jobset-eval.tt` (the comparison), `common.tt`
(renderBuildListHeader/Body, renderBuildStatusIcon, renderEvals, renderRelativeDate), `build.tt` (renderBuildSteps)
and `build-common.tt` (renderStepStatus, renderStepDuration, renderStepMachine). The ids, classes, titles and
nesting that readers key on are the same; whitespace and the page chrome are simplified. Like Hydra's
`HTML.escape`, escaping touches only & < > " and leaves control characters as they are.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from hydra_tui.demo.diff import Cat, Compared, Row

if TYPE_CHECKING:
    from hydra_tui.demo.world import Build, Eval, Jobset, Step, World

MAX_ROWS = 250

#: The tabs in the template's order: category, pane id, label, span class around the label.
TABS: tuple[tuple[Cat, str, str, str], ...] = (
    (Cat.ABORTED, "tabs-aborted", "Aborted / Timed out Jobs", "text-warning"),
    (Cat.NOW_FAIL, "tabs-now-fail", "Newly Failing Jobs", "text-warning"),
    (Cat.NOW_SUCCEED, "tabs-now-succeed", "Newly Succeeding Jobs", "text-success"),
    (Cat.NEW, "tabs-new", "New Jobs", ""),
    (Cat.REMOVED, "tabs-removed", "Removed Jobs", ""),
    (Cat.STILL_FAIL, "tabs-still-fail", "Still Failing Jobs", ""),
    (Cat.STILL_SUCCEED, "tabs-still-succeed", "Still Succeeding Jobs", ""),
    (Cat.UNFINISHED, "tabs-unfinished", "Queued Jobs", ""),
)

_ICONS = {
    0: ("emojione-check-2714.svg", "Succeeded"),
    1: ("emojione-red-x-274c.svg", "Failed"),
    2: ("emojione-gray-x-2716.svg", "Dependency failed"),
    3: ("emojione-stopsign-1f6d1.svg", "Aborted"),
    9: ("emojione-stopsign-1f6d1.svg", "Aborted"),
    4: ("emojione-stopsign-1f6d1.svg", "Cancelled"),
    6: ("emojione-red-x-274c.svg", "Failed with output"),
    7: ("emojione-stopsign-1f6d1.svg", "Timed out"),
    10: ("emojione-stopsign-1f6d1.svg", "Log limit exceeded"),
    11: ("emojione-red-x-274c.svg", "Output size limit exceeded"),
    12: ("emojione-red-x-274c.svg", "Non-deterministic build"),
}
_QUEUED_ICON = ("emojione-question-2754.svg", "Queued")

_STATUS_TEXT = {
    1: "Build returned a non-zero exit code",
    2: "A dependency of the build failed",
    4: "Cancelled by user",
    6: "Build failed with output",
    7: "Timed out",
    9: "Unsupported system type",
    10: "Log limit exceeded",
    11: "Output limit exceeded",
    12: "Non-deterministic build",
}

_STEP_STATUS = {
    4: "Cancelled",
    7: "Timed out",
    8: "Cached failure",
    9: "Unsupported system type",
    10: "Log limit exceeded",
    11: "Output limit exceeded",
    12: "Non-determinism detected",
}

_BUSY = {1: "Preparing", 10: "Connecting", 20: "Sending inputs", 30: "Building", 35: "Waiting to receive outputs"}
_BUSY |= {40: "Receiving outputs", 50: "Post-processing"}


_SPECIAL = re.compile(r'[&<>"]')


def esc(value: object) -> str:
    """Template::Plugin::HTML's escape: & < > " only; control characters pass through."""
    text = str(value)
    if not _SPECIAL.search(text):
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@dataclass
class Ctx:
    """What every page needs: the server's base URL and the world's clock."""

    base: str
    now: int

    def uri(self, *parts: object, query: Mapping[str, str] | None = None) -> str:
        path = "".join("/" + quote(str(p), safe="", errors="surrogatepass") for p in parts)
        url = self.base + (path or "/")
        if query:
            url += "?" + urlencode(sorted(query.items()))
        return url


# --- common.tt -----------------------------------------------------------------------------------------


def layout_head(ctx: Ctx, title: str, title_html: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>Hydra - '
        + esc(title)
        + '</title>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n</head>\n<body>\n'
        + '<nav class="navbar navbar-expand-md navbar-light bg-light"><div class="container">'
        + f'<a class="navbar-brand" href="{esc(ctx.uri())}">Hydra</a></div></nav>\n'
        + '<div class="container">\n<div class="skip-topbar"></div>\n<div class="page-header">\n'
        + f"<h1><small>{title_html}</small></h1>\n</div>\n"
    )


LAYOUT_TAIL = (
    '\n<footer class="navbar"><hr /><small><em><a href="http://nixos.org/hydra" target="_blank" '
    'class="squiggle">Hydra</a> demo.</em></small></footer>\n</div>\n</body>\n</html>\n'
)


def layout(ctx: Ctx, title: str, title_html: str, content: str) -> str:
    return layout_head(ctx, title, title_html) + content + LAYOUT_TAIL


def _strftime(fmt: str, timestamp: int, gmt: bool = False) -> str:
    return time.strftime(fmt, time.gmtime(timestamp) if gmt else time.localtime(timestamp))


def date_time(timestamp: int) -> str:
    return (
        f'<time data-timestamp="{timestamp}" datetime="{_strftime("%Y-%m-%dT%H:%M:%SZ", timestamp, True)}" '
        f'title="{esc(_strftime("%Y-%m-%d %H:%M:%S (%Z)", timestamp))}" class="date is-absolute">\n'
        f"{_strftime('%Y-%m-%d %H:%M:%S', timestamp)}\n</time>"
    )


def relative_date_text(ctx: Ctx, timestamp: int) -> str:
    ago = ctx.now - timestamp
    if 0 <= ago < 60:
        return f"{ago}s ago"
    if 0 <= ago < 3600:
        return f"{ago // 60}m ago"
    if 0 <= ago < 86400:
        return f"{ago // 3600}h ago"
    if 0 <= ago < 7 * 86400:
        return f"{ago // 86400}d ago"
    return _strftime("%Y-%m-%d", timestamp)


def relative_date(ctx: Ctx, timestamp: int) -> str:
    return (
        f'<time data-timestamp="{timestamp}" datetime="{_strftime("%Y-%m-%dT%H:%M:%SZ", timestamp, True)}" '
        f'title="{esc(_strftime("%Y-%m-%d %H:%M:%S (%Z)", timestamp))}" class="date is-relative">\n'
        f"{relative_date_text(ctx, timestamp)}\n</time>"
    )


def full_jobset_name(ctx: Ctx, project: str, jobset: str) -> str:
    return (
        f'<tt><a href="{esc(ctx.uri("project", project))}"><tt>{esc(project)}</tt></a>:'
        f'<a href="{esc(ctx.uri("jobset", project, jobset))}"><tt>{esc(jobset)}</tt></a></tt>'
    )


def link_to_jobset(ctx: Ctx, project: str, jobset: str) -> str:
    return (
        f'<a href="{esc(ctx.uri("project", project))}">{esc(project)}</a>:'
        f'<a href="{esc(ctx.uri("jobset", project, jobset))}">{esc(jobset)}</a>'
    )


def status_icon(ctx: Ctx, finished: bool, buildstatus: int | None, size: int = 16) -> str:
    image, title = _ICONS.get(buildstatus if buildstatus is not None else 1, _ICONS[1]) if finished else _QUEUED_ICON
    return (
        f'<img src="{esc(ctx.uri("static", "images", image))}" height="{size}" width="{size}" '
        f'title="{title}" alt="{title}" class="build-status" />'
    )


def build_list_header() -> str:
    return (
        '<table class="table table-striped table-condensed clickable-rows">\n<thead>\n<tr>'
        "<th></th><th>#</th><th>Job</th><th>Finished at</th><th>Package/release name</th><th>System</th>"
        "</tr>\n</thead>\n<tbody>\n"
    )


def build_list_body(ctx: Ctx, rows: Iterable[Row]) -> str:
    out: list[str] = []
    append = out.append
    build_uri = esc(ctx.base + "/build/")
    icons: dict[tuple[bool, int | None], str] = {}
    for row in rows:
        link = build_uri + str(row.id)
        when = relative_date(ctx, row.stoptime) if row.stoptime else "-"
        icon = icons.get((row.finished, row.buildstatus))
        if icon is None:
            icon = icons[(row.finished, row.buildstatus)] = status_icon(ctx, row.finished, row.buildstatus)
        append(
            f"<tr>\n<td>{icon}</td>\n"
            f'<td><a class="row-link" href="{link}">{row.id}</a></td>\n'
            f'<td><a href="{link}">{esc(row.job)}</a></td>\n'
            f'<td class="nowrap">{when}</td>\n<td>{esc(row.nixname)}</td>\n'
            f'<td class="nowrap"><tt>{esc(row.system)}</tt></td>\n</tr>\n'
        )
    return "".join(out)


BUILD_LIST_FOOTER = "</tbody>\n</table>\n"


# --- jobset-eval.tt ----------------------------------------------------------------------------------------


@dataclass
class EvalView:
    """The request's view of an evaluation page: the query parameters as given."""

    filter: str
    full: bool
    params: dict[str, str]


#: Rows of a tab rendered at a time when a page is streamed.
ROWS_A_CHUNK = 2000


def eval_page(
    ctx: Ctx, world: World, ev: Eval, other: Eval | None, compared: Compared, view: EvalView, signed_in: bool
) -> str:
    return "".join(eval_page_parts(ctx, world, ev, other, compared, view, signed_in))


def eval_page_parts(
    ctx: Ctx, world: World, ev: Eval, other: Eval | None, compared: Compared, view: EvalView, signed_in: bool
) -> Iterator[str]:
    """The evaluation page in pieces, so that a `full=1` page of nixpkgs (about 150 MB) can be sent as it is
    made, and made no further than a client reads it."""
    jobset = world.jobset(ev.project, ev.jobset)
    project = world.project(ev.project)
    full_flag = "1" if view.full else "0"
    title = f"Evaluation {ev.id} of jobset {ev.project}:{ev.jobset}"
    yield layout_head(ctx, title, f"Evaluation {ev.id} of jobset {link_to_jobset(ctx, ev.project, ev.jobset)}")
    parts: list[str] = []
    add = parts.append
    add(
        '<div class="dropdown">\n<button class="btn btn-primary dropdown-toggle float-right" data-toggle="dropdown">'
        '<i class="fas fa-eye"></i> Compare to...</button>\n<div class="dropdown-menu dropdown-menu-right">\n'
        '<a class="dropdown-item" href="?">Preceding evaluation in this jobset</a>\n'
        '<div class="dropdown-divider"></div>\n'
    )
    for seconds, what in ((86400, "one day"), (7 * 86400, "one week"), (31 * 86400, "one month")):
        add(
            f'<a class="dropdown-item" href="?compare=-{seconds}&amp;full={full_flag}">This jobset '
            f"<strong>{what}</strong> earlier</a>\n"
        )
    if len(project.jobsets) > 1:
        add('<div class="dropdown-divider"></div>\n')
        for name in sorted(project.jobsets):
            other_jobset = project.jobsets[name]
            if name != jobset.name and other_jobset.enabled == 1:
                add(
                    f'<a class="dropdown-item" href="?compare={esc(quote(name, safe=""))}&amp;full={full_flag}">'
                    f"Jobset <tt>{esc(project.name)}:{esc(name)}</tt></a>\n"
                )
    add("</div>\n</div>\n")
    flake = f"from the flake\n<tt>{esc(ev.flake)}</tt>" if ev.flake else ""
    add(
        f"<p>This evaluation was performed {flake} on {date_time(ev.timestamp)}. Fetching the dependencies took "
        f"{ev.checkouttime}s and evaluation took {esc(ev.evaltime)}s.</p>\n"
    )
    if other is not None:
        add(
            f"<p>Comparisons are relative to {full_jobset_name(ctx, other.project, other.jobset)} evaluation "
            f'<a href="{esc(ctx.uri("eval", other.id))}">{other.id}</a>.</p>\n'
        )
    add(
        '<form>\n<div class="form-group">\n<input name="filter" type="text" class="form-control" type="search" '
        f'placeholder="Search jobs by name..." value="{esc(view.filter)}"/>\n'
        f'<input name="compare" type="hidden" value="{esc(other.id if other else "")}"/>\n'
        f'<input name="full" type="hidden" value="{esc(view.params.get("full", ""))}"/>\n</div>\n</form>\n'
    )
    add('<ul class="nav nav-tabs">\n')
    if signed_in:
        add(_actions(ctx, ev, compared))
    for cat, tab_id, label, span in TABS:
        count = compared.count(cat)
        if count > 0:
            text = f"{label} ({count})"
            if span:
                text = f'<span class="{span}">{text}</span>'
            add(f'<li class="nav-item"><a class="nav-link" href="#{tab_id}" data-toggle="tab">{text}</a></li>\n')
    add('<li class="nav-item"><a class="nav-link" href="#tabs-inputs" data-toggle="tab">Inputs</a></li>\n')
    if ev.has_error:
        add(
            '<li class="nav-item"><a class="nav-link" href="#tabs-errors" data-toggle="tab">'
            '<span class="text-warning">Evaluation Errors</span></a></li>\n'
        )
    add("</ul>\n\n")
    more_params = dict(view.params, full="1")
    add('<div class="tab-content">\n')
    for cat, tab_id, _, _ in TABS:
        size = compared.count(cat)
        limit = None if view.full else MAX_ROWS
        shown = size if limit is None else min(size, limit)
        omitted = size - shown
        more = esc(ctx.uri("eval", ev.id, query=more_params) + "#" + tab_id)
        add(f'<div id="{tab_id}" class="tab-pane">\n')
        if cat is Cat.REMOVED:
            add(
                '<table class="table table-striped table-condensed clickable-rows">\n<thead>\n'
                "<tr><th>Job</th><th>System</th></tr>\n</thead>\n<tbody>\n"
            )
            job_uri = ctx.uri("job", ev.project, ev.jobset)
            for row in compared.rows(cat, limit):
                add(
                    f'<tr>\n<td><a href="{esc(job_uri + "/" + quote(row.job, safe=""))}">{esc(row.job)}</a></td>\n'
                    f"<td><tt>{esc(row.system)}</tt></td>\n</tr>\n"
                )
            if omitted > 0:
                add(
                    f'<tr><td class="centered" colspan="2"><a href="{more}"><em>({omitted} more jobs omitted)</em>'
                    "</a></td></tr>\n"
                )
            add("</tbody>\n</table>\n")
        else:
            add(build_list_header())
            yield "".join(parts)
            parts.clear()
            rows = compared.iter_rows(cat, limit)
            while chunk := list(itertools.islice(rows, ROWS_A_CHUNK)):
                yield build_list_body(ctx, chunk)
            if omitted > 0:
                add(
                    f'<tr><td class="centered" colspan="6"><a href="{more}"><em>({omitted} more builds omitted)</em>'
                    "</a></td></tr>\n"
                )
            add(BUILD_LIST_FOOTER)
        add("</div>\n\n")
    add('<div id="tabs-inputs" class="tab-pane">\n')
    add(_inputs(ev))
    add("</div>\n")
    if ev.has_error:
        add(
            f'<div id="tabs-errors" class="tab-pane">\n<iframe src="{esc(ctx.uri("eval", ev.id, "errors"))}" '
            'loading="lazy" frameBorder="0" width="100%"></iframe>\n</div>\n'
        )
    add("</div>\n")
    add(LAYOUT_TAIL)
    yield "".join(parts)


def _actions(ctx: Ctx, ev: Eval, compared: Compared) -> str:
    totals = compared.totals
    items = [("create-jobset", "Create a jobset from this evaluation")]
    if totals.queued > 0:
        items.append(("cancel", "Cancel all scheduled builds"))
    if totals.failed > 0:
        items.append(("restart-failed", "Restart all failed builds"))
    if totals.aborted > 0:
        items.append(("restart-aborted", "Restart all aborted builds"))
    if totals.queued > 0:
        items.append(("bump", "Bump builds to front of queue"))
    links = "".join(
        f'<a class="dropdown-item" href="{esc(ctx.uri("eval", ev.id, action))}">{text}</a>\n' for action, text in items
    )
    return (
        '<li class="nav-item dropdown">\n<a class="nav-link dropdown-toggle" data-toggle="dropdown" href="#">Actions'
        f'</a>\n<div class="dropdown-menu">\n{links}</div>\n</li>\n'
    )


def _inputs(ev: Eval) -> str:
    rows = []
    for name, value in sorted(ev.inputs.items()):
        shown = value.get("value") if value.get("type") in ("boolean", "nix", "string") else value.get("uri")
        rev = value.get("revision") or ""
        rows.append(
            f"<tr><td><tt>{esc(name)}</tt></td><td>{esc(value.get('type', ''))}</td>"
            f"<td><tt>{esc(shown or '')}</tt></td>"
            f"<td>{f'<tt>{esc(rev)}</tt>' if rev else ''}</td><td><tt></tt></td></tr>\n"
        )
    return (
        '<table class="table table-striped table-condensed">\n<thead>\n<tr><th>Name</th><th>Type</th><th>Value</th>'
        "<th>Revision</th><th>Store path</th></tr>\n</thead>\n<tbody>\n" + "".join(rows) + "</tbody>\n</table>\n"
    )


# --- evals.tt / renderEvals ------------------------------------------------------------------------------------


@dataclass
class EvalInfo:
    """One row of renderEvals, as Hydra's getEvals computes it."""

    ev: Eval
    succeeded: int
    failed: int
    scheduled: int
    diff: int
    changed_inputs: list[tuple[str, str, str]]  # (name, revision, frontend revision)


def eval_infos(world: World, jobset: Jobset, ids: list[int]) -> list[EvalInfo]:
    out = []
    for eval_id in ids:
        ev = world.evals[eval_id]
        prev = world.previous_eval(ev)
        counts = world.counts(ev)
        succeeded, scheduled = counts["nrsucceeded"], counts["nrscheduled"]
        diff = succeeded - world.counts(prev)["nrsucceeded"] if prev is not None else 0
        changed = []
        for name, value in sorted(_eval_inputs(ev).items()):
            before = _eval_inputs(prev).get(name) if prev is not None else None
            if (
                before is None
                or (value.get("revision") or "") != (before.get("revision") or "")
                or value.get("type") != before.get("type")
                or (value.get("uri") or "") != (before.get("uri") or "")
            ):
                rev = value.get("revision") or ""
                changed.append((name, rev, rev[:12] if value.get("type") in ("git", "hg") else rev))
        out.append(EvalInfo(ev, succeeded, counts["nrtotal"] - succeeded - scheduled, scheduled, diff, changed))
    return out


def _eval_inputs(ev: Eval) -> dict[str, dict[str, object]]:
    """The inputs getEvalInfo keeps: those with a uri and a revision (or a dependency)."""
    return {n: v for n, v in ev.inputs.items() if (v.get("uri") and v.get("revision")) or v.get("dependency")}


def evals_page(ctx: Ctx, world: World, jobset: Jobset, page: int, per_page: int) -> str:
    ids = list(reversed(jobset.evals))
    total = len(ids)
    chunk = ids[(page - 1) * per_page : page * per_page]
    infos = eval_infos(world, jobset, chunk)
    content = (
        f"<p>Showing evaluations {(page - 1) * per_page + 1} - {(page - 1) * per_page + len(infos)} out of "
        f"{total}.</p>\n"
        + render_evals(ctx, infos)
        + _pager(ctx.uri("jobset", jobset.project, jobset.name, "evals"), page, per_page, total)
    )
    title = f"Evaluations of jobset {jobset.project}:{jobset.name}"
    title_html = f"Evaluations of jobset {link_to_jobset(ctx, jobset.project, jobset.name)}"
    return layout(ctx, title, title_html, content)


def render_evals(ctx: Ctx, infos: list[EvalInfo]) -> str:
    def head_icon(image: str, title: str) -> str:
        return (
            f'<th style="width: 2em">\n<img src="{esc(ctx.uri("static", "images", image))}" height="12" width="12" '
            f'title="{title}" alt="{title}" class="build-status" />\n</th>\n'
        )

    out = [
        '<table class="table table-condensed table-striped clickable-rows">\n<thead>\n<tr>\n<th rowspan="2">#</th>\n'
        '<th rowspan="2" style="width: 10em">Date</th>\n<th rowspan="2">Input changes</th>\n'
        '<th colspan="4">Jobs</th>\n</tr>\n<tr>\n'
        + head_icon("emojione-check-2714.svg", "Succeeded")
        + head_icon("emojione-red-x-274c.svg", "Failed")
        + head_icon("emojione-question-2754.svg", "Queued")
        + head_icon("delta.svg", "Delta")
        + "</tr>\n</thead>\n<tbody>\n"
    ]
    for info in infos:
        ev = info.ev
        if info.changed_inputs:
            changes = ", ".join(
                f" {esc(name)} → "
                f'<a class="rev-copy" href="javascript:void(0)" onclick="copyToClipboard(\'{esc(rev)}\', this); '
                f'return false;" title="Click to copy full revision: {esc(rev)}"><tt>{esc(short)}</tt></a>'
                for name, rev, short in info.changed_inputs
            )
        else:
            changes = "\n -\n"
        if ev.has_error:
            changes += '\n<span class="badge badge-warning">Eval Errors</span>\n'
        failed = f'<span class="badge badge-danger">{info.failed}</span>' if info.failed > 0 else ""
        queued = f'<span class="badge badge-secondary">{info.scheduled}</span>' if info.scheduled > 0 else ""
        if info.diff > 0:
            delta = f"<span class='badge badge-success'><strong>+{info.diff}</strong></span>"
        elif info.diff < 0 and info.scheduled == 0:
            delta = f"<span class='badge badge-danger'><strong>{info.diff}</strong></span>"
        else:
            delta = ""
        out.append(
            f'<tr>\n<td><a class="row-link" href="{esc(ctx.uri("eval", ev.id))}">{ev.id}</a></td>\n'
            f'<td class="nowrap">{relative_date(ctx, ev.timestamp)}</td>\n<td>\n{changes}\n</td>\n'
            f'<td align=\'right\' class="nowrap">\n<span class="badge badge-success">{info.succeeded}</span>\n</td>\n'
            f'<td align="right" class="nowrap">\n{failed}\n</td>\n'
            f'<td align="right" class="nowrap">\n{queued}\n</td>\n'
            f"<td align='right' class=\"nowrap\">\n{delta}\n</td>\n</tr>\n"
        )
    out.append("</tbody>\n</table>\n")
    return "".join(out)


def _pager(base: str, page: int, per_page: int, total: int) -> str:
    first_off = " disabled" if page == 1 else ""
    last_off = " disabled" if page * per_page >= total else ""
    last = (total - 1) // per_page + 1 if total else 1
    return (
        '<ul class="pagination">\n'
        f'<li class="page-item{first_off}"><a class="page-link" href="{esc(base)}?page=1">&laquo; First</a></li>\n'
        f'<li class="page-item{first_off}"><a class="page-link" href="{esc(base)}?page={page - 1}">&lsaquo; Previous'
        "</a></li>\n"
        f'<li class="page-item{last_off}"><a class="page-link" href="{esc(base)}?page={page + 1}">Next &rsaquo;</a>'
        "</li>\n"
        f'<li class="page-item{last_off}"><a class="page-link" href="{esc(base)}?page={last}">Last &raquo;</a></li>\n'
        "</ul>\n"
    )


# --- build.tt ----------------------------------------------------------------------------------------------------


def duration(seconds: int) -> str:
    out = ""
    if seconds >= 86400:
        out += f"{seconds // 86400}d&nbsp;"
    if seconds >= 3600:
        out += f"{seconds // 3600 % 24}h&nbsp;"
    if seconds >= 60:
        out += f"{seconds // 60 % 60}m&nbsp;"
    return out + f"{seconds % 60}s"


def machine_name(machine: str) -> str:
    if not machine:
        return "localhost"
    host = machine.split("@", 1)[-1]
    found = re.match(r"^(([^.]|\.[0-9])*)", host)
    return found.group(1) if found else host


def step_status(step: Step) -> str:
    if step.busy:
        return f"<strong>{_BUSY.get(step.busy, 'Unknown state')}</strong>"
    if step.status == 0:
        return "Succeeded"
    if step.status == 3:
        message = f": <em>{esc(step.errormsg)}</em>" if step.errormsg else ""
        return f'<span class="error">Aborted</span>{message}'
    if step.status in _STEP_STATUS:
        return f'<span class="error">{_STEP_STATUS[step.status]}</span>'
    if step.errormsg:
        return f'<span class="error">Failed</span>: <em>{esc(step.errormsg)}</em>'
    return '<span class="error">Failed</span>'


def build_steps(ctx: Ctx, build: Build, steps: list[Step], kind: str, build_stop: int | None) -> str:
    out = [
        '<table class="table table-striped table-condensed clickable-rows">\n<thead>\n'
        "<tr><th>Nr</th><th>Step</th><th>Duration</th><th>Machine</th><th>Status</th></tr>\n</thead>\n<tbody>\n"
    ]
    seen: set[str] = set()
    for step in steps:
        wanted = (
            kind == "All"
            or (kind == "Failed" and step.busy == 0 and step.status != 0)
            or (kind == "Running" and step.busy != 0)
        )
        if not wanted:
            continue
        has_log = bool(step.drvpath) and step.status != 8 and step.drvpath not in seen
        seen.add(step.drvpath)
        step_uri = ctx.uri("build", build.id, "step", step.nr)
        outputs = ",<br/>".join(esc(p) for p in step.outputs)
        what = "Build of" if step.type == 0 else "Substitution of"
        if step.busy == 0:
            took = duration(step.stoptime - step.starttime) if step.stoptime and step.starttime else "<em>n/a</em>"
        elif build_stop is not None and step.starttime is not None:
            took = duration(build_stop - step.starttime)
        else:
            took = duration(ctx.now - (step.starttime or ctx.now))
        shows_machine = step.busy != 0 or ((step.machine or step.starttime) and step.status in (0, 1, 3, 4, 7))
        machine = esc(machine_name(step.machine)) if shows_machine else "<em>n/a</em>"
        cell = step_status(step)
        if has_log:
            log = step_uri + "/log"
            cell += (
                f' (<a href="{esc(log)}">log</a>, <a href="{esc(log)}/raw">raw</a>, <a href="{esc(log)}/tail">tail</a>)'
            )
        if step.propagatedfrom:
            cell += (
                f' (propagated from \n<a href="{esc(ctx.uri("build", step.propagatedfrom))}">'
                f"build {step.propagatedfrom}</a>\n)"
            )
        out.append(
            f'<tr>\n<td><a class="row-link" href="{esc(step_uri)}">{step.nr}</a></td>\n'
            f"<td>\n{what} <tt>{outputs}</tt>\n</td>\n<td>{took}</td>\n<td>{machine}</td>\n"
            f'<td class="step-status">\n{cell}\n</td>\n</tr>\n'
        )
    out.append("</tbody>\n</table>\n")
    return "".join(out)


def build_page(ctx: Ctx, world: World, build: Build) -> str:
    now = world.now()
    status = build.status(now)
    finished = status is not None
    steps = world.steps(build)
    busy = any(s.busy for s in steps)
    stop = (build.cancelled_at if build.cancelled_at is not None else build.finish_at) if finished else None
    if finished:
        if status == 0:
            status_html = "<strong>Success</strong>"
        elif status in _STATUS_TEXT:
            status_html = f'<span class="error">{_STATUS_TEXT[status]}</span>'
        else:
            status_html = '<span class="error">Aborted</span>\n(Hydra failure; see <a href="#nix-error">below</a>)'
    elif busy:
        status_html = "<strong>Build in progress</strong>"
    else:
        status_html = "<strong>Scheduled to be built</strong>"
    info = [
        f"<tr>\n<th>Build ID:</th>\n<td>{build.id}</td>\n</tr>\n",
        f"<tr>\n<th>Status:</th>\n<td>\n{status_html}\n</td>\n</tr>\n",
        f"<tr>\n<th>System:</th>\n<td><tt>{esc(build.system)}</tt></td>\n</tr>\n",
        f"<tr>\n<th>Nix name:</th>\n<td><tt>{esc(build.nixname)}</tt></td>\n</tr>\n",
    ]
    if build.evals:
        others = len(build.evals) - 1
        more = f' (and <a href="{esc(ctx.uri("build", build.id, "evals"))}">{others} others</a>)' if others > 0 else ""
        info.append(
            f'<tr>\n<th>Part of:</th>\n<td>\n<a href="{esc(ctx.uri("eval", build.evals[0]))}">evaluation '
            f"{build.evals[0]}</a>{more}\n</td>\n</tr>\n"
        )
    if finished and stop is not None:
        started = build.start_at if build.start_at is not None else stop
        info.append(f"<tr>\n<th>Duration:</th>\n<td>{duration(max(0, stop - started))}</td>\n</tr>\n")
        info.append(f"<tr>\n<th>Finished at:</th>\n<td>{date_time(stop)}</td>\n</tr>\n")
    if busy or finished:
        log = ctx.uri("build", build.id, "log")
        info.append(
            "<tr>\n<th>Logfile:</th>\n<td>\n"
            f'<a class="btn btn-secondary btn-sm" href="{esc(log)}">pretty</a>\n'
            f'<a class="btn btn-secondary btn-sm" href="{esc(log)}/raw">raw</a>\n'
            f'<a class="btn btn-secondary btn-sm" href="{esc(log)}/tail">tail</a>\n</td>\n</tr>\n'
        )
    summary = [
        '<div id="tabs-summary" class="tab-pane active">\n<table>\n<tr>\n<td>\n'
        + status_icon(ctx, finished, status, 128)
        + '\n</td>\n<td>\n<table class="info-table">\n'
        + "".join(info)
        + "</table>\n</td>\n</tr>\n</table>\n"
    ]
    if busy:
        summary.append("<h3>Running build steps</h3>\n" + build_steps(ctx, build, steps, "Running", stop))
    if finished and steps and status not in (0, 4, 6):
        summary.append("<h3>Failed build steps</h3>\n" + build_steps(ctx, build, steps, "Failed", stop))
    summary.append("</div>\n")
    tabs = [
        '<li class="nav-item"><a class="nav-link active" href="#tabs-summary" data-toggle="tab">Summary</a></li>\n',
        '<li class="nav-item"><a class="nav-link" href="#tabs-details" data-toggle="tab">Details</a></li>\n',
    ]
    if steps:
        tabs.append(
            '<li class="nav-item"><a class="nav-link" href="#tabs-buildsteps" data-toggle="tab">Build Steps</a></li>\n'
        )
    details = (
        '<div id="tabs-details" class="tab-pane">\n<table class="info-table">\n'
        f"<tr>\n<th>Queued at:</th>\n<td>{date_time(build.timestamp)}</td>\n</tr>\n"
        f"<tr>\n<th>Nix name:</th>\n<td><tt>{esc(build.nixname)}</tt></td>\n</tr>\n"
        f"<tr>\n<th>System:</th>\n<td><tt>{esc(build.system)}</tt></td>\n</tr>\n"
        f"<tr>\n<th>Derivation store path:</th>\n<td><tt>{esc(build.drvpath)}</tt></td>\n</tr>\n"
        "</table>\n</div>\n"
    )
    all_steps = (
        '<div id="tabs-buildsteps" class="tab-pane">\n' + build_steps(ctx, build, steps, "All", stop) + "</div>\n"
        if steps
        else ""
    )
    content = (
        '<ul class="nav nav-tabs">\n'
        + "".join(tabs)
        + '</ul>\n\n<div id="generic-tabs" class="tab-content">\n'
        + "".join(summary)
        + details
        + all_steps
        + "</div>\n"
    )
    job_link = (
        f'{link_to_jobset(ctx, build.project, build.jobset)}:<a href="'
        f'{esc(ctx.uri("job", build.project, build.jobset, build.job))}">{esc(build.job)}</a>'
    )
    title = f"Build {build.id} of job {build.project}:{build.jobset}:{build.job}"
    return layout(ctx, title, f"Build {build.id} of job {job_link}", content)
