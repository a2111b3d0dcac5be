"""Packaging: the licence is declared and shipped, and the build backend named can read how it is declared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_license_file_is_mit_and_shipped() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_setuptools_floor_accepts_a_license_expression() -> None:
    """`license = "MIT"` (PEP 639) needs setuptools 77; an older floor lets `--no-build-isolation` fail."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    floor = next(re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", r) for r in requires if r.startswith("setuptools"))
    assert floor is not None and int(floor.group(1)) >= 77


def test_readme_says_how_to_install_on_debian_and_for_a_user() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "python3-venv" in readme and "pipx install" in readme and "uv tool install" in readme
