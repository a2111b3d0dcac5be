"""HydraClient: one reusable httpx.AsyncClient per server, polite, typed, and honest about failures.

Every request sends `Accept: application/json` and a `hydra-tui/<version>` User-Agent; every POST sends
`Referer: <base>/` (Hydra's CSRF check). Answers are checked for JSON before they are parsed, so a login
wall, a proxy page or a tarpit becomes a BadResponseError rather than a crash.

Limits that hold whatever the server does (hydra_tui.api.limits.Limits): a deadline for the whole request including
its answer, a cap on the answer's size counted after decompression, and the session cookie sent only to the exact
origin (scheme, host and port) it belongs to: never to a subdomain, another port, or over http after https.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from hydra_tui import __version__
from hydra_tui.api.comparison import Change, Comparison
from hydra_tui.api.errors import (
    ActionFailedError,
    BadResponseError,
    ForbiddenError,
    HydraError,
    LoginRequiredError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TooLargeError,
    UnreachableError,
)
from hydra_tui.api.limits import Limits, Priority, RateLimiter, Ticket, backoff_delay, current_ticket
from hydra_tui.api.models import (
    ApiBuild,
    Build,
    ErrorBody,
    EvalDetail,
    EvalsPage,
    GlobalEval,
    Jobset,
    JobsetOverview,
    Project,
    PushResult,
    SearchResult,
    User,
)
from hydra_tui.api.operator import Machine, RunnerStatus, read_machines, read_runner_status
from hydra_tui.api.rows import BuildRows

if TYPE_CHECKING:
    # Hydra's HTML pages are read with lxml, imported at the first page read: the first screen needs none.
    from hydra_tui.api.pages import BuildSteps, EvalSummary
from hydra_tui.api.text import clean_text
from hydra_tui.logs.source import MAX_LINE, cut_line

USER_AGENT = f"hydra-tui/{__version__} (+https://github.com/hydra-tui/hydra-tui)"
SESSION_COOKIE = "hydra_session"
JSON_TYPES = ("application/json", "text/x-json")
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9"
#: Pages bigger than this are parsed in a worker thread, so the event loop keeps drawing.
PARSE_IN_THREAD = 1_000_000
RETRY_STATUSES = frozenset({500, 502, 503, 504})

M = TypeVar("M", bound=BaseModel)


@dataclass
class Health:
    """How talking to the server is going, for the status line."""

    ok: bool = True
    last_error: HydraError | None = None
    backing_off: bool = False
    requests: int = 0
    failures: int = 0
    retries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def _seg(value: str | int) -> str:
    return quote(str(value), safe="")


_BUILDS_KEY = b'"builds"'
_TO_ARRAY = re.compile(rb"\s*:\s*\[")
_ID_BYTES = b"0123456789, \t\n\r\x0b\x0c"


def drop_build_arrays(body: bytes) -> bytes:
    """Replace every `"builds": [ids…]` (digits, commas and spaces) with `"nrbuilds": N` in a JSON document,
    without parsing the ids. The arrays are found and checked with bytes methods, in C: a regular expression
    took 25-35 ms on a 7.5 MB page (~200 ms on the ~50 MB of nixpkgs' evaluations on hydra.nixos.org)."""
    parts: list[bytes] = []
    done = start = 0
    while (key := body.find(_BUILDS_KEY, start)) >= 0:
        start = key + 1
        head = _TO_ARRAY.match(body, key + len(_BUILDS_KEY))
        if head is None:
            continue
        end = body.find(b"]", head.end())
        if end < 0:
            break
        ids = body[head.end() : end]
        if ids.translate(None, _ID_BYTES):
            continue  # not an array of ids
        ids = ids.strip()
        parts += [body[done:key], b'"nrbuilds": %d' % (ids.count(b",") + 1 if ids else 0)]
        done = start = end + 1
    if not parts:
        return body
    parts.append(body[done:])
    return b"".join(parts)


def origin(url: str | httpx.URL) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, the port filled in: what a cookie is bound to."""
    parts = urlsplit(str(url))
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def has_credentials(url: str) -> bool:
    """True when the URL carries `user@` or `user:password@`."""
    return "@" in urlsplit(url).netloc


def _session_from(response: httpx.Response) -> tuple[bool, str | None]:
    """(whether the answer set our cookie, its value: None when it was deleted)."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        morsel = jar.get(SESSION_COOKIE)
        if morsel is None:
            continue
        max_age = morsel["max-age"]
        if max_age and max_age.lstrip("-").isdigit() and int(max_age) <= 0:
            return True, None
        if morsel["expires"] and not max_age:
            try:
                if parsedate_to_datetime(morsel["expires"]).timestamp() <= time.time():
                    return True, None
            except (TypeError, ValueError):
                pass
        return True, morsel.value or None
    return False, None


def _expect_html(response: httpx.Response) -> None:
    """Hydra's pages come as HTML; a login wall, a proxy's JSON or nothing at all is a BadResponseError."""
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if "html" not in ctype:
        url = str(response.request.url)
        kind = "JSON" if ctype in JSON_TYPES else f"'{ctype or 'nothing'}'"
        raise BadResponseError(f"{urlsplit(url).path} answered with {kind} where an HTML page was expected.", url=url)


def _looks_like_json(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype in JSON_TYPES


def _pages() -> Any:
    """The HTML page readers (hydra_tui.api.pages, with lxml), imported at first use."""
    from hydra_tui.api import pages

    return pages


class HydraClient:
    """Async client for one Hydra server. Use as `async with HydraClient(url) as hydra: ...`."""

    def __init__(
        self,
        base_url: str,
        *,
        limits: Limits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool = True,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if has_credentials(base_url):
            raise ValueError("A server URL must not carry a username or password.")
        self.base_url = base_url.rstrip("/")
        self.origin = origin(self.base_url)
        self.verify = verify
        self.limits = limits or Limits()
        self._session: str | None = None
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http_options: dict[str, Any] = {
            "base_url": self.base_url,
            "headers": {"Accept": "application/json", "User-Agent": user_agent},
            "timeout": httpx.Timeout(self.limits.timeout),
            "transport": transport,
            "verify": verify,
            "follow_redirects": False,
            # httpx's own jar is shut: the session cookie is attached by hand, only to its own origin (see _send).
            "cookies": CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        }
        # Made at the first request, off the event loop (`_ready`): loading the TLS certificates and httpcore takes
        # ~90 ms that the first frame does not wait for.
        self._client: httpx.AsyncClient | None = None
        self._making: asyncio.Lock | None = None
        #: When set, the first request waits for it (the dashboard opens it once its first frame is drawn).
        self.start_gate: asyncio.Event | None = None
        self._in_flight = asyncio.Semaphore(max(1, self.limits.in_flight))
        # Polls and background work hold at most all connections but one: a person's request always finds one.
        self._in_flight_low = asyncio.Semaphore(max(1, self.limits.in_flight - 1))
        self.limiter = RateLimiter(self.limits.rate, self.limits.burst, sleep=sleep)
        self.health = Health()
        self.listeners: list[Callable[[Health], None]] = []

    async def __aenter__(self) -> HydraClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _make_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(**self._http_options)

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = self._make_http()
        return self._client

    async def _ready(self) -> None:
        """Make the HTTP client in a thread, once, before the first request."""
        if self._client is not None:
            return
        if self.start_gate is not None:
            await self.start_gate.wait()
        if self._making is None:
            self._making = asyncio.Lock()
        async with self._making:
            if self._client is None and self._http_options["transport"] is not None:
                self._client = self._make_http()  # a given transport: no certificates to load
            elif self._client is None:
                made = await asyncio.to_thread(self._make_http)
                if self._client is None:
                    self._client = made

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # --- URLs a person can open --------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def build_url(self, build_id: int) -> str:
        return self.url(f"/build/{build_id}")

    def eval_url(self, eval_id: int) -> str:
        return self.url(f"/eval/{eval_id}")

    def jobset_url(self, project: str, jobset: str) -> str:
        return self.url(f"/jobset/{_seg(project)}/{_seg(jobset)}")

    # --- the session cookie ------------------------------------------------------------------------

    @property
    def session_cookie(self) -> str | None:
        return self._session

    def set_session_cookie(self, value: str | None) -> None:
        self._session = value or None

    def _attach_cookie(self, request: httpx.Request) -> None:
        """The session cookie goes only where it came from: same scheme, host and port (so never over http after
        a redirect from https, never to a subdomain or a binary cache)."""
        if "cookie" in request.headers:
            del request.headers["cookie"]
        if self._session and origin(request.url) == self.origin:
            request.headers["Cookie"] = f"{SESSION_COOKIE}={self._session}"

    def _keep_cookie(self, response: httpx.Response) -> None:
        if origin(response.request.url) != self.origin:
            return
        found, value = _session_from(response)
        if found:
            self._session = value

    # --- the core request loop ---------------------------------------------------------------------

    def _notify(self) -> None:
        for listener in list(self.listeners):
            listener(self.health)

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send one request. The whole exchange, answer included, must end within the deadline; with `stream` only
        the headers must (the caller reads the body and keeps its own deadline)."""
        self._attach_cookie(request)
        deadline = self.limits.deadline
        try:
            async with asyncio.timeout(deadline):
                response = await self._http.send(request, stream=True, follow_redirects=False)
                try:
                    self._keep_cookie(response)
                    if not stream:
                        await self._read_capped(response)
                except BaseException:
                    await response.aclose()
                    raise
                return response
        except TimeoutError:
            raise UnreachableError(
                f"{self.base_url} did not finish answering within {deadline:g} s (the request deadline).",
                url=str(request.url),
            ) from None
        except httpx.TimeoutException as exc:
            raise UnreachableError(
                f"{self.base_url} did not answer in time ({type(exc).__name__}).", url=str(request.url)
            ) from None
        except httpx.ConnectError:
            raise UnreachableError(f"Cannot connect to {self.base_url}.", url=str(request.url)) from None
        except httpx.TransportError as exc:
            raise UnreachableError(
                f"The connection to {self.base_url} broke ({type(exc).__name__}).", url=str(request.url)
            ) from None

    async def _read_capped(self, response: httpx.Response) -> None:
        """Read the whole answer, counting decompressed bytes: past `max_body` it is dropped, not kept."""
        cap = self.limits.max_body
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap and not response.headers.get("content-encoding"):
            raise self._too_large(response)
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > cap:
                raise self._too_large(response)
            chunks.append(chunk)
        response._content = b"".join(chunks)
        await response.aclose()

    async def _feed(self, response: httpx.Response, sink: Callable[[bytes], bool]) -> None:
        """Hand a streamed answer to `sink` within the deadline and the size cap; stop when it has enough."""
        url = str(response.request.url)
        total = 0
        try:
            async with asyncio.timeout(self.limits.deadline):
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    if total > self.limits.max_body:
                        raise self._too_large(response)
                    if not sink(chunk):
                        break
        except TimeoutError:
            raise UnreachableError(
                f"{self.base_url} did not finish answering within {self.limits.deadline:g} s (the request deadline).",
                url=url,
            ) from None
        except httpx.TransportError as exc:
            message = f"The answer from {self.base_url} broke off ({type(exc).__name__})."
            raise UnreachableError(message, url=url) from None
        finally:
            await response.aclose()

    def _too_large(self, response: httpx.Response) -> TooLargeError:
        url = str(response.request.url)
        size = self.limits.max_body / (1 << 20)
        return TooLargeError(f"{urlsplit(url).path} sent more than {size:g} MB; hydra-tui stopped reading.", url=url)

    def _error_text(self, response: httpx.Response) -> str:
        if _looks_like_json(response):
            try:
                return ErrorBody.model_validate(json.loads(response.content)).error
            except (ValueError, ValidationError, RecursionError):
                return ""
        ctype = response.headers.get("content-type", "")
        if ctype.startswith("text/plain"):
            return clean_text(response.text.strip()[:500])
        return ""

    def _check(self, response: httpx.Response, *, login: bool = False) -> None:
        """Raise the typed error a status code stands for."""
        status = response.status_code
        if status < 400:
            return
        url = str(response.request.url)
        text = self._error_text(response)
        if status == 429:
            retry_after = response.headers.get("retry-after")
            seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise RateLimitedError(f"{self.base_url} says: too many requests (429).", url=url, retry_after=seconds)
        if status == 404:
            raise NotFoundError(text or f"Not found: {urlsplit(url).path}", url=url)
        if status in (401, 403):
            if login:
                raise LoginRequiredError(
                    text or "Bad username or password.", url=url, hint="Check the username and password."
                )
            if status == 401 or not text or "sign in" in text.lower() or "log in" in text.lower():
                raise LoginRequiredError(text or "This page requires you to sign in.", url=url)
            raise ForbiddenError(text, url=url)
        if status >= 500:
            what = {502: "bad gateway", 503: "unavailable", 504: "gateway timeout"}.get(status, "server error")
            message = f"{self.base_url} answered {status} ({what})" + (f": {text}" if text else ".")
            raise ServerError(message, url=url, status=status, server_text=text)
        raise ActionFailedError(text or f"The server refused the request ({status}).", url=url)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        retry: bool | None = None,
        login: bool = False,
        background: bool = False,
        accept: str | None = None,
        sink: Callable[[bytes], bool] | None = None,
    ) -> httpx.Response:
        """Send one request with rate limiting, the in-flight cap and retries; raise typed errors.
        A `background` request gives way to everything else within the rate limit; `accept` replaces the
        JSON Accept header (Hydra's pages). With `sink`, a successful answer's body is handed to it chunk by
        chunk instead of being kept, until it returns False (then the rest is never read)."""
        headers = {"Referer": self.base_url + "/"} if method == "POST" else {}
        if accept:
            headers["Accept"] = accept
        retry = (method == "GET") if retry is None else retry
        attempt = 0
        await self._ready()
        while True:
            request = self._http.build_request(method, path, params=params, json=json_body, headers=headers)
            ticket = Ticket(Priority.BACKGROUND) if background else current_ticket()
            await self.limiter.acquire(ticket)
            try:
                async with self._connection(ticket.level):
                    self.health.requests += 1
                    response = await self._send(request, stream=sink is not None)
                    self.health.statuses[response.status_code] = self.health.statuses.get(response.status_code, 0) + 1
                    if sink is not None and (response.status_code >= 300):
                        await self._read_capped(response)
                    if response.status_code >= 400:
                        await response.aread()
                    self._check(response, login=login)
                    if sink is not None and response.status_code < 300:
                        await self._feed(response, sink)
            except (RateLimitedError, ServerError, UnreachableError) as exc:
                if not (self._may_retry(exc, method, retry) and attempt < self.limits.retries):
                    self._failed(exc)
                    raise
                delay = backoff_delay(attempt, self.limits.backoff_base, self.limits.backoff_max, self._rng)
                if isinstance(exc, RateLimitedError):
                    delay = max(delay, exc.retry_after or 0)
                    self.limiter.penalise(delay)
                attempt += 1
                self.health.retries += 1
                self.health.backing_off = True
                self.health.last_error = exc
                self._notify()
                await self._sleep(delay)
                continue
            except HydraError as exc:
                # The server is reachable and answering; the request itself was refused.
                self.health.last_error = exc
                self._succeeded()
                raise
            self._succeeded()
            return response

    @contextlib.asynccontextmanager
    async def _connection(self, level: Priority) -> AsyncIterator[None]:
        """One of the `in_flight` connections; below INTERACTIVE, never the last free one."""
        if level is Priority.INTERACTIVE:
            async with self._in_flight:
                yield
        else:
            async with self._in_flight_low, self._in_flight:
                yield

    @staticmethod
    def _may_retry(exc: HydraError, method: str, retry: bool) -> bool:
        if isinstance(exc, RateLimitedError):
            return True  # a rate-limited request never ran, so even a POST is safe to send again
        if isinstance(exc, ServerError) and exc.status not in RETRY_STATUSES:
            return False
        return retry

    def _failed(self, exc: HydraError) -> None:
        self.health.ok = False
        self.health.backing_off = False
        self.health.failures += 1
        self.health.last_error = exc
        self._notify()

    def _succeeded(self) -> None:
        changed = not self.health.ok or self.health.backing_off
        self.health.ok = True
        self.health.backing_off = False
        if changed:
            self._notify()

    async def get_json(self, path: str, params: dict[str, Any] | None = None, *, background: bool = False) -> Any:
        response = await self.request("GET", path, params=params, background=background)
        return self._json(response)

    def _json(self, response: httpx.Response) -> Any:
        url = str(response.request.url)
        if not _looks_like_json(response):
            ctype = response.headers.get("content-type", "nothing") or "nothing"
            kind = "an HTML page" if "html" in ctype else f"'{ctype.split(';')[0]}'"
            raise BadResponseError(f"{urlsplit(url).path} answered with {kind} where JSON was expected.", url=url)
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise BadResponseError(f"{urlsplit(url).path} sent malformed JSON ({exc}).", url=url) from None
        except RecursionError:
            raise BadResponseError(f"{urlsplit(url).path} sent JSON nested too deeply to read.", url=url) from None

    def _model(self, model: type[M], data: Any, url: str) -> M:
        try:
            return model.model_validate(data)
        except RecursionError:
            raise BadResponseError(f"{url} sent data nested too deeply to read.", url=url) from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "the document"
            raise BadResponseError(
                f"{url} sent data hydra-tui cannot read ({where}: {first.get('msg')}).", url=url
            ) from None

    def _models(self, model: type[M], data: Any, url: str) -> list[M]:
        if not isinstance(data, list):
            raise BadResponseError(f"{url} sent an object where a list was expected.", url=url)
        return [self._model(model, item, url) for item in data]

    async def _get_model(
        self, model: type[M], path: str, params: dict[str, Any] | None = None, *, background: bool = False
    ) -> M:
        return self._model(model, await self.get_json(path, params, background=background), path)

    async def _get_models(self, model: type[M], path: str, params: dict[str, Any] | None = None) -> list[M]:
        return self._models(model, await self.get_json(path, params), path)

    # --- reads --------------------------------------------------------------------------------------

    async def projects(self) -> list[Project]:
        return await self._get_models(Project, "/")

    async def project(self, project: str) -> Project:
        return await self._get_model(Project, f"/project/{_seg(project)}")

    async def jobsets(self, project: str) -> list[JobsetOverview]:
        """`/api/jobsets`: every jobset of a project with its current build counts."""
        return await self._get_models(JobsetOverview, "/api/jobsets", {"project": project})

    async def jobset(self, project: str, jobset: str, *, background: bool = False) -> Jobset:
        return await self._get_model(Jobset, f"/jobset/{_seg(project)}/{_seg(jobset)}", background=background)

    async def jobset_errors(self, project: str, jobset: str, *, background: bool = False) -> Jobset:
        """The jobset with its real `errormsg` (plain `/jobset/P/J` always says `""` since 2024)."""
        return await self._get_model(Jobset, f"/jobset/{_seg(project)}/{_seg(jobset)}/errors", background=background)

    async def evals(self, project: str, jobset: str, page: int = 1) -> EvalsPage:
        """A page of evaluations. On nixpkgs a page carries ~5 million build ids (~50 MB); they are counted
        in the raw bytes and never turned into Python objects."""
        path = f"/jobset/{_seg(project)}/{_seg(jobset)}/evals"
        response = await self.request("GET", path, params={"page": page} if page > 1 else None)
        if _looks_like_json(response):
            body = response.content
            # In a thread when large: the loop then waits at most one array's scan at a time, not the whole page.
            big = len(body) > PARSE_IN_THREAD
            response._content = await asyncio.to_thread(drop_build_arrays, body) if big else drop_build_arrays(body)
        return self._model(EvalsPage, self._json(response), path)

    async def latest_eval(self, project: str, jobset: str) -> EvalDetail:
        response = await self.request("GET", f"/jobset/{_seg(project)}/{_seg(jobset)}/latest-eval")
        if response.is_redirect:
            return await self.eval(self._redirect_id(response, "latest-eval"))
        return self._eval_detail(self._json(response), "latest-eval")

    async def latest_eval_id(self, project: str, jobset: str) -> int:
        """The id of the jobset's newest evaluation, from the redirect alone (no build ids are sent)."""
        response = await self.request("GET", f"/jobset/{_seg(project)}/{_seg(jobset)}/latest-eval")
        if response.is_redirect:
            return self._redirect_id(response, "latest-eval")
        return self._eval_detail(self._json(response), "latest-eval").eval.id

    def _redirect_id(self, response: httpx.Response, what: str) -> int:
        location = urlsplit(urljoin(self.base_url + "/", response.headers.get("location", "")))
        tail = location.path.rstrip("/").rsplit("/", 1)[-1]
        if not tail.isdigit():
            raise BadResponseError(f"{what} redirected to {location.path!r}, which names no evaluation.")
        return int(tail)

    async def eval(self, eval_id: int) -> EvalDetail:
        path = f"/eval/{eval_id}"
        return self._eval_detail(await self.get_json(path), path)

    def _eval_detail(self, data: Any, path: str) -> EvalDetail:
        try:
            return EvalDetail.from_json(data)
        except RecursionError:
            raise BadResponseError(f"{path} sent data nested too deeply to read.") from None
        except (ValueError, ValidationError) as exc:
            raise BadResponseError(f"{path} sent an evaluation hydra-tui cannot read ({exc}).") from None

    async def eval_builds(self, eval_id: int) -> BuildRows:
        """Every build of an evaluation with its details; nixpkgs-sized ones time out on the server."""
        path = f"/eval/{eval_id}/builds"
        # No retries: a 504 here usually means the evaluation is too large to list, not a passing fault.
        data = self._json(await self.request("GET", path, retry=False))
        if not isinstance(data, list):
            raise BadResponseError(f"{path} sent an object where a list was expected.")
        return BuildRows.from_builds(data)

    # --- Hydra's HTML pages (what the JSON lacks) -------------------------------------------------------

    async def get_html(
        self, path: str, params: dict[str, Any] | None = None, *, background: bool = False
    ) -> tuple[bytes, str]:
        """A page as HTML (same User-Agent and rate limit as everything else): its body and its URL."""
        response = await self.request("GET", path, params=params, background=background, accept=HTML_ACCEPT)
        _expect_html(response)
        return response.content, str(response.request.url)

    async def compare(
        self,
        eval_id: int,
        *,
        compare: int | str | None = None,
        filter: str = "",
        full: bool = False,
        background: bool = False,
        until: Change | None = None,
    ) -> Comparison:
        """Hydra's comparison of evaluation `eval_id` with another (`/eval/N` as HTML). `compare` is an
        evaluation id, "-SECONDS" (this jobset that much earlier) or a jobset name; None: the previous one.
        `filter` keeps jobs whose name contains it (on the server); `full` lists every row, not 250 a tab.

        With `until`, the page is read as it arrives and reading stops where that category's rows begin: the
        categories before it on the page come whole, the rest with their counts only. Hydra's page puts the
        failing tabs before "Still Succeeding Jobs", which holds nearly every row of a nixpkgs evaluation."""
        params: dict[str, Any] = {}
        if compare is not None:
            params["compare"] = compare
        if filter:
            params["filter"] = filter
        if full:
            params["full"] = 1
        if until is not None:
            return await self._compare_until(eval_id, params, until, background=background)
        body, url = await self.get_html(f"/eval/{eval_id}", params or None, background=background)
        if len(body) > PARSE_IN_THREAD:
            return await asyncio.to_thread(_pages().read_comparison, body, url, eval_id)
        return _pages().read_comparison(body, url, eval_id)

    async def _compare_until(
        self, eval_id: int, params: dict[str, Any], until: Change, *, background: bool
    ) -> Comparison:
        path = f"/eval/{eval_id}"
        reader = _pages().ComparisonReader(self.url(path))

        def sink(chunk: bytes) -> bool:
            reader.feed(chunk)
            return until not in reader.panes

        response = await self.request(
            "GET", path, params=params or None, background=background, accept=HTML_ACCEPT, sink=sink
        )
        _expect_html(response)
        reader.finish()
        return reader.result(eval_id)

    async def eval_job(self, eval_id: int, job: str) -> int | None:
        """The build of `job` in evaluation `eval_id` (`/eval/N/job/JOB` redirects to it), None when the
        evaluation has no such job."""
        path = f"/eval/{eval_id}/job/{_seg(job)}"
        try:
            response = await self.request("GET", path, accept=HTML_ACCEPT)
        except NotFoundError:
            return None
        location = response.headers.get("location", "")
        found = re.search(r"/build/(\d+)(?:/|$)", urlsplit(location).path) if response.is_redirect else None
        if not found:
            raise BadResponseError(
                f"{path} answered {response.status_code} where a redirect to the job's build was expected.",
                url=str(response.request.url),
            )
        return int(found.group(1))

    async def eval_summaries(self, project: str, jobset: str, page: int = 1) -> list[EvalSummary]:
        """A page of evaluations with their counts (succeeded, failed, queued, change): the HTML page has them,
        the JSON does not."""
        path = f"/jobset/{_seg(project)}/{_seg(jobset)}/evals"
        body, url = await self.get_html(path, {"page": page} if page > 1 else None)
        return _pages().read_evals(body, url)

    async def build_steps(self, build_id: int, *, background: bool = False) -> BuildSteps:
        """A build's failed and running steps, with the build each failure was propagated from."""
        body, url = await self.get_html(f"/build/{build_id}", background=background)
        if len(body) > PARSE_IN_THREAD:
            return await asyncio.to_thread(_pages().read_build_steps, body, build_id, url)
        return _pages().read_build_steps(body, build_id, url)

    async def build(self, build_id: int) -> Build:
        return await self._get_model(Build, f"/build/{build_id}")

    async def build_constituents(self, build_id: int) -> list[Build]:
        return await self._get_models(Build, f"/build/{build_id}/constituents")

    async def latest_builds(
        self,
        nr: int = 10,
        *,
        project: str | None = None,
        jobset: str | None = None,
        job: str | None = None,
        system: str | None = None,
    ) -> list[ApiBuild]:
        params = {"nr": nr, "project": project, "jobset": jobset, "job": job, "system": system}
        return await self._get_models(ApiBuild, "/api/latestbuilds", {k: v for k, v in params.items() if v})

    async def job_last_success(self, project: str, jobset: str, job: str) -> int | None:
        """The job's newest successful build (`/job/P/J/JOB/latest` redirects to it), None when it has none."""
        path = f"/job/{_seg(project)}/{_seg(jobset)}/{_seg(job)}/latest"
        try:
            response = await self.request("GET", path, accept=HTML_ACCEPT)
        except NotFoundError:
            return None
        found = re.search(r"/build/(\d+)(?:/|$)", urlsplit(response.headers.get("location", "")).path)
        if not response.is_redirect or not found:
            raise BadResponseError(
                f"{path} answered {response.status_code} where a redirect to a build was expected.",
                url=str(response.request.url),
            )
        return int(found.group(1))

    async def queue(self, nr: int = 50) -> list[ApiBuild]:
        return await self._get_models(ApiBuild, "/api/queue", {"nr": nr})

    async def queue_size(self) -> int:
        data = await self.get_json("/api/nrqueue")
        try:
            return int(data)
        except (TypeError, ValueError):
            raise BadResponseError(f"/api/nrqueue sent {data!r} where a number was expected.") from None

    async def running(self) -> list[Build]:
        """`/status`: the builds with a busy step (once per busy step; no step or machine in the JSON)."""
        return await self._get_models(Build, "/status")

    async def machines(self) -> tuple[Machine, ...]:
        """`/machines`: the build machines, in the Rust or the legacy format (`{}` without a queue runner)."""
        data = await self.get_json("/machines")
        if not isinstance(data, dict):
            raise BadResponseError("/machines sent something other than an object.", url=self.url("/machines"))
        return read_machines(data)

    async def queue_runner_status(self) -> RunnerStatus:
        """`/queue-runner-status`: the queue runner's own figures, or `{"status": "down"|"unknown"|"unreachable"}`."""
        return read_runner_status(await self.get_json("/queue-runner-status"))

    async def global_evals(self, page: int = 1) -> list[GlobalEval]:
        return await self._get_models(GlobalEval, "/evals", {"page": page})

    async def search(self, query: str, limit: int | None = None) -> SearchResult:
        params: dict[str, Any] = {"query": query}
        if limit is not None:
            params["limit"] = limit
        return await self._get_model(SearchResult, "/search", params)

    async def shield(self, project: str, jobset: str, job: str) -> dict[str, Any]:
        data = await self.get_json(f"/job/{_seg(project)}/{_seg(jobset)}/{_seg(job)}/shield")
        if not isinstance(data, dict):
            raise BadResponseError("The shield endpoint sent something other than an object.")
        return data

    # --- login --------------------------------------------------------------------------------------

    async def login(self, username: str, password: str) -> User:
        response = await self.request(
            "POST", "/login", json_body={"username": username, "password": password}, login=True
        )
        if response.content and _looks_like_json(response):
            return self._model(User, self._json(response), "/login")
        user = await self.current_user()
        if user is None:
            raise LoginRequiredError("The server accepted the login but forgot it at once.")
        return user

    async def logout(self) -> None:
        try:
            await self.request("POST", "/logout")
        finally:
            self.set_session_cookie(None)

    async def current_user(self) -> User | None:
        """Who the session cookie belongs to, or None when not logged in."""
        try:
            return await self._get_model(User, "/current-user")
        except LoginRequiredError:
            return None

    # --- actions ------------------------------------------------------------------------------------

    async def _action(self, path: str, role: str) -> None:
        try:
            await self.request("POST", path)
        except ForbiddenError as exc:
            raise ForbiddenError(exc.message, url=exc.url, role=exc.role or role) from None

    async def restart_build(self, build_id: int) -> None:
        await self._action(f"/build/{build_id}/restart", "restart-jobs")

    async def cancel_build(self, build_id: int) -> None:
        await self._action(f"/build/{build_id}/cancel", "cancel-build")

    async def bump_build(self, build_id: int) -> None:
        await self._action(f"/build/{build_id}/bump", "bump-to-front")

    async def restart_eval_failed(self, eval_id: int) -> None:
        await self._action(f"/eval/{eval_id}/restart-failed", "restart-jobs")

    async def restart_eval_aborted(self, eval_id: int) -> None:
        await self._action(f"/eval/{eval_id}/restart-aborted", "restart-jobs")

    async def cancel_eval(self, eval_id: int) -> None:
        await self._action(f"/eval/{eval_id}/cancel", "cancel-build")

    async def bump_eval(self, eval_id: int) -> None:
        await self._action(f"/eval/{eval_id}/bump", "bump-to-front")

    async def push(self, project: str, jobset: str, *, force: bool = False) -> PushResult:
        """Start an evaluation (`POST /api/push?jobsets=P:J`). A 200 with an `error` key is an error."""
        params: dict[str, Any] = {"jobsets": f"{project}:{jobset}"}
        if force:
            params["force"] = 1  # presence-only on the server
        try:
            response = await self.request("POST", "/api/push", params=params)
        except ForbiddenError as exc:
            raise ForbiddenError(exc.message, url=exc.url, role=exc.role or "eval-jobset") from None
        result = self._model(PushResult, self._json(response), "/api/push")
        if result.error:
            raise ActionFailedError(f"Push of {project}:{jobset} failed: {result.error}")
        if not result.jobsetsTriggered and not force:
            raise ActionFailedError(
                f"{project}:{jobset} was not triggered.", hint="It may be disabled: push with force to evaluate anyway."
            )
        return result

    # --- project and jobset configuration (the yaml's PUT / DELETE) ----------------------------------

    async def put_project(self, project: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.request("PUT", f"/project/{_seg(project)}", json_body=body, retry=False)
        return self._json(response)

    async def delete_project(self, project: str) -> dict[str, Any]:
        response = await self.request("DELETE", f"/project/{_seg(project)}", retry=False)
        return self._json(response)

    async def put_jobset(self, project: str, jobset: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.request("PUT", f"/jobset/{_seg(project)}/{_seg(jobset)}", json_body=body, retry=False)
        return self._json(response)

    async def delete_jobset(self, project: str, jobset: str) -> dict[str, Any]:
        response = await self.request("DELETE", f"/jobset/{_seg(project)}/{_seg(jobset)}", retry=False)
        return self._json(response)

    # --- logs ---------------------------------------------------------------------------------------

    async def _log_location(self, build_id: int, drvpath: str | None = None) -> str:
        """Where the log is. With the build's derivation known, `/log/<drv>` directly: the hop through
        `/build/N/log/raw` (a redirect to it) is one request saved."""
        if drvpath and drvpath.startswith("/nix/store/") and drvpath.endswith(".drv") and "/" not in drvpath[11:]:
            return f"{self.base_url}/log/{quote(drvpath[11:], safe='')}"
        response = await self.request("GET", f"/build/{build_id}/log/raw")
        if response.is_redirect:
            return urljoin(self.base_url + "/", response.headers.get("location", ""))
        return str(response.request.url)

    async def stream_log(
        self, build_id: int, *, tail: int | None = None, drvpath: str | None = None
    ) -> AsyncIterator[bytes]:
        """The raw bytes of a build log, chunk by chunk, following redirects (even to a binary cache).

        With `tail`, asks the server for only the last lines (servers that ignore it send everything). The whole
        download must end within `limits.log_deadline` (each read within `limits.timeout`).
        """
        ends = time.monotonic() + self.limits.log_deadline
        location = await self._log_location(build_id, drvpath)
        await self._ready()
        params = {"tail": tail} if tail else None
        hops = 0
        while True:
            ticket = current_ticket()
            await self.limiter.acquire(ticket)
            request = self._http.build_request("GET", location, params=params)
            async with self._connection(ticket.level):
                response = await self._send(request, stream=True)
                try:
                    if response.is_redirect and hops < 5:
                        hops += 1
                        location = urljoin(location, response.headers.get("location", ""))
                        if urlsplit(location).netloc != urlsplit(self.base_url).netloc:
                            params = None  # a binary cache knows nothing of ?tail
                        continue
                    if response.status_code >= 400:
                        await self._read_capped(response)
                        if response.status_code == 404:
                            raise NotFoundError(f"Build {build_id} has no log (yet).", url=location)
                        self._check(response)
                    try:
                        async for chunk in response.aiter_bytes():
                            if time.monotonic() > ends:
                                raise UnreachableError(
                                    f"The log download from {location} took longer than "
                                    f"{self.limits.log_deadline:g} s (the log deadline)."
                                )
                            yield chunk
                    except httpx.TransportError:
                        raise UnreachableError(f"The log download from {location} broke off.") from None
                    return
                finally:
                    await response.aclose()

    async def log_tail(self, build_id: int, lines: int = 200, *, drvpath: str | None = None) -> list[bytes]:
        """The last `lines` lines of a build log, in bounded memory and linear time whatever the log's size: a line
        longer than MAX_LINE bytes keeps its first MAX_LINE bytes and says how much was left out."""
        kept: deque[bytes] = deque(maxlen=lines)
        partial = _LongLine()
        async for chunk in self.stream_log(build_id, tail=lines, drvpath=drvpath):
            parts = chunk.split(b"\n")
            partial.add(parts[0])
            if len(parts) == 1:
                continue
            kept.append(partial.take())
            kept.extend(cut_line(part) for part in parts[1:-1])
            partial.add(parts[-1])
        if partial:
            kept.append(partial.take())
        return list(kept)


class _LongLine:
    """The start of a line still being read: at most MAX_LINE bytes kept, the rest only counted."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0
        self.more = 0

    def add(self, piece: bytes) -> None:
        room = MAX_LINE - self.size
        if room > 0:
            self.pieces.append(piece[:room])
            self.size += min(room, len(piece))
        self.more += max(0, len(piece) - max(room, 0))

    def __bool__(self) -> bool:
        return bool(self.size or self.more)

    def take(self) -> bytes:
        line = cut_line(b"".join(self.pieces), self.more)
        self.pieces, self.size, self.more = [], 0, 0
        return line
