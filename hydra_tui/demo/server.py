"""The demo Hydra's HTTP face (aiohttp): the routes and quirks of a real Hydra server (reference §1–§3).

HTML unless JSON is negotiated; `{"error": …}` bodies; the Referer check on POST; `/login` answering 302
with the cookie and the user; 20 evaluations a page; `errormsg` only on `/errors`; roles on actions.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from hydra_tui.demo import pages, render
from hydra_tui.demo.faults import Faults
from hydra_tui.demo.queuerunner import QueueRunner
from hydra_tui.demo.world import EVALS_PER_PAGE, TOO_BIG_TO_LIST, DemoError, World

WORLD = web.AppKey("world", World)
FAULTS = web.AppKey("faults", Faults)
SESSION_COOKIE = "hydra_session"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Endpoints that answer JSON whatever the Accept header says.
ALWAYS_JSON = re.compile(r"^/(api/|job/.+/shield$)")


def wants_json(request: web.Request) -> bool:
    """Catalyst::Action::REST's order: Content-Type, then ?content-type= (GET), then Accept; else HTML."""
    if ALWAYS_JSON.match(request.path):
        return True
    ctype = request.headers.get("Content-Type", "").split(";")[0].strip()
    if ctype in ("application/json", "text/x-json"):
        return True
    if request.method == "GET" and request.query.get("content-type") in ("application/json", "text/x-json"):
        return True
    best_q, best = -1.0, "text/html"
    for part in request.headers.get("Accept", "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if media in ("application/json", "text/x-json", "text/html") and q > best_q:
            best_q, best = q, media
    return best in ("application/json", "text/x-json")


def html_page(title: str, body: str, status: int = 200) -> web.Response:
    page = (
        "<!DOCTYPE html><html><head><title>" + html.escape(title) + " - Hydra</title></head>"
        "<body><h1>" + html.escape(title) + "</h1>" + body + "</body></html>"
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def respond(request: web.Request, data: Any, *, status: int = 200, title: str = "Hydra") -> web.Response:
    """JSON when negotiated, otherwise a page (what a browser or curl without Accept gets)."""
    if wants_json(request):
        return web.Response(body=json.dumps(data), status=status, content_type="application/json")
    return html_page(title, "<pre>" + html.escape(json.dumps(data, indent=1)[:2000]) + "</pre>", status)


def html_answer(text: str, status: int = 200) -> web.Response:
    # A lone surrogate in a name goes out as the bytes a careless server writes (invalid UTF-8), not as a 500.
    body = text.encode("utf-8", errors="surrogatepass")
    return web.Response(body=body, status=status, content_type="text/html", charset="utf-8")


def page_ctx(request: web.Request) -> pages.Ctx:
    return pages.Ctx(base=str(request.url.origin()), now=request.app[WORLD].now())


def session_user(request: web.Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return request.app[WORLD].sessions.get(token) if token else None


@web.middleware
async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await request.app[FAULTS].apply(request, handler)


@web.middleware
async def hydra_quirks(request: web.Request, handler: Handler) -> web.StreamResponse:
    world = request.app[WORLD]
    world.advance()
    try:
        if request.method == "POST":
            base = f"{request.scheme}://{request.host}/"
            referer = request.headers.get("Referer") or request.headers.get("Origin") or ""
            if not (referer + "/").startswith(base):
                raise DemoError(500, f"POST requests should come from ‘{base}’.")
        return await handler(request)
    except DemoError as exc:
        return respond(request, {"error": exc.message}, status=exc.status, title="Error")
    except web.HTTPNotFound:
        return respond(request, {"error": "Page not found."}, status=404, title="Error")
    except web.HTTPMethodNotAllowed:
        return web.Response(text=f"Method {request.method} not implemented for {request.url}", status=405)


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DemoError(500, f"Invalid {what} ‘{value}’.") from None


routes = web.RouteTableDef()


@routes.get("/")
async def projects(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    items = sorted(world.projects.values(), key=lambda p: (not p.enabled, p.name))
    return respond(request, [render.project_json(p) for p in items], title="Projects")


@routes.get("/project/{project}")
async def project(request: web.Request) -> web.Response:
    p = request.app[WORLD].project(request.match_info["project"])
    return respond(request, render.project_json(p), title=p.displayname)


@routes.put("/project/{project}")
async def put_project(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    user = session_user(request)
    name = request.match_info["project"]
    body = await _body(request)
    existing = world.projects.get(name)
    if user is None:
        raise DemoError(403, "This page requires you to sign in.")
    if existing is not None:
        world.require_role(user, "eval-jobset", name)
        if body.get("displayname"):
            existing.displayname = str(body["displayname"])
        existing.description = str(body.get("description", existing.description))
        existing.enabled = "enabled" in body
        existing.hidden = "visible" not in body
        return respond(request, {"redirect": f"{request.url.origin()}/project/{name}#tabs-configuration"})
    if not body.get("displayname"):
        raise DemoError(400, "You must specify a display name.")
    world._project(
        name,
        str(body["displayname"]),
        str(body.get("description", "")),
        owner=user,
        enabled="enabled" in body,
        hidden="visible" not in body,
    )
    url = f"{request.url.origin()}/project/{name}"
    return web.Response(
        body=json.dumps({"name": name, "uri": url, "redirect": url, "type": "project"}),
        status=201,
        content_type="application/json",
        headers={"Location": url},
    )


@routes.delete("/project/{project}")
async def delete_project(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    name = request.match_info["project"]
    p = world.project(name)
    user = session_user(request)
    if user is None:
        raise DemoError(403, "This page requires you to sign in.")
    if p.owner != user and "admin" not in world.user_json(user)["userroles"]:
        raise DemoError(403, "Only the project owner or administrators can perform this operation.")
    del world.projects[name]
    return respond(request, {"redirect": f"{request.url.origin()}/"})


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type in ("application/json", "text/x-json"):
        try:
            data = await request.json()
        except ValueError:
            raise DemoError(400, "Invalid JSON in request body.") from None
        return data if isinstance(data, dict) else {}
    return dict(await request.post())


@routes.get("/jobset/{project}/{jobset}")
async def jobset(request: web.Request) -> web.Response:
    j = request.app[WORLD].jobset(request.match_info["project"], request.match_info["jobset"])
    return respond(request, render.jobset_json(j), title=f"Jobset {j.project}:{j.name}")


@routes.get("/jobset/{project}/{jobset}/errors")
async def jobset_errors(request: web.Request) -> web.Response:
    j = request.app[WORLD].jobset(request.match_info["project"], request.match_info["jobset"])
    return respond(request, render.jobset_json(j, with_error=True), title="Evaluation errors")


@routes.put("/jobset/{project}/{jobset}")
async def put_jobset(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    pname, jname = request.match_info["project"], request.match_info["jobset"]
    p = world.project(pname)
    user = session_user(request)
    if user is None:
        raise DemoError(403, "This page requires you to sign in.")
    if p.owner != user and "admin" not in world.user_json(user)["userroles"]:
        raise DemoError(403, "Only the project owner or administrators can perform this operation.")
    body = await _body(request)
    enabled = int(body.get("enabled", 0) or 0)
    if enabled not in range(4):
        raise DemoError(500, f"Invalid value for enabled: {enabled}")
    existing = p.jobsets.get(jname)
    target = existing or world._jobset(p, jname, str(body.get("description", "")))
    target.enabled = enabled
    target.visible = "visible" in body
    target.checkinterval = int(body.get("checkinterval", 0) or 0)
    target.description = str(body.get("description", target.description))
    url = f"{request.url.origin()}/jobset/{pname}/{jname}"
    if existing is not None:
        return respond(request, {"redirect": url})
    return web.Response(
        body=json.dumps({"name": jname, "uri": url, "redirect": url, "type": "jobset"}),
        status=201,
        content_type="application/json",
        headers={"Location": url},
    )


@routes.delete("/jobset/{project}/{jobset}")
async def delete_jobset(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    pname, jname = request.match_info["project"], request.match_info["jobset"]
    world.jobset(pname, jname)
    user = session_user(request)
    if user is None:
        raise DemoError(403, "This page requires you to sign in.")
    if "admin" not in world.user_json(user)["userroles"]:
        raise DemoError(403, "Only administrators can delete jobsets.")
    del world.projects[pname].jobsets[jname]
    return respond(request, {"redirect": f"{request.url.origin()}/project/{pname}"})


@routes.get("/jobset/{project}/{jobset}/evals")
async def jobset_evals(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    j = world.jobset(request.match_info["project"], request.match_info["jobset"])
    page = max(1, _int(request.query.get("page", "1"), "page"))
    ids = list(reversed(j.evals))
    last = max(1, -(-len(ids) // EVALS_PER_PAGE)) if ids else 0
    chunk = ids[(page - 1) * EVALS_PER_PAGE : page * EVALS_PER_PAGE]
    body: dict[str, Any] = {
        "evals": [render.eval_json(world.evals[i]) for i in chunk],
        "first": "?page=1",
        "last": f"?page={last}",
    }
    if page > 1:
        body["previous"] = f"?page={page - 1}"
    if page < last:
        body["next"] = f"?page={page + 1}"
    if not wants_json(request):
        return html_answer(pages.evals_page(page_ctx(request), world, j, page, EVALS_PER_PAGE))
    return respond(request, body, title="Evaluations")


@routes.get("/jobset/{project}/{jobset}/latest-eval")
async def latest_eval(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    j = world.jobset(request.match_info["project"], request.match_info["jobset"])
    if not j.evals:
        raise DemoError(404, "No evaluation found.")
    raise web.HTTPFound(f"{request.url.origin()}/eval/{j.evals[-1]}?name={j.name}")


@routes.get("/eval/{id}")
async def eval_(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    ev = world.eval(_int(request.match_info["id"], "evaluation ID"))
    if wants_json(request):
        return respond(request, render.eval_json(ev), title=f"Evaluation {ev.id}")
    # The comparison page (JobsetEval.pm view_GET, jobset-eval.tt).
    other = world.comparison_source(ev, request.query.get("compare"))
    text = request.query.get("filter", "")
    compared = world.compare(ev, other, text)
    view = pages.EvalView(filter=text, full=request.query.get("full", "0") == "1", params=dict(request.query))
    signed_in = session_user(request) is not None
    parts = pages.eval_page_parts(page_ctx(request), world, ev, other, compared, view, signed_in)
    if not view.full:
        return html_answer("".join(parts))
    # A full page of nixpkgs is about 150 MB: sent as it is made, so that other requests are answered meanwhile
    # and a client that has read what it needs can hang up.
    response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
    await response.prepare(request)
    for part in parts:
        if request.transport is None or request.transport.is_closing():
            break
        try:
            await response.write(part.encode("utf-8", errors="surrogatepass"))
        except ConnectionError:
            break
    else:
        await response.write_eof()
    return response


@routes.get("/eval/{id}/job/{tail:.+}")
async def eval_job(request: web.Request) -> web.Response:
    """JobsetEval.pm `job`: 302 to the build of that job in this evaluation, a trailing path kept."""
    world = request.app[WORLD]
    ev = world.eval(_int(request.match_info["id"], "evaluation ID"))
    job, _, rest = request.match_info["tail"].partition("/")
    build_id = world.eval_job(ev, job)
    if build_id is None:
        raise DemoError(404, "This evaluation has no job with the specified name.")
    target = f"{request.url.origin()}/build/{build_id}" + (f"/{rest}" if rest else "")
    raise web.HTTPFound(target)


@routes.get("/eval/{id}/builds")
async def eval_builds(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    ev = world.eval(_int(request.match_info["id"], "evaluation ID"))
    if len(ev.build_ids) > TOO_BIG_TO_LIST:
        # What nginx in front of hydra.nixos.org answers for a nixpkgs evaluation.
        return html_page("504 Gateway Time-out", "<center>nginx</center>", status=504)
    return respond(request, [render.build_json(world, world.build(i)) for i in ev.build_ids], title="Builds")


_EVAL_ACTIONS = {
    "cancel": ("cancel-build", lambda w, b: w.cancel(b.id) if b.phase(w.now()) != "finished" else False),
    "restart-failed": ("restart-jobs", lambda w, b: w.restart(b.id) if b.status(w.now()) not in (None, 0) else False),
    "restart-aborted": ("restart-jobs", lambda w, b: w.restart(b.id) if b.status(w.now()) in (3, 4, 9) else False),
    "bump": ("bump-to-front", lambda w, b: w.bump(b.id) if b.phase(w.now()) != "finished" else False),
}


async def eval_action(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    ev = world.eval(_int(request.match_info["id"], "evaluation ID"))
    action = request.match_info["action"]
    if action not in _EVAL_ACTIONS:
        raise web.HTTPNotFound()
    role, apply = _EVAL_ACTIONS[action]
    world.require_role(session_user(request), role, ev.project)
    ids = ev.build_ids if ev.big < 0 else [i for i in list(world.big_overrides) if i in ev.build_ids]
    for build_id in ids:
        apply(world, world.build(build_id))
    raise web.HTTPFound(f"{request.url.origin()}/eval/{ev.id}")


@routes.get("/build/{id}")
async def build(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    b = world.build(_int(request.match_info["id"], "build ID"))
    if not wants_json(request):
        return html_answer(pages.build_page(page_ctx(request), world, b))
    return respond(request, render.build_json(world, b), title=f"Build {b.id}")


@routes.get("/build/{id}/step/{nr}/log{raw:(/raw|/tail)?}")
async def step_log(request: web.Request) -> web.Response:
    """A step's log: the log of the derivation it built (the culprit's, for a propagated failure)."""
    world = request.app[WORLD]
    b = world.build(_int(request.match_info["id"], "build ID"))
    nr = _int(request.match_info["nr"], "step number")
    step = next((s for s in world.steps(b) if s.nr == nr), None)
    if step is None or not step.drvpath:
        raise DemoError(404, "Log not found.")
    owner = world.build(step.propagatedfrom) if step.propagatedfrom else b
    lines = list(world.log(owner))
    if request.match_info["raw"] == "/tail":
        lines = lines[-50:]
    if request.match_info["raw"]:
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")
    return html_page(f"Log of step {nr} of build {b.id}", "<pre>" + html.escape("\n".join(lines)) + "</pre>")


@routes.get("/build/{id}/constituents")
async def constituents(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    b = world.build(_int(request.match_info["id"], "build ID"))
    members: list[Any] = []
    if b.job.startswith("tested.") and b.evals:
        ev = world.evals[b.evals[0]]
        members = [world.build(i) for i in ev.build_ids if i != b.id]
    members.sort(key=lambda m: m.job)
    return respond(request, [render.build_json(world, m) for m in members], title="Constituents")


async def build_action(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    b = world.build(_int(request.match_info["id"], "build ID"))
    action = request.match_info["action"]
    user = session_user(request)
    if action == "restart":
        world.require_role(user, "restart-jobs", b.project)
        if not world.restart(b.id):
            raise DemoError(500, "This build cannot be restarted.")
    elif action == "cancel":
        world.require_role(user, "cancel-build", b.project)
        if not world.cancel(b.id):
            raise DemoError(500, "This build cannot be cancelled.")
    elif action == "bump":
        world.require_role(user, "bump-to-front", b.project)
        world.bump(b.id)
    else:
        raise web.HTTPNotFound()
    raise web.HTTPFound(f"{request.url.origin()}/build/{b.id}")


@routes.get("/build/{id}/log")
async def build_log_page(request: web.Request) -> web.Response:
    # Like Hydra's pretty log page: HTML whatever the Accept header says.
    world = request.app[WORLD]
    b = world.build(_int(request.match_info["id"], "build ID"))
    return html_page(f"Log of build {b.id}", "<pre>" + html.escape("\n".join(world.log(b))) + "</pre>")


@routes.get("/build/{id}/log/raw")
async def build_log_raw(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    b = world.build(_int(request.match_info["id"], "build ID"))
    raise web.HTTPFound(f"{request.url.origin()}/log/{b.drvpath.rsplit('/', 1)[-1]}")


@routes.get("/log/{drv}")
async def log(request: web.Request) -> web.StreamResponse:
    world = request.app[WORLD]
    drv = request.match_info["drv"]
    build_id = _drv_to_build(world, drv)
    tail_arg = request.query.get("tail")
    tail = _int(tail_arg, "tail") if tail_arg is not None else None
    b = world.build(build_id)
    lines = world.log(b)
    if tail is not None:
        from collections import deque

        lines = iter(deque(lines, maxlen=max(0, tail)))
    response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
    await response.prepare(request)
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= 2000:
            await response.write(("\n".join(batch) + "\n").encode("utf-8", errors="surrogatepass"))
            batch = []
    if batch:
        await response.write(("\n".join(batch) + "\n").encode("utf-8", errors="surrogatepass"))
    await response.write_eof()
    return response


def _drv_to_build(world: World, drv: str) -> int:
    # Demo derivation names embed a hash of the build id; look it up among known builds.
    index = world.drv_index()
    build_id = index.get(drv.split("-", 1)[0])
    if build_id is None:
        raise DemoError(404, "Log not found.")
    return build_id


@routes.get("/api/jobsets")
async def api_jobsets(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    name = request.query.get("project")
    if not name:
        raise DemoError(500, "Parameter not defined!")
    p = world.project(name)
    user = session_user(request)
    privileged = user is not None and (p.owner == user or "admin" in world.user_json(user)["userroles"])
    jobsets = [j for j in p.jobsets.values() if j.visible or privileged]
    jobsets.sort(key=lambda j: (not j.visible, -j.enabled, j.name))
    return respond(request, [render.jobset_overview_json(world, j) for j in jobsets])


def _nr(request: web.Request) -> int:
    value = request.query.get("nr")
    if value is None:
        raise DemoError(500, "Parameter not defined!")
    return _int(value, "nr")


@routes.get("/api/latestbuilds")
async def api_latestbuilds(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    nr = _nr(request)
    now = world.now()
    filters = {k: request.query[k] for k in ("project", "jobset", "job", "system") if request.query.get(k)}
    found = []
    for b in world.builds_newest_first(filters):
        if b.phase(now) != "finished" or any(getattr(b, k) != v for k, v in filters.items()):
            continue
        found.append(render.api_build_json(world, b))
        if len(found) >= nr:
            break
    return respond(request, found)


@routes.get("/api/queue")
async def api_queue(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    nr = _nr(request)
    now = world.now()
    queued = [b for b in world.builds.values() if b.phase(now) != "finished"]
    queued.sort(key=lambda b: (-b.priority, b.id))
    return respond(request, [render.api_build_json(world, b) for b in queued[:nr]])


@routes.get("/api/nrqueue")
async def api_nrqueue(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    now = world.now()
    count = sum(1 for b in world.builds.values() if b.phase(now) != "finished")
    return web.Response(body=str(count), content_type="application/json")


@routes.get("/status")
async def status(request: web.Request) -> web.Response:
    """The builds with a busy step, as `/status` sends them: only Hydra's build-list columns are loaded, so
    `starttime`, `priority` and `drvpath` are null (reference §3)."""
    world = request.app[WORLD]
    rows = []
    for b in QueueRunner(world).running(world.now()):
        row = render.build_json(world, b)
        row.update(starttime=None, priority=None, drvpath=None)
        rows.append(row)
    return respond(request, rows, title="Hydra status")


@routes.get("/machines")
async def machines(request: web.Request) -> web.Response:
    return respond(request, QueueRunner(request.app[WORLD]).machines(), title="Build machines")


@routes.get("/queue-runner-status")
async def queue_runner_status(request: web.Request) -> web.Response:
    return respond(request, QueueRunner(request.app[WORLD]).queue_runner_status(), title="Queue runner status")


@routes.post("/api/push")
async def api_push(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    user = session_user(request)
    body: dict[str, Any] = {"jobsetsTriggered": []}
    if user is None:
        body["error"] = "This page requires you to sign in."
        return web.Response(body=json.dumps(body), status=403, content_type="application/json")
    forced = "force" in request.query
    try:
        for spec in filter(None, request.query.get("jobsets", "").split(",")):
            if ":" not in spec:
                raise DemoError(200, f"invalid jobset specifier ‘{spec}’")
            pname, jname = spec.split(":", 1)
            world.require_role(user, "eval-jobset", pname)
            if world.push(pname, jname, forced):
                body["jobsetsTriggered"].append(spec)
    except DemoError as exc:
        if exc.status == 403:
            body["error"] = exc.message
            return web.Response(body=json.dumps(body), status=403, content_type="application/json")
        # A Perl die inside /api/push: status 200 with an `error` key.
        body["error"] = f'Caught exception in Hydra::Controller::API->push "{exc.message}"'
    return web.Response(body=json.dumps(body), content_type="application/json")


@routes.get("/search")
async def search(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    query = request.query.get("query", "")
    if not query:
        raise DemoError(500, "Query is empty.")
    if not re.fullmatch(r"[a-zA-Z0-9_\-/.]+", query):
        raise DemoError(500, "Invalid character in query.")
    limit = min(50, max(1, _int(request.query.get("limit", "10"), "limit")))
    q = query.lower()
    visible = [p for p in world.projects.values() if not p.hidden]
    projects = [render.project_json(p) for p in visible if q in p.name.lower() or q in p.description.lower()]
    jobsets = [render.jobset_json(j) for p in visible for j in p.jobsets.values() if j.visible and q in j.name.lower()]
    builds = sorted((b for b in world.builds.values() if q in b.out_path()), key=lambda b: -b.id)[:limit]
    drvs = sorted((b for b in world.builds.values() if q in b.drvpath), key=lambda b: -b.id)[:limit]
    return respond(
        request,
        {
            "projects": projects,
            "jobsets": jobsets,
            "builds": [render.build_json(world, b) for b in builds],
            "buildsdrv": [render.build_json(world, b) for b in drvs],
        },
    )


@routes.get("/evals")
async def global_evals(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    page = max(1, _int(request.query.get("page", "1"), "page"))
    ids = sorted((i for i, e in world.evals.items() if e.big < 0), reverse=True)
    out = []
    for eval_id in ids[(page - 1) * EVALS_PER_PAGE : page * EVALS_PER_PAGE]:
        ev = world.evals[eval_id]
        counts = world.counts(ev)
        out.append(
            {
                "eval": render.eval_json(ev),
                "nrScheduled": counts["nrscheduled"],
                "nrSucceeded": counts["nrsucceeded"],
                "nrFailed": counts["nrfailed"],
                "diff": 0,
                "changedInputs": [],
            }
        )
    return respond(request, out)


@routes.get("/job/{project}/{jobset}/{job}/shield")
async def shield(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    j = world.jobset(request.match_info["project"], request.match_info["jobset"])
    job = request.match_info["job"]
    now = world.now()
    done = [
        b
        for b in world.builds.values()
        if b.project == j.project and b.jobset == j.name and b.job == job and b.phase(now) == "finished"
    ]
    if not done:
        raise DemoError(404, "No finished build found.")
    status = max(done, key=lambda b: b.id).status(now)
    color, message = (
        ("green", "passing") if status == 0 else ("yellow", "cancelled") if status == 4 else ("red", "failing")
    )
    return respond(request, {"schemaVersion": 1, "label": "hydra build", "color": color, "message": message})


@routes.get("/job/{project}/{jobset}/{job}/latest")
async def job_latest(request: web.Request) -> web.Response:
    """ListBuilds.pm `latest`: 302 to the job's newest successful build."""
    world = request.app[WORLD]
    j = world.jobset(request.match_info["project"], request.match_info["jobset"])
    now = world.now()
    filters = {"project": j.project, "jobset": j.name, "job": request.match_info["job"]}
    for b in world.builds_newest_first(filters):
        if all(getattr(b, k) == v for k, v in filters.items()) and b.phase(now) == "finished" and b.status(now) == 0:
            raise web.HTTPFound(f"{request.url.origin()}/build/{b.id}")
    raise DemoError(404, "There is no successful build to redirect to.")


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    world = request.app[WORLD]
    body = await _body(request)
    username, password = str(body.get("username") or ""), str(body.get("password") or "")
    if not username:
        raise DemoError(400, "You must specify a user name.")
    if not password:
        raise DemoError(400, "You must specify a password.")
    token = world.login(username, password)
    location = f"{request.url.origin()}/current-user"
    if wants_json(request):
        response = web.Response(
            body=json.dumps(world.user_json(username)),
            status=302,
            content_type="application/json",
            headers={"Location": location},
        )
    else:
        response = web.Response(status=302, headers={"Location": location})
    response.set_cookie(SESSION_COOKIE, token, httponly=True, path="/", max_age=7 * 86400)
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        request.app[WORLD].sessions.pop(token, None)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.get("/current-user")
async def current_user(request: web.Request) -> web.Response:
    user = session_user(request)
    if user is None:
        raise DemoError(403, "This page requires you to sign in.")
    return respond(request, request.app[WORLD].user_json(user))


@routes.route("*", "/{tail:.*}")
async def not_found(request: web.Request) -> web.Response:
    raise DemoError(404, "Page not found.")


def make_app(world: World, fault_modes: Faults | None = None) -> web.Application:
    app = web.Application(middlewares=[faults, hydra_quirks])
    app[WORLD] = world
    app[FAULTS] = fault_modes or Faults()
    for action in ("restart", "cancel", "bump"):
        for method in ("GET", "POST", "PUT"):
            app.router.add_route(method, r"/build/{id}/{action:" + action + "}", build_action)
    for action in _EVAL_ACTIONS:
        for method in ("GET", "POST", "PUT"):
            app.router.add_route(method, r"/eval/{id}/{action:" + action + "}", eval_action)
    app.add_routes(routes)
    return app
