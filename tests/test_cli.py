"""The command line: --help and --version of every command, without starting a UI."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hydra_tui", *args], capture_output=True, text=True, timeout=60)


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0 and done.stdout.startswith("hydra-tui ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "examples:"),
        (("watch",), "exit status with --exit-status"),
        (("demo-server",), "curl"),
        (("logout",), "hydra-tui logout --all"),
    ],
)
def test_help(args: tuple[str, ...], expected: str) -> None:
    done = run(*args, "--help")
    assert done.returncode == 0 and expected in done.stdout and "example" in done.stdout


def test_watch_help_lists_every_exit_code() -> None:
    out = run("watch", "--help").stdout
    for code in ("0 ", "1 ", "2 ", "3 ", "124"):
        assert f"  {code}" in out


def test_logout_all(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hydra_tui", "logout", "--all"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"XDG_STATE_HOME": str(tmp_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0 and "No saved logins" in done.stdout


def test_split_globals() -> None:
    from hydra_tui.cli import split_globals

    assert split_globals(["--url", "U", "watch", "p:j", "--plain"]) == ("watch", ["--url", "U", "p:j", "--plain"])
    assert split_globals(["--url=U", "--insecure", "--read-only", "report", "p:j"]) == (
        "report",
        ["--url=U", "--insecure", "p:j"],
    )
    assert split_globals(["--profile", "work", "logout"]) == ("logout", ["--profile", "work"])
    # No subcommand: the dashboard, arguments untouched (a project may be called like an option's value).
    assert split_globals(["--url", "U", "nixpkgs:trunk"]) == (None, ["--url", "U", "nixpkgs:trunk"])
    assert split_globals(["--url", "watch"]) == (None, ["--url", "watch"])


def test_global_options_before_the_subcommand(demo, tmp_path) -> None:
    """`hydra-tui --url URL watch …` and `… report …` run against that server, as with git, gh and kubectl."""
    env = {"XDG_STATE_HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    env["PATH"] = "/usr/bin:/bin"
    common = {"capture_output": True, "text": True, "timeout": 60, "env": env}
    done = subprocess.run(
        [sys.executable, "-m", "hydra_tui", "--url", demo.url, "report", "hello:main", "--format", "json"], **common
    )
    assert done.returncode == 0, done.stderr
    assert '"eval"' in done.stdout or '"evaluation"' in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "hydra_tui", f"--url={demo.url}", "watch", "hello:main", "--plain", "--timeout", "1"],
        **common,
    )
    assert "unrecognized" not in done.stderr and done.returncode in (0, 1, 3, 124), done.stderr
    assert "eval 1044" in done.stdout


def test_every_subcommand_starts_its_demo_and_warns_alike() -> None:
    """watch, report and status share one way to a demo Hydra (`--demo`) and one --insecure warning."""
    import io
    import urllib.request

    from hydra_tui.cli_server import INSECURE_WARNING, command_server
    from hydra_tui.config import Profile, Settings

    settings = Settings(profile=Profile(url="https://hydra.example.org", insecure=True))
    err = io.StringIO()
    with command_server(settings, demo=True, err=err) as url:
        assert url.startswith("http://127.0.0.1:") and settings.profile.url == url
        with urllib.request.urlopen(url + "/", timeout=10) as answer:  # the demo answers
            assert answer.status == 200
    assert err.getvalue().strip() == INSECURE_WARNING
    plain = Settings(profile=Profile(url="https://hydra.example.org"))
    with command_server(plain, demo=False, err=err) as url:
        assert url == "https://hydra.example.org"
