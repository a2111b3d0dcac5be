"""Writes to the server (push, restart, cancel, bump), each described before it runs, logged after it ran,
and followed by a refresh of what it changed. No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hydra_tui.api.errors import HydraError
from hydra_tui.auth import Auth
from hydra_tui.cache.service import DataService
from hydra_tui.files import append_private, private_dir


class ReadOnlyError(HydraError):
    hint = "Actions are off: this profile is read-only (config read_only, or --read-only)."


@dataclass(frozen=True)
class Kind:
    """Everything about one kind of write, in one place."""

    title: str
    explain: str  # what will happen, with {target}
    outcome: str  # what happened, with {target}
    call: str  # the HydraClient method; it takes the build or evaluation id


KINDS: dict[str, Kind] = {
    "push": Kind(
        "Evaluate jobset",
        "Ask Hydra to evaluate {target} now. A new evaluation appears if its inputs changed.",
        "Evaluation of {target} requested.",
        "push",
    ),
    "push-force": Kind(
        "Evaluate jobset (forced)",
        "Ask Hydra to evaluate {target} now, even if it is disabled or nothing changed.",
        "Evaluation of {target} requested.",
        "push",
    ),
    "restart": Kind(
        "Restart build",
        "Restart {target}: it goes back into the queue and builds again.",
        "Restarted {target}.",
        "restart_build",
    ),
    "cancel": Kind(
        "Cancel build",
        "Cancel {target}: it stops (or never starts) and is marked cancelled.",
        "Cancelled {target}.",
        "cancel_build",
    ),
    "bump": Kind("Bump build", "Bump {target} to the front of the queue.", "Bumped {target}.", "bump_build"),
    "eval-restart": Kind(
        "Restart failed builds",
        "Restart {every} failed build{s} of {target}.",
        "Restarted the failed builds of {target}.",
        "restart_eval_failed",
    ),
    "eval-cancel": Kind(
        "Cancel evaluation",
        "Cancel {every} queued or running build{s} of {target}.",
        "Cancelled the unfinished builds of {target}.",
        "cancel_eval",
    ),
    "eval-bump": Kind(
        "Bump evaluation",
        "Bump {every} queued build{s} of {target} to the front of the queue.",
        "Bumped {target}.",
        "bump_eval",
    ),
}


@dataclass(frozen=True)
class Action:
    """One write: its kind and what it acts on."""

    kind: str  # push, push-force, restart, cancel, bump, eval-restart, eval-cancel, eval-bump
    target: str  # "hello:main", "build 123", "evaluation 45"
    project: str = ""
    jobset: str = ""
    build_id: int = 0
    eval_id: int = 0
    #: How many builds an evaluation-wide action touches, when known (said in the confirmation).
    count: int | None = None

    @property
    def title(self) -> str:
        return KINDS[self.kind].title

    def explain(self) -> str:
        """What will happen to what, in a sentence; an evaluation-wide action says how many builds it touches."""
        every = "every" if self.count is None else f"{self.count:,}"
        plural = "" if self.count == 1 else "s"
        return KINDS[self.kind].explain.format(target=self.target, every=every, s=plural)

    @classmethod
    def push(cls, project: str, jobset: str, *, force: bool = False) -> Action:
        return cls("push-force" if force else "push", f"{project}:{jobset}", project=project, jobset=jobset)

    @classmethod
    def on_build(cls, kind: str, build_id: int, job: str = "") -> Action:
        return cls(kind, f"build {build_id}" + (f" ({job})" if job else ""), build_id=build_id)

    @classmethod
    def on_eval(cls, kind: str, eval_id: int, *, count: int | None = None, jobset: str = "") -> Action:
        """An action on every build of an evaluation it concerns; `count`: how many those are, when known."""
        target = f"evaluation {eval_id}" + (f" ({jobset})" if jobset else "")
        return cls(f"eval-{kind}", target, eval_id=eval_id, count=count)


@dataclass
class ActionRecord:
    at: float
    action: str
    target: str
    outcome: str
    ok: bool
    #: Who did it ("" when nobody was logged in: the server refused it).
    user: str = ""


class Actions:
    """Runs actions for the UI or a script, and keeps the log of every write."""

    def __init__(
        self, service: DataService, auth: Auth, *, read_only: bool = False, log_file: Path | None = None
    ) -> None:
        self.service = service
        self.auth = auth
        self.read_only = read_only
        self.log_file = log_file
        self.log: list[ActionRecord] = []

    async def run(self, action: Action) -> str:
        """Do it; return the outcome in words. Raises HydraError (login required, forbidden, …) on failure."""
        if self.read_only:
            raise ReadOnlyError(f"{action.title} was not done.")
        try:
            outcome = await self._do(action)
        except HydraError as exc:
            self._record(action, str(exc), ok=False)
            raise
        self._record(action, outcome, ok=True)
        await self._refresh(action)
        return outcome

    async def _do(self, action: Action) -> str:
        kind = KINDS[action.kind]
        client = self.service.client
        if kind.call == "push":
            result = await client.push(action.project, action.jobset, force=action.kind == "push-force")
            return kind.outcome.format(target=", ".join(result.jobsetsTriggered) or action.target)
        await getattr(client, kind.call)(action.build_id or action.eval_id)
        return kind.outcome.format(target=action.target)

    def _record(self, action: Action, outcome: str, *, ok: bool) -> None:
        user = self.auth.user.username if self.auth.user is not None else ""
        record = ActionRecord(self.service.clock.now(), action.title, action.target, outcome, ok, user)
        self.log.append(record)
        if self.log_file is not None:
            with contextlib.suppress(OSError):
                private_dir(self.log_file.parent)
                append_private(
                    self.log_file, json.dumps({**asdict(record), "server": self.service.client.base_url}) + "\n"
                )

    async def _refresh(self, action: Action) -> None:
        cache = self.service.cache
        if action.project:
            for key in (
                ("jobsets", action.project),
                ("jobset", action.project, action.jobset),
                ("jobset_errors", action.project, action.jobset),
            ):
                cache.invalidate(key)
            cache.invalidate(("evals", action.project, action.jobset, 1))
        if action.build_id:
            cache.invalidate(("build", action.build_id))
        cache.invalidate_kind("eval_builds")
        cache.invalidate_kind("jobsets")
        for sub in list(self.service.poller.subscriptions):
            if not self.service.cache.is_fresh(sub.key):
                _, fetch, _ = self.service.source(*sub.key)
                with contextlib.suppress(HydraError):
                    await cache.refresh(sub.key, fetch)


def format_record(record: ActionRecord) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.at))
    who = record.user or "-"
    return f"{when}  {who:<12} {record.action:<24} {record.target}  {'ok' if record.ok else 'FAILED'}: {record.outcome}"
