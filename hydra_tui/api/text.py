"""The one place where text from a server is made safe to show: every model, page and error goes through here.

Three strengths, by what the text is:
- `clean_name` for names (jobs, systems, projects, users): no control character of any kind, no escape sequence,
  no bidi override or isolate, no zero-width character, no line or paragraph separator, so that one name cannot
  pose as another or move the cursor.
- `clean_text` for messages (descriptions, error bodies): the same, but newline and tab stay.
- `clean_coloured` for Nix's evaluation errors: like `clean_text`, and SGR colours with short parameters stay.

Lone surrogates (JSON allows `"\\ud800"`) become U+FFFD, so the result can always be encoded as UTF-8 (stdout, the
environment of a command, a file).
"""

from __future__ import annotations

import re

from hydra_tui.logs.sanitize import SEQUENCES, clean

# Bidi marks, embeddings, overrides and isolates; zero-width spaces and joiners; word joiner, BOM, the Mongolian
# vowel separator; line and paragraph separators; invisible operators; interlinear annotation.
_INVISIBLE = "\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
_SURROGATES = "\ud800-\udfff"
_NAME_DROP = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_TEXT_DROP = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_LONE_SURROGATE = re.compile(f"[{_SURROGATES}]")
_FAST_SAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}{_SURROGATES}]")


def _surrogates(value: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", value)


def clean_name(value: str) -> str:
    """A name as it may be shown on one line: escape sequences, controls and invisible characters removed."""
    if not _FAST_SAFE.search(value):
        return value
    return _NAME_DROP.sub("", SEQUENCES.sub("", _surrogates(value)))


def clean_text(value: str) -> str:
    """A message: like `clean_name`, but newlines and tabs stay (CR LF becomes LF)."""
    if not _FAST_SAFE.search(value):
        return value
    value = _surrogates(value).replace("\r\n", "\n")
    return _TEXT_DROP.sub("", SEQUENCES.sub("", value))


def clean_coloured(value: str) -> str:
    """An evaluation error: like `clean_text`, and colour (SGR) sequences with short parameters stay."""
    if not _FAST_SAFE.search(value):
        return value
    return re.sub(f"[{_INVISIBLE}]", "", clean(_surrogates(value)))


def is_clean_name(value: str) -> bool:
    return clean_name(value) == value
