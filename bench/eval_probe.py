"""Issue 9's interactive figures, measured inside the real app (run by eval_scale.py in its own process).

The app uses hydra-tui's default, polite limits against a demo that rate-limits like hydra.nixos.org. Prints one
JSON line: seconds and requests for Enter on the newest nixpkgs evaluation until the newly failing count and the
first newly failing jobs are on screen, and for a job-name search over its 250,000 builds; 429s; peak RSS.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # hydra_tui from this checkout


async def main(url: str) -> dict[str, object]:
    from textual.widgets import DataTable

    from hydra_tui.api.client import HydraClient
    from hydra_tui.api.comparison import Change
    from hydra_tui.cache.service import DataService
    from hydra_tui.clock import SystemClock
    from hydra_tui.ui.app import HydraApp
    from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
    from hydra_tui.ui.screens.jobset import JobsetScreen
    from hydra_tui.ui.widgets.build_list import BuildList

    client = HydraClient(url)
    service = DataService(client, SystemClock())
    app = HydraApp(service, target="nixpkgs:trunk")
    out: dict[str, object] = {}

    async def until(pilot, condition, timeout: float = 120.0) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise SystemExit(f"timed out waiting in {app.screen!r}")
            await pilot.pause(0.005)

    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, JobsetScreen) and app.screen.is_mounted)
        await until(pilot, lambda: app.screen.query_one("#evals", DataTable).row_count >= 1)
        await pilot.pause(1.0)  # let the jobset screen's own requests go out first
        before, started = client.health.requests, time.perf_counter()
        await pilot.press("enter")

        def newly_failing_shown() -> bool:
            screen = app.screen
            if not isinstance(screen, EvalBuildsScreen) or screen.comparison is None:
                return False
            builds = screen.query_one(BuildList)
            return (
                screen.view is Change.NEWLY_FAILING
                and len(builds.view) > 0
                and all(builds.rows.jobs[builds.view[n]] for n in range(min(10, len(builds.view))))
            )

        await until(pilot, newly_failing_shown)
        screen = app.screen
        out["open_eval_newly_failing_s"] = time.perf_counter() - started
        out["open_eval_requests"] = client.health.requests - before
        out["newly_failing"] = screen.comparison.count(Change.NEWLY_FAILING)

        await pilot.pause(2.0)  # the screen's follow-up requests (row details) settle
        word = "firefox"
        before, started = client.health.requests, time.perf_counter()
        await pilot.press("slash", *word, "enter")
        await until(pilot, lambda: screen.comparison is not None and screen.comparison.filter == word)
        out["search_s"] = time.perf_counter() - started
        out["search_requests"] = client.health.requests - before
        out["search_matches"] = sum(c.count for c in screen.comparison.categories.values())
    out["429s"] = client.health.statuses.get(429, 0)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
