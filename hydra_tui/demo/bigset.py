"""The demo's nixpkgs-sized jobset (nixpkgs:trunk): ~250,000 jobs that persist across its evaluations.

A job is a *slot*: a package index `p` and a system (slot = 2p + system). A job keeps its build (the same build
id, listed in every evaluation that has it) until it changes. In each later evaluation about `CHANGE_RATE` of the
jobs get a new build, a few hundred packages are added and a few hundred removed, and every dependent of a
culprit whose build changed is rebuilt. A few culprit builds (openssl, python3Packages.setuptools, rustc, perl)
fail and their dependents of the same system finish with buildstatus 2, propagated from the culprit's build.

Everything is a pure function of the seed, computed lazily once per process into compact arrays (a model is
shared by every World with the same seed): a fresh demo World starts in milliseconds, and the first request that
needs an evaluation's arrays pays for them once. Times are offsets from the evaluation that created the build, so
the arrays do not depend on the clock.

Build ids: evaluation 0's build of slot s is `BIG_BASE_ID + s`; evaluation k's new builds are
`BIG_BASE_ID + k * ID_STRIDE + j`, numbered in slot order.
"""

from __future__ import annotations

import array
import functools
import threading
from dataclasses import dataclass

from hydra_tui.demo import data
from hydra_tui.demo.data import mix

BIG_EVAL_SIZE = 250_000  # jobs in the newest evaluation, exactly
BIG_BASE_ID = 10_000_000
ID_STRIDE = 300_000
NEVALS = 3
SYSTEMS = data.SYSTEMS[:2]
PACKAGES = BIG_EVAL_SIZE // 2  # packages of the newest evaluation: p < PACKAGES
REMOVED_PER_EVAL = 160  # packages (x2 jobs) removed by each later evaluation
ALL_PACKAGES = PACKAGES + REMOVED_PER_EVAL * (NEVALS - 1)
SLOTS = 2 * ALL_PACKAGES
BORN_MODULUS = 800  # a package is new in evaluation k>=1 when its hash % BORN_MODULUS == k (~156 a time)
CHANGE_RATE = 1200  # of 10,000: jobs that get a new build in a later evaluation
QUEUED_RATE = 1800  # of 10,000: new builds of the newest evaluation not yet finished
SCRAMBLE = 7919  # coprime with ALL_PACKAGES: spreads package indexes over names

# Planned status codes besides Hydra's buildstatus values 0..12.
QUEUED = 100  # never starts on its own
RUNNING = 101  # started, finishes long after "now"
ABSENT = 255

PREFIXES = (
    "",
    "python3Packages.",
    "python313Packages.",
    "haskellPackages.",
    "perlPackages.",
    "rubyPackages.",
    "nodePackages.",
    "ocamlPackages.",
    "linuxPackages.",
    "vimPlugins.",
)
WORDS = (*data.BIG_WORDS, "setuptools", "hello", "pytest", "cargo", "wheel")


@dataclass(frozen=True)
class Culprit:
    """A build that breaks its dependents. `plan[k]`: (new build in evaluation k?, fails?)."""

    name: str
    system: int
    dependents: int  # of 10,000 jobs of the same system
    plan: tuple[tuple[bool, bool], ...]


CULPRITS = (
    # Newly failing in the newest evaluation: thousands of newly failing dependency failures.
    Culprit("openssl", 0, 90, ((True, False), (False, False), (True, True))),
    Culprit("openssl", 1, 70, ((True, False), (False, False), (True, True))),
    Culprit("python3Packages.setuptools", 1, 48, ((True, False), (False, False), (True, True))),
    # Failing since the evaluation before, carried over unchanged: still failing.
    Culprit("rustc", 0, 100, ((True, False), (True, True), (False, True))),
    # Broken in the evaluation before, fixed now: its dependents newly succeed.
    Culprit("perl", 1, 30, ((True, False), (True, True), (True, False))),
)

