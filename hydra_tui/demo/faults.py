"""Fault modes of the demo Hydra, each switchable: latency, random 5xx, nginx-like rate limiting, connection
resets, truncated or malformed JSON, HTML instead of JSON, and a server that goes away and comes back.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NGINX_429 = (
    "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n"
    "<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
TARPIT = "<html><head><title>Welcome</title></head><body><p>" + "lorem ipsum " * 40 + "</p></body></html>"


@dataclass
class Faults:
    """What goes wrong, and how often (rates are 0..1)."""

    latency: float = 0.0  # seconds added to every answer
    errors: float = 0.0  # answer 500, 502 or 504 instead
    rate_limit: bool = False  # nginx limit_req rate=2r/s burst=7, then 429
    resets: float = 0.0  # drop the connection without an answer
    bad_json: float = 0.0  # truncated or malformed JSON
    html: float = 0.0  # an HTML page with status 200 where JSON was asked for
    seed: int = 7
    rng: random.Random = field(default_factory=random.Random, repr=False)
    counts: dict[str, int] = field(default_factory=dict, repr=False)
    _tokens: float = 7.0
    _last: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """`latency=0.5,errors=0.2,rate_limit,resets=0.1,bad_json=0.1,html=0.1` (a bare name means on / 0.3)."""
        faults = cls()
        names = {f.name for f in fields(cls) if not f.name.startswith("_") and f.name not in ("rng", "counts")}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, value = part.partition("=")
            name = name.strip().replace("-", "_")
            if name not in names:
                raise ValueError(f"unknown fault '{name}' (known: {', '.join(sorted(names))})")
            if name == "rate_limit":
                faults.rate_limit = value.strip().lower() not in ("0", "false", "off", "no")
            elif name == "seed":
                faults.seed = int(value)
                faults.rng.seed(faults.seed)
            else:
                setattr(faults, name, float(value) if value else 0.3)
        return faults

    def clear(self) -> None:
        self.latency = self.errors = self.resets = self.bad_json = self.html = 0.0
        self.rate_limit = False

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def _limited(self) -> bool:
        now = time.monotonic()
        self._tokens = min(7.0, self._tokens + (now - self._last) * 2.0)
        self._last = now
        if self._tokens < 1:
            return True
        self._tokens -= 1
        return False

    async def apply(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._count("requests")
        if self.rate_limit and self._limited():
            self._count("429")
            return web.Response(text=NGINX_429, status=429, content_type="text/html")
        if self.latency:
            await asyncio.sleep(self.latency)
        roll = self.rng.random
        if self.resets and roll() < self.resets:
            self._count("reset")
            if request.transport is not None:
                request.transport.abort()  # the client sees the connection drop with no answer
            return web.Response(status=500)
        if self.errors and roll() < self.errors:
            status = self.rng.choice([500, 502, 504])
            self._count(str(status))
            if status == 500:
                return web.Response(
                    text=json.dumps({"error": "DBIx::Class::Storage::DBI::_dbh_execute(): fault"}),
                    status=500,
                    content_type="application/json",
                )
            return web.Response(
                text=f"<html><body><h1>{status}</h1>nginx</body></html>", status=status, content_type="text/html"
            )
        if self.html and roll() < self.html:
            self._count("html")
            return web.Response(text=TARPIT, status=200, content_type="text/html")
        response = await handler(request)
        is_json = isinstance(response, web.Response) and response.content_type == "application/json"
        if self.bad_json and is_json and roll() < self.bad_json and response.body:  # type: ignore[union-attr]
            self._count("bad_json")
            body = (response.text or "").encode()  # type: ignore[union-attr]
            broken = body[: max(1, len(body) // 2)] if roll() < 0.5 else b'{"evals": [1, 2,, }' + body[:10]
            return web.Response(body=broken, status=response.status, content_type="application/json")
        return response
