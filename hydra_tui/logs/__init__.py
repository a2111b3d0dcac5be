"""Build logs and other server text made safe to show: escape filtering, ANSI colours to styled text."""
