"""Full garbage collections kept away from keystrokes (ui/gc_pause.py): what the app has alive once started is
frozen out of them, Python's own full collections are off while it runs, and the timer's freeze what survives."""

from __future__ import annotations

import gc

from hydra_tui.demo.runner import DemoServer
from hydra_tui.ui.gc_pause import GcPause
from tests.ui.helpers import make_app, wait_for


async def test_the_app_freezes_its_start_up_objects_and_gives_collections_back(demo: DemoServer, clock) -> None:
    threshold = gc.get_threshold()
    app = make_app(demo.url, clock)
    app.gc_pause = GcPause()  # as `hydra-tui` and `hydra-tui watch` make it (tests leave it off)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.gc_pause.started)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[2] > 10**6  # no full collection of Python's own
    assert not app.gc_pause.started
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == threshold


def test_a_full_collection_waits_for_a_pause_freezes_its_survivors_and_idle_moments_thaw() -> None:
    now = [0.0]
    pause = GcPause(clock=lambda: now[0], idle=3.0, short_idle=0.5)
    gc.collect()  # the counts from zero, whatever ran before in this process
    pause.start()
    try:
        pause.touched()
        start = gc.get_freeze_count()
        kept = [[i] for i in range(start // 2)]  # half as many again: worth a thaw when idle, not before
        gc.collect(2)  # the counts from zero again: making `kept` ran many collections of the younger generations
        while gc.get_count()[2] < 10:  # Python's own rule for a full collection
            gc.collect(1)
        pause.tick()
        assert pause.collections == 0  # a key was just pressed: the next may follow
        now[0] += 0.5
        pause.tick()
        assert (pause.collections, pause.thaws) == (1, 0)
        assert gc.get_freeze_count() >= start + len(kept)
        # The user types on: no whole collection until the frozen objects double.
        pause.touched()
        pause.tick()
        assert pause.thaws == 0
        now[0] += 1.0
        pause.tick()
        assert pause.thaws == 0  # a second's pause is reading time: a whole collection waits for more
        now[0] += 2.0
        pause.tick()
        assert pause.thaws == 1
        del kept
    finally:
        pause.stop()
    assert gc.get_freeze_count() == 0


def test_collections_run_while_keys_come_when_they_have_waited_long(monkeypatch) -> None:
    now = [0.0]
    pause = GcPause(clock=lambda: now[0])
    pause.start()
    counts = iter([(0, 0, 10), (0, 0, 39), (0, 0, 40)])
    try:
        monkeypatch.setattr(gc, "get_count", lambda: next(counts))
        for _ in range(3):
            pause.touched()
            pause.tick()
        assert pause.collections == 1
        # The frozen objects are counted when they change, not at every tick (counting walks all of them).
        monkeypatch.setattr(gc, "get_freeze_count", lambda: 1 / 0)
        monkeypatch.setattr(gc, "get_count", lambda: (0, 0, 0))
        pause.tick()
    finally:
        monkeypatch.undo()
        pause.stop()
