"""Typed errors, each with a message that tells a person what happened and what to do.

Messages often carry a server's own words (an `error` body, a URL it redirected to): every message, hint and URL is
cleaned here (hydra_tui.api.text), so no toast, status line or stderr line can carry an escape sequence.
"""

from __future__ import annotations

import re

from hydra_tui.api.text import clean_name, clean_text


class HydraError(Exception):
    """Base of every error the client raises. `str()` is the whole human message."""

    #: What the user can do about it.
    hint: str = ""

    def __init__(self, message: str, *, url: str = "", hint: str | None = None) -> None:
        self.message = clean_text(message)
        self.url = clean_name(url)
        if hint is not None:
            self.hint = clean_text(hint)
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    @property
    def short(self) -> str:
        """A few words for a status line."""
        return type(self).__name__.replace("Error", "").replace("_", " ").lower() or "error"


class NotFoundError(HydraError):
    hint = "Check the name or id; it may have been renamed or deleted."

    @property
    def short(self) -> str:
        return "not found"


class LoginRequiredError(HydraError):
    hint = "Log in (set HYDRA_USER and HYDRA_PASSWORD, or configure a username) and try again."

    @property
    def short(self) -> str:
        return "login required"


_ROLE = re.compile(r"with ([\w-]+) privileges?")


class ForbiddenError(HydraError):
    """Logged in, but a role is missing."""

    def __init__(self, message: str, *, url: str = "", role: str | None = None) -> None:
        found = _ROLE.search(message)
        self.role = role or (found.group(1) if found else None)
        hint = (
            f"Your account lacks the '{self.role}' role: ask a Hydra admin or the project owner for it."
            if self.role
            else "Your account is not allowed to do this: ask a Hydra admin or the project owner."
        )
        super().__init__(message, url=url, hint=hint)

    @property
    def short(self) -> str:
        return "forbidden"


class RateLimitedError(HydraError):
    hint = "The server is rate limiting us; hydra-tui will back off and retry by itself."

    def __init__(self, message: str, *, url: str = "", retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, url=url)

    @property
    def short(self) -> str:
        return "rate limited"


class ServerError(HydraError):
    """The server answered 5xx (or 4xx we do not know), with Hydra's own `error` text if it sent one."""

    hint = "This is the server's problem; hydra-tui will retry. If it persists, tell the Hydra admins."

    def __init__(self, message: str, *, url: str = "", status: int = 500, server_text: str = "") -> None:
        self.status = status
        self.server_text = clean_text(server_text)
        super().__init__(message, url=url)

    @property
    def short(self) -> str:
        return f"server error {self.status}"


class UnreachableError(HydraError):
    hint = "Check the URL and your network connection; hydra-tui keeps retrying."

    @property
    def short(self) -> str:
        return "unreachable"


class BadResponseError(HydraError):
    """An answer we cannot use: HTML where JSON was expected, broken JSON, unexpected shapes."""

    hint = (
        "Check that the URL points at a Hydra server; a proxy, a login page or a bot filter may be answering instead."
    )

    @property
    def short(self) -> str:
        return "bad response"


class ActionFailedError(HydraError):
    """An action the server refused in its body, e.g. `/api/push` answering 200 with an `error` key."""

    hint = "Check the jobset name and that it is enabled."

    @property
    def short(self) -> str:
        return "action failed"


class TooLargeError(BadResponseError):
    """An answer over the size cap (counted after decompression)."""

    hint = "Raise max_response_mb in the profile if this server really sends answers this large."

    @property
    def short(self) -> str:
        return "too large"


class InternalError(HydraError):
    """Reading an answer failed in a way nobody foresaw (a bug, or an input that breaks a library)."""

    hint = "hydra-tui keeps polling; if it persists, please report it with the details file."

    @property
    def short(self) -> str:
        return "internal error"
