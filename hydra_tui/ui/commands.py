"""The command palette (ctrl+p): jump to a project, a jobset, a job ("job NAME"), an evaluation id or a build id,
or to the operator's view ("queue", "running", "machines", "status")."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

if TYPE_CHECKING:
    from hydra_tui.ui.app import HydraApp


def highlight(name: str, query: str) -> Content:
    """The name as literal content (it comes from the server: never markup) with the query's letters marked."""
    content = Content(name)
    lowered = name.lower()
    at = 0
    for char in query.lower():
        if char.isspace():
            continue
        found = lowered.find(char, at)
        if found < 0:
            break
        content = content.stylize("bold underline", found, found + 1)
        at = found + 1
    return content


class JumpProvider(Provider):
    def _targets(self) -> list[tuple[str, str, object]]:
        app: HydraApp = self.app  # type: ignore[assignment]
        targets: list[tuple[str, str, object]] = []
        for key, entry in app.service.cache.entries.items():
            if key[0] == "projects" and entry.has_value:
                for p in entry.value:
                    targets.append((f"project {p.name}", "Open the project", partial(app.open_project, p.name)))
            if key[0] == "jobsets" and entry.has_value:
                for j in entry.value:
                    targets.append(
                        (f"jobset {j.project}:{j.name}", "Open the jobset", partial(app.open_jobset, j.project, j.name))
                    )
        return targets

    def _operator(self) -> list[tuple[str, str, object]]:
        app: HydraApp = self.app  # type: ignore[assignment]
        return [
            (
                "queue by system",
                "The queue per system, with the total (Hydra's /queue-summary)",
                partial(app.open_operator, "queue"),
            ),
            (
                "running builds status",
                "What is building now, where, and for how long (Hydra's /status)",
                partial(app.open_operator, "running"),
            ),
            (
                "build machines",
                "Machines: load, jobs, failures, disabled ones (Hydra's /machines)",
                partial(app.open_operator, "machines"),
            ),
        ]

    def _job_hit(self, name: str) -> Hit | None:
        """`job NAME`: PROJECT:JOBSET:JOB, or a bare attribute resolved as `hydra-tui job` does."""
        from hydra_tui.job.names import JobNameError, resolve_job

        app: HydraApp = self.app  # type: ignore[assignment]
        profile = app.auth.profile
        try:
            ref = resolve_job(name, default_jobset=profile.default_jobset, channels=profile.channels)
        except JobNameError:
            return None
        callback = partial(app.open_job, ref.project, ref.jobset, ref.job)
        return Hit(100, Content(f"job {ref.name}"), callback, help="Open the job's history")

    async def discover(self) -> Hits:
        for name, help_text, callback in self._operator():
            yield DiscoveryHit(Content(name), callback, help=help_text)  # type: ignore[arg-type]
        for name, help_text, callback in self._targets():
            yield DiscoveryHit(Content(name), callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        app: HydraApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        words = query.strip().split(None, 1)
        if len(words) == 2 and words[0].lower() == "job":
            hit = self._job_hit(words[1])
            if hit is not None:
                yield hit
        number = query.strip().lstrip("#")
        if number.isdigit():
            n = int(number)
            yield Hit(100, f"build {n}", partial(app.open_build, n), help="Open build by id")
            yield Hit(99, f"evaluation {n}", partial(app.open_eval, n), help="Open evaluation by id")
        for name, help_text, callback in [*self._operator(), *self._targets()]:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, highlight(name, query), callback, help=help_text)  # type: ignore[arg-type]
