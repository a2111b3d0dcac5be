"""The command line: the dashboard (default), `watch`, `demo-server`, `logout`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from hydra_tui import __version__
from hydra_tui.config import ConfigError, Settings, default_config_file, load_settings, state_dir

MAIN_EPILOG = """\
examples:
  hydra-tui --demo                       the dashboard on the built-in demo Hydra
  hydra-tui                              hydra.nixos.org (the default server)
  hydra-tui --url https://hydra.example.org nixpkgs:trunk
  hydra-tui --profile work               a server named in the config file

subcommands (each has --help):
  watch PROJECT:JOBSET   watch one jobset; line or JSON output for scripts
  report PROJECT:JOBSET  what an evaluation newly breaks and why (text, Markdown or JSON)
  status                 the queue, running builds and build machines, printed once (--json)
  job PROJECT:JOBSET:JOB a job's builds and since when it fails (text or JSON); `job hello` as hydra-check
  demo-server            run the demo Hydra alone, for curl or other clients
  logout                 forget the saved login of a server

settings come from flags, then the environment (HYDRA_URL, HYDRA_PROFILE, HYDRA_USER,
HYDRA_PASSWORD, HYDRA_TUI_CONFIG), then the config file ({config}), then defaults.
"""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the Hydra server (default: $HYDRA_URL, the profile's url, else hydra.nixos.org)")
    parser.add_argument("--profile", help="a [profiles.NAME] of the config file")
    parser.add_argument("--config", type=Path, metavar="PATH", help="the config file to read")
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (warns)")


def _main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hydra-tui",
        description="A terminal dashboard for Hydra, the Nix continuous-integration server.",
        epilog=MAIN_EPILOG.format(config=default_config_file()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hydra-tui {__version__}")
    _common(parser)
    parser.add_argument("--demo", action="store_true", help="start the built-in demo Hydra and connect to it")
    parser.add_argument("--read-only", action="store_true", help="disable every action (push, restart, …)")
    parser.add_argument(
        "target",
        nargs="?",
        metavar="PROJECT[:JOBSET[:JOB]]",
        help="open at this project, jobset or job instead of the list",
    )
    return parser


def _demo_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hydra-tui demo-server",
        description="Serve the built-in demo Hydra over HTTP on 127.0.0.1, for curl or any client.",
        epilog="example:\n  hydra-tui demo-server --port 3000 &\n"
        "  curl -H 'Accept: application/json' http://127.0.0.1:3000/api/jobsets?project=hello\n\n"
        "users: alice / alice-pw (every action role), bob / bob-pw (no roles), root / root-pw (admin)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated data (default 1)")
    parser.add_argument(
        "--queue-runner",
        choices=("rust", "legacy", "down", "unknown", "unreachable"),
        default="rust",
        help="the queue runner's format for /machines and /queue-runner-status, or its absence (default rust)",
    )
    parser.add_argument(
        "--faults",
        metavar="SPEC",
        help="switch fault modes on, e.g. latency=0.5,errors=0.2,rate_limit,resets=0.1,bad_json=0.1,html=0.1",
    )
    return parser


def _logout_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hydra-tui logout",
        description="Forget the saved login (session cookie) of a server, and end the session on the server.",
        epilog="examples:\n  hydra-tui logout\n  hydra-tui logout --url https://hydra.example.org\n"
        "  hydra-tui logout --all",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser)
    parser.add_argument("--all", action="store_true", help="forget the logins of every server")
    return parser


def _settings(ns: argparse.Namespace, **extra: object) -> Settings:
    return load_settings(
        config_path=ns.config,
        profile=ns.profile,
        url=ns.url,
        insecure=ns.insecure,
        **extra,  # type: ignore[arg-type]
    )


def _logout(args: list[str]) -> int:
    from hydra_tui.api.client import HydraClient
    from hydra_tui.auth import Auth, SessionStore

    ns = _logout_parser().parse_args(args)
    store = SessionStore(state_dir() / "sessions.json")
    if ns.all:
        had = store.forget()
        print("Forgot every saved login." if had else "No saved logins.")
        return 0
    settings = _settings(ns)

    async def run() -> bool:
        async with HydraClient(settings.profile.url, verify=not settings.profile.insecure) as client:
            auth = Auth(client, settings.profile, store)
            cookie = store.get(settings.profile.url)
            if cookie:
                client.set_session_cookie(cookie)
            await auth.logout()
            return bool(cookie)

    had = asyncio.run(run())
    print(f"Logged out of {settings.profile.url}." if had else f"No saved login for {settings.profile.url}.")
    return 0


#: The subcommands, which take the global options too (before or after their name, as with git, gh, kubectl).
SUBCOMMANDS = ("demo-server", "logout", "report", "watch", "status", "job")
#: Subcommands that never write: --read-only before them is true already, and dropped.
READ_ONLY_SUBCOMMANDS = ("report", "watch", "status", "job")
GLOBAL_WITH_VALUE = ("--url", "--profile", "--config")
GLOBAL_FLAGS = ("--insecure", "--demo", "--read-only")


def split_globals(args: list[str]) -> tuple[str | None, list[str]]:
    """`hydra-tui [GLOBAL OPTIONS] SUBCOMMAND ARGS` as (SUBCOMMAND, its arguments with the global options put
    after its name); (None, args) when there is no subcommand (the dashboard)."""
    lead: list[str] = []
    i = 0
    while i < len(args):
        name = args[i].split("=", 1)[0]
        if name in GLOBAL_WITH_VALUE:
            step = 1 if "=" in args[i] else 2
            lead += args[i : i + step]
            i += step
        elif args[i] in GLOBAL_FLAGS:
            lead.append(args[i])
            i += 1
        else:
            break
    if i < len(args) and args[i] in SUBCOMMANDS:
        command = args[i]
        if command in READ_ONLY_SUBCOMMANDS:
            lead = [a for a in lead if a != "--read-only"]
        return command, lead + args[i + 1 :]
    return None, args


def main(argv: Sequence[str] | None = None) -> int:
    command, rest = split_globals(list(sys.argv[1:] if argv is None else argv))
    args = [command, *rest] if command is not None else rest
    try:
        if args and args[0] == "demo-server":
            return _demo_server(args[1:])
        if args and args[0] == "logout":
            return _logout(args[1:])
        if args and args[0] == "report":
            from hydra_tui.report.cli import report_main

            return report_main(args[1:])
        if args and args[0] == "status":
            from hydra_tui.operator_cli import status_main

            return status_main(args[1:])
        if args and args[0] == "job":
            from hydra_tui.job.cli import job_main

            return job_main(args[1:])
        if args and args[0] == "watch":
            from hydra_tui.watch.cli import watch_main

            return watch_main(args[1:])
        ns = _main_parser().parse_args(args)
        settings = _settings(ns, read_only=ns.read_only or None)
    except ConfigError as exc:
        print(f"hydra-tui: {exc}", file=sys.stderr)
        return 2
    if settings.profile.insecure:
        print("hydra-tui: warning: TLS certificates are NOT verified (--insecure).", file=sys.stderr)
    from hydra_tui.ui.run import run_dashboard

    return run_dashboard(settings, demo=ns.demo, target=ns.target)


def _demo_server(args: list[str]) -> int:
    ns = _demo_parser().parse_args(args)
    from hydra_tui.demo.faults import Faults
    from hydra_tui.demo.runner import serve_forever

    try:
        faults = Faults.parse(ns.faults) if ns.faults else None
    except ValueError as exc:
        print(f"hydra-tui demo-server: {exc}", file=sys.stderr)
        return 2
    try:
        serve_forever(ns.port, seed=ns.seed, faults=faults, queue_runner=ns.queue_runner)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"hydra-tui: cannot serve on port {ns.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
