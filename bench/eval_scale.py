"""Issue 9's figures: a nixpkgs-sized evaluation on a server that answers like hydra.nixos.org.

The demo Hydra runs in its own process with its nginx-like limit on (2 requests/s, burst 7, then 429), and
hydra-tui uses its default, polite limits. Prints, with the requests each needs and the 429s seen:
  - in the app: Enter on the newest evaluation until newly failing jobs are on screen; a job-name search;
  - the comparison's first page and the failing categories whole (the client alone);
  - a job-name search over the 250,000 builds (`filter=`) and an exact job lookup (`/eval/N/job/NAME`);
  - `hydra-tui report` (root causes from a sample of --pages build pages; --pages 0 reads them all);
  - peak RSS of each process.
Run:  python bench/eval_scale.py [--pages 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import demo_server, here_first  # bench/bench.py, beside this script

HERE = Path(__file__).resolve().parent
sys.path.insert(1, str(HERE.parent))  # hydra_tui from this checkout, not from wherever it is installed


async def client_figures(url: str) -> dict[str, object]:
    from hydra_tui.api.client import HydraClient
    from hydra_tui.api.comparison import Change

    out: dict[str, object] = {}
    async with HydraClient(url) as client:
        eval_id = await client.latest_eval_id("nixpkgs", "trunk")

        async def timed(name: str, make) -> object:
            before = client.health.requests
            started = time.perf_counter()
            value = await make()
            out[name] = (time.perf_counter() - started, client.health.requests - before)
            return value

        first = await timed("comparison, first page (250 rows a tab)", lambda: client.compare(eval_id))
        newly = first.categories[Change.NEWLY_FAILING].builds[0]
        await timed(
            "failing categories whole (full=1, read up to the passing rows)",
            lambda: client.compare(eval_id, full=True, until=Change.STILL_SUCCEEDING),
        )
        word = newly.job.split(".")[0]
        found = await timed(f"job-name search '{word}' (filter=)", lambda: client.compare(eval_id, filter=word))
        out["search matches"] = sum(c.count for c in found.categories.values())
        await timed(f"exact job '{newly.job}' (/eval/N/job/NAME)", lambda: client.eval_job(eval_id, newly.job))
        out["429s (client)"] = client.health.statuses.get(429, 0)
    out["peak RSS, client (MB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def ui_figures(url: str) -> dict[str, object]:
    """The app itself, in its own process (eval_probe.py), as a person uses it."""
    done = subprocess.run(
        [sys.executable, str(HERE / "eval_probe.py"), url],
        capture_output=True,
        text=True,
        env=here_first(),
        timeout=600,
        check=True,
    )
    m = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "app: Enter on the newest evaluation until newly failing jobs are on screen": (
            m["open_eval_newly_failing_s"],
            m["open_eval_requests"],
        ),
        "app: newly failing count on screen": m["newly_failing"],
        "app: / then Enter, a job-name search over the 250,000 builds": (m["search_s"], m["search_requests"]),
        "app: search matches": m["search_matches"],
        "app: 429s": m["429s"],
        "peak RSS, app (MB)": float(m["peak_rss_mb"]),
    }


def report_figures(url: str, pages: int) -> dict[str, object]:
    args = [sys.executable, "-m", "hydra_tui", "report", "--url", url, "nixpkgs:trunk", "--format", "json"]
    if pages:
        args += ["--max-pages", str(pages)]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=here_first(), timeout=7200, check=True)
    seconds = time.perf_counter() - started
    report = json.loads(done.stdout)
    summary = done.stderr.strip().splitlines()[-1]
    scope = report["root_causes_scope"]
    return {
        "report: seconds": seconds,
        "report: " + summary: "",
        "report: pages read / dependency failures in scope": f"{scope['pages_read']:,} / "
        f"{scope['dependency_failures']:,}",
        "report: root causes": ", ".join(f"{c['job']} ({c['breaks']})" for c in report["root_causes"][:5]),
        "peak RSS, report (MB)": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100, help="build pages the report reads (0: all)")
    ns = parser.parse_args()
    with demo_server("rate_limit") as url:
        figures = ui_figures(url)
        figures.update(asyncio.run(client_figures(url)))
        figures.update(report_figures(url, ns.pages))
    for name, value in figures.items():
        if isinstance(value, tuple):
            seconds, requests = value
            print(f"{name:<70} {seconds:6.2f} s  {requests} requests")
        elif isinstance(value, float):
            print(f"{name:<70} {value:8.1f}")
        else:
            print(f"{name:<70} {value}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
