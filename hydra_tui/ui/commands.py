"""The command palette (ctrl+p): jump to a project, a jobset, a job ("job NAME"), an evaluation seen here, an
evaluation or build id ("1044", "eval 1044", "build 5"), a job found by the server's search, a pasted Hydra URL
(…/build/N, …/eval/N, …/jobset/P/J, …/job/P/J/NAME, …/project/P; one of another server says so), or the operator's
view ("queue", "running", "machines", "status")."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from hydra_tui.api.errors import HydraError
from hydra_tui.logs.sanitize import plain

if TYPE_CHECKING:
    from hydra_tui.api.models import SearchResult
    from hydra_tui.ui.app import HydraApp

#: What Hydra's `/search` accepts (anything else is a 500 there); shorter queries are not sent.
SEARCHABLE = re.compile(r"[a-zA-Z0-9_\-/.]{3,}")
#: How long typing must pause before the server is asked (each keystroke would be a search otherwise).
SEARCH_PAUSE = 0.3
SEARCH_LIMIT = 10
#: The newest evaluations of each jobset read here that the palette offers by name.
EVALS_OFFERED = 10


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


@dataclass(frozen=True)
class Link:
    """What a pasted Hydra URL points at."""

    kind: str  # build, eval, jobset, job, project
    build_id: int = 0
    eval_id: int = 0
    project: str = ""
    jobset: str = ""
    job: str = ""

    def describe(self) -> str:
        if self.kind == "build":
            return f"build {self.build_id}"
        if self.kind == "eval":
            return f"evaluation {self.eval_id}"
        if self.kind == "project":
            return f"project {self.project}"
        if self.kind == "jobset":
            return f"jobset {self.project}:{self.jobset}"
        return f"job {self.project}:{self.jobset}:{self.job}"


def read_link(text: str) -> Link | None:
    """A Hydra URL (or just its path) read for what it points at; None when it is not one. Trailing parts (`/log`,
    `#tabs-…`, `?compare=…`) are ignored: `…/build/5/nixlog/1` is build 5."""
    text = text.strip()
    if not text or " " in text or "/" not in text:
        return None
    path = urlsplit(text).path if "://" in text else text.split("?", 1)[0].split("#", 1)[0]
    parts = [unquote(p) for p in path.split("/") if p]
    for n, part in enumerate(parts):
        rest = parts[n + 1 :]
        if part == "build" and rest and rest[0].isdigit():
            return Link("build", build_id=int(rest[0]))
        if part == "eval" and rest and rest[0].isdigit():
            return Link("eval", eval_id=int(rest[0]))
        if part == "job" and len(rest) >= 3:
            return Link("job", project=rest[0], jobset=rest[1], job=rest[2])
        if part == "jobset" and len(rest) >= 2:
            return Link("jobset", project=rest[0], jobset=rest[1])
        if part == "project" and rest:
            return Link("project", project=rest[0])
    return None


def other_host(text: str, server_url: str) -> str | None:
    """The server a pasted URL names (`https://host:port`, never its password) when it is not this one, else None.
    A URL pasted without its scheme (`hydra.nixos.org/eval/1`) names its host too; a path alone is this server's."""
    text = text.strip()
    if "://" not in text:
        first = text.split("/", 1)[0]
        if text.startswith("/") or not ("." in first or ":" in first or first.lower() == "localhost"):
            return None
        text = "https://" + text
    theirs, ours = urlsplit(text), urlsplit(server_url)
    try:
        same = _host(theirs.hostname) == _host(ours.hostname) and (
            theirs.port or _PORTS.get(theirs.scheme.lower())
        ) == (ours.port or _PORTS.get(ours.scheme.lower()))
    except ValueError:  # a port that is not a number
        same = False
    if same:
        return None
    host = plain(theirs.netloc.rsplit("@", 1)[-1])  # never a password
    return f"{theirs.scheme.lower()}://{host}" if host else "another server"


def _host(name: str | None) -> str:
    name = (name or "").lower()
    return "localhost" if name in ("localhost", "127.0.0.1", "::1") else name


_PORTS = {"http": 80, "https": 443}
#: The words that say which kind of id a number is ("eval 1044", "build 5").
ID_WORDS = {"build": "build", "b": "build", "eval": "eval", "evaluation": "eval", "e": "eval"}


def open_link(app: HydraApp, link: Link) -> None:
    if link.kind == "build":
        app.open_build(link.build_id)
    elif link.kind == "eval":
        app.open_eval(link.eval_id)
    elif link.kind == "jobset":
        app.open_jobset(link.project, link.jobset)
    elif link.kind == "job":
        app.open_job(link.project, link.jobset, link.job)
    else:
        app.open_project(link.project)