_OWN_FAILURES = ((1, 2200), (7, 120), (3, 50), (10, 30), (11, 20), (6, 30), (12, 10), (4, 20))  # per 100,000
_NEW_FAILURES = ((1, 800), (7, 100), (3, 40), (10, 20), (11, 15), (6, 20), (12, 10), (4, 20))
FAILING_OWN = frozenset({1, 3, 4, 6, 7, 10, 11, 12})


def _scrambled(p: int) -> int:
    return (p * SCRAMBLE) % ALL_PACKAGES


def package_name(p: int) -> str:
    q = _scrambled(p)
    word = WORDS[q % len(WORDS)]
    rest = q // len(WORDS)
    prefix = PREFIXES[rest % len(PREFIXES)]
    variant = rest // len(PREFIXES)
    return f"{prefix}{word}" if variant == 0 else f"{prefix}{word}_{variant}"


def package_of(name: str) -> int:
    """The package index of an unsuffixed `prefix.word` name."""
    prefix, _, word = name.rpartition(".")
    q = WORDS.index(word) + len(WORDS) * PREFIXES.index(prefix + "." if prefix else "")
    return (q * pow(SCRAMBLE, -1, ALL_PACKAGES)) % ALL_PACKAGES


def slot_job(slot: int) -> str:
    return f"{package_name(slot >> 1)}.{SYSTEMS[slot & 1]}"


def slot_system(slot: int) -> str:
    return SYSTEMS[slot & 1]


def born(p: int) -> int:
    if p >= PACKAGES:
        return 0
    b = mix(p * 7 + 3) % BORN_MODULUS
    return b if 1 <= b < NEVALS else 0


def died(p: int) -> int:
    """The first evaluation without package p (NEVALS: still there)."""
    return NEVALS if p < PACKAGES else 1 + (p - PACKAGES) // REMOVED_PER_EVAL


def _draw(r: int, table: tuple[tuple[int, int], ...]) -> int:
    for status, per in table:
        if r < per:
            return status
        r -= per
    return 0


class Universe:
    """Every job of every evaluation, sorted as BuildDiff sorts them (job, system). Built once per process."""

    def __init__(self) -> None:
        jobs = [slot_job(s) for s in range(SLOTS)]
        order = sorted(range(SLOTS), key=jobs.__getitem__)
        self.order = array.array("i", order)  # rank -> slot
        rank = [0] * SLOTS
        for r, s in enumerate(order):
            rank[s] = r
        self.rank = array.array("i", rank)  # slot -> rank
        # Lower-cased job names in rank order, one a line, for ILIKE-style filtering with one regex scan.
        self.text = "\n".join(jobs[s] for s in order).lower() + "\n"
        starts = [0]
        pos = 0
        for s in order:
            pos += len(jobs[s]) + 1
            starts.append(pos)
        self.starts = array.array("i", starts)


_LOCK = threading.RLock()  # the demo serves from its own thread; a model is shared by every World of a seed


@functools.cache
def _universe() -> Universe:
    return Universe()


def universe() -> Universe:
    with _LOCK:
        return _universe()


class EvalArrays:
    """One evaluation's builds, indexed by slot: build id (0: absent) and planned status."""

    def __init__(self, ids: array.array[int], status: bytearray, new_slots: array.array[int]) -> None:
        self.ids = ids
        self.status = status
        self.new_slots = new_slots  # slots of the builds this evaluation created, in id order
        self._sorted_ids: array.array[int] | None = None
        self._size = SLOTS - status.count(ABSENT)

    def __len__(self) -> int:
        return self._size

    def sorted_ids(self) -> array.array[int]:
        if self._sorted_ids is None:
            self._sorted_ids = array.array("i", sorted(i for i in self.ids if i))
        return self._sorted_ids


