"""Lets `python -m hydra_tui` run the command line."""

from hydra_tui.cli import main

raise SystemExit(main())
