"""Login plumbing: the session store, password commands, credentials from the environment, logout."""

from __future__ import annotations

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.auth import Auth, CredentialError, SessionStore, password_from_command
from hydra_tui.config import Profile
from hydra_tui.demo.runner import DemoServer


def test_store_is_private_and_per_server(tmp_path) -> None:
    store = SessionStore(tmp_path / "state" / "sessions.json")
    store.put("https://a", "cookie-a")
    store.put("https://b", "cookie-b")
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert store.get("https://a") == "cookie-a"
    assert store.forget("https://a") and store.get("https://a") is None and store.get("https://b")
    assert store.forget() and store.get("https://b") is None


def test_password_command(tmp_path) -> None:
    assert password_from_command("printf 'hunter2\\nextra\\n'") == "hunter2"
    with pytest.raises(CredentialError, match="exit status 3") as info:
        password_from_command("echo secret-output; exit 3")
    assert "secret-output" not in str(info.value)
    with pytest.raises(CredentialError, match="printed nothing"):
        password_from_command("true")


async def test_known_credentials_log_in_and_logout_forgets(demo: DemoServer, client: HydraClient, tmp_path) -> None:
    store = SessionStore(tmp_path / "sessions.json")
    auth = Auth(client, Profile(url=demo.url, username="alice", password_command="echo alice-pw"), store)
    user = await auth.login_with_known()
    assert user is not None and user.username == "alice" and store.get(demo.url)
    await auth.logout()
    assert store.get(demo.url) is None and await client.current_user() is None


async def test_restore_forgets_a_rejected_cookie(demo: DemoServer, client: HydraClient, tmp_path) -> None:
    store = SessionStore(tmp_path / "sessions.json")
    store.put(demo.url, "not-a-session")
    auth = Auth(client, Profile(url=demo.url), store)
    assert await auth.restore() is None and store.get(demo.url) is None


async def test_no_credentials_means_ask(client: HydraClient) -> None:
    assert Auth(client, Profile(username="alice"), None).known_credentials() is None
    assert Auth(client, Profile(), None).known_credentials() is None
