"""Prints how long the demo takes to render the nixpkgs-sized comparison page, and its size, with and without full=1.

Server side only (in-process, no HTTP): the model is warmed first, then each page is rendered twice (the second
time the comparison comes from the cache). Run:
    python bench/demo_pages.py
"""

from __future__ import annotations

import time

from hydra_tui.clock import FrozenClock
from hydra_tui.demo import pages
from hydra_tui.demo.world import World

T0 = 1_795_694_400


def render(world: World, eval_id: int, full: bool) -> tuple[float, int]:
    ev = world.evals[eval_id]
    started = time.perf_counter()
    other = world.comparison_source(ev, None)
    compared = world.compare(ev, other)
    view = pages.EvalView(filter="", full=full, params={"full": "1"} if full else {})
    text = pages.eval_page(pages.Ctx("http://127.0.0.1:3000", world.now()), world, ev, other, compared, view, False)
    return time.perf_counter() - started, len(text.encode())


def main() -> None:
    world = World(clock=FrozenClock(T0), start=T0)
    started = time.perf_counter()
    world.big.warm()
    print(f"warm-up (every nixpkgs:trunk array, once per process): {time.perf_counter() - started:.2f} s")
    newest = world.projects["nixpkgs"].jobsets["trunk"].evals[-1]
    for full in (False, True):
        for attempt in ("first", "cached"):
            seconds, size = render(world, newest, full)
            label = "full=1" if full else "250 rows a tab"
            print(f"/eval/{newest} {label:>15} ({attempt:>6}): {seconds:6.3f} s, {size / 1e6:8.2f} MB")


if __name__ == "__main__":
    main()
