"""The Textual dashboard: the app, its screens and widgets. Reads data only through the cache service."""
