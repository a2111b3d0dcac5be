"""`hydra-tui status`: the queue, the running builds and the build machines, printed once (text or JSON).

No Textual here: the same fetch (`fetch_view`) and cell texts (`*_cells`) serve the operator screen and this
command, so the two always agree.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from hydra_tui.api.client import HydraClient
from hydra_tui.api.errors import HydraError
from hydra_tui.api.operator import Machine, OperatorView, RunnerStatus, RunningBuild, SystemQueue, assemble
from hydra_tui.api.timefmt import ago, duration
from hydra_tui.cache.service import QUEUE_HEAD_NR
from hydra_tui.cli_server import command_server
from hydra_tui.config import ConfigError, load_settings

QUEUE_COLUMNS = ("system", "queued", "runnable", "waiting", "building", "avg wait")
RUNNING_COLUMNS = ("build", "job", "project:jobset", "system", "machine", "running")
MACHINE_COLUMNS = ("machine", "systems", "load", "jobs", "steps", "last seen", "state", "mem", "store")


def num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def size(n: int | None) -> str:
    """Bytes in binary units, short: `512M`, `46G`, `1.5T`."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "K", "M", "G"):
        if value < 1024:
            return f"{value:.0f}{unit}"
        value /= 1024
    return f"{value:.1f}T"


def queue_cells(q: SystemQueue) -> list[str]:
    return [
        q.system,
        num(q.queued),
        num(q.runnable),
        num(q.waiting),
        num(q.building),
        duration(q.avg_wait) if q.avg_wait is not None else "—",
    ]


def running_time(build: RunningBuild, first_seen: float | None, seen_at_start: bool, now: float) -> str:
    """Since the build's start when the server says it, else since hydra-tui first saw it building (`≥` when it
    was already building then: `/status` carries no start time)."""
    if build.starttime:
        return duration(now - build.starttime)
    if first_seen is None:
        return "—"
    return ("≥" if seen_at_start else "") + duration(now - first_seen)


def running_cells(build: RunningBuild, time_text: str) -> list[str]:
    return [
        str(build.id),
        build.job,
        f"{build.project}:{build.jobset}",
        build.system,
        build.machine or "—",
        time_text,
    ]


def machine_state(m: Machine, now: float) -> str:
    """`building`, `idle`, `off till 12:04, 3 fails` (disabled until then after 3 failures in a row), `2 fails`…
    It does not change with the clock, so that a change of state is a real one."""
    parts = []
    if m.disabled_until is not None:
        parts.append(f"off till {time.strftime('%H:%M', time.localtime(m.disabled_until))}")
    elif not m.enabled:
        parts.append("disabled")
    if m.consecutive_failures:
        parts.append(f"{m.consecutive_failures} fail{'s' if m.consecutive_failures != 1 else ''}")
    if parts:
        return ", ".join(parts)
    return "building" if m.current_jobs else "idle"


def machine_cells(m: Machine, now: float) -> list[str]:
    jobs = f"{num(m.current_jobs)}/{num(m.max_jobs)}" if m.current_jobs is not None or m.max_jobs else "—"
    mem = "—"
    systems = m.systems[0] + (f" +{len(m.systems) - 1}" if len(m.systems) > 1 else "") if m.systems else "—"
    if m.mem_total:
        mem = f"{size(m.mem_usage)}/{size(m.mem_total)}" if m.mem_usage is not None else size(m.mem_total)
    return [
        m.hostname,
        systems,
        f"{m.load1:.2f}" if m.load1 is not None else "—",
        jobs,
        num(m.steps_done),
        ago(m.last_seen, now) if m.last_seen else "—",
        machine_state(m, now),
        mem,
        f"{m.store_free_percent:.0f}%" if m.store_free_percent is not None else "—",
    ]


