"""Commands that run simulations (run, trace, demo, ...), registered on the CLI parser."""

from __future__ import annotations


def register(sub, add_set) -> None:
    """Add the simulation commands to the `orgsim` sub-command parser."""
