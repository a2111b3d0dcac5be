"""Durations and "x ago" against a fixed clock."""

from __future__ import annotations

from hydra_tui.api.timefmt import ago, duration


def test_duration() -> None:
    assert duration(None) == ""
    assert duration(42) == "42s"
    assert duration(185) == "3m 05s"
    assert duration(3720) == "1h 02m"
    assert duration(2 * 86400 + 3 * 3600) == "2d 03h"


def test_ago() -> None:
    now = 1_000_000
    assert ago(None, now) == "never"
    assert ago(now - 10, now) == "just now"
    assert ago(now - 300, now) == "5m ago"
    assert ago(now - 3 * 3600, now) == "3h ago"
    assert ago(now - 2 * 86400, now) == "2d ago"
    assert ago(now + 600, now) == "in 10m"
