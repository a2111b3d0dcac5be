"""Python's full (generation 2) garbage collections, kept short and away from keystrokes.

A full collection examines every long-lived container. With Textual's line caches, the screens visited and an
evaluation of 250,000 builds, it paused the app for 50-200 ms, every second or two while rows arrived: more than a
keystroke's budget. So the objects alive once the app has started (modules, classes, functions) are frozen out of
every collection, Python's own full collections are turned off, and a timer runs them instead, freezing what
survives: each then examines only what became long-lived since the last one, a few milliseconds. Garbage among
frozen objects (the widgets of a closed screen) is reclaimed by a whole collection ("thaw": unfreeze, collect,
freeze, 100-160 ms) when the user has not pressed a key for a few seconds, or, whatever the user does, once the
frozen objects have doubled. The collections of the newer objects (20-70 ms while an evaluation's rows arrive) wait
for half a second without a key, unless they have waited long. Counting the frozen objects walks all of them (up to
20 ms), so the count is taken only when it changes, after a freeze, not at every tick.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: Seconds without a key or a click before a whole collection may run.
IDLE = 3.0
#: Seconds without a key or a click before a collection of the newer objects may run.
SHORT_IDLE = 0.5
#: Collections of the middle generation between two full ones (Python's own default), and how many more make one
#: run whatever the user does.
FULL_AFTER = 10
FULL_ANYWAY = 40
#: Growth of the frozen objects since the last thaw that makes the next idle moment thaw, and that forces one.
THAW_AT_IDLE = 1.25
THAW_ANYWAY = 2.0
#: Python's full collections, off: in place of a threshold no count reaches.
NEVER = 2**30


class GcPause:
    """Runs the full garbage collections from `tick` (a timer) while the app runs, between `start` and `stop`."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, idle: float = IDLE, short_idle: float = SHORT_IDLE
    ) -> None:
        self.clock = clock
        self.idle = idle
        self.short_idle = short_idle
        self._frozen = 0  # the frozen objects now: they change only when this freezes
        self.last_input = clock()
        self.started = False
        self._threshold: tuple[int, int, int] | None = None
        self._thawed_at = 0  # the frozen objects after the last thaw
        #: Full collections run so far (of the newer objects), and whole ones.
        self.collections = 0
        self.thaws = 0

    def start(self) -> None:
        """Freeze what is alive now (the app has started: what is imported stays) and take over full collections."""
        if self.started:
            return
        gc.freeze()
        self._threshold = gc.get_threshold()
        young, middle, _ = self._threshold
        gc.set_threshold(young, middle, NEVER)
        self._frozen = self._thawed_at = gc.get_freeze_count()
        self.started = True

    def stop(self) -> None:
        """Give Python its collections back (the app has ended; another may run in this process)."""
        if not self.started:
            return
        self.started = False
        if self._threshold is not None:
            gc.set_threshold(*self._threshold)
        gc.unfreeze()

    def touched(self) -> None:
        """A key or a click: the user is there."""
        self.last_input = self.clock()

    def tick(self) -> None:
        """A full collection, if one is due: whole when the user is idle and enough is frozen, else of the newer."""
        if not self.started:
            return
        quiet = self.clock() - self.last_input
        if self._frozen >= self._thawed_at * (THAW_AT_IDLE if quiet >= self.idle else THAW_ANYWAY):
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.thaws += 1
            self._frozen = self._thawed_at = gc.get_freeze_count()
            return
        due = gc.get_count()[2]
        if due >= FULL_ANYWAY or (due >= FULL_AFTER and quiet >= self.short_idle):
            gc.collect(2)
            gc.freeze()
            self.collections += 1
            self._frozen = gc.get_freeze_count()