class JumpProvider(Provider):
    """Projects and jobsets known here, ids, pasted URLs, and what the server's search finds."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._found: dict[str, SearchResult | None] = {}

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
        # The newest first, whichever jobset (ids grow with time on a Hydra).
        known = [(i, p, j) for (p, j), evals in self._known_evals().items() for i in evals[:EVALS_OFFERED]]
        for eval_id, project, jobset in sorted(known, reverse=True):
            callback = partial(app.open_eval, eval_id, project, jobset)
            targets.append((f"evaluation {eval_id} {project}:{jobset}", "Open the evaluation", callback))
        return targets

    def _known_evals(self) -> dict[tuple[str, str], list[int]]:
        """The evaluations of each jobset whose list was read here, newest first."""
        app: HydraApp = self.app  # type: ignore[assignment]
        known: dict[tuple[str, str], list[int]] = {}
        for key, entry in list(app.service.cache.entries.items()):
            if key[0] == "evals" and entry.has_value and len(key) >= 3:
                ids = known.setdefault((str(key[1]), str(key[2])), [])
                ids.extend(e.id for e in entry.value.evals if e.id not in ids)
        for ids in known.values():
            ids.sort(reverse=True)
        return known

    def _id_hits(self, n: int, kind: str | None) -> list[Hit]:
        """Build `n` and evaluation `n`: the one the word names alone, else both, the likelier first (an id the
        cache knows as an evaluation, or no larger than the evaluations seen, is one)."""
        app: HydraApp = self.app  # type: ignore[assignment]
        hits = {
            "build": (f"build {n}", partial(app.open_build, n), "Open build by id"),
            "eval": (f"evaluation {n}", partial(app.open_eval, n), "Open evaluation by id"),
        }
        if kind is not None:
            order = [kind]
        else:
            evals = [i for ids in self._known_evals().values() for i in ids]
            cached = app.service.cache.peek(("build", n))
            known_build = cached is not None and cached.has_value
            likely_eval = n in evals or (bool(evals) and n <= max(evals) and not known_build)
            order = ["eval", "build"] if likely_eval else ["build", "eval"]
        return [Hit(100 - rank, text, go, help=what) for rank, (text, go, what) in enumerate(hits[k] for k in order)]

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

    def _elsewhere(self, host: str) -> None:
        app: HydraApp = self.app  # type: ignore[assignment]
        app.notify(
            f"That link is on {host}; this dashboard is connected to {app.server}. "
            f"To open it, start another: hydra-tui --url {host}",
            title="Another server",
            severity="warning",
            markup=False,
        )

    async def discover(self) -> Hits:
        if not self.app.started:  # type: ignore[attr-defined]
            return  # nothing is known before the first frame's service layer
        for name, help_text, callback in self._operator():
            yield DiscoveryHit(Content(name), callback, help=help_text)  # type: ignore[arg-type]
        for name, help_text, callback in self._targets():
            yield DiscoveryHit(Content(name), callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        app: HydraApp = self.app  # type: ignore[assignment]
        if not app.started:
            return
        matcher = self.matcher(query)
        link = read_link(query)
        if link is not None:
            host = other_host(query, app.service.client.base_url)
            if host is None:
                yield Hit(100, f"open {link.describe()}", partial(open_link, app, link), help="The pasted Hydra URL")
            else:
                yield Hit(
                    100,
                    Content(f"{link.describe()} is on {host}"),
                    partial(self._elsewhere, host),
                    help=f"Not on {app.server}: this dashboard cannot open it",
                )
            return
        words = query.strip().split(None, 1)
        if len(words) == 2 and words[0].lower() == "job":
            hit = self._job_hit(words[1])
            if hit is not None:
                yield hit
        kind = ID_WORDS.get(words[0].lower()) if len(words) == 2 else None
        number = (words[1] if kind else query.strip()).lstrip("#")
        if number.isdigit():
            for hit in self._id_hits(int(number), kind):
                yield hit
            return
        names: set[str] = set()
        for name, help_text, callback in [*self._operator(), *self._targets()]:
            score = matcher.match(name)
            if score > 0:
                names.add(name)
                yield Hit(score, highlight(name, query), callback, help=help_text)  # type: ignore[arg-type]
        async for hit in self._search_server(query.strip(), names):
            yield hit

    async def _search_server(self, query: str, names: set[str]) -> Hits:
        """Jobs (and projects, jobsets) the server's `/search` finds: its builds are matched by output path, which
        carries the package's name. Asked once typing pauses; each query once."""
        app: HydraApp = self.app  # type: ignore[assignment]
        if not SEARCHABLE.fullmatch(query):
            return
        if query not in self._found:
            await asyncio.sleep(SEARCH_PAUSE)  # cancelled by the palette when another key comes
            try:
                self._found[query] = await app.service.client.search(query, limit=SEARCH_LIMIT)
            except HydraError:
                self._found[query] = None
        found = self._found[query]
        if found is None:
            return
        for p in found.projects:
            name = f"project {p.name}"
            if name not in names:
                yield Hit(
                    0.5,
                    highlight(plain(name), query),
                    partial(app.open_project, p.name),
                    help="Found by the server's search",
                )
        for j in found.jobsets:
            name = f"jobset {j.project}:{j.name}"
            if name not in names:
                callback = partial(app.open_jobset, j.project, j.name)
                yield Hit(0.5, highlight(plain(name), query), callback, help="Found by the server's search")
        seen: set[int] = set()
        for b in [*found.builds, *found.buildsdrv]:
            if b.id in seen:
                continue
            seen.add(b.id)
            name = plain(f"{b.job}  {b.project}:{b.jobset}  build {b.id}")
            state = plain(b.state.label)
            help_text = f"Found by the server's search; the build: {state}"
            yield Hit(0.4, highlight(name, query), partial(app.open_build, b.id), help=help_text)
