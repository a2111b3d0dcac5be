"""Logging in: credentials from the environment, the config or a password command; the session cookie kept
between runs in the user state dir, readable by the user only. A password is never stored or shown.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from hydra_tui.api.client import HydraClient
from hydra_tui.api.errors import HydraError, LoginRequiredError
from hydra_tui.api.models import User
from hydra_tui.config import Profile
from hydra_tui.files import atomic_write, private_dir


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_warning(url: str) -> str | None:
    """What to say before a password goes over plain http to another machine; None when it is safe enough."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http" or is_loopback(parts.hostname or ""):
        return None
    return (
        f"Warning: {parts.hostname} is reached over plain http, so the password would cross the network unencrypted. "
        "Use an https:// URL if the server has one."
    )


class CredentialError(HydraError):
    hint = "Check password_command in the config, or set HYDRA_PASSWORD."


class SessionStore:
    """`{server url: hydra_session cookie}` in one JSON file with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, data: dict[str, str]) -> None:
        private_dir(self.path.parent)
        atomic_write(self.path, json.dumps(data).encode(), mode=0o600)

    def get(self, url: str) -> str | None:
        return self._read().get(url)

    def put(self, url: str, cookie: str) -> None:
        data = self._read()
        data[url] = cookie
        self._write(data)

    def forget(self, url: str | None = None) -> bool:
        data = self._read()
        if url is None:
            had = bool(data)
            data = {}
        else:
            had = data.pop(url, None) is not None
        if self.path.exists():
            self._write(data)
        return had


def password_from_command(command: str, timeout: float = 60) -> str:
    """The first line a password command prints (like git's credential helpers). Its output is never shown."""
    try:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise CredentialError(f"The password command did not finish in {timeout:g} seconds.") from None
    except OSError as exc:
        raise CredentialError(f"The password command could not run ({exc.strerror}).") from None
    if done.returncode != 0:
        raise CredentialError(f"The password command failed (exit status {done.returncode}).")
    first = done.stdout.splitlines()[0].strip() if done.stdout.strip() else ""
    if not first:
        raise CredentialError("The password command printed nothing.")
    return first


class Auth:
    """Who we are on one server, and how to become someone."""

    def __init__(self, client: HydraClient, profile: Profile, store: SessionStore | None) -> None:
        self.client = client
        self.profile = profile
        self.store = store
        self.user: User | None = None

    @property
    def url(self) -> str:
        return self.client.base_url

    @property
    def plain_http_warning(self) -> str | None:
        return plain_http_warning(self.url)

    def known_credentials(self) -> tuple[str, str] | None:
        """A username and password we can use without asking, if the environment or config gives them. Never over
        plain http to another machine: the user is asked (and warned) instead."""
        if not self.profile.username or self.plain_http_warning:
            return None
        if self.profile.password:
            return self.profile.username, self.profile.password
        if self.profile.password_command:
            return self.profile.username, password_from_command(self.profile.password_command)
        return None

    async def restore(self) -> User | None:
        """Reuse the saved session cookie; forget it if the server no longer knows it."""
        if self.store is None:
            return None
        cookie = self.store.get(self.url)
        if not cookie:
            return None
        self.client.set_session_cookie(cookie)
        user = await self.client.current_user()
        if user is None:
            self.store.forget(self.url)
            self.client.set_session_cookie(None)
        self.user = user
        return user

    async def login(self, username: str, password: str) -> User:
        user = await self.client.login(username, password)
        self.user = user
        cookie = self.client.session_cookie
        if cookie and self.store is not None:
            with contextlib.suppress(OSError):
                self.store.put(self.url, cookie)
        return user

    async def login_with_known(self) -> User | None:
        creds = self.known_credentials()
        if creds is None:
            return None
        return await self.login(*creds)

    async def logout(self) -> None:
        if self.store is not None:
            self.store.forget(self.url)
        with contextlib.suppress(HydraError):
            await self.client.logout()
        self.user = None

    def session_expired(self) -> None:
        """The server rejected our cookie: forget it so that the user is asked again."""
        if self.store is not None:
            self.store.forget(self.url)
        self.client.set_session_cookie(None)
        self.user = None


__all__ = ["Auth", "CredentialError", "LoginRequiredError", "SessionStore", "password_from_command"]
