"""Files and secrets: atomic config writes that keep the user's file, the theme's precedence, private folders and
files under umask 000, unique temp names, no credentials in URLs, warnings before a password crosses plain http
and about --insecure, and no password in the environment of an `--on-change` command."""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path

import pytest

from hydra_tui.actions import Action, Actions
from hydra_tui.api.client import HydraClient
from hydra_tui.auth import Auth, SessionStore, plain_http_warning
from hydra_tui.cache import disk
from hydra_tui.cache.service import DataService
from hydra_tui.clock import FrozenClock
from hydra_tui.config import ConfigError, Profile, load_settings, save_theme
from hydra_tui.crash import write_crash_report
from hydra_tui.demo.runner import DemoServer
from hydra_tui.files import atomic_write
from hydra_tui.ui.widgets.status_line import StatusLine
from hydra_tui.watch.core import Change, Counts
from hydra_tui.watch.lines import command_env, format_line, run_command
from tests.ui.helpers import make_app, wait_for

CONFIG = (
    "# my hydra settings\r\n"
    'theme = "nord"   # the look I like\r\n'
    "\r\n"
    "[profiles.work]\r\n"
    'url = "https://hydra.work.example"  # office\r\n'
    'theme = "gruvbox"\r\n'
    "\r\n"
    "[profiles.home]\r\n"
    'url = "http://hydra:3000"\r\n'
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_saving_the_theme_keeps_comments_line_endings_and_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(CONFIG.encode())
    assert save_theme(path, "dracula", profile="home") == "top level"  # home sets no theme
    assert path.read_bytes().decode() == CONFIG.replace('"nord"', '"dracula"')
    assert save_theme(path, "monokai", profile="work") == "profile work"
    text = path.read_bytes().decode()
    assert text == CONFIG.replace('"nord"', '"dracula"').replace('"gruvbox"', '"monokai"')
    assert "\n" not in text.replace("\r\n", "")  # every line ending still CR LF
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temp file left


def test_the_profile_theme_wins_and_the_app_saves_where_it_wins(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(CONFIG.encode())
    assert load_settings(config_path=path, profile="work", env={}).theme == "gruvbox"
    assert load_settings(config_path=path, profile="home", env={}).theme == "nord"
    save_theme(path, "dracula", profile="work")  # chosen in the app while on "work"
    assert load_settings(config_path=path, profile="work", env={}).theme == "dracula"


def test_a_full_disk_leaves_the_config_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(CONFIG.encode())

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        save_theme(path, "dracula")
    assert path.read_bytes() == CONFIG.encode()
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_temp_files_have_unique_names_and_are_private_before_they_hold_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, int]] = []
    real = os.replace

    def spy(src: str, dst: object) -> None:
        seen.append((os.path.basename(src), mode(Path(src)), os.path.getsize(src)))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    store = SessionStore(tmp_path / "state" / "sessions.json")
    store.put("https://a", "cookie-a")
    store.put("https://b", "cookie-b")
    names = [name for name, _, _ in seen]
    assert len(set(names)) == 2 and all(name not in ("sessions.tmp",) for name in names)
    assert all(m == 0o600 for _, m, _ in seen)


def test_folders_are_0700_and_files_0600_even_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        state, cache = tmp_path / "state" / "hydra-tui", tmp_path / "cache" / "hydra-tui"
        SessionStore(state / "sessions.json").put("https://a", "c")
        service = DataService(HydraClient("http://127.0.0.1:9"), FrozenClock(0))
        service.cache.put(("projects",), [], fetched_at=0)
        disk.save(service.cache, cache / "state.json")
        actions = Actions(service, Auth(service.client, Profile(), None), log_file=state / "actions.jsonl")
        actions._record(Action.push("p", "j"), "done", ok=True)
        report = write_crash_report(RuntimeError("x"), state)
        atomic_write(tmp_path / "other.toml", b"x", mode=None)
    finally:
        os.umask(old)
    assert mode(state) == 0o700 and mode(cache) == 0o700
    for path in (state / "sessions.json", cache / "state.json", state / "actions.jsonl", report):
        assert path is not None and mode(path) == 0o600, path
    assert mode(tmp_path / "other.toml") == 0o644  # a new config file: the usual mode