class BigModel:
    """The nixpkgs-sized jobset for one seed; per-evaluation arrays are computed on first use."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.salt = mix(seed * 1_000_003 + 17)
        self._evals: list[EvalArrays] = []
        self.culprit_slots = tuple(2 * package_of(c.name) + c.system for c in CULPRITS)
        self._culprit_index = {s: n for n, s in enumerate(self.culprit_slots)}
        self._deps: bytearray | None = None
        self._births: bytearray | None = None
        self._by_rank: list[bytes] = []

    # --- structure -----------------------------------------------------------------------------

    def deps(self) -> bytearray:
        """Per slot, a bit per culprit it depends on (same system only)."""
        with _LOCK:
            return self._make_deps()

    def _make_deps(self) -> bytearray:
        if self._deps is None:
            deps = bytearray(SLOTS)
            for n, c in enumerate(CULPRITS):
                bit = 1 << n
                salt = mix(self.salt + 101 * (n + 1))
                rate = c.dependents
                system = c.system
                for p in range(ALL_PACKAGES):
                    x = (p * 2654435761) ^ salt
                    if (((x * 2654435761) ^ (x >> 7)) & 0xFFFFFFFF) % 10_000 < rate:
                        deps[2 * p + system] |= bit
            for s in self.culprit_slots:
                deps[s] = 0
            self._deps = deps
        return self._deps

    def births(self) -> bytearray:
        """Per package, the evaluation that added it (0: there from the start)."""
        with _LOCK:
            if self._births is None:
                self._births = bytearray(born(p) for p in range(ALL_PACKAGES))
            return self._births

    def eval_arrays(self, k: int) -> EvalArrays:
        if k < len(self._evals):
            return self._evals[k]
        with _LOCK:
            while len(self._evals) <= k:
                self._evals.append(self._compute(len(self._evals)))
            return self._evals[k]

    def warm(self) -> None:
        """Compute everything now (a long-running demo server does this before it listens)."""
        for k in range(NEVALS):
            self.status_by_rank(k)
            self.eval_arrays(k).sorted_ids()

    def _compute(self, k: int) -> EvalArrays:
        prev = self._evals[k - 1] if k else None
        deps = self.deps()
        ids = array.array("i", bytes(4 * SLOTS))
        status = bytearray([ABSENT]) * SLOTS
        new_slots = array.array("i")
        base = BIG_BASE_ID + k * ID_STRIDE
        latest = k == NEVALS - 1
        salt = self.salt
        changed_culprits = 0
        failing_culprits: list[tuple[int, int]] = []  # (bit, culprit slot)
        for n, c in enumerate(CULPRITS):
            new, fails = c.plan[k]
            if new and k:
                changed_culprits |= 1 << n
            if fails:
                failing_culprits.append((1 << n, self.culprit_slots[n]))
        culprit_index = self._culprit_index
        prev_ids = prev.ids if prev else None
        prev_status = prev.status if prev else None
        births = self.births()
        first_gone = 2 * PACKAGES
        last_gone = 2 * (PACKAGES + REMOVED_PER_EVAL * k)
        any_failing = 0
        for bit, _ in failing_culprits:
            any_failing |= bit
        for s in range(SLOTS):
            if first_gone <= s < last_gone:
                continue  # removed by this evaluation or an earlier one
            b = births[s >> 1]
            if b > k:
                continue
            dep = deps[s]
            n = culprit_index.get(s)
            if n is not None:
                new = k == 0 or CULPRITS[n].plan[k][0]
            elif k == 0 or b == k:
                new = True
            else:
                x = s * 40503 + k * 7777 + salt
                new = (
                    bool(dep & changed_culprits) or (((x * 2654435761) ^ (x >> 7)) & 0xFFFFFFFF) % 10_000 < CHANGE_RATE
                )
            if not new:
                ids[s] = prev_ids[s]  # type: ignore[index]
                status[s] = prev_status[s]  # type: ignore[index]
                continue
            build_id = base + s if k == 0 else base + len(new_slots)
            if k:
                new_slots.append(s)
            ids[s] = build_id
            if n is not None:
                status[s] = 1 if CULPRITS[n].plan[k][1] else 0
                continue
            if dep & any_failing:
                status[s] = 2
                continue
            x = build_id ^ salt
            h = ((x * 2654435761) ^ (x >> 7)) & 0xFFFFFFFF
            if latest and k and h % 10_000 < QUEUED_RATE:
                status[s] = RUNNING if (h >> 14) % 10 == 0 else QUEUED
                continue
            r = (h >> 8) % 100_000
            before = prev_status[s] if prev_status is not None else ABSENT
            if before == 0 or before == 2:
                status[s] = _draw(r, _NEW_FAILURES) if r < 1_100 else 0
            elif before in FAILING_OWN:
                status[s] = before if r < 55_000 else 0
            elif before == ABSENT:
                status[s] = _draw(r, _OWN_FAILURES) if r < 2_600 else 0
            else:
                status[s] = _draw(r, _NEW_FAILURES) if r < 1_100 else 0
        if k == 0:
            new_slots = array.array("i", (s for s in range(SLOTS) if ids[s]))
        return EvalArrays(ids, status, new_slots)

    def status_by_rank(self, k: int) -> bytes:
        """Evaluation k's planned statuses in the jobs' sorted order (ABSENT where it has no such job)."""
        if k < len(self._by_rank):
            return self._by_rank[k]
        with _LOCK:
            while len(self._by_rank) <= k:
                status = self.eval_arrays(len(self._by_rank)).status
                self._by_rank.append(bytes(status[s] for s in universe().order))
            return self._by_rank[k]

    # --- builds --------------------------------------------------------------------------------

    def locate(self, build_id: int) -> tuple[int, int] | None:
        """(evaluation index that created it, slot), or None when no such build."""
        offset = build_id - BIG_BASE_ID
        if not 0 <= offset < NEVALS * ID_STRIDE:
            return None
        k, j = divmod(offset, ID_STRIDE)
        if k == 0:
            if j >= SLOTS or not self.eval_arrays(0).ids[j]:
                return None
            return 0, j
        arrays = self.eval_arrays(k)
        if j >= len(arrays.new_slots):
            return None
        return k, arrays.new_slots[j]

    def evals_of(self, build_id: int, k: int, slot: int) -> list[int]:
        """Indexes of the evaluations that list the build."""
        return [j for j in range(k, NEVALS) if self.eval_arrays(j).ids[slot] == build_id]

    def culprit_of(self, k: int, slot: int) -> int | None:
        """For a dependency-failed build of evaluation k: the culprit build it was propagated from."""
        dep = self.deps()[slot]
        # The evaluation that created the build decides: find the first failing culprit then.
        for n, c in enumerate(CULPRITS):
            if dep & (1 << n) and c.plan[k][1]:
                return self.eval_arrays(k).ids[self.culprit_slots[n]]
        return None

    def created(self, slot: int, k: int) -> int:
        """The evaluation index that created slot's build listed in evaluation k."""
        build_id = self.eval_arrays(k).ids[slot]
        return (build_id - BIG_BASE_ID) // ID_STRIDE


