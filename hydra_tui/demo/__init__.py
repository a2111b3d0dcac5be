"""The embedded demo Hydra: a simulated server over real HTTP, so the dashboard runs with no server at hand."""