def runner_line(r: RunnerStatus) -> str:
    """`runner up (Rust, 1d 00h)`, `runner DOWN`, `runner unknown (none configured)`, `runner UNREACHABLE`."""
    if r.state != "up":
        return {
            "down": "runner DOWN",
            "unknown": "runner unknown (none configured)",
            "unreachable": "runner UNREACHABLE",
        }[r.state]
    up = f", {duration(r.uptime)}" if r.uptime else ""
    return f"runner up ({'Rust' if r.format == 'rust' else 'C++'}{up})"


async def fetch_view(client: HydraClient) -> OperatorView:
    """The four documents at once (and the queue's head when the runner says nothing per system)."""
    errors: dict[str, str] = {}

    async def get(name: str, coro: Any) -> Any:
        try:
            return await coro
        except HydraError as exc:
            errors[name] = str(exc)
            return None

    queued, runner, status, listed = await asyncio.gather(
        get("/api/nrqueue", client.queue_size()),
        get("/queue-runner-status", client.queue_runner_status()),
        get("/status", client.running()),
        get("/machines", client.machines()),
    )
    head = None
    if runner is None or not runner.queue:
        head = await get("/api/queue", client.queue(QUEUE_HEAD_NR))
    return assemble(
        queued=queued, runner=runner, status=status or (), listed=listed or (), queue_head=head, errors=errors
    )


def _table(headers: Sequence[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def render_text(view: OperatorView, now: float) -> str:
    """The three parts as plain text tables, with the totals first."""
    lines = [
        f"{num(view.queued)} queued  {len(view.running):,} building  "
        f"{sum(1 for m in view.machines if not m.trouble):,}/{len(view.machines):,} machines ok  "
        f"{runner_line(view.runner)}"
    ]
    for source, why in view.errors.items():
        lines.append(f"! {source}: {why}")
    lines += ["", "Queue by system" + ("" if view.runner.queue else f" (the next {QUEUE_HEAD_NR} queued builds)")]
    lines += _table(QUEUE_COLUMNS, [queue_cells(q) for q in view.queue]) if view.queue else ["  (nothing)"]
    lines += ["", "Running"]
    rows = [running_cells(b, duration(now - b.starttime) if b.starttime else "—") for b in view.running]
    lines += _table(RUNNING_COLUMNS, rows) if rows else ["  (nothing is building)"]
    lines += ["", "Machines"]
    rows = [machine_cells(m, now) for m in view.machines]
    lines += _table(MACHINE_COLUMNS, rows) if rows else ["  (none reported)"]
    return "\n".join(lines) + "\n"


def render_json(view: OperatorView) -> str:
    return json.dumps(dataclasses.asdict(view), indent=2) + "\n"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hydra-tui status",
        description="Print the queue by system, the running builds and the build machines once.",
        epilog="exit status: 0 the queue runner is up; 1 it is down, unknown or unreachable; 2 Hydra cannot be read",
    )
    p.add_argument("--url", help="Hydra base URL (default: the profile's, or $HYDRA_URL)")
    p.add_argument("--profile", help="config profile to use")
    p.add_argument("--config", type=Path, help="config file (default: the user config dir's config.toml)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--demo", action="store_true", help="ask the built-in demo Hydra")
    p.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (warns)")
    return p


def status_main(args: Sequence[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    ns = _parser().parse_args(list(args))
    try:
        settings = load_settings(config_path=ns.config, profile=ns.profile, url=ns.url, insecure=ns.insecure)
    except ConfigError as exc:
        print(f"hydra-tui status: {exc}", file=err)
        return 2
    try:
        with command_server(settings, demo=ns.demo, err=err) as url:
            return asyncio.run(_run(ns, url, not settings.profile.insecure, out, err))
    except KeyboardInterrupt:
        return 130


async def _run(ns: argparse.Namespace, url: str, verify: bool, out: TextIO, err: TextIO) -> int:
    async with HydraClient(url, verify=verify) as client:
        view = await fetch_view(client)
    if view.queued is None and view.runner.format == "none" and not view.running and view.errors:
        for source, why in view.errors.items():
            print(f"hydra-tui status: {source}: {why}", file=err)
        return 2
    out.write(render_json(view) if ns.json else render_text(view, time.time()))
    return 0 if view.runner.up else 1
