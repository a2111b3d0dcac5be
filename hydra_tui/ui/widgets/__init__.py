"""Reusable widgets: the status line, the Line-API build list, the filter box."""
