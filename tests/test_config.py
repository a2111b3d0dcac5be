"""Settings: precedence (flag, environment, config, default), profiles, and bad files reported plainly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hydra_tui.config import DEFAULT_URL, ConfigError, load_settings, save_theme

GOOD = """\
default_profile = "work"
theme = "nord"

[profiles.work]
url = "https://hydra.work.example"
username = "alice"
password_command = "echo secret"
read_only = true
poll_interval = 10

[profiles.nixos]
url = "https://hydra.nixos.org"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_with_no_config(tmp_path: Path) -> None:
    settings = load_settings(env={"HYDRA_TUI_CONFIG": str(tmp_path / "none.toml")})
    assert settings.profile.url == DEFAULT_URL and not settings.profile.read_only


def test_config_default_profile(tmp_path: Path) -> None:
    settings = load_settings(config_path=write(tmp_path, GOOD), env={})
    p = settings.profile
    assert (p.name, p.url, p.username, p.read_only, p.poll_interval) == (
        "work",
        "https://hydra.work.example",
        "alice",
        True,
        10.0,
    )
    assert settings.theme == "nord" and set(settings.profiles) == {"work", "nixos"}


def test_precedence_flag_over_env_over_config(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    env = {"HYDRA_URL": "https://env.example", "HYDRA_PROFILE": "nixos", "HYDRA_USER": "bob"}
    from_env = load_settings(config_path=path, env=env)
    assert from_env.profile.name == "nixos" and from_env.profile.url == "https://env.example"
    assert from_env.profile.username == "bob"
    from_flags = load_settings(config_path=path, profile="work", url="https://flag.example/", env=env)
    assert from_flags.profile.name == "work" and from_flags.profile.url == "https://flag.example"
    assert load_settings(config_path=path, read_only=True, profile="nixos", env={}).profile.read_only


def test_password_only_from_environment(tmp_path: Path) -> None:
    settings = load_settings(config_path=write(tmp_path, GOOD), env={"HYDRA_PASSWORD": "pw"})
    assert settings.profile.password == "pw"
    with pytest.raises(ConfigError, match="passwords do not go in the config file"):
        load_settings(config_path=write(tmp_path, '[profiles.a]\nurl = "https://x"\npassword = "p"\n'), env={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[profiles.a]\nurl = "https://x"\ncolour = "red"\n', "line 3, key 'colour' in [profiles.a]: unknown setting"),
        (
            '[profiles.a]\nurl = "https://x"\nread_only = "yes"\n',
            "line 3, key 'read_only' in [profiles.a]: must be true or false",
        ),
        ('[profiles.a]\nurl = "ftp://x"\n', "line 2, key 'url' in [profiles.a]: must start with http"),
        ("[profiles.a]\npoll_interval = 0.5\n", "key 'poll_interval' in [profiles.a]: must be at least 2"),
        ('default_profile = "nope"\n', "line 1, key 'default_profile': no profile named 'nope'"),
        ("servers = 3\n", "line 1, key 'servers': unknown setting"),
        ('[profiles.a\nurl = "x"\n', "not valid TOML"),
    ],
)
def test_bad_files_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(config_path=path, env={})
    assert str(path) in str(info.value) and expected in str(info.value)


def test_unknown_profile(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"No profile named 'x'.*profiles: work, nixos"):
        load_settings(config_path=write(tmp_path, GOOD), profile="x", env={})


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(config_path=tmp_path / "missing.toml", env={})


def test_theme_is_remembered_keeping_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    save_theme(path, "gruvbox")
    assert load_settings(config_path=path, env={}).theme == "gruvbox"
    assert "password_command" in path.read_text()
    fresh = tmp_path / "new" / "config.toml"
    save_theme(fresh, "nord")
    assert load_settings(config_path=fresh, env={}).theme == "nord"


def test_example_config_is_valid() -> None:
    example = Path(__file__).parent.parent / "config.example.toml"
    settings = load_settings(config_path=example, env={})
    assert settings.profiles


def test_cli_reports_a_bad_config_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[profiles.a]\nurl = 5\n")
    done = subprocess.run(
        [sys.executable, "-m", "hydra_tui", "--config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "line 2, key 'url'" in done.stderr and "Traceback" not in done.stderr
