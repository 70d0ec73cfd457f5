"""Every command's --help explains every option and shows its default (issue 16, item 9)."""

from __future__ import annotations

import argparse
import re

import pytest

from orgsim.cli.commands import HANDLERS
from orgsim.cli.parser import build_parser


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser(HANDLERS)
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_every_option_has_a_help_line_and_shows_its_default(name):
    parser = subcommands()[name]
    text = re.sub(r"\s+", " ", parser.format_help())
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help.strip(), f"orgsim {name}: {action.option_strings or action.dest} has no help"
        shown = re.sub(r"\s+", " ", parser._get_formatter()._expand_help(action))
        assert shown in text  # the help line is printed as expanded here
        default = action.default
        if action.option_strings and not (default is None or default is False or default == []):
            assert f"(default: {default})" in shown, f"orgsim {name} {action.option_strings[-1]}: default {default!r} not shown"


def test_every_study_command_defaults_to_the_auto_engine():
    for name in ("run", "compare", "optimise", "sweep"):
        (engine,) = [a for a in subcommands()[name]._actions if "--engine" in a.option_strings]
        assert engine.default == "auto" and set(engine.choices) == {"auto", "simpy", "numba"}, name
