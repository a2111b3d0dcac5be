"""Naming a job: `PROJECT:JOBSET:JOB`, or a bare attribute resolved the way hydra-check resolves it.

hydra-check (nix-community/hydra-check, `src/args.rs`) turns `hello` into the job `hello.x86_64-linux` of a jobset
chosen from a channel name: `unstable` → nixpkgs/unstable, `staging-next` → nixpkgs/staging-next, `24.11` →
nixos/release-24.11 (nixpkgs/nixpkgs-24.11-darwin on a Mac), and on a `nixos/…` jobset the package is looked up as
`nixpkgs.hello.x86_64-linux`. We do the same, with two differences: with no channel the jobset is the profile's
default (nixpkgs:trunk unless the config says otherwise), and the channel table can be changed in the config.
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from hydra_tui.api.text import clean_name

#: The systems hydra.nixos.org builds nixpkgs for (hydra-check's KNOWN_ARCHITECTURES).
KNOWN_SYSTEMS = ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin")

#: Where a bare attribute is looked up when the profile names no `default_jobset`.
DEFAULT_JOBSET = "nixpkgs:trunk"

#: hydra.nixos.org's channels and the jobsets that feed them (NixOS/infra channels.nix, as hydra-check maps them).
#: Version numbers (`24.11`) and `staging*` names are mapped by rule in `channel_jobset`.
DEFAULT_CHANNELS: dict[str, str] = {
    "trunk": "nixpkgs:trunk",
    "master": "nixpkgs:unstable",
    "unstable": "nixpkgs:unstable",
    "nixpkgs-unstable": "nixpkgs:unstable",
    "nixos-unstable": "nixos:unstable",
    "nixos-unstable-small": "nixos:unstable-small",
}

_VERSION = re.compile(r"^[0-9]+\.[0-9]+$")


class JobNameError(ValueError):
    """A job name that cannot be read, said so a person can fix it."""


@dataclass(frozen=True)
class JobRef:
    """One job of one jobset."""

    project: str
    jobset: str
    job: str

    @property
    def name(self) -> str:
        return f"{self.project}:{self.jobset}:{self.job}"

    def __str__(self) -> str:
        return self.name


def local_system() -> str:
    """This machine's Nix system (`x86_64-linux`, `aarch64-darwin`, …), as hydra-check guesses it."""
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    kernel = "darwin" if sys.platform == "darwin" else "linux" if sys.platform.startswith("linux") else sys.platform
    return f"{arch}-{kernel}"


def _split_jobset(text: str, what: str) -> tuple[str, str]:
    project, sep, jobset = text.partition(":")
    if not sep:
        project, sep, jobset = text.partition("/")  # hydra-check writes nixpkgs/trunk
    if not sep or not project or not jobset or ":" in jobset:
        raise JobNameError(f"{what} '{text}' is not PROJECT:JOBSET.")
    return project, jobset


def channel_jobset(channel: str, channels: Mapping[str, str] | None = None, system: str = "") -> tuple[str, str]:
    """The jobset behind a channel name: the config's table first, then hydra.nixos.org's (as hydra-check has it).
    A name that is already PROJECT:JOBSET is taken as it is."""
    table = {**DEFAULT_CHANNELS, **(channels or {})}
    if channel in table:
        return _split_jobset(table[channel], f"The channel {channel} maps to a jobset, but")
    if ":" in channel or "/" in channel:
        return _split_jobset(channel, "The jobset")
    if _VERSION.match(channel):
        if system.endswith("darwin"):
            return "nixpkgs", f"nixpkgs-{channel}-darwin"
        return "nixos", f"release-{channel}"
    if channel.startswith("staging"):
        return ("nixos", channel) if channel.endswith("-small") else ("nixpkgs", channel)
    if re.match(r"^nixos-[0-9]+\.[0-9]+", channel):
        return "nixos", channel.replace("nixos", "release", 1)
    if re.match(r"^nixpkgs-[0-9]+\.[0-9]+", channel):
        return "nixpkgs", channel
    known = ", ".join(sorted(table))
    raise JobNameError(f"Unknown channel '{channel}'. Known: {known}, a version such as 24.11, or PROJECT:JOBSET.")


def job_name(attribute: str, project: str, system: str | None) -> str:
    """hydra-check's package name: the system appended unless the name ends with one; on a `nixos` jobset a
    package is `nixpkgs.NAME`. An empty system appends nothing (aggregate jobs such as `tested`)."""
    has_system = any(attribute.endswith(f".{s}") for s in KNOWN_SYSTEMS)
    suffix = "" if has_system or not system else f".{system}"
    if project == "nixos" and not attribute.startswith(("nixpkgs.", "nixos.")):
        return f"nixpkgs.{attribute}{suffix}"
    return f"{attribute}{suffix}"


def resolve_job(
    target: str,
    *,
    default_jobset: str | None = None,
    channels: Mapping[str, str] | None = None,
    channel: str | None = None,
    system: str | None = None,
) -> JobRef:
    """`PROJECT:JOBSET:JOB` as it is; a bare attribute (`hello`) in the channel's jobset (else the profile's default,
    else nixpkgs:trunk) with `system` (else this machine's) appended, as hydra-check does."""
    target = clean_name(target.strip())
    if not target:
        raise JobNameError("Name a job: PROJECT:JOBSET:JOB, or an attribute such as hello.")
    parts = target.split(":", 2)
    if len(parts) == 3:
        project, jobset, job = parts
        if not project or not jobset or not job:
            raise JobNameError(f"'{target}' is not PROJECT:JOBSET:JOB.")
        if channel is not None:
            raise JobNameError("Give either a channel or a full PROJECT:JOBSET:JOB, not both.")
        return JobRef(project, jobset, job)
    if len(parts) == 2:
        raise JobNameError(f"'{target}' is neither PROJECT:JOBSET:JOB nor a bare attribute such as hello.")
    chosen_system = local_system() if system is None else system
    if channel is not None:
        project, jobset = channel_jobset(channel, channels, chosen_system)
    else:
        project, jobset = _split_jobset(default_jobset or DEFAULT_JOBSET, "The default jobset")
    return JobRef(project, jobset, job_name(target, project, chosen_system))
