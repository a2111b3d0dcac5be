"""Where a real Hydra (and so the demo) differs from `hydra-api.yaml`, in one place.

Each entry names the spec item, says what the server really does, and cites the reference section
(`shared/reference/hydra-server.md`). `apply()` patches a loaded spec so the demo's answers can be validated
against it; anything not listed here must match the yaml as written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SpecException:
    where: str  # a path into the spec, "/"-separated
    reality: str
    reference: str
    replacement: Any


_NULL_INT = {"type": "integer", "nullable": True}
_NULL_STR = {"type": "string", "nullable": True}
_S = "components/schemas"

EXCEPTIONS: tuple[SpecException, ...] = (
    SpecException(f"{_S}/Build/properties/finished", "an integer 0/1, not a boolean", "§4.5, §6", {"type": "integer"}),
    SpecException(f"{_S}/Build/properties/starttime", "null while queued", "§4.5, §6", _NULL_INT),
    SpecException(f"{_S}/Build/properties/stoptime", "null until finished", "§4.5, §6", _NULL_INT),
    SpecException(f"{_S}/Build/properties/nixname", "may be null", "§4.5, §6", _NULL_STR),
    SpecException(
        f"{_S}/Build/properties/buildmetrics",
        "a map of metric name to {value: number, unit: string or null}",
        "§4.5, §6",
        {
            "type": "object",
            "additionalProperties": {"type": "object", "properties": {"value": {"type": "number"}, "unit": _NULL_STR}},
        },
    ),
    SpecException(f"{_S}/BuildOutput/properties/path", "null for CA derivations not yet built", "§4.5", _NULL_STR),
    SpecException(f"{_S}/BuildProduct/properties/path", "may be null", "§4.5", _NULL_STR),
    SpecException(f"{_S}/BuildProduct/properties/defaultpath", "may be null", "§4.5", _NULL_STR),
    SpecException(f"{_S}/JobsetEval/properties/hasnewbuilds", "an integer 0/1", "§4.4, §6", {"type": "integer"}),
    SpecException(
        f"{_S}/JobsetEvalInput/properties/type",
        "any input type, e.g. 'boolean' or 'string'",
        "§4.3",
        {"type": "string"},
    ),
    SpecException(f"{_S}/JobsetEvalInput/properties/value", "a string or null", "§4.4, §6", _NULL_STR),
    SpecException(f"{_S}/JobsetEvalInput/properties/dependency", "a build id (integer) or null", "§4.4, §6", _NULL_INT),
    SpecException(
        f"{_S}/Evaluations/properties/evals/items",
        "JobsetEval objects, not maps of them",
        "§6",
        {"$ref": "#/components/schemas/JobsetEval"},
    ),
    SpecException(
        f"{_S}/Jobset/properties/enabled",
        "an integer 0–3 (disabled, enabled, one-shot, one-at-a-time)",
        "§4.2, §6",
        {"type": "integer", "minimum": 0, "maximum": 3},
    ),
    SpecException(f"{_S}/JobsetOverview/items/properties/errortime", "null when there was no error", "§4.8", _NULL_INT),
    SpecException(
        f"{_S}/JobsetOverview/items/properties/lastcheckedtime", "null before the first check", "§4.8", _NULL_INT
    ),
    SpecException(
        "paths/~1jobset~1{project-id}~1{jobset-id}/evals".replace("/evals", "~1evals")
        + "/get/responses/200/content/application~1json/schema",
        "one object {evals, first, last, previous?, next?}, not an array",
        "§6",
        {"$ref": "#/components/schemas/Evaluations"},
    ),
    SpecException(
        "paths/~1login/post/responses/302",
        "login answers 302 with the user and the cookie, not 200",
        "§2, §6",
        {"$from": "paths/~1login/post/responses/200"},
    ),
    SpecException(
        "paths/~1api~1push/post",
        "push is POST-only (and needs the eval-jobset role)",
        "§3.2, §6",
        {"$from": "paths/~1api~1push/put"},
    ),
)


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _get(spec: dict[str, Any], where: str) -> Any:
    node: Any = spec
    for part in where.split("/"):
        node = node[_unescape(part)]
    return node


def apply(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec with every exception applied."""
    patched = copy.deepcopy(spec)
    for exc in EXCEPTIONS:
        *parents, last = exc.where.split("/")
        node: Any = patched
        for part in parents:
            node = node.setdefault(_unescape(part), {})
        value = exc.replacement
        if isinstance(value, dict) and "$from" in value:
            value = copy.deepcopy(_get(patched, value["$from"]))
        node[_unescape(last)] = value
    return patched
