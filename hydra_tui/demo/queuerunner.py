"""The demo's queue runner and build machines: `/status`, `/machines` and `/queue-runner-status`, from the World.

Everything is a function of the world's builds and the clock, like the rest of the demo: a build that runs (its
phase) is on the machine `machine_for` picks, a finished one counts in that machine's steps done. One machine,
`FLAKY`, fails a few times in every `FLAKY_PERIOD` and is then disabled for a while, so the operator screen moves.

Two formats (`World.queue_runner`): "rust" (the current queue runner, reference §4.10–4.11) and "legacy" (the C++
one: `ssh://` keys, `enabled`, `machineTypes`, and `/machines` from the machines file). `World.queue_runner_state`
other than "up" answers `{"status": …}` as Hydra does when the runner is down, unconfigured or unreachable.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hydra_tui.demo.data import mix

if TYPE_CHECKING:
    from hydra_tui.demo.world import Build, World

FORMATS = ("rust", "legacy")
STATES = ("up", "down", "unknown", "unreachable")


@dataclass(frozen=True)
class DemoMachine:
    hostname: str
    systems: tuple[str, ...]
    max_jobs: int
    features: tuple[str, ...] = ("kvm", "nixos-test", "big-parallel")
    speed: float = 1.0
    cpus: int = 32
    mem_gib: int = 128
    base_steps: int = 10_000  # steps done before the demo began


MACHINES: tuple[DemoMachine, ...] = (
    DemoMachine(
        "builder-x86-01.example.org", ("x86_64-linux", "i686-linux"), 8, cpus=64, mem_gib=256, base_steps=48_211
    ),
    DemoMachine(
        "builder-x86-02.example.org", ("x86_64-linux", "i686-linux"), 8, cpus=64, mem_gib=256, base_steps=47_902
    ),
    DemoMachine("builder-x86-03.example.org", ("x86_64-linux",), 4, ("kvm",), cpus=16, mem_gib=64, base_steps=12_044),
    DemoMachine("builder-arm-01.example.org", ("aarch64-linux",), 6, ("big-parallel",), cpus=80, base_steps=31_377),
    DemoMachine("builder-arm-02.example.org", ("aarch64-linux",), 6, ("big-parallel",), cpus=80, base_steps=29_805),
    DemoMachine(
        "mac-01.example.org",
        ("x86_64-darwin", "aarch64-darwin"),
        2,
        ("big-parallel",),
        cpus=12,
        mem_gib=32,
        base_steps=8_130,
    ),
)
FLAKY = "builder-arm-02.example.org"
FLAKY_PERIOD = 900  # seconds: fails at 0, 60 and 120 into a period, disabled until 420, then fine again
FLAKY_FAILURES = (0, 60, 120)
FLAKY_BACK = 420
FLAKY_PHASE = 200  # where in its period the flaky machine is at the world's t0 (disabled, with 3 failures)
SSH_USER = "root"


@dataclass(frozen=True)
class FlakyState:
    failures: int
    last_failure: int | None
    disabled_until: int | None


def flaky_state(world: World, now: int) -> FlakyState:
    """The flaky machine's consecutive failures and disabled-until at `now` (a function of the clock)."""
    offset = now - world.t0 + FLAKY_PHASE
    start = now - offset % FLAKY_PERIOD
    into = offset % FLAKY_PERIOD
    failed = [t for t in FLAKY_FAILURES if t <= into]
    if not failed or into >= FLAKY_BACK:
        return FlakyState(0, start + FLAKY_FAILURES[-1] if into >= FLAKY_BACK else None, None)
    return FlakyState(
        len(failed), start + failed[-1], start + FLAKY_BACK if len(failed) == len(FLAKY_FAILURES) else None
    )


def machine_for(world: World, build: Build, now: int | None = None) -> str:
    """The machine that builds (or built) this build: one of those with its system, chosen by the build's id; a
    machine disabled at that moment passes its builds to the next."""
    able = [m for m in MACHINES if build.system in m.systems]
    if not able:
        return ""
    slot = mix(build.id * 7 + 3) % sum(m.max_jobs for m in able)  # bigger machines take more
    pick = able[-1]
    for m in able:
        if slot < m.max_jobs:
            pick = m
            break
        slot -= m.max_jobs
    when = now if now is not None else (build.start_at or build.timestamp)
    if pick.hostname == FLAKY and len(able) > 1 and flaky_state(world, when).disabled_until is not None:
        pick = next(m for m in able if m.hostname != FLAKY)
    return pick.hostname


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


