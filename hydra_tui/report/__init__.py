"""What an evaluation broke, for people and scripts: the comparison's failing builds and their root causes.

Shared by the evaluation screen's root-cause view, watch mode and `hydra-tui report`; no Textual here.
"""
