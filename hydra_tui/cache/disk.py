"""The last good state on disk (user cache dir), so the next start shows it at once, marked stale."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from hydra_tui.api.models import JobsetOverview, Project
from hydra_tui.cache.store import Cache, Entry
from hydra_tui.files import atomic_write, private_dir

# Kinds worth keeping: what the first screen shows.
PERSISTED: dict[str, TypeAdapter[Any]] = {
    "projects": TypeAdapter(list[Project]),
    "jobsets": TypeAdapter(list[JobsetOverview]),
}


def cache_file(directory: Path, server_url: str, *, name: str | None = None) -> Path:
    """The state file of a server: named after its address, or `name` for a server whose address changes from run
    to run (the demo listens on a new port each time, and keeps one `state-demo.json`)."""
    if name is not None:
        return directory / f"state-{name}.json"
    digest = hashlib.sha256(server_url.encode()).hexdigest()[:16]
    return directory / f"state-{digest}.json"


def _dump(value: Any) -> Any:
    if isinstance(value, list):
        return [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    return value


def save(cache: Cache, path: Path) -> None:
    data = []
    for key, entry in cache.entries.items():
        if key[0] in PERSISTED and entry.has_value and not entry.from_disk:
            data.append({"key": list(key), "at": entry.fetched_at, "value": _dump(entry.value)})
    private_dir(path.parent)
    atomic_write(path, json.dumps(data).encode(), mode=0o600)


def load(cache: Cache, path: Path) -> list[Entry]:
    """Put what was saved into the cache, marked as from disk; a broken file is ignored."""
    loaded: list[Entry] = []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return loaded
    if not isinstance(data, list):
        return loaded
    for item in data:
        with contextlib.suppress(KeyError, TypeError, ValueError, ValidationError):
            key = tuple(item["key"])
            adapter = PERSISTED[key[0]]
            value = adapter.validate_python(item["value"])
            loaded.append(cache.put(key, value, fetched_at=float(item["at"]), from_disk=True))
    return loaded
