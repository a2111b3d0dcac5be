"""Compact, column-wise storage for the builds of an evaluation (up to ~285,000 on nixpkgs).

Job and system names are cleaned on the way in (hydra_tui.api.text.clean_name), like every model string.
One pydantic model per build would cost over 1 GB at nixpkgs scale; here a build is a few machine words
in typed arrays plus its job name. Rows whose details are not fetched yet have state UNKNOWN.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hydra_tui.api.coerce import to_bool, to_int, to_str
from hydra_tui.api.models import BuildBase
from hydra_tui.api.status import BuildState, build_state
from hydra_tui.api.text import clean_name


@dataclass(frozen=True, slots=True)
class BuildRow:
    """One row, materialised on demand for display."""

    id: int
    job: str
    system: str
    state: BuildState
    starttime: int | None
    stoptime: int | None

    @property
    def duration(self) -> int | None:
        if self.starttime and self.stoptime and self.stoptime >= self.starttime:
            return self.stoptime - self.starttime
        return None


class BuildRows:
    """The builds of one evaluation, sorted by id."""

    __slots__ = (
        "_journal",
        "_seen",
        "_starts",
        "_states",
        "_stops",
        "_system_index",
        "_systems",
        "ids",
        "jobs",
        "partial",
        "system_names",
    )

    def __init__(self, ids: Iterable[int]) -> None:
        self.ids = array("q", sorted(set(ids)))
        n = len(self.ids)
        self.jobs: list[str] = [""] * n
        self._states = array("b", bytes(n))
        self._systems = array("B", bytes(n))
        self._starts = array("q", bytes(8 * n))
        self._stops = array("q", bytes(8 * n))
        self.system_names: list[str] = [""]
        self._system_index: dict[str, int] = {"": 0}
        #: True when only the ids are known (the server could not list the details at once).
        self.partial = False
        # The positions whose job changed, in order, shared by the copies made one after another from this one,
        # so a reader (the filter index) can catch up with only what changed. `_seen` is how much of it this
        # object reflects; a change to an object that is not the newest starts a journal of its own.
        self._journal = array("q")
        self._seen = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BuildRows):
            return NotImplemented
        return (
            self.ids == other.ids
            and self._states == other._states
            and self.jobs == other.jobs
            and self._starts == other._starts
            and self._stops == other._stops
        )

    __hash__ = None  # type: ignore[assignment]

    def adopt_details(self, old: BuildRows) -> None:
        """Keep the details `old` already knew, for rows this one knows only by id."""
        for i, build_id in enumerate(self.ids):
            if self._states[i] != BuildState.UNKNOWN:
                continue
            j = old.position(build_id)
            if j is not None and old._states[j] != BuildState.UNKNOWN:
                if self.jobs[i] != old.jobs[j]:
                    self._note(i)
                self.jobs[i] = old.jobs[j]
                self._states[i] = old._states[j]
                self._systems[i] = self._system(old.system_names[old._systems[j]])
                self._starts[i] = old._starts[j]
                self._stops[i] = old._stops[j]

    def copy(self) -> BuildRows:
        """A copy to change and publish in place of this one. The ids are shared: they never change."""
        new = BuildRows(())
        new.ids = self.ids
        new.jobs = list(self.jobs)
        new._states = array("b", self._states)
        new._systems = array("B", self._systems)
        new._starts = array("q", self._starts)
        new._stops = array("q", self._stops)
        new.system_names = list(self.system_names)
        new._system_index = dict(self._system_index)
        new.partial = self.partial
        new._journal = self._journal
        new._seen = self._seen
        return new

    def _note(self, i: int) -> None:
        if self._seen != len(self._journal):
            self._journal = array("q")
            self._seen = 0
        self._journal.append(i)
        self._seen += 1

    def job_mark(self) -> tuple[object, int]:
        """Where this object is in its journal of job changes; give it back to `jobs_changed_since`."""
        return self._journal, self._seen

    def jobs_changed_since(self, mark: tuple[object, int]) -> array[int] | None:
        """The positions whose job may differ from those of the object `mark` was taken from, or None when
        that cannot be told (another journal: compare every row)."""
        journal, seen = mark
        if journal is not self._journal:
            return None
        return self._journal[min(seen, self._seen) : max(seen, self._seen)]

    @classmethod
    def from_builds(cls, builds: Iterable[Mapping[str, Any]]) -> BuildRows:
        """From the JSON build objects of `/eval/N/builds`; malformed entries are skipped."""
        items = [b for b in builds if isinstance(b, Mapping) and to_int_safe(b.get("id")) is not None]
        rows = cls(to_int_safe(b.get("id")) for b in items)  # type: ignore[misc]
        for b in items:
            rows.update_from_json(b)
        return rows

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, build_id: int) -> int | None:
        i = bisect_left(self.ids, build_id)
        if i < len(self.ids) and self.ids[i] == build_id:
            return i
        return None

    def _system(self, name: str) -> int:
        index = self._system_index.get(name)
        if index is None:
            if len(self.system_names) >= 255:
                return 0
            index = len(self.system_names)
            self.system_names.append(name)
            self._system_index[name] = index
        return index

    def set(
        self,
        build_id: int,
        *,
        job: str,
        system: str,
        state: BuildState,
        starttime: int | None,
        stoptime: int | None,
    ) -> bool:
        """Store one build's details; True when anything changed. Names are cleaned here, whatever their source."""
        i = self.position(build_id)
        if i is None:
            return False
        job, system = clean_name(job), clean_name(system)
        system_index = self._system(system)
        start, stop = starttime or 0, stoptime or 0
        if (
            self.jobs[i] == job
            and self._states[i] == state
            and self._systems[i] == system_index
            and self._starts[i] == start
            and self._stops[i] == stop
        ):
            return False
        if self.jobs[i] != job:
            self._note(i)
        self.jobs[i] = job
        self._states[i] = int(state)
        self._systems[i] = system_index
        self._starts[i] = start
        self._stops[i] = stop
        return True

    def fill(self, build_id: int, *, job: str, system: str, state: BuildState) -> bool:
        """Store what a summary row knows (a comparison's row, `/api/latestbuilds`): job, system and state, keeping
        the times already known. True when anything changed. An UNKNOWN state leaves the state as it is."""
        i = self.position(build_id)
        if i is None:
            return False
        known = BuildState(self._states[i])
        # A page tells queued from running only by its icon; a row known to be running stays running.
        if state is BuildState.UNKNOWN or (state is BuildState.QUEUED and known is BuildState.RUNNING):
            state = known
        return self.set(
            build_id,
            job=job,
            system=system,
            state=state,
            starttime=self._starts[i] or None,
            stoptime=self._stops[i] or None,
        )

    def update_from_json(self, data: Mapping[str, Any]) -> bool:
        try:
            build_id = to_int_safe(data.get("id"))
            finished = bool(to_bool(data.get("finished")))
            status = to_int(data.get("buildstatus"))
            start = to_int_safe(data.get("starttime"))
            stop = to_int_safe(data.get("stoptime"))
            job = to_str(data.get("job"))
            system = to_str(data.get("system"))
        except ValueError:
            return False
        if build_id is None:
            return False
        return self.set(
            build_id,
            job=job,
            system=system,
            state=build_state(finished, status, start),
            starttime=start,
            stoptime=stop,
        )

    def update_from_model(self, build: BuildBase) -> bool:
        return self.set(
            build.id,
            job=build.job,
            system=build.system,
            state=build.state,
            starttime=getattr(build, "starttime", None),
            stoptime=getattr(build, "stoptime", None),
        )

    def state_at(self, i: int) -> BuildState:
        return BuildState(self._states[i])

    def known_at(self, i: int) -> bool:
        return self._states[i] != BuildState.UNKNOWN

    def row(self, i: int) -> BuildRow:
        return BuildRow(
            id=self.ids[i],
            job=self.jobs[i],
            system=self.system_names[self._systems[i]],
            state=BuildState(self._states[i]),
            starttime=self._starts[i] or None,
            stoptime=self._stops[i] or None,
        )

    def duration_at(self, i: int) -> int:
        start, stop = self._starts[i], self._stops[i]
        return stop - start if start and stop >= start else -1

    def counts(self) -> dict[BuildState, int]:
        # Counting bytes runs in C at memchr speed; array.count compares Python ints (~40x slower at 250,000).
        states = self._states.tobytes()
        return {state: n for state in BuildState if (n := states.count(int(state)))}

    @property
    def unknown(self) -> int:
        return self._states.tobytes().count(int(BuildState.UNKNOWN))


def to_int_safe(value: Any) -> int | None:
    try:
        n = to_int(value)
    except ValueError:
        return None
    return n if n is not None and -(2**63) <= n < 2**63 else None
