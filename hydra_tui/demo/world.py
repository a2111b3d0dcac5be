"""The demo Hydra's state: projects, jobsets, evaluations, builds and logs, moving with an injectable clock.

Everything is derived from a seed and the clock, so the same seed and the same time give the same answers.
A build's state is a function of time (queued until `start_at`, running until `finish_at`, then finished
with its planned outcome) unless an action changed it, so nothing needs to tick.
"""

from __future__ import annotations

import heapq
import random
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from hydra_tui.clock import Clock, SystemClock
from hydra_tui.demo import bigset, data, queuerunner
from hydra_tui.demo.bigset import BIG_BASE_ID, BIG_EVAL_SIZE
from hydra_tui.demo.data import mix, store_hash
from hydra_tui.demo.diff import BigDiff, Cat, Compared, Item, Row, build_diff, like_pattern

STORE_NAME_FORBIDDEN = re.compile(r"[^A-Za-z0-9+\-._?=]")

__all__ = ["BIG_BASE_ID", "BIG_EVAL_SIZE", "Build", "DemoError", "Eval", "Step", "World"]

HUGE_LOG_LINES = 2_400_000
TOO_BIG_TO_LIST = 50_000  # /eval/N/builds answers 504 past this, as hydra.nixos.org does for nixpkgs
EVALS_PER_PAGE = 20


