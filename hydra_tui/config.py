"""Settings from flags, environment, the TOML config file and defaults, in that order of precedence.

The config file lives in the user config dir (platformdirs) unless `--config PATH` says otherwise, and can name
several servers as profiles. A bad file is reported with its path, line and key, never with a traceback.

The theme: a profile's `theme` wins over the top-level `theme`, which wins over the default. A theme chosen in the
app is saved where it wins next time: in the active profile's table when that profile sets one, else at the top.
The file is rewritten atomically, with its comments, line endings and other keys as they were.

A URL never carries credentials (`https://user:pw@host` is refused with a message saying where they go).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from platformdirs import user_cache_path, user_config_path, user_state_path

from hydra_tui.api.limits import Limits
from hydra_tui.files import atomic_write

APP = "hydra-tui"
DEFAULT_URL = "https://hydra.nixos.org"
DEFAULT_THEME = "textual-dark"
MIN_POLL_INTERVAL = 2.0


def config_dir() -> Path:
    return user_config_path(APP, appauthor=False)


def state_dir() -> Path:
    return user_state_path(APP, appauthor=False)


def cache_dir() -> Path:
    return user_cache_path(APP, appauthor=False)


def default_config_file() -> Path:
    return Path(os.environ.get("HYDRA_TUI_CONFIG") or config_dir() / "config.toml")


class ConfigError(Exception):
    """A problem with the configuration, said so a person can fix it."""


CREDENTIALS_IN_URL = (
    "must not contain a username or password (user:password@host): put the username in the profile's "
    "`username` (or HYDRA_USER) and the password in HYDRA_PASSWORD or the profile's `password_command`."
)


def redact_url(url: str) -> str:
    """The URL with any `user:password@` replaced by `***@`, for messages about a URL that was refused."""
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", r"\1***@", url)


def server_name(url: str) -> str:
    """The server as the screens name it: its URL without the scheme or a trailing slash."""
    return url.rstrip("/").split("://", 1)[-1]


def _has_credentials(url: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*@", url))


@dataclass
class Profile:
    """One server's settings."""

    name: str = "default"
    url: str = DEFAULT_URL
    username: str | None = None
    password: str | None = None  # only from the environment; never read from a file
    password_command: str | None = None
    read_only: bool = False
    poll_interval: float | None = None  # a floor on polling, in seconds
    theme: str | None = None
    insecure: bool = False
    request_deadline: float | None = None  # seconds for a whole request (default in api.limits.Limits)
    max_response_mb: float | None = None  # the cap on one answer, decompressed (default in api.limits.Limits)
    default_jobset: str | None = None  # where a bare attribute (`hydra-tui job hello`) is looked up
    channels: dict[str, str] = field(default_factory=dict)  # channel name → PROJECT:JOBSET, over hydra.nixos.org's
    mine: list[str] = field(default_factory=list)  # "My packages": exact job names ([PROJECT:JOBSET:]JOB)
    mine_filters: list[str] = field(default_factory=list)  # and name filters, resolved on the server

    def limits(self, base: Limits | None = None) -> Limits:
        """The client limits with this profile's overrides."""
        limits = base or Limits()
        if self.request_deadline:
            limits = replace(limits, deadline=self.request_deadline)
        if self.max_response_mb:
            limits = replace(limits, max_body=int(self.max_response_mb * (1 << 20)))
        return limits


@dataclass
class Settings:
    profile: Profile = field(default_factory=Profile)
    config_file: Path | None = None
    theme: str = DEFAULT_THEME
    profiles: dict[str, Profile] = field(default_factory=dict)


_PROFILE_KEYS: dict[str, type | tuple[type, ...]] = {
    "url": str,
    "username": str,
    "password_command": str,
    "read_only": bool,
    "poll_interval": (int, float),
    "theme": str,
    "insecure": bool,
    "request_deadline": (int, float),
    "max_response_mb": (int, float),
    "default_jobset": str,
    "channels": dict,
    "mine": list,
    "mine_filters": list,
}
_TOP_KEYS = {"default_profile": str, "theme": str, "profiles": dict}


