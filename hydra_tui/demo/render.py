"""The demo's objects as a real Hydra serialises them (reference §4): 0/1 ints, "" for absent strings."""

from __future__ import annotations

from typing import Any

from hydra_tui.demo.world import Build, Eval, Jobset, Project, World


def project_json(p: Project) -> dict[str, Any]:
    return {
        "name": p.name,
        "displayname": p.displayname,
        "description": p.description,
        "homepage": p.homepage,
        "owner": p.owner,
        "enabled": p.enabled,
        "hidden": p.hidden,
        "enable_dynamic_run_command": False,
        "jobsets": list(p.jobsets),
    }


def jobset_json(j: Jobset, *, with_error: bool = False) -> dict[str, Any]:
    return {
        "name": j.name,
        "project": j.project,
        "description": j.description,
        "nixexprinput": j.nixexprinput,
        "nixexprpath": j.nixexprpath,
        # Hydra stopped loading errormsg by default in 2024; only /errors carries it.
        "errormsg": j.errormsg if with_error else "",
        "errortime": j.errortime,
        "emailoverride": j.emailoverride,
        "fetcherrormsg": j.fetcherrormsg,
        "flake": j.flake,
        "type": j.type,
        "enabled": j.enabled,
        "visible": j.visible,
        "enableemail": False,
        "enable_dynamic_run_command": False,
        "keepnr": j.keepnr,
        "checkinterval": j.checkinterval,
        "schedulingshares": j.schedulingshares,
        "lastcheckedtime": j.lastcheckedtime,
        "triggertime": j.triggertime,
        "starttime": j.starttime,
        "inputs": {k: dict(v) for k, v in j.inputs.items()},
    }


def jobset_overview_json(world: World, j: Jobset) -> dict[str, Any]:
    counts = (
        world.counts(world.evals[j.evals[-1]])
        if j.evals
        else {"nrscheduled": 0, "nrsucceeded": 0, "nrfailed": 0, "nrtotal": 0}
    )
    return {
        "project": j.project,
        "name": j.name,
        **counts,
        "lastcheckedtime": j.lastcheckedtime,
        "starttime": j.starttime,
        "checkinterval": j.checkinterval,
        "triggertime": j.triggertime,
        "fetcherrormsg": j.fetcherrormsg or None,
        "errortime": j.errortime,
        "haserrormsg": False,  # what real Hydra sends since 2024-04
    }


def eval_json(ev: Eval) -> dict[str, Any]:
    return {
        "id": ev.id,
        "timestamp": ev.timestamp,
        "checkouttime": ev.checkouttime,
        "evaltime": ev.evaltime,
        "hasnewbuilds": 1,
        "flake": ev.flake,
        "builds": list(ev.build_ids),
        "jobsetevalinputs": {k: dict(v) for k, v in ev.inputs.items()},
    }


def build_json(world: World, b: Build) -> dict[str, Any]:
    now = world.now()
    phase = b.phase(now)
    finished = phase == "finished"
    started = phase != "queued"
    status = b.status(now)
    stop = (b.cancelled_at if b.cancelled_at is not None else b.finish_at) if finished else None
    outputs: dict[str, Any] = {"out": {"path": b.out_path()}}
    products: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    job = b.job.rsplit(".", 1)[0]
    if job.startswith("docs"):
        outputs["doc"] = {"path": b.out_path() + "-doc"}
        products["1"] = {
            "type": "doc",
            "subtype": "manual",
            "name": "manual",
            "path": b.out_path() + "-doc",
            "defaultpath": "share/doc/index.html",
            "filesize": None,
            "sha256hash": None,
        }
    if job == "tarball" and status == 0:
        products["1"] = {
            "type": "file",
            "subtype": "source-dist",
            "name": f"{b.nixname}.tar.xz",
            "path": f"{b.out_path()}/{b.nixname}.tar.xz",
            "defaultpath": "",
            "filesize": 1_234_567 + b.id % 1000,
            "sha256hash": store_sha(b.id),
        }
    if job in ("coverage", "bench") and status == 0:
        metrics = {
            "lineCoverage": {"value": 80 + b.id % 19 + 0.5, "unit": "%"},
            "testCount": {"value": 400 + b.id % 50, "unit": None},
        }
    return {
        "id": b.id,
        "finished": int(finished),
        "buildstatus": status,
        "timestamp": b.timestamp,
        "starttime": (b.start_at if b.start_at is not None and b.cancelled_at is None else stop) if started else None,
        "stoptime": stop,
        "project": b.project,
        "jobset": b.jobset,
        "job": b.job,
        "system": b.system,
        "nixname": b.nixname,
        "releasename": None,
        "priority": b.priority,
        "drvpath": b.drvpath,
        "jobsetevals": list(b.evals),
        "buildoutputs": outputs,
        "buildproducts": products,
        "buildmetrics": metrics,
    }


def api_build_json(world: World, b: Build) -> dict[str, Any]:
    full = build_json(world, b)
    slim = {k: full[k] for k in ("id", "project", "jobset", "job", "system", "nixname", "finished", "timestamp")}
    if full["finished"]:
        slim["buildstatus"] = full["buildstatus"]
    else:
        slim["priority"] = full["priority"]
    return slim


def store_sha(n: int) -> str:
    from hashlib import sha256

    return sha256(str(n).encode()).hexdigest()