class QueueRunner:
    """What the demo's queue runner reports, computed per request from the world."""

    def __init__(self, world: World) -> None:
        self.world = world

    def running(self, now: int) -> list[Build]:
        return sorted((b for b in self.world.builds.values() if b.phase(now) == "running"), key=lambda b: b.id)

    def queued(self, now: int) -> list[Build]:
        return [b for b in self.world.builds.values() if b.phase(now) == "queued"]

    def _per_machine(self, now: int) -> dict[str, dict[str, Any]]:
        world = self.world
        out: dict[str, dict[str, Any]] = {m.hostname: {"jobs": [], "done": 0, "failed": 0} for m in MACHINES}
        for b in world.builds.values():
            phase = b.phase(now)
            if phase == "running":
                out[machine_for(world, b, now)]["jobs"].append(b)
            elif phase == "finished" and b.finish_at is not None and b.finish_at >= world.t0 - 86400:
                host = machine_for(world, b)
                if host:
                    out[host]["done"] += 1
                    out[host]["failed"] += int(b.status(now) not in (0, None))
        return out

    def _load(self, m: DemoMachine, jobs: int, now: int) -> float:
        wave = 0.4 * math.sin((now + mix(len(m.hostname)) % 600) / 97.0)
        return round(max(0.0, jobs * m.cpus / max(1, m.max_jobs) * 0.45 + 0.3 + wave), 2)

    # --- the Rust queue runner ----------------------------------------------------------------------------

    def _rust_stats(self, m: DemoMachine, info: dict[str, Any], now: int) -> dict[str, Any]:
        jobs = len(info["jobs"])
        done = m.base_steps + info["done"]
        flaky = flaky_state(self.world, now) if m.hostname == FLAKY else FlakyState(0, None, None)
        avg = 40_000 + mix(done) % 20_000
        mem = m.mem_gib << 30
        return {
            "currentJobs": jobs,
            "nrStepsDone": done,
            "avgStepTimeMs": avg,
            "avgStepImportTimeMs": avg // 30,
            "avgStepBuildTimeMs": avg * 8 // 10,
            "avgStepUploadTimeMs": avg // 10,
            "totalStepTimeMs": avg * done,
            "totalStepImportTimeMs": avg // 30 * done,
            "totalStepBuildTimeMs": avg * 8 // 10 * done,
            "totalStepUploadTimeMs": avg // 10 * done,
            "idleSince": 0 if jobs else now - 40,
            "lastFailure": flaky.last_failure or 0,
            "disabledUntil": flaky.disabled_until or 0,
            "consecutiveFailures": flaky.failures,
            "lastPing": now - (2 + mix(now // 5 + len(m.hostname)) % 4) if flaky.disabled_until is None else now - 95,
            "sinceLastPing": 2 if flaky.disabled_until is None else 95,
            "load1": self._load(m, jobs, now),
            "load5": self._load(m, jobs, now - 150),
            "load15": self._load(m, jobs, now - 450),
            "memUsage": int(mem * (0.12 + 0.08 * jobs)),
            "pressure": {"cpu": {"avg10": min(90.0, 6.0 * jobs)}, "mem": {"avg10": 0.0}, "io": {"avg10": 1.5}},
            "buildDirFreePercent": 80.0 - jobs,
            "storeFreePercent": round(71.0 - (mix(sum(map(ord, m.hostname))) % 60), 1),
            "currentUploadingPathCount": 0,
            "currentDownloadingPathCount": min(1, jobs),
            "jobsInLast30sStart": now - 30,
            "jobsInLast30sCount": jobs,
            "failedBuilds": info["failed"] + m.base_steps // 40,
            "succeededBuilds": done - info["failed"] - m.base_steps // 40,
        }

    def _rust_machine_common(self, m: DemoMachine) -> dict[str, Any]:
        return {
            "maxJobs": m.max_jobs,
            "speedFactor": m.speed,
            "supportedFeatures": list(m.features),
            "mandatoryFeatures": [],
            "hasCapacity": True,
            "hasDynamicCapacity": True,
            "hasStaticCapacity": True,
            "score": 0.25,
        }

    def machines_rust(self, now: int) -> dict[str, Any]:
        per = self._per_machine(now)
        return {
            m.hostname: {
                "systemTypes": list(m.systems),
                **self._rust_machine_common(m),
                "primarySystemType": m.systems[0],
                "memTotal": m.mem_gib << 30,
                "stats": self._rust_stats(m, per[m.hostname], now),
            }
            for m in MACHINES
        }

    def _queue_by_system(self, now: int, per: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
        systems: dict[str, dict[str, int]] = {}
        for b in self.queued(now):
            s = systems.setdefault(b.system, {"queued": 0, "running": 0, "wait": 0})
            s["queued"] += 1
            s["wait"] += max(0, now - b.timestamp)
        for b in self.running(now):
            s = systems.setdefault(b.system, {"queued": 0, "running": 0, "wait": 0})
            s["running"] += 1
        for system, s in systems.items():
            free = sum(
                max(0, m.max_jobs - len(per[m.hostname]["jobs"]))
                for m in MACHINES
                if system in m.systems and not (m.hostname == FLAKY and flaky_state(self.world, now).disabled_until)
            )
            s["free"] = free
        return systems

    def status_rust(self, now: int) -> dict[str, Any]:
        per = self._per_machine(now)
        systems = self._queue_by_system(now, per)
        running = self.running(now)
        queued = self.queued(now)
        done = sum(v["done"] for v in per.values())
        failed = sum(v["failed"] for v in per.values())
        queue_stats = {
            system: {
                "activeRunnable": s["running"],
                "totalRunnable": s["queued"] + s["running"],
                "nrRunnableWaiting": max(0, s["queued"] - s["free"]),
                "nrRunnableDisabled": 0,
                "avgRunnableTime": s["wait"] // max(1, s["queued"]),
                "waitTimeMs": s["wait"] * 1000,
            }
            for system, s in sorted(systems.items())
        }
        machines = {}
        for m in MACHINES:
            info = per[m.hostname]
            machines[m.hostname] = {
                "systems": list(m.systems),
                "hostname": m.hostname,
                "uptime": float(now - self.world.t0 + 86_400 + mix(m.cpus) % 3600),
                "cpuCount": m.cpus,
                "bogomips": 4800.0,
                "totalMem": m.mem_gib << 30,
                "cgroups": True,
                "substituters": ["https://cache.nixos.org"],
                "useSubstitutes": True,
                "nixVersion": "2.31.2",
                **self._rust_machine_common(m),
                "stats": self._rust_stats(m, info, now),
                "jobs": [b.drvpath for b in info["jobs"]],
            }
        return {
            "queueRunner": {
                "status": "up",
                "time": _iso(now),
                "uptime": float(now - self.world.t0 + 86_400),
                "proc": {"pid": 4242, "vsizeBytes": 8 << 30, "rssBytes": 2 << 30, "sharedBytes": 100 << 20},
                "supportedFeatures": ["kvm", "nixos-test", "big-parallel", "benchmark"],
                "buildCount": len(queued) + len(running),
                "jobsetCount": sum(len(p.jobsets) for p in self.world.projects.values()),
                "stepCount": len(queued) + len(running),
                "runnableCount": len(queued) + len(running),
                "queueStats": queue_stats,
                "nrBuildsDone": done,
                "nrBuildsSucceeded": done - failed,
                "nrBuildsFailed": failed,
                "nrStepsBuilding": len(running),
                "nrStepsWaiting": 0,
                "nrStepsRunnable": len(queued),
                "nrUnsupportedSteps": 0,
                "machinesTotal": len(MACHINES),
                "machinesInUse": sum(1 for v in per.values() if v["jobs"]),
                "s3UploadsPending": 0,
            },
            "machines": machines,
            "jobsets": {
                f"{j.project}:{j.name}": {
                    "id": n,
                    "projectName": j.project,
                    "name": j.name,
                    "seconds": 3600,
                    "shares": j.schedulingshares,
                }
                for n, j in enumerate((j for p in self.world.projects.values() for j in p.jobsets.values()), start=1)
            },
            "store": None,
            "s3": {},
        }

    # --- the legacy C++ queue runner -------------------------------------------------------------------------

    def machines_legacy(self, now: int) -> dict[str, Any]:
        """`/machines` before 2026-05: the machines file, with steps done from the runner's status."""
        per = self._per_machine(now)
        return {
            m.hostname: {
                "systemTypes": list(m.systems),
                "maxJobs": m.max_jobs,
                "speedFactor": m.speed,
                "supportedFeatures": list(m.features),
                "mandatoryFeatures": [],
                "nrStepsDone": m.base_steps + per[m.hostname]["done"],
                "avgStepBuildTime": 41.5,
            }
            for m in MACHINES
        }

    def status_legacy(self, now: int) -> dict[str, Any]:
        per = self._per_machine(now)
        systems = self._queue_by_system(now, per)
        running = self.running(now)
        queued = self.queued(now)
        machines = {}
        for m in MACHINES:
            info = per[m.hostname]
            flaky = flaky_state(self.world, now) if m.hostname == FLAKY else FlakyState(0, None, None)
            done = m.base_steps + info["done"]
            entry: dict[str, Any] = {
                "enabled": True,
                "systemTypes": list(m.systems),
                "supportedFeatures": list(m.features),
                "mandatoryFeatures": [],
                "nrStepsDone": done,
                "currentJobs": len(info["jobs"]),
                "disabledUntil": flaky.disabled_until or 0,
                "lastFailure": flaky.last_failure or 0,
                "consecutiveFailures": flaky.failures,
            }
            if not info["jobs"]:
                entry["idleSince"] = now - 40
            entry["totalStepTime"] = done * 52
            entry["totalStepBuildTime"] = done * 45
            entry["avgStepTime"] = 52.0
            entry["avgStepBuildTime"] = 45.0
            machines[f"ssh://{SSH_USER}@{m.hostname}"] = entry
        return {
            "status": "up",
            "time": now,
            "uptime": now - self.world.t0 + 86_400,
            "pid": 4242,
            "nrQueuedBuilds": len(queued) + len(running),
            "nrActiveSteps": len(running),
            "nrStepsBuilding": len(running),
            "nrStepsCopyingTo": 0,
            "nrStepsCopyingFrom": 0,
            "nrStepsWaiting": 0,
            "nrUnsupportedSteps": 0,
            "bytesSent": 0,
            "bytesReceived": 0,
            "nrBuildsRead": 0,
            "nrBuildsDone": sum(v["done"] for v in per.values()),
            "nrStepsDone": sum(v["done"] for v in per.values()),
            "nrRetries": 0,
            "maxNrRetries": 0,
            "nrQueueWakeups": 0,
            "nrDispatcherWakeups": 0,
            "machines": machines,
            "jobsets": {
                f"{j.project}:{j.name}": {"shareUsed": 0.01, "seconds": 3600}
                for p in self.world.projects.values()
                for j in p.jobsets.values()
            },
            "machineTypes": {
                system: {
                    "runnable": s["queued"],
                    "running": s["running"],
                    **({"waitTime": s["wait"]} if s["queued"] else {}),
                    "lastActive": now,
                }
                for system, s in sorted(systems.items())
            },
            "store": {"narInfoRead": 0},
        }

    # --- the endpoints ---------------------------------------------------------------------------------------

    def queue_runner_status(self) -> dict[str, Any]:
        now = self.world.now()
        state = self.world.queue_runner_state
        if state != "up":
            return {"status": state}
        return self.status_rust(now) if self.world.queue_runner == "rust" else self.status_legacy(now)

    def machines(self) -> dict[str, Any]:
        now = self.world.now()
        if self.world.queue_runner == "rust" and self.world.queue_runner_state != "up":
            return {}  # made from the runner's /status/machines: nothing without it
        return self.machines_rust(now) if self.world.queue_runner == "rust" else self.machines_legacy(now)
