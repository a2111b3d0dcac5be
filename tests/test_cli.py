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
