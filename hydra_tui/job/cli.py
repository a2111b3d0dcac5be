"""`hydra-tui job [--url URL] PROJECT:JOBSET:JOB [--format text|json] [--limit N]`: a job's history for scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from hydra_tui.api.errors import HydraError
from hydra_tui.api.limits import Limits
from hydra_tui.api.text import clean_text
from hydra_tui.api.timefmt import duration
from hydra_tui.config import ConfigError, Profile, load_settings
from hydra_tui.job.history import DEFAULT_LIMIT, JobHistory, add_details, load_history, status_word
from hydra_tui.job.names import JobNameError, JobRef, resolve_job

EPILOG = """\
a bare attribute is resolved as hydra-check does: `hello` is the job hello.SYSTEM (this machine's system, or
--system) of the profile's default_jobset (nixpkgs:trunk unless the config says otherwise), or of --channel's
jobset (unstable, staging-next, 24.11, … as on hydra.nixos.org; the profile's `channels` table adds or overrides).

exit status: 0 the newest finished build succeeded, 1 it failed (or the job has no finished build), 2 usage,
3 the server could not be read.

examples:
  hydra-tui job hello                                     hello.x86_64-linux on nixpkgs:trunk (on Linux x86_64)
  hydra-tui job --channel 24.11 --system aarch64-linux hello
  hydra-tui job --url https://hydra.example.org myproject:main:tests.unit --format json --limit 5
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hydra-tui job",
        description="A job's builds, newest first (the newest evaluation's even while queued or running), and "
        "since when it fails or succeeds, with its last good build.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", metavar="PROJECT:JOBSET:JOB | ATTRIBUTE")
    p.add_argument("--url", help="the Hydra server")
    p.add_argument("--profile", help="a [profiles.NAME] of the config file")
    p.add_argument("--config", type=Path, metavar="PATH", help="the config file to read")
    p.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (warns)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N", help=f"builds (default {DEFAULT_LIMIT})")
    p.add_argument("--system", help="the system of a bare attribute (default: this machine's)")
    p.add_argument("--channel", help="look a bare attribute up in this channel's jobset (unstable, 24.11, …)")
    return p


def resolve_for(profile: Profile, target: str, *, channel: str | None = None, system: str | None = None) -> JobRef:
    """A job named on the command line or in the palette, with the profile's default jobset and channels."""
    return resolve_job(
        target, default_jobset=profile.default_jobset, channels=profile.channels, channel=channel, system=system
    )


def format_text(history: JobHistory, url: str) -> str:
    lines = [f"{history.ref.name}  {url}", history.summary()]
    lines.append(f"{'BUILD':<10} {'STATUS':<19} {'SYSTEM':<14} {'FINISHED':<16} {'DURATION':>8}  EVAL")
    for b in history.builds:
        finished = time.strftime("%Y-%m-%d %H:%M", time.localtime(b.stoptime)) if b.stoptime else "—"
        mark = "*" if b.current else " "
        lines.append(
            f"{b.id:<9}{mark} {status_word(b.state):<19} {b.system:<14} {finished:<16} "
            f"{duration(b.duration) or '—':>8}  {b.eval_id or '—'}"
        )
    if history.current is not None:
        lines.append("* the job's build in the newest evaluation")
    return clean_text("\n".join(lines))


async def fetch(url: str, ref: JobRef, limit: int, *, verify: bool = True, limits: Limits | None = None) -> JobHistory:
    """The job's history with every build's details, through a cache service of its own."""
    from hydra_tui.api.client import HydraClient
    from hydra_tui.cache.service import DataService
    from hydra_tui.clock import SystemClock

    async with HydraClient(url, verify=verify, limits=limits) as client:
        service = DataService(client, SystemClock())
        history = await load_history(service.value, ref, limit)
        await add_details(service.value, history.builds)
        return history


def job_main(args: list[str], *, out: TextIO | None = None, err: TextIO | None = None, limits=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    ns = parser().parse_args(args)
    if ns.limit < 1:
        print("hydra-tui job: --limit must be at least 1.", file=err)
        return 2
    try:
        settings = load_settings(config_path=ns.config, profile=ns.profile, url=ns.url, insecure=ns.insecure)
        ref = resolve_for(settings.profile, ns.target, channel=ns.channel, system=ns.system)
    except (ConfigError, JobNameError) as exc:
        print(f"hydra-tui: {exc}", file=err)
        return 2
    profile = settings.profile
    try:
        history = asyncio.run(fetch(profile.url, ref, ns.limit, verify=not profile.insecure, limits=limits))
    except HydraError as exc:
        print(f"hydra-tui job: {clean_text(str(exc))}", file=err)
        return 3
    except KeyboardInterrupt:
        return 130
    if ns.format == "json":
        print(json.dumps(history.to_json()), file=out)
    else:
        url = f"{profile.url}/job/{ref.project}/{ref.jobset}/{ref.job}"
        print(format_text(history, url), file=out)
    if not history.builds:
        print(
            f"hydra-tui job: {ref.name} has no builds. Is the name right? A bare attribute gets this machine's "
            "system appended (see --system, --channel).",
            file=err,
        )
        return 1
    streak = history.streak()
    return 1 if streak is None or streak.failing else 0
