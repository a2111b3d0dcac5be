"""Untrusted one-line text from the server (job names, systems, messages), made safe to show.

Hydra's `HTML.escape` and its JSON leave control characters alone, so a job name can carry terminal escape
sequences, C1 controls, bidirectional overrides or zero-width characters. `clean_name` removes them all: what
remains cannot move the cursor, recolour the terminal, reorder the line or hide characters.
"""

from __future__ import annotations

import re

_SEQUENCES = re.compile(
    r"""
    \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?             # OSC … BEL or ST (or cut off)
  | \x1b[P^_X][^\x1b]*(?:\x1b\\)?                  # DCS, PM, APC, SOS … ST
  | \x1b\[[0-?]*[ -/]*[@-~]                        # CSI
  | \x1b[ -/]*[0-~]                                # two-byte and nF escapes
  | \x9b[0-?]*[ -/]*[@-~]                          # 8-bit CSI
  | [\x90\x98\x9d\x9e\x9f][^\x9c\x07]*[\x9c\x07]?  # 8-bit string controls
    """,
    re.VERBOSE,
)
#: C0 (all of it), DEL, C1, bidi marks/overrides/isolates, zero-width characters, line/paragraph separators.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u2028\u2029]")


def clean_name(text: str) -> str:
    """`text` without escape sequences and without characters that are invisible or reorder the line."""
    if text.isprintable() and text.isascii():
        return text
    return _INVISIBLE.sub("", _SEQUENCES.sub("", text))
