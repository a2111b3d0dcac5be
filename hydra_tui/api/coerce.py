"""Lenient field types: Hydra sends 0/1 for booleans, "" for absent strings, numbers as strings, nulls.

Every string type also cleans what it reads (hydra_tui.api.text), so no model holds an escape sequence: `Str` and
`OptStr` are names (one line, nothing invisible), `Text`/`OptText` are messages (newlines kept), `Coloured` and
`OptColoured` are Nix's evaluation errors (short SGR colours kept).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from hydra_tui.api.text import clean_coloured, clean_name, clean_text


def to_int(value: Any) -> int | None:
    try:
        return _to_int(value)
    except OverflowError:  # inf, 1e400
        raise ValueError(f"not a finite number: {value!r}") from None


def _to_int(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value if not isinstance(value, bool) else int(value)
    if isinstance(value, float):
        if value != value:
            raise ValueError("not a number: NaN")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(float(text)) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            lowered = text.lower()
            if lowered in ("true", "false"):
                return int(lowered == "true")
            raise ValueError(f"not a number: {value!r}") from None
    raise ValueError(f"not a number: {value!r}")


def to_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "0", "false", "no", "off"):
            return False
        if text in ("1", "true", "yes", "on"):
            return True
    raise ValueError(f"not a boolean: {value!r}")


def to_float(value: Any) -> float | None:
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return float(text)
    raise ValueError(f"not a number: {value!r}")


def to_opt_str(value: Any) -> str | None:
    """`""` and null both mean absent; numbers become text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return " ".join(str(v) for v in value) or None
    raise ValueError(f"not a string: {value!r}")


def to_str(value: Any) -> str:
    return to_opt_str(value) or ""


def to_name(value: Any) -> str:
    return clean_name(to_str(value))


def _opt_name(value: Any) -> str | None:
    text = to_opt_str(value)
    return None if text is None else clean_name(text)


def _text(value: Any) -> str:
    return clean_text(to_str(value))


def _opt_text(value: Any) -> str | None:
    text = to_opt_str(value)
    return None if text is None else clean_text(text)


def _coloured(value: Any) -> str:
    return clean_coloured(to_str(value))


def _opt_coloured(value: Any) -> str | None:
    text = to_opt_str(value)
    return None if text is None else clean_coloured(text)


def _required_int(value: Any) -> int:
    result = to_int(value)
    if result is None:
        raise ValueError("a number is required")
    return result


def _default_false(value: Any) -> bool:
    return bool(to_bool(value))


def _int_list(value: Any) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("a list of numbers is required")
    return [n for n in (to_int(v) for v in value) if n is not None]


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ValueError("a list of strings is required")
    return [to_name(v) for v in value]


Int = Annotated[int, BeforeValidator(_required_int)]
OptInt = Annotated[int | None, BeforeValidator(to_int)]
OptFloat = Annotated[float | None, BeforeValidator(to_float)]
Bool = Annotated[bool, BeforeValidator(_default_false)]
Str = Annotated[str, BeforeValidator(to_name)]
OptStr = Annotated[str | None, BeforeValidator(_opt_name)]
Text = Annotated[str, BeforeValidator(_text)]
OptText = Annotated[str | None, BeforeValidator(_opt_text)]
Coloured = Annotated[str, BeforeValidator(_coloured)]
OptColoured = Annotated[str | None, BeforeValidator(_opt_coloured)]
IntList = Annotated[list[int], BeforeValidator(_int_list)]
StrList = Annotated[list[str], BeforeValidator(_str_list)]