@pytest.mark.parametrize("where", ["flag", "env", "file"])
def test_a_url_with_credentials_is_refused_without_showing_the_password(tmp_path: Path, where: str) -> None:
    url = "https://alice:hunter2@hydra.example.org"
    path = tmp_path / "config.toml"
    path.write_text(f'[profiles.x]\nurl = "{url}"\n' if where == "file" else "")
    with pytest.raises(ConfigError) as caught:
        load_settings(
            config_path=path,
            profile="x" if where == "file" else None,
            url=url if where == "flag" else None,
            env={"HYDRA_URL": url} if where == "env" else {},
        )
    message = str(caught.value)
    assert "hunter2" not in message
    assert "HYDRA_PASSWORD" in message and "username" in message
    with pytest.raises(ValueError):
        HydraClient(url)


def test_a_password_over_plain_http_to_another_machine_is_warned_about_first() -> None:
    assert plain_http_warning("http://hydra.example.org") is not None
    assert plain_http_warning("http://hydra:3000") is not None
    for safe in ("https://hydra.example.org", "http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"):
        assert plain_http_warning(safe) is None, safe
    profile = Profile(url="http://hydra.example.org", username="alice", password="pw")
    auth = Auth(HydraClient(profile.url), profile, None)
    assert auth.known_credentials() is None  # not sent without asking: the login modal shows the warning


async def test_the_login_modal_shows_the_plain_http_warning(demo: DemoServer, clock) -> None:
    from hydra_tui.ui.screens.modals import LoginScreen

    app = make_app(demo.url, clock)
    app.auth.client.base_url = "http://hydra.example.org"  # what the warning is about; nothing is sent
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(LoginScreen("http://hydra.example.org", warning=app.auth.plain_http_warning or ""))
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.screen.query("#warning"))
        assert "plain http" in str(app.screen.query_one("#warning").render())


async def test_the_insecure_warning_is_visible_in_the_ui(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    app.service.client.verify = False
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: any(n.title == "Insecure connection" for n in app._notifications))
        status = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: "TLS not verified" in str(status.render()))


def hostile_change() -> Change:
    return Change(
        time=0,
        eval_id=1,
        counts=Counts(failed=2),
        newly_failed=["a\x00b.x86_64-linux", "c\ud800d", "e\x1b]0;PWNED\x07f"],
        eval_error="error: \x1b[31mboom\x1b[0m",
    )


def test_on_change_gets_no_password_and_survives_nul_and_surrogates(tmp_path: Path) -> None:
    env = command_env(hostile_change(), {"HYDRA_PASSWORD": "hunter2", "HYDRA_USER": "alice", "PATH": "/bin"})
    assert "HYDRA_PASSWORD" not in env and env["HYDRA_USER"] == "alice"
    for value in env.values():
        value.encode("utf-8")  # no lone surrogate
        assert "\x00" not in value and "\x1b" not in value
    assert "ab.x86_64-linux" in env["HYDRA_TUI_SUMMARY"] and "PWNED" not in env["HYDRA_TUI_SUMMARY"]
    line = format_line(hostile_change())
    line.encode("utf-8")
    assert "\x00" not in line and "\x1b" not in line
    out = tmp_path / "out"
    os.environ["HYDRA_PASSWORD"] = "hunter2"
    try:
        run_command(f'printf "%s|%s" "$HYDRA_TUI_SUMMARY" "${{HYDRA_PASSWORD:-none}}" > {out}', hostile_change())
    finally:
        del os.environ["HYDRA_PASSWORD"]
    for _ in range(200):
        if out.exists() and out.read_text():
            break
        time.sleep(0.02)  # waiting on the command's file, not for a fixed time
    summary, password = out.read_text().split("|")
    assert password == "none" and "newly failed" in summary