def _line_of(text: str, key: str, section: str | None = None) -> int | None:
    start = 0
    lines = text.splitlines()
    if section:
        for n, line in enumerate(lines):
            if re.match(rf"\s*\[\s*{re.escape(section)}\s*\]", line):
                start = n
                break
    for n in range(start, len(lines)):
        if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", lines[n]):
            return n + 1
    return None


def _where(path: Path, text: str, key: str, section: str | None = None) -> str:
    line = _line_of(text, key, section)
    return f"{path}{f', line {line}' if line else ''}, key '{key}'" + (f" in [{section}]" if section else "")


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        bool: "true or false",
        int: "a number",
        float: "a number",
        dict: "a table",
        list: "a list",
    }
    if isinstance(expected, tuple):
        return names[expected[0]]
    return names[expected]


def read_config(path: Path) -> tuple[dict[str, Profile], str | None, str | None]:
    """Profiles, the default profile's name and the theme from a config file; ConfigError if it is bad."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}, None, None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror}).") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    for key, value in data.items():
        if key not in _TOP_KEYS:
            raise ConfigError(f"{_where(path, text, key)}: unknown setting. Known: {', '.join(_TOP_KEYS)}.")
        if not isinstance(value, _TOP_KEYS[key]):
            raise ConfigError(f"{_where(path, text, key)}: must be {_type_name(_TOP_KEYS[key])}.")
    profiles: dict[str, Profile] = {}
    for name, table in (data.get("profiles") or {}).items():
        section = f"profiles.{name}"
        if not isinstance(table, dict):
            raise ConfigError(f"{_where(path, text, name)}: a profile must be a table like [profiles.{name}].")
        profile = Profile(name=name)
        for key, value in table.items():
            if key == "password":
                raise ConfigError(
                    f"{_where(path, text, key, section)}: passwords do not go in the config file; use "
                    'password_command (e.g. "pass show hydra") or the HYDRA_PASSWORD environment variable.'
                )
            expected = _PROFILE_KEYS.get(key)
            if expected is None:
                raise ConfigError(
                    f"{_where(path, text, key, section)}: unknown setting. Known: {', '.join(_PROFILE_KEYS)}."
                )
            if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
                raise ConfigError(f"{_where(path, text, key, section)}: must be {_type_name(expected)}.")
            if key == "url" and _has_credentials(value):
                raise ConfigError(f"{_where(path, text, key, section)}: the URL {CREDENTIALS_IN_URL}")
            if key == "url" and not re.match(r"^https?://[^/\s]+", value):
                raise ConfigError(f"{_where(path, text, key, section)}: must start with http:// or https://.")
            if key == "poll_interval" and value < MIN_POLL_INTERVAL:
                raise ConfigError(
                    f"{_where(path, text, key, section)}: must be at least {MIN_POLL_INTERVAL:g} seconds."
                )
            if key in ("request_deadline", "max_response_mb") and value <= 0:
                raise ConfigError(f"{_where(path, text, key, section)}: must be more than 0.")
            if key in ("mine", "mine_filters") and not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError(f"{_where(path, text, key, section)}: must be a list of job names (strings).")
            if key == "channels" and not all(isinstance(v, str) and v.count(":") == 1 for v in value.values()):
                raise ConfigError(f'{_where(path, text, key, section)}: each channel maps to "PROJECT:JOBSET".')
            if key == "default_jobset" and value.count(":") != 1:
                raise ConfigError(f'{_where(path, text, key, section)}: must be "PROJECT:JOBSET".')
            floats = ("poll_interval", "request_deadline", "max_response_mb")
            setattr(profile, key, float(value) if key in floats else value)
        profiles[name] = profile
    default = data.get("default_profile")
    if default is not None and default not in profiles:
        raise ConfigError(f"{_where(path, text, 'default_profile')}: no profile named '{default}'.")
    return profiles, default, data.get("theme")


def load_settings(
    *,
    config_path: Path | None = None,
    profile: str | None = None,
    url: str | None = None,
    read_only: bool | None = None,
    insecure: bool | None = None,
    env: dict[str, str] | None = None,
) -> Settings:
    """Flag, then environment, then config file, then default."""
    env = dict(os.environ) if env is None else env
    path = config_path or Path(env.get("HYDRA_TUI_CONFIG") or config_dir() / "config.toml")
    if config_path is not None and not config_path.exists():
        raise ConfigError(f"{config_path}: no such config file.")
    profiles, default, theme = read_config(path)
    name = profile or env.get("HYDRA_PROFILE") or default
    if name is not None and name not in profiles:
        known = ", ".join(profiles) or "none"
        raise ConfigError(f"No profile named '{name}' in {path} (profiles: {known}).")
    chosen = Profile(**{f.name: getattr(profiles[name], f.name) for f in fields(Profile)}) if name else Profile()
    if url or env.get("HYDRA_URL"):
        chosen.url = url or env["HYDRA_URL"]
        if _has_credentials(chosen.url):
            where = "--url" if url else "HYDRA_URL"
            raise ConfigError(f"The URL '{redact_url(chosen.url)}' ({where}) {CREDENTIALS_IN_URL}")
        if not re.match(r"^https?://[^/\s]+", chosen.url):
            raise ConfigError(f"The URL '{chosen.url}' must start with http:// or https://.")
    chosen.url = chosen.url.rstrip("/")
    if env.get("HYDRA_USER"):
        chosen.username = env["HYDRA_USER"]
    if env.get("HYDRA_PASSWORD"):
        chosen.password = env["HYDRA_PASSWORD"]
    if (read_only is not None and read_only) or env.get("HYDRA_READ_ONLY", "").lower() in ("1", "true", "yes"):
        chosen.read_only = True
    if insecure:
        chosen.insecure = True
    return Settings(
        profile=chosen,
        config_file=path,
        theme=chosen.theme or theme or DEFAULT_THEME,
        profiles=profiles,
    )


_THEME_LINE = re.compile(
    r"""(?m)^([ \t]*"?theme"?[ \t]*=[ \t]*)"""  # the key
    r"""("[^"\r\n]*"|'[^'\r\n]*'|[^#\r\n]*?)"""  # its value
    r"""([ \t]*(?:\#[^\r\n]*)?)(?=\r?\n|\Z)"""  # a comment, kept
)
_HEADER = re.compile(r"(?m)^[ \t]*\[")


