"""The command line: the dashboard (default), `demo-server`; picks what to run and with which settings."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hydra_tui import __version__

DEFAULT_URL = "https://hydra.nixos.org"

MAIN_EPILOG = """\
examples:
  hydra-tui --demo                       the dashboard on the built-in demo Hydra
  hydra-tui                              hydra.nixos.org
  hydra-tui --url https://hydra.example.org nixpkgs:trunk
  hydra-tui demo-server --port 3000      serve the demo Hydra for curl or other clients

subcommands:
  demo-server   run the demo Hydra alone (see: hydra-tui demo-server --help)
"""


def _main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hydra-tui",
        description="A terminal dashboard for Hydra, the Nix continuous-integration server.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hydra-tui {__version__}")
    parser.add_argument("--url", help=f"the Hydra server (default: $HYDRA_URL, else {DEFAULT_URL})")
    parser.add_argument("--demo", action="store_true", help="start the built-in demo Hydra and connect to it")
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (warns)")
    parser.add_argument(
        "target", nargs="?", metavar="PROJECT[:JOBSET]", help="open at this project or jobset instead of the list"
    )
    return parser


def _demo_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hydra-tui demo-server",
        description="Serve the built-in demo Hydra over HTTP on 127.0.0.1, for curl or any client.",
        epilog="example:\n  hydra-tui demo-server --port 3000 &\n"
        "  curl -H 'Accept: application/json' http://127.0.0.1:3000/api/jobsets?project=hello",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated data (default 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "demo-server":
        demo_args = _demo_parser().parse_args(args[1:])
        from hydra_tui.demo.runner import serve_forever

        try:
            serve_forever(demo_args.port, seed=demo_args.seed)
        except KeyboardInterrupt:
            pass
        except OSError as exc:
            print(f"hydra-tui: cannot serve on port {demo_args.port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        return 0

    ns = _main_parser().parse_args(args)
    url = ns.url or os.environ.get("HYDRA_URL") or DEFAULT_URL
    target = ns.target
    if ns.insecure:
        print("hydra-tui: warning: TLS certificates are NOT verified (--insecure).", file=sys.stderr)
    from hydra_tui.ui.run import run_dashboard

    return run_dashboard(url=url, demo=ns.demo, target=target, verify=not ns.insecure)
