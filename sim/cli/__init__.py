"""The `orgsim` command line: ``parser`` reads arguments, ``commands`` runs them, ``main`` reports errors."""

from orgsim.cli.main import main

__all__ = ["main"]
