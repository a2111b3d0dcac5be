"""`hydra-tui watch PROJECT:JOBSET`: the TUI in watch mode on a terminal, one line per change otherwise."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from hydra_tui.cli_server import command_server
from hydra_tui.config import ConfigError, Profile, load_settings
from hydra_tui.job.mine import MineSpec, parse_specs, profile_specs
from hydra_tui.job.names import JobNameError

MIN_INTERVAL = 5.0
DEFAULT_INTERVAL = 30.0

EPILOG = """\
exit status with --exit-status (once the latest evaluation has no queued or running builds):
  0    every build succeeded
  1    some build failed (Hydra's ✘ count, leaving out what 3 covers)
  2    the evaluation itself failed
  3    every failed build was aborted, cancelled, timed out or over the log limit
  124  --timeout ran out first

examples:
  hydra-tui watch nixpkgs:trunk                       the dashboard, watching one jobset
  hydra-tui watch --mine --plain                      the jobs the profile lists (mine, mine_filters)
  hydra-tui watch nixpkgs:trunk:hello.x86_64-linux nixpkgs:trunk:openssl.x86_64-linux    these jobs
  hydra-tui watch --plain myproject:main | tee log    one line per change
  hydra-tui watch --json --exit-status --timeout 3600 myproject:main && deploy
  hydra-tui watch --on-change 'notify-send "$HYDRA_TUI_SUMMARY"' myproject:main
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hydra-tui watch",
        description=(
            "Watch one jobset: refresh by itself, highlight what changed since you started (newly failed, fixed, "
            "newly queued, new evaluations) and announce each change that matters (toast, bell, desktop "
            "notification via OSC 9 / OSC 777, optional command). When stdout is not a terminal, or with --plain "
            "or --json, print one line per change instead."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", nargs="*", metavar="PROJECT:JOBSET | JOB", help="one jobset, or jobs to follow")
    p.add_argument("--mine", action="store_true", help="follow the jobs the profile lists (mine, mine_filters)")
    p.add_argument("--url", help="the Hydra server")
    p.add_argument("--profile", help="a [profiles.NAME] of the config file")
    p.add_argument("--config", type=Path, metavar="PATH", help="the config file to read")
    p.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (warns)")
    p.add_argument("--demo", action="store_true", help="watch a jobset of the built-in demo Hydra")
    p.add_argument("--plain", action="store_true", help="no UI: one line per change")
    p.add_argument("--json", action="store_true", help="no UI: one JSON object per line per change")
    p.add_argument("--exit-status", action="store_true", help="exit when the latest evaluation is done (codes below)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long (exit 124)")
    p.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"seconds between polls (default {DEFAULT_INTERVAL:g}, at least {MIN_INTERVAL:g})",
    )
    p.add_argument("--on-change", metavar="COMMAND", help="run this shell command on each change that matters")
    return p


def watch_main(
    args: list[str], *, out=None, err=None, sleep=None, clock=None, demo_url: str | None = None, limits=None
) -> int:
    ns = parser().parse_args(args)
    out = out or sys.stdout
    err = err or sys.stderr
    jobs_mode = ns.mine or len(ns.target) != 1 or ns.target[0].count(":") != 1
    project, jobset = ns.target[0].partition(":")[::2] if not jobs_mode else ("", "")
    if not jobs_mode and (not project or not jobset):
        print(f"hydra-tui watch: give the jobset as PROJECT:JOBSET, not '{ns.target[0]}'.", file=err)
        return 2
    if jobs_mode and not ns.mine and not ns.target:
        print("hydra-tui watch: give a jobset (PROJECT:JOBSET), jobs (PROJECT:JOBSET:JOB), or --mine.", file=err)
        return 2
    loose = [t for t in ns.target if t.count(":") != 2] if jobs_mode else []
    if loose:
        print(
            f"hydra-tui watch: give the jobset as PROJECT:JOBSET or jobs as PROJECT:JOBSET:JOB, not '{loose[0]}' "
            "(bare attributes go in the profile's mine list, for --mine).",
            file=err,
        )
        return 2
    try:
        settings = load_settings(
            config_path=ns.config, profile=ns.profile, url=demo_url or ns.url, insecure=ns.insecure
        )
        specs = _specs(ns, settings.profile) if jobs_mode else None
    except (ConfigError, JobNameError) as exc:
        print(f"hydra-tui: {exc}", file=err)
        return 2
    if specs is not None and not specs:
        print(
            f"hydra-tui watch: the profile '{settings.profile.name}' lists no jobs: add mine = [\"JOB\", …] or "
            'mine_filters = ["TEXT", …] to its table in the config file, or name jobs on the command line.',
            file=err,
        )
        return 2
    interval = ns.interval if ns.interval is not None else (settings.profile.poll_interval or DEFAULT_INTERVAL)
    if interval < MIN_INTERVAL:
        print(f"hydra-tui watch: --interval {interval:g} is below the floor; using {MIN_INTERVAL:g}s.", file=err)
        interval = MIN_INTERVAL
    try:
        with command_server(settings, demo=ns.demo and demo_url is None, err=err) as url:
            if ns.plain or ns.json or not out.isatty():
                return asyncio.run(
                    _lines(
                        ns,
                        url,
                        project,
                        jobset,
                        interval,
                        out,
                        err,
                        sleep,
                        clock,
                        verify=not settings.profile.insecure,
                        limits=settings.profile.limits(limits),
                        specs=specs,
                    )
                )
            from hydra_tui.ui.watch_run import run_watch_ui

            return run_watch_ui(
                settings,
                project,
                jobset,
                interval=interval,
                exit_status=ns.exit_status,
                timeout=ns.timeout,
                on_change=ns.on_change,
                specs=specs,
            )
    except KeyboardInterrupt:
        return 130


def _specs(ns: argparse.Namespace, profile: Profile) -> list[MineSpec]:
    """The jobs to follow: those named on the command line, and with --mine the profile's list."""
    specs = parse_specs(profile, ns.target)
    if ns.mine:
        specs += [s for s in profile_specs(profile) if s not in specs]
    return specs


async def _lines(
    ns, url, project, jobset, interval, out, err, sleep, clock, *, verify: bool, limits=None, specs=None
) -> int:
    from hydra_tui.api.client import HydraClient
    from hydra_tui.cache.service import DataService
    from hydra_tui.clock import SystemClock
    from hydra_tui.watch.core import Watcher
    from hydra_tui.watch.jobs import JobsWatcher
    from hydra_tui.watch.lines import watch_lines

    clock = clock or SystemClock()
    async with HydraClient(url, verify=verify, limits=limits) as client:
        if specs is not None:
            watcher = JobsWatcher(DataService(client, clock), specs, clock)
        else:
            watcher = Watcher(client, project, jobset, clock)
        kwargs = {"sleep": sleep} if sleep is not None else {}
        return await watch_lines(
            watcher,
            interval=interval,
            clock=clock,
            as_json=ns.json,
            exit_status=ns.exit_status,
            timeout=ns.timeout,
            on_change=ns.on_change,
            out=out,
            err=err,
            **kwargs,
        )
