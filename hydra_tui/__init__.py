"""hydra-tui: a terminal dashboard for Hydra, the Nix continuous-integration server."""

__version__ = "0.1.0"
