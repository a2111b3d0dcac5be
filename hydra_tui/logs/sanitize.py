"""Turn untrusted log text into safe styled lines: keep colours (SGR), drop every other escape sequence.

Dropped: OSC strings (window titles, OSC 52 clipboard writes, OSC 8 hyperlinks), DCS/SOS/PM/APC strings,
terminal resets (ESC c), cursor moves and screen clears (any non-SGR CSI), other two-byte ESC sequences,
C0 controls but tab and newline, DEL and C1 controls, and the bidi embeddings, overrides and isolates (which
reorder what a line seems to say).
"""

from __future__ import annotations

import re

from rich.text import Text

SEQUENCES = re.compile(
    r"""
    \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?        # OSC … BEL or ST (or cut off)
  | \x1b[P^_X][^\x1b]*(?:\x1b\\)?             # DCS, PM, APC, SOS … ST
  | \x1b\[[0-?]*[ -/]*[@-~]                   # CSI (kept below only if SGR)
  | \x1b[ -/]*[0-~]                           # two-byte and nF escapes (ESC c, ESC 7, ESC ( B …)
  | \x1b                                      # a lone ESC
  | \x9b[0-?]*[ -/]*[@-~]                     # 8-bit CSI
  | [\x90\x98\x9d\x9e\x9f][^\x9c\x07]*[\x9c\x07]?  # 8-bit string controls
    """,
    re.VERBOSE,
)
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
# A colour whose parameters are short (at most 3 digits each, at most 32 of them); anything longer is not a colour
# any terminal needs, and Rich fails on it, so the line it is on is shown without colours.
_SHORT_SGR = re.compile(r"\x1b\[(?:[0-9]{0,3}[;:]){0,31}[0-9]{0,3}m")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _keep_sgr(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if _SGR.fullmatch(text) else ""


def clean(text: str) -> str:
    """The text with only SGR colour sequences left, and no other control characters but tab and newline."""
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        # A progress line redrawn with CR shows its last state.
        text = "\n".join(line.rsplit("\r", 1)[-1] if "\r" in line else line for line in text.split("\n"))
    text = SEQUENCES.sub(_keep_sgr, text)
    if any(not _SHORT_SGR.fullmatch(m.group(0)) for m in _SGR.finditer(text)):
        text = "\n".join(_plain_if_long(line) for line in text.split("\n"))
    parts = re.split(f"({_SGR.pattern})", text)
    # Odd parts are the kept SGR sequences; everything between them loses its control characters.
    return "".join(part if n % 2 else _CONTROLS.sub("", part) for n, part in enumerate(parts))


def _plain_if_long(line: str) -> str:
    if any(not _SHORT_SGR.fullmatch(m.group(0)) for m in _SGR.finditer(line)):
        return _SGR.sub("", line)
    return line


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def to_text(line: str | bytes, *, tab_size: int = 8) -> Text:
    """One log line as styled Rich text: colours kept, nothing else that could reach the terminal."""
    raw = decode(line) if isinstance(line, bytes) else line
    cleaned = clean(raw)
    try:
        text = Text.from_ansi(cleaned, no_wrap=True)
    except ValueError:  # a colour Rich cannot read: the line without colours
        text = Text(_SGR.sub("", cleaned), no_wrap=True)
    text.expand_tabs(tab_size)
    return text


def plain(value: str) -> str:
    """Server text (names, messages) with every control character removed, for one-line display."""
    return _CONTROLS.sub("", SEQUENCES.sub("", value))
