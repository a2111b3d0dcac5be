"""`hydra-tui report PROJECT:JOBSET`: what an evaluation newly breaks and why, printed once for scripts,
issues and chat. Progress goes to stderr, the report to stdout."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TextIO

from hydra_tui.cli_server import command_server
from hydra_tui.config import ConfigError, load_settings

EPILOG = """\
--compare takes an evaluation id, -1d / -1w (this jobset one day / one week earlier), -12h, -SECONDS,
or another jobset of the same project (its latest evaluation), e.g. staging-next against trunk.

examples:
  hydra-tui report nixpkgs:trunk
  hydra-tui report nixpkgs:staging-next --compare trunk --format markdown
  hydra-tui report --url https://hydra.example.org myproject:main --eval 1234 --format json --all-failures

exit status: 0 when the report was printed, 1 when the server could not answer, 2 for bad arguments.
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hydra-tui report",
        description=(
            "Compare an evaluation with another (the one before by default) the way Hydra's evaluation page "
            "does, list its failing builds and group its dependency failures by the build that broke them."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", metavar="PROJECT:JOBSET")
    p.add_argument("--url", help="the Hydra server")
    p.add_argument("--profile", help="a [profiles.NAME] of the config file")
    p.add_argument("--config", type=Path, metavar="PATH", help="the config file to read")
    p.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (warns)")
    p.add_argument("--demo", action="store_true", help="report on a jobset of the built-in demo Hydra")
    p.add_argument("--eval", type=int, metavar="ID", help="the evaluation (default: the jobset's latest)")
    p.add_argument("--compare", metavar="ID|-1d|-1w|JOBSET", help="what to compare with (default: the one before)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument(
        "--all-failures",
        action="store_true",
        help="root causes of every failing build, not only of the newly failing ones (more requests)",
    )
    p.add_argument(
        "--max-pages",
        type=int,
        metavar="N",
        help="read at most N build pages for root causes (a fair sample; the counts become lower bounds)",
    )
    return p


def report_main(
    args: list[str],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    demo_url: str | None = None,
    limits: object = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    ns = parser().parse_args(args)
    project, sep, jobset = ns.target.partition(":")
    if not sep or not project or not jobset:
        print(f"hydra-tui report: give the jobset as PROJECT:JOBSET, not '{ns.target}'.", file=err)
        return 2
    try:
        settings = load_settings(
            config_path=ns.config, profile=ns.profile, url=demo_url or ns.url, insecure=ns.insecure
        )
    except ConfigError as exc:
        print(f"hydra-tui: {exc}", file=err)
        return 2
    try:
        with command_server(settings, demo=ns.demo and demo_url is None, err=err) as url:
            verify = not settings.profile.insecure
            return asyncio.run(_report(ns, url, project, jobset, out, err, limits=limits, verify=verify))
    except KeyboardInterrupt:
        return 130


async def _report(ns, url: str, project: str, jobset: str, out: TextIO, err: TextIO, *, limits, verify: bool) -> int:
    from hydra_tui.api.client import HydraClient
    from hydra_tui.api.errors import HydraError
    from hydra_tui.auth import SessionStore
    from hydra_tui.cache.service import DataService
    from hydra_tui.clock import SystemClock
    from hydra_tui.config import state_dir
    from hydra_tui.report import output
    from hydra_tui.report.evalreport import build_report, parse_compare

    async with HydraClient(url, verify=verify, limits=limits) as client:  # type: ignore[arg-type]
        cookie = SessionStore(state_dir() / "sessions.json").get(url)
        if cookie:
            client.set_session_cookie(cookie)
        service = DataService(client, SystemClock())
        try:
            report = await build_report(
                service,
                project,
                jobset,
                eval_id=ns.eval,
                compare=parse_compare(ns.compare),
                all_failures=ns.all_failures,
                max_pages=ns.max_pages,
                on_progress=lambda text: print(text, file=err, flush=True),
            )
        except HydraError as exc:
            print(f"hydra-tui report: {exc}", file=err)
            return 1
        finally:
            service.poller.cancel_all()
            service.cache.cancel_fetches()
        limited = client.health.statuses.get(429, 0)
        print(
            f"{client.health.requests:,} requests"
            + (f", {limited} answered 429 (rate limited)." if limited else ", none rate limited."),
            file=err,
        )
    if ns.format == "json":
        out.write(output.as_json(report))
    elif ns.format == "markdown":
        out.write(output.as_markdown(report, url))
    else:
        out.write(output.as_text(report))
    return 0