def _set_theme(section: str, value: str) -> str | None:
    """The section with its theme line's value replaced (comment kept); None if it has no theme line."""
    found = _THEME_LINE.search(section)
    if found is None:
        return None
    return section[: found.start(2)] + value + section[found.end(2) :]


def save_theme(path: Path, theme: str, *, profile: str | None = None) -> str:
    """Remember the chosen theme in the config file, keeping the rest of it as written; return where it went
    ("profile NAME" or "top level"). With `profile`, the theme goes into that profile's table if it sets one."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        text = ""
    eol = "\r\n" if "\r\n" in text else "\n"
    value = '"' + theme.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if profile is not None:
        quoted = re.escape(profile)
        header = re.search(
            rf"""(?m)^[ \t]*\[[ \t]*profiles[ \t]*\.[ \t]*("{quoted}"|'{quoted}'|{quoted})[ \t]*\]""", text
        )
        if header is not None:
            after = _HEADER.search(text, header.end())
            end = after.start() if after else len(text)
            changed = _set_theme(text[header.end() : end], value)
            if changed is not None:
                atomic_write(path, (text[: header.end()] + changed + text[end:]).encode(), mode=None)
                return f"profile {profile}"
    first = _HEADER.search(text)
    top, rest = (text[: first.start()], text[first.start() :]) if first else (text, "")
    changed = _set_theme(top, value)
    if changed is None:
        changed = f"theme = {value}{eol}" + top
    atomic_write(path, (changed + rest).encode(), mode=None)
    return "top level"