class DemoError(Exception):
    """An error answer: status and Hydra's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Build:
    id: int
    project: str
    jobset: str
    job: str
    system: str
    nixname: str
    timestamp: int
    start_at: int | None  # None: never starts on its own (only for finished-at-creation builds)
    finish_at: int | None
    outcome: int  # the buildstatus it will finish with
    priority: int = 100
    evals: list[int] = field(default_factory=list)
    cancelled_at: int | None = None
    restarts: int = 0
    log_lines: int = 120

    @property
    def store_name(self) -> str:
        """The name part of the build's store paths: Nix allows only a few characters there, so a hostile
        name keeps what comes before and after its forbidden part."""
        parts = STORE_NAME_FORBIDDEN.split(self.nixname)
        return parts[0] + parts[-1] if len(parts) > 1 else self.nixname

    @property
    def drvpath(self) -> str:
        return f"/nix/store/{store_hash('drv' + str(self.id))}-{self.store_name}.drv"

    def out_path(self) -> str:
        return f"/nix/store/{store_hash('out' + str(self.id))}-{self.store_name}"

    def phase(self, now: float) -> str:
        """'queued', 'running' or 'finished' at time `now`."""
        if self.cancelled_at is not None and self.cancelled_at <= now:
            return "finished"
        if self.start_at is None or now < self.start_at:
            return "queued"
        if self.finish_at is not None and now < self.finish_at:
            return "running"
        return "finished"

    def status(self, now: float) -> int | None:
        if self.cancelled_at is not None and self.cancelled_at <= now:
            return 4
        return self.outcome if self.phase(now) == "finished" else None


@dataclass
class Step:
    """One build step, as `/build/N` lists them (Hydra's BuildSteps row)."""

    nr: int
    drvpath: str
    outputs: list[str]
    status: int | None  # None while busy
    busy: int = 0  # 30: building
    starttime: int | None = None
    stoptime: int | None = None
    machine: str = ""
    errormsg: str = ""
    propagatedfrom: int | None = None
    type: int = 0  # 0 build, 1 substitution


class BigIds(Sequence[int]):
    """The build ids of a nixpkgs-sized evaluation, computed on first use."""

    def __init__(self, model: bigset.BigModel, k: int) -> None:
        self.model = model
        self.k = k

    def _ids(self) -> Sequence[int]:
        return self.model.eval_arrays(self.k).sorted_ids()

    def __len__(self) -> int:
        return len(self.model.eval_arrays(self.k))

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        return self._ids()[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids())

    def __contains__(self, build_id: object) -> bool:
        if not isinstance(build_id, int):
            return False
        where = self.model.locate(build_id)
        return where is not None and self.model.eval_arrays(self.k).ids[where[1]] == build_id


@dataclass
class Eval:
    id: int
    project: str
    jobset: str
    timestamp: int
    inputs: dict[str, dict[str, Any]]
    flake: str | None
    build_ids: Sequence[int]
    checkouttime: int = 3
    evaltime: int = 42
    big: int = -1  # the index of a nixpkgs-sized evaluation in its model, -1 for an ordinary one
    has_error: bool = False


@dataclass
class Jobset:
    name: str
    project: str
    description: str = ""
    type: int = 0
    flake: str = ""
    nixexprinput: str = "src"
    nixexprpath: str = "release.nix"
    enabled: int = 1
    visible: bool = True
    checkinterval: int = 300
    keepnr: int = 3
    schedulingshares: int = 100
    lastcheckedtime: int | None = None
    triggertime: int | None = None
    starttime: int | None = None
    errormsg: str = ""
    errortime: int | None = None
    fetcherrormsg: str = ""
    emailoverride: str = ""
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    evals: list[int] = field(default_factory=list)
    jobs: tuple[str, ...] = ()
    systems: tuple[str, ...] = ("x86_64-linux", "aarch64-linux")


@dataclass
class Project:
    name: str
    displayname: str
    description: str = ""
    homepage: str = ""
    owner: str = "alice"
    enabled: bool = True
    hidden: bool = False
    jobsets: dict[str, Jobset] = field(default_factory=dict)


@dataclass
class PendingEval:
    project: str
    jobset: str
    at: float
    forced: bool


class World:
    """The whole simulated server state."""

    def __init__(self, *, seed: int = 1, clock: Clock | None = None, start: float | None = None) -> None:
        self.clock = clock or SystemClock()
        self.seed = seed
        self.t0 = int(start if start is not None else self.clock.now())
        self.rng = random.Random(seed)
        self.projects: dict[str, Project] = {}
        self.evals: dict[int, Eval] = {}
        self.builds: dict[int, Build] = {}
        self.big_overrides: dict[int, Build] = {}
        self.sessions: dict[str, str] = {}
        self.pending: list[PendingEval] = []
        self.eval_delay = 3.0
        self._next_eval = 1000
        self._next_build = 100_000
        self.big = bigset.model(seed)
        self.big_evals: list[int] = []
        self._compared: dict[tuple[int, int, str], Compared] = {}
        self._drv_index: dict[str, int] = {}
        # The queue runner (demo/queuerunner.py): its format ("rust" or "legacy") and whether it answers ("up",
        # "down", "unknown" for no endpoint, "unreachable").
        self.queue_runner = "rust"
        self.queue_runner_state = "up"
        # Seconds between automatic evaluations of hello:staging once the clock passes t0 (None: never), so a
        # long-running demo keeps building; tests leave it off.
        self.rebuild_every: float | None = None
        self._auto_evals = 0
        self._build()

    # --- time ------------------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock.now())

    def advance(self) -> None:
        """Bring time-driven state up to now: pending evaluations become real ones."""
        now = self.clock.now()
        if self.rebuild_every:
            k = int((now - self.t0) // self.rebuild_every)
            while self._auto_evals < k:
                self._auto_evals += 1
                at = self.t0 + self._auto_evals * self.rebuild_every
                self._new_eval(self.projects["hello"].jobsets["staging"], at=int(at), live=True, base=int(at))
        due = [p for p in self.pending if p.at <= now]
        self.pending = [p for p in self.pending if p.at > now]
        for p in due:
            jobset = self.projects[p.project].jobsets[p.jobset]
            self._new_eval(jobset, at=int(p.at), live=True)  # writes errormsg, errortime and lastcheckedtime
            jobset.starttime = None
            jobset.triggertime = None
            if jobset.enabled == 2:
                jobset.enabled = 0

    # --- building the world ----------------------------------------------------------------------

    def _build(self) -> None:
        t0 = self.t0
        hello = self._project(
            "hello",
            "GNU Hello",
            "The GNU Hello program, built on every platform",
            "https://www.gnu.org/software/hello/",
        )
        main = self._jobset(
            hello,
            "main",
            "main branch",
            jobs=data.HELLO_JOBS,
            systems=("x86_64-linux", "aarch64-linux", "x86_64-darwin"),
        )
        for k in range(44):
            self._new_eval(main, at=t0 - (44 - k) * 3 * 3600, live=False, change_every=3)
        self._new_eval(main, at=t0 - 600, live=True, showcase=True)
        main.lastcheckedtime = t0 - 120

        flake = self._jobset(
            hello, "flake", "flake outputs", jobs=data.HELLO_JOBS[:6], type=1, flake="github:example/hello/main"
        )
        for k in range(5):
            self._new_eval(flake, at=t0 - (5 - k) * 86400, live=False)
        disabled = self._jobset(
            hello, "release-24.05", "old stable branch", jobs=data.HELLO_JOBS[:4], enabled=0, checkinterval=0
        )
        for k in range(3):
            self._new_eval(disabled, at=t0 - (90 - k) * 86400, live=False)
        nightly = self._jobset(
            hello, "nightly", "evaluated once when pushed", jobs=data.HELLO_JOBS[:5], enabled=2, checkinterval=0
        )
        for k in range(2):
            self._new_eval(nightly, at=t0 - (3 - k) * 86400, live=False)
        staging = self._jobset(hello, "staging", "one evaluation at a time", jobs=data.HELLO_JOBS[:8], enabled=3)
        for k in range(3):
            self._new_eval(staging, at=t0 - (4 - k) * 7200, live=False)
        self._new_eval(staging, at=t0 - 300, live=True)
        broken = self._jobset(hello, "broken", "a jobset whose evaluation fails", jobs=data.HELLO_JOBS[:3])
        self._evaluated(broken, self._new_eval(broken, at=t0 - 5 * 86400, live=False), errors=data.ERROR_TEXT)
        broken.lastcheckedtime = t0 - 900  # checked since: nothing changed, so only lastcheckedtime moved
        hidden_js = self._jobset(
            hello, "pr-1234", "a hidden pull-request jobset", jobs=data.HELLO_JOBS[:2], visible=False
        )
        self._new_eval(hidden_js, at=t0 - 7200, live=False)

        nixpkgs = self._project(
            "nixpkgs", "Nixpkgs", "The Nix Packages collection", "https://github.com/NixOS/nixpkgs", owner="root"
        )
        trunk = self._jobset(
            nixpkgs, "trunk", "nixpkgs master, full size", systems=data.SYSTEMS[:2], checkinterval=14400
        )
        for k in range(bigset.NEVALS):
            self._big_eval(trunk, k, at=t0 - (bigset.NEVALS - k) * 6 * 3600)
        small = self._jobset(nixpkgs, "nixos-small", "a small channel jobset", jobs=data.HELLO_JOBS[:6])
        for k in range(4):
            self._new_eval(small, at=t0 - (4 - k) * 5 * 3600, live=False)

        patchelf = self._project("patchelf", "patchelf", "A small utility to modify ELF files", enabled=False)
        pe = self._jobset(patchelf, "master", "", jobs=("patchelf", "tests"))
        for k in range(3):
            self._new_eval(pe, at=t0 - (200 - k) * 86400, live=False)

        secret = self._project("infra-secrets", "Infrastructure", "Hidden from the project list", hidden=True)
        sj = self._jobset(secret, "deploy", "", jobs=("deploy",))
        self._new_eval(sj, at=t0 - 86400, live=False)

        # Every jobset that Hydra checks was checked half an hour ago at the latest, finding nothing new.
        for project in self.projects.values():
            for jobset in project.jobsets.values():
                if jobset.checkinterval and jobset.enabled and project.enabled:
                    jobset.lastcheckedtime = max(jobset.lastcheckedtime or 0, t0 - 1800)

    def _project(self, name: str, displayname: str, description: str = "", homepage: str = "", **kw: Any) -> Project:
        project = Project(name=name, displayname=displayname, description=description, homepage=homepage, **kw)
        self.projects[name] = project
        return project

    def _jobset(self, project: Project, name: str, description: str, **kw: Any) -> Jobset:
        jobset = Jobset(name=name, project=project.name, description=description, **kw)
        if jobset.type == 1:
            jobset.nixexprinput = ""
            jobset.nixexprpath = ""
        else:
            jobset.inputs = {
                "src": {
                    "name": "src",
                    "type": "git",
                    "value": f"https://example.org/{project.name}.git {name}",
                    "emailresponsible": False,
                },
                "nixpkgs": {
                    "name": "nixpkgs",
                    "type": "git",
                    "value": "https://github.com/NixOS/nixpkgs.git nixos-unstable",
                    "emailresponsible": False,
                },
                "officialRelease": {
                    "name": "officialRelease",
                    "type": "boolean",
                    "value": "false",
                    "emailresponsible": False,
                },
            }
        project.jobsets[name] = jobset
        return jobset

    def _eval_inputs(
        self, jobset: Jobset, n: int, change_every: int = 1
    ) -> tuple[dict[str, dict[str, Any]], str | None]:
        if jobset.type == 1:
            return {}, f"github:example/{jobset.project}/{data.git_rev(f'{jobset.name}{n}')[:12]}"
        src_rev = data.git_rev(f"{jobset.project}/{jobset.name}/src/{n}")
        nixpkgs_rev = data.git_rev(f"nixpkgs/{n // max(1, change_every)}")
        return {
            "src": {
                "uri": f"https://example.org/{jobset.project}.git",
                "type": "git",
                "revision": src_rev,
                "value": None,
                "dependency": None,
            },
            "nixpkgs": {
                "uri": "https://github.com/NixOS/nixpkgs.git",
                "type": "git",
                "revision": nixpkgs_rev,
                "value": None,
                "dependency": None,
            },
            "officialRelease": {"uri": None, "type": "boolean", "revision": None, "value": "false", "dependency": None},
        }, None

    def _new_eval(
        self,
        jobset: Jobset,
        *,
        at: int,
        live: bool,
        showcase: bool = False,
        change_every: int = 1,
        base: int | None = None,
    ) -> Eval:
        """A new evaluation with its builds. A live one's builds run around `base` (the world's t0 by default)."""
        base = self.t0 if base is None else base
        eval_id = self._next_eval
        self._next_eval += 1
        inputs, flake = self._eval_inputs(jobset, len(jobset.evals), change_every)
        ev = Eval(
            id=eval_id,
            project=jobset.project,
            jobset=jobset.name,
            timestamp=at,
            inputs=inputs,
            flake=flake,
            build_ids=[],
            evaltime=20 + self.rng.randrange(60),
        )
        ids: list[int] = []
        showcase_outcomes = [0, 1, 2, 3, 4, 6, 7, 10, 11, 0, 12, 0]  # every kind of failure Hydra has today
        n = 0
        for job in jobset.jobs:
            for system in jobset.systems:
                build_id = self._next_build
                self._next_build += 1
                nixname = f"{job.split('.')[-1]}-{2 + len(jobset.evals) % 5}.{n % 13}"
                if live:
                    if showcase and n < len(showcase_outcomes) * 2 and n % 2 == 0:
                        # Finished builds of every kind in the showcase evaluation.
                        outcome = showcase_outcomes[n // 2]
                        start = at + 30 + n * 5
                        finish = start + 40 + self.rng.randrange(300)
                    else:
                        outcome = 0 if self.rng.random() < 0.8 else 1
                        start = base + 20 + self.rng.randrange(600) if n % 3 else at + 60
                        finish = start + 60 + self.rng.randrange(900)
                        if n % 3 == 0:
                            finish = base + 120 + self.rng.randrange(900)  # running now
                else:
                    outcome = 0 if self.rng.random() < 0.88 else self.rng.choice([1, 1, 2, 7, 3])
                    start = at + 60 + self.rng.randrange(1200)
                    finish = start + 30 + self.rng.randrange(1500)
                build = Build(
                    id=build_id,
                    project=jobset.project,
                    jobset=jobset.name,
                    job=f"{job}.{system}",
                    system=system,
                    nixname=nixname,
                    timestamp=at,
                    start_at=start,
                    finish_at=finish,
                    outcome=outcome,
                    evals=[eval_id],
                    log_lines=60 + self.rng.randrange(300),
                )
                if outcome == 4:
                    build.cancelled_at = start
                if outcome == 10:
                    build.log_lines = 4000
                if showcase and job == "installer.iso" and system == "x86_64-linux":
                    # A log of about 100 MB, for the log viewer's "open at the end at once".
                    build.log_lines = HUGE_LOG_LINES
                    build.finish_at = at + 30
                    build.start_at = at + 20
                    build.outcome = 0
                self.builds[build_id] = build
                ids.append(build_id)
                n += 1
        ev.build_ids = ids
        self.evals[eval_id] = ev
        jobset.evals.append(eval_id)
        self._evaluated(jobset, ev)
        return ev

    @staticmethod
    def _evaluated(jobset: Jobset, ev: Eval, errors: str = "") -> None:
        """What hydra-eval-jobset writes with every evaluation, errors or not: the evaluation errors ("" for none)
        and their time, then the check time. (A later check that finds nothing new moves only lastcheckedtime;
        `haserrormsg` is false on Hydra since 2024, so nothing but `/jobset/P/J/errors` tells of the errors.)"""
        ev.has_error = bool(errors)
        jobset.errormsg = errors
        jobset.errortime = ev.timestamp
        jobset.lastcheckedtime = ev.timestamp

    def _big_eval(self, jobset: Jobset, k: int, at: int) -> None:
        eval_id = self._next_eval
        self._next_eval += 1
        inputs, flake = self._eval_inputs(jobset, k)
        ev = Eval(
            id=eval_id,
            project=jobset.project,
            jobset=jobset.name,
            timestamp=at,
            inputs=inputs,
            flake=flake,
            build_ids=BigIds(self.big, k),
            evaltime=2400,
            big=k,
        )
        self.evals[eval_id] = ev
        self.big_evals.append(eval_id)
        jobset.evals.append(eval_id)
        self._evaluated(jobset, ev)

    # --- lookups ---------------------------------------------------------------------------------

    def project(self, name: str) -> Project:
        project = self.projects.get(name)
        if project is None:
            raise DemoError(404, f"Project ‘{name}’ doesn't exist.")
        return project

    def jobset(self, project: str, name: str) -> Jobset:
        jobset = self.project(project).jobsets.get(name)
        if jobset is None:
            raise DemoError(404, f"Jobset ‘{name}’ doesn't exist.")
        return jobset

    def eval(self, eval_id: int) -> Eval:
        ev = self.evals.get(eval_id)
        if ev is None:
            raise DemoError(404, f"Evaluation {eval_id} doesn't exist.")
        return ev

    def is_big(self, build_id: int) -> bool:
        return BIG_BASE_ID <= build_id < BIG_BASE_ID + bigset.NEVALS * bigset.ID_STRIDE

    def build(self, build_id: int) -> Build:
        build = self.builds.get(build_id) or self.big_overrides.get(build_id)
        if build is None and self.is_big(build_id):
            build = self._big_build(build_id)
        if build is None:
            raise DemoError(404, f"Build with ID {build_id} doesn't exist.")
        self._drv_index.setdefault(store_hash("drv" + str(build_id)), build_id)
        return build

    def drv_index(self) -> dict[str, int]:
        """Derivation hash → build id, for `/log/<drv>`: every small build, and big ones once looked up."""
        if len(self._drv_index) < len(self.builds):
            for build_id in self.builds:
                self._drv_index.setdefault(store_hash("drv" + str(build_id)), build_id)
        return self._drv_index

    def _big_build(self, build_id: int, with_evals: bool = True) -> Build | None:
        where = self.big.locate(build_id)
        if where is None:
            return None
        k, slot = where
        status = self.big.eval_arrays(k).status[slot]
        at = self.evals[self.big_evals[k]].timestamp
        h = mix(build_id)
        p = slot >> 1
        start, finish = self._big_times(build_id, at)
        outcome = status
        if status == bigset.QUEUED:
            start, finish, outcome = None, None, 0
        elif status == bigset.RUNNING:
            start, finish, outcome = at + 6 * 3600 - 60 - h % 3000, at + 40 * 86400, 0
        elif status == 2:
            culprit = self.big.culprit_of(k, slot)
            if culprit is not None:
                start = finish = self._big_times(culprit, at)[1] + 10 + h % 600
        build = Build(
            id=build_id,
            project="nixpkgs",
            jobset="trunk",
            job=bigset.slot_job(slot),
            system=bigset.slot_system(slot),
            nixname=f"{bigset.package_word(p)}-{1 + h % 9}.{h % 20}",
            timestamp=at,
            start_at=start,
            finish_at=finish,
            outcome=outcome,
            evals=[self.big_evals[j] for j in self.big.evals_of(build_id, k, slot)] if with_evals else [],
            log_lines=40 + h % 200,
        )
        if outcome == 4:
            build.cancelled_at = start
        return build

    @staticmethod
    def _big_times(build_id: int, at: int) -> tuple[int, int]:
        h = mix(build_id)
        start = at + 600 + (h >> 20) % 7200
        return start, start + 20 + (h >> 4) % 900

    def big_status(self, k: int, slot: int) -> int | None:
        """The status of the build of `slot` in big evaluation k now: None while unfinished."""
        build_id = self.big.eval_arrays(k).ids[slot]
        override = self.big_overrides.get(build_id)
        if override is not None:
            return override.status(self.now())
        status = self.big.eval_arrays(k).status[slot]
        return None if status in (bigset.QUEUED, bigset.RUNNING) else status

    def culprit(self, build: Build) -> int | None:
        """The build a dependency failure was propagated from."""
        if self.is_big(build.id):
            where = self.big.locate(build.id)
            return self.big.culprit_of(*where) if where is not None else None
        for ev_id in build.evals[:1]:
            now = self.now()
            for other_id in self.evals[ev_id].build_ids:
                other = self.builds.get(other_id)
                if other and other.id != build.id and other.system == build.system and other.status(now) == 1:
                    return other.id
        return None

    def steps(self, build: Build) -> list[Step]:
        """The build's steps as Hydra's queue runner records them."""
        now = self.now()
        phase = build.phase(now)
        if phase == "queued":
            return []
        h = mix(build.id * 13 + 5)
        machine = f"{queuerunner.SSH_USER}@{queuerunner.machine_for(self, build)}"
        start = build.start_at if build.start_at is not None else build.timestamp
        src = f"/nix/store/{store_hash('src' + str(build.id))}-source"
        steps = [Step(1, "", [src], 0, type=1, starttime=start, stoptime=start + 2, machine=machine)]
        if phase == "running":
            steps.append(
                Step(2, build.drvpath, [build.out_path()], None, busy=30, starttime=start + 3, machine=machine)
            )
            return steps
        status = build.status(now)
        stop = build.cancelled_at if build.cancelled_at is not None else (build.finish_at or start)
        if status == 2:
            culprit_id = self.culprit(build)
            if culprit_id is None:
                steps.append(Step(2, build.drvpath, [build.out_path()], 8, starttime=stop, stoptime=stop))
                return steps
            culprit = self.build(culprit_id)
            steps.append(
                Step(
                    2,
                    culprit.drvpath,
                    [culprit.out_path()],
                    1,
                    starttime=stop,
                    stoptime=stop,
                    machine=machine,
                    propagatedfrom=culprit_id,
                )
            )
            return steps
        step_status = {0: 0, 6: 0, 9: 9, 4: 4}.get(status or 0, status)
        message = ""
        if status == 3:
            message = "error: unexpected end-of-file while reading from the remote builder"
        elif status == 1 and h % 3 == 0:
            message = f"output '{build.out_path()}' is not allowed to refer to path '{src}'"
        steps.append(
            Step(
                2,
                build.drvpath,
                [build.out_path()],
                step_status,
                starttime=start + 3,
                stoptime=stop,
                machine=machine,
                errormsg=message,
            )
        )
        return steps

    # --- sessions ----------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> str:
        user = data.USERS.get(username)
        if user is None or not secrets.compare_digest(user[0], password):
            raise DemoError(403, "Bad username or password.")
        token = secrets.token_hex(16)
        self.sessions[token] = username
        return token

    def expire_sessions(self) -> None:
        """Forget every session, as a restarted server or an expired cookie would."""
        self.sessions.clear()

    def user_json(self, username: str) -> dict[str, Any]:
        _, fullname, email, roles = data.USERS[username]
        return {"username": username, "fullname": fullname, "emailaddress": email, "userroles": list(roles)}

    def require_role(self, username: str | None, role: str, project: str) -> None:
        if username is None:
            raise DemoError(403, "This page requires you to sign in.")
        roles = data.USERS[username][3]
        if "admin" in roles or role in roles or self.project(project).owner == username:
            return
        what = {
            "restart-jobs": "restart-jobs",
            "cancel-build": "cancel-build",
            "bump-to-front": "bump-to-front",
            "eval-jobset": "eval-jobset",
        }[role]
        raise DemoError(
            403,
            f"Only the project members, administrators, and accounts with {what} privileges can perform this "
            "operation.",
        )

    # --- actions -----------------------------------------------------------------------------------

    def _mutable(self, build_id: int) -> Build:
        build = self.build(build_id)
        if self.is_big(build_id) and build_id not in self.big_overrides:
            self.big_overrides[build_id] = build
        return build

    def restart(self, build_id: int) -> bool:
        build = self._mutable(build_id)
        now = self.now()
        if build.phase(now) != "finished":
            return False
        build.restarts += 1
        build.cancelled_at = None
        build.start_at = now + 5
        build.finish_at = build.start_at + 30 + mix(build_id + build.restarts) % 120
        build.outcome = 0 if (mix(build_id * 7 + build.restarts) % 3) else 1
        return True

    def cancel(self, build_id: int) -> bool:
        build = self._mutable(build_id)
        now = self.now()
        if build.phase(now) == "finished":
            return False
        build.cancelled_at = now
        build.start_at = build.start_at if build.start_at is not None and build.start_at <= now else now
        build.finish_at = now
        return True

    def bump(self, build_id: int) -> None:
        build = self._mutable(build_id)
        build.priority = 1000 + self.now() % 1000

    def push(self, project: str, jobset_name: str, forced: bool) -> bool:
        jobset = self.jobset(project, jobset_name)
        if not forced and (jobset.enabled == 0 or not self.project(project).enabled):
            return False
        now = self.clock.now()
        jobset.triggertime = int(now)
        jobset.starttime = int(now)
        self.pending.append(PendingEval(project, jobset_name, now + self.eval_delay, forced))
        return True

    # --- derived views -----------------------------------------------------------------------------

    def counts(self, ev: Eval) -> dict[str, int]:
        """scheduled / succeeded / failed / total over an evaluation's builds."""
        now = self.now()
        if ev.big >= 0:
            return self._count_big(ev)
        return self._count((self.build(i) for i in ev.build_ids), now)

    def _count_big(self, ev: Eval) -> dict[str, int]:
        """The same counts as `_count` for a nixpkgs-sized evaluation, from its status array."""
        arrays = self.big.eval_arrays(ev.big)
        status = arrays.status
        total = len(arrays)
        scheduled = status.count(bigset.QUEUED) + status.count(bigset.RUNNING)
        succeeded = status.count(0)
        now = self.now()
        for build_id, override in self.big_overrides.items():
            if build_id not in ev.build_ids:
                continue
            planned = status[self.big.locate(build_id)[1]]  # type: ignore[index]
            scheduled -= planned in (bigset.QUEUED, bigset.RUNNING)
            succeeded -= planned == 0
            current = override.status(now)
            scheduled += current is None
            succeeded += current == 0
        failed = total - scheduled - succeeded
        return {"nrscheduled": scheduled, "nrsucceeded": succeeded, "nrfailed": failed, "nrtotal": total}

    def _count(self, builds: Iterator[Build], now: float | None = None) -> dict[str, int]:
        now = self.now() if now is None else now
        scheduled = succeeded = failed = total = 0
        for b in builds:
            total += 1
            status = b.status(now)
            if status is None:
                scheduled += 1
            elif status == 0:
                succeeded += 1
            else:
                failed += 1
        return {"nrscheduled": scheduled, "nrsucceeded": succeeded, "nrfailed": failed, "nrtotal": total}

    def eval_job(self, ev: Eval, job: str) -> int | None:
        """The build of `job` in the evaluation (`/eval/N/job/JOB`), or None."""
        if ev.big >= 0:
            slot = bigset.slot_of(job)
            return (self.big.eval_arrays(ev.big).ids[slot] or None) if slot is not None else None
        return next((i for i in ev.build_ids if self.build(i).job == job), None)

    def builds_newest_first(self, filters: dict[str, str]) -> Iterator[Build]:
        """Every build, highest id first (`/api/latestbuilds`), the nixpkgs-sized jobset's included."""
        small = sorted(self.builds.values(), key=lambda b: -b.id)
        if filters.get("project", "nixpkgs") != "nixpkgs" or filters.get("jobset", "trunk") != "trunk":
            return iter(small)
        return heapq.merge(self._big_newest_first(filters.get("job")), small, key=lambda b: -b.id)

    def _big_newest_first(self, job: str | None) -> Iterator[Build]:
        if job is not None:
            slot = bigset.slot_of(job)
            if slot is None:
                return
            ids = {self.big.eval_arrays(k).ids[slot] for k in range(bigset.NEVALS)} - {0}
            for build_id in sorted(ids, reverse=True):
                yield self.build(build_id)
            return
        for k in reversed(range(bigset.NEVALS)):
            arrays = self.big.eval_arrays(k)
            if k:
                base = BIG_BASE_ID + k * bigset.ID_STRIDE
                for j in reversed(range(len(arrays.new_slots))):
                    yield self.build(base + j)
            else:
                for slot in reversed(range(bigset.SLOTS)):
                    if arrays.ids[slot] and arrays.ids[slot] < BIG_BASE_ID + bigset.ID_STRIDE:
                        yield self.build(arrays.ids[slot])

    # --- comparisons (the evaluation page) ---------------------------------------------------------

    def status_by_rank(self, k: int) -> bytes:
        """Big evaluation k's statuses in the jobs' sorted order, with actions taken since applied."""
        base = self.big.status_by_rank(k)
        if not self.big_overrides:
            return base
        patched = bytearray(base)
        arrays = self.big.eval_arrays(k)
        rank = bigset.universe().rank
        for build_id in self.big_overrides:
            where = self.big.locate(build_id)
            if where is not None and arrays.ids[where[1]] == build_id:
                status = self.big_status(k, where[1])
                patched[rank[where[1]]] = bigset.QUEUED if status is None else status
        return bytes(patched)

    def big_row(self, k: int, slot: int) -> Row:
        build_id = self.big.eval_arrays(k).ids[slot]
        build = self.big_overrides.get(build_id) or self._big_build(build_id, with_evals=False)
        assert build is not None
        return self.row(build)

    def row(self, build: Build) -> Row:
        now = self.now()
        status = build.status(now)
        stop = None
        if status is not None:
            stop = build.cancelled_at if build.cancelled_at is not None else build.finish_at
        return Row(build.id, build.job, build.system, status is not None, status, stop, build.nixname)

    def matching_ranks(self, pattern: str) -> list[int]:
        """Ranks of the big jobset's jobs whose name matches `filter=` (ILIKE '%pattern%')."""
        import bisect

        universe = bigset.universe()
        regex = like_pattern(pattern)
        found: list[int] = []
        starts = universe.starts
        pos = 0
        text = universe.text
        while True:
            m = regex.search(text, pos)
            if m is None:
                return found
            line = bisect.bisect_right(starts, m.start()) - 1
            found.append(line)
            pos = starts[line + 1]

    def items(self, ev: Eval, pattern: str) -> list[Item]:
        """One side of a comparison: every build of the evaluation whose job matches."""
        now = self.now()
        if ev.big >= 0:
            order = bigset.universe().order
            ranks = self.matching_ranks(pattern) if pattern else range(len(order))
            arrays = self.big.eval_arrays(ev.big)
            out = []
            for r in ranks:
                slot = order[r]
                build_id = arrays.ids[slot]
                if build_id:
                    status = self.big_status(ev.big, slot)
                    out.append(
                        Item(bigset.slot_job(slot), bigset.slot_system(slot), build_id, status is not None, status)
                    )
            return out
        regex = like_pattern(pattern) if pattern else None
        out = []
        for build_id in ev.build_ids:
            b = self.build(build_id)
            if regex is None or regex.search(b.job.lower()):
                status = b.status(now)
                out.append(Item(b.job, b.system, b.id, status is not None, status, b))
        return out

    def compare(self, ev: Eval, other: Eval | None, pattern: str = "") -> Compared:
        """Evaluation `ev` against `other` as Hydra's evaluation page compares them."""
        if ev.big >= 0 and other is not None and other.big >= 0:
            key = (ev.id, other.id, pattern.lower())
            cached = None if self.big_overrides else self._compared.get(key)
            if cached is not None:
                return cached
            order = bigset.universe().order
            k, j = ev.big, other.big
            big = BigDiff(
                self.status_by_rank(k),
                self.status_by_rank(j),
                self.matching_ranks(pattern) if pattern else None,
            )

            def row(cat: Cat, rank: int) -> Row:
                slot = order[rank]
                if cat is Cat.REMOVED:
                    return Row(None, bigset.slot_job(slot), bigset.slot_system(slot))
                return self.big_row(k, slot)

            compared = Compared.of_big(big, row)
            if not self.big_overrides:
                if len(self._compared) >= 16:
                    self._compared.pop(next(iter(self._compared)))
                self._compared[key] = compared
            return compared
        current = self.items(ev, pattern)
        previous = self.items(other, pattern) if other is not None else []

        def item_row(item: Item) -> Row:
            if isinstance(item.ref, Build):
                return self.row(item.ref)
            return self.row(self.build(item.id))

        return Compared.of_diff(build_diff(current, previous), item_row)

    def previous_eval(self, ev: Eval) -> Eval | None:
        """The highest smaller id of the same jobset with new builds (all demo evaluations have them)."""
        jobset = self.jobset(ev.project, ev.jobset)
        earlier = [i for i in jobset.evals if i < ev.id]
        return self.evals[max(earlier)] if earlier else None

    def comparison_source(self, ev: Eval, compare: str | None) -> Eval | None:
        """`compare=` as JobsetEval.pm's view_GET reads it."""
        if compare is None:
            return self.previous_eval(ev)
        if re.fullmatch(r"\d+", compare):
            return self.eval(int(compare))
        seconds = re.fullmatch(r"-(\d+)", compare)
        if seconds:
            limit = ev.timestamp - int(seconds.group(1))
            jobset = self.jobset(ev.project, ev.jobset)
            candidates = [self.evals[i] for i in jobset.evals if self.evals[i].timestamp <= limit]
            return max(candidates, key=lambda e: (e.timestamp, e.id)) if candidates else None
        if re.fullmatch(r"[A-Za-z_][\w\-]*", compare):
            project = self.project(ev.project)
            other = project.jobsets.get(compare)
            if other is None:
                raise DemoError(404, f"Jobset {compare} doesn't exist.")
            return self.latest_finished_eval(other)
        raise DemoError(404, f"Unknown comparison source ‘{compare}’.")

    def latest_finished_eval(self, jobset: Jobset) -> Eval | None:
        """getLatestFinishedEval: the newest evaluation none of whose builds is still unfinished."""
        for eval_id in reversed(jobset.evals):
            ev = self.evals[eval_id]
            if self.counts(ev)["nrscheduled"] == 0:
                return ev
        return None

    # --- logs --------------------------------------------------------------------------------------

    def log(self, build: Build) -> Iterator[str]:
        """The build's log as far as it has got, line by line, with colours. A running build's log grows:
        it shows the first lines of what the finished log will be."""
        now = self.now()
        phase = build.phase(now)
        if phase == "queued":
            return
        lines = self._planned_log(build)
        if phase == "running" and build.finish_at and build.start_at is not None:
            done = (now - build.start_at) / max(1, build.finish_at - build.start_at)
            shown = max(3, int(build.log_lines * done))
            for n, line in enumerate(lines):
                if n >= shown:
                    return
                yield line
            return
        yield from lines
        status = build.status(now)
        if status == 0:
            yield f"shrinking RPATHs of ELF executables and libraries in {build.out_path()}"
            yield f"\x1b[32mbuilt\x1b[0m {build.out_path()}"
        elif status == 4:
            yield "\x1b[33mbuild cancelled by user\x1b[0m"
        else:
            yield "\x1b[31;1merror:\x1b[0m builder for '" + build.drvpath + "' failed with exit code 2;"
            yield "       last 10 log lines:"
            yield "       > FAIL: test-suite.log (1 of 42 tests failed)"
            yield "       For full logs, run 'nix log " + build.drvpath + "'."

    def _planned_log(self, build: Build) -> Iterator[str]:
        yield f"\x1b[1mbuilding '{build.drvpath}'...\x1b[0m"
        yield "Running phase: \x1b[32munpackPhase\x1b[0m"
        yield f"unpacking source archive /nix/store/{store_hash('src' + str(build.id))}-source"
        phases = ["patchPhase", "configurePhase", "buildPhase", "checkPhase", "installPhase", "fixupPhase"]
        body = max(0, build.log_lines - 6)
        for i in range(body):
            if i % 40 == 0:
                yield f"Running phase: \x1b[32m{phases[(i // 40) % len(phases)]}\x1b[0m"
            elif i % 17 == 0:
                yield f"\x1b[33mwarning:\x1b[0m unused variable 'x{i}' [-Wunused-variable]"
            else:
                yield f"  CC       src/{data.BIG_WORDS[(build.id + i) % len(data.BIG_WORDS)]}.o\t[{i}/{body}]"