@functools.cache
def _model(seed: int) -> BigModel:
    return BigModel(seed)


def model(seed: int) -> BigModel:
    with _LOCK:
        return _model(seed)


def package_word(p: int) -> str:
    return WORDS[_scrambled(p) % len(WORDS)]


_INVERSE = pow(SCRAMBLE, -1, ALL_PACKAGES)


def slot_of(job: str) -> int | None:
    """The slot of a job name such as `python3Packages.requests_12.aarch64-linux`, or None."""
    name, _, system = job.rpartition(".")
    if system not in SYSTEMS:
        return None
    prefix_index = 0
    for n, prefix in enumerate(PREFIXES):
        if prefix and name.startswith(prefix):
            prefix_index = n
            name = name[len(prefix) :]
            break
    word, _, variant_text = name.partition("_")
    if word not in WORDS:
        return None
    variant = 0
    if variant_text:
        if not variant_text.isdigit() or variant_text.startswith("0"):
            return None
        variant = int(variant_text)
    q = WORDS.index(word) + len(WORDS) * (prefix_index + len(PREFIXES) * variant)
    if q >= ALL_PACKAGES:
        return None
    slot = 2 * ((q * _INVERSE) % ALL_PACKAGES) + SYSTEMS.index(system)
    return slot if slot_job(slot) == job else None
