"""Measures the dashboard from inside (run by bench.py in its own process): prints one JSON line of timings."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time

START = float(os.environ.get("BENCH_SPAWNED_AT", time.time()))


async def main(url: str) -> dict[str, float]:
    from hydra_tui.api.client import HydraClient
    from hydra_tui.api.limits import Limits
    from hydra_tui.cache.service import DataService
    from hydra_tui.clock import SystemClock
    from hydra_tui.ui.app import HydraApp
    from hydra_tui.ui.screens.eval_builds import EvalBuildsScreen
    from hydra_tui.ui.widgets.build_list import BuildList

    service = DataService(HydraClient(url, limits=Limits(rate=20, burst=20, in_flight=4)), SystemClock())
    app = HydraApp(service)
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        from textual.widgets import Tree

        def first_data() -> bool:
            tree = app.screen.query(Tree)
            if not tree or not tree.first().root.children:
                return False
            return any(n.data and n.data.jobset for n in tree.first().root.children[0].children)

        while not first_data():
            await pilot.pause(0.005)
        out["first_data_s"] = time.time() - START

        page = (await service.get("evals", "nixpkgs", "trunk", 1)).value
        latest = page.evals[0].id
        t = time.perf_counter()
        app.open_eval(latest, "nixpkgs", "trunk")

        def opened() -> bool:
            screen = app.screen
            if isinstance(screen, EvalBuildsScreen) and screen.is_mounted and screen.view is not None:
                screen.switch_to(None)  # every build (the screen opens on the comparison)
            found = screen.query(BuildList) if isinstance(screen, EvalBuildsScreen) else None
            return bool(found) and len(found.first().view) == 250_000

        while not opened():
            await pilot.pause(0.005)
        builds = app.screen.query_one(BuildList)
        first = [builds.view[n] for n in range(30)]
        while not all(builds.rows.known_at(i) for i in first):
            await pilot.pause(0.005)
        out["open_big_eval_s"] = time.perf_counter() - t

        timings = []
        for text in ("p", "py", "pyt", "pyth", "x", ""):
            t = time.perf_counter()
            app.screen.apply_filter(text)
            await pilot.pause(0)
            timings.append(time.perf_counter() - t)
        out["filter_keystroke_ms_max"] = max(timings) * 1000
        out["filter_keystroke_ms_median"] = sorted(timings)[len(timings) // 2] * 1000
        # The end of a ~100 MB log (the demo's installer.iso build).
        from hydra_tui.ui.screens.log import LogScreen
        from hydra_tui.ui.widgets.log_view import LogView

        page = (await service.get("evals", "hello", "main", 1)).value
        rows = (await service.get("eval_builds", page.evals[0].id)).value
        huge = next(rows.ids[i] for i in range(len(rows)) if rows.jobs[i] == "installer.iso.x86_64-linux")
        t = time.perf_counter()
        app.open_log(huge)

        def log_shown() -> bool:
            screen = app.screen
            return isinstance(screen, LogScreen) and screen.loaded and len(screen.query_one(LogView).source) > 0

        while not log_shown():
            await pilot.pause(0.005)
        out["open_huge_log_end_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
