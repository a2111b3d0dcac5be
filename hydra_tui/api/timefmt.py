"""Human-readable durations and "x ago" texts, computed against an injectable clock."""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """`42s`, `3m 05s`, `1h 02m`, `2d 03h`; an empty string when unknown."""
    if seconds is None or seconds < 0:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m {s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h {m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d {h:02d}h"


def ago(when: float | None, now: float) -> str:
    """`just now`, `5m ago`, `3h ago`, `2d ago`; `in 5m` for the future; `never` when unknown."""
    if when is None:
        return "never"
    delta = now - when
    future = delta < 0
    delta = abs(delta)
    if delta < 45:
        return "just now"
    if delta < 3600:
        text = f"{round(delta / 60) or 1}m"
    elif delta < 86400:
        text = f"{int(delta // 3600)}h"
    elif delta < 86400 * 60:
        text = f"{int(delta // 86400)}d"
    else:
        text = f"{int(delta // (86400 * 30))}mo"
    return f"in {text}" if future else f"{text} ago"
