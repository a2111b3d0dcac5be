"""Watch mode: follow one jobset, tell what changed, and judge the latest evaluation. Shared by the TUI and
the line/JSON mode; no Textual here."""
