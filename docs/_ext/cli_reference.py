"""Every `orgsim` command and option as MyST markdown, from the argparse parser itself.

The parser is ``orgsim.cli.parser.build_parser``, the one `orgsim` runs, and each option's text is
expanded by its own help formatter, so this page says what ``--help`` says, defaults included.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from orgsim.cli.parser import build_parser


def parser() -> argparse.ArgumentParser:
    """The `orgsim` parser (no command is run, so its handlers are left empty)."""
    return build_parser(defaultdict(lambda: None))


def commands(root: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each subcommand's parser, by name, in the order `orgsim --help` lists them."""
    (sub,) = [a for a in root._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _names(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    value = ""
    if action.nargs != 0:
        value = " " + (action.metavar or "{" + ",".join(map(str, action.choices or [])) + "}")
    return ", ".join(f"`{flag}{value}`" for flag in action.option_strings)


def _options(p: argparse.ArgumentParser) -> list[str]:
    formatter = p._get_formatter()
    lines = []
    for group in p._action_groups:
        actions = [a for a in group._group_actions if a.help is not argparse.SUPPRESS and a.dest not in ("help", "command")]
        if not actions:
            continue
        title = {"positional arguments": "Arguments", "options": "Options"}.get(group.title, group.title.capitalize())
        lines += [f"**{title}**", "", "| argument | what it does |", "|---|---|"]
        for a in actions:
            choices = f" One of {', '.join(f'`{c}`' for c in a.choices)}." if a.choices and a.option_strings else ""
            required = " Required." if a.required and a.option_strings else ""
            lines.append(f"| {_names(a)} | {_cell(formatter._expand_help(a))}.{choices}{required} |".replace("..", "."))
        lines.append("")
    return lines


def markdown() -> str:
    """One section per command: what it does, its usage line, and a table of its arguments."""
    root = parser()
    out = ["## `orgsim`", "", root.description, "", "```text", root.format_usage().strip(), "```", "", *_options(root)]
    out += ["**Commands**", "", "| command | what it does |", "|---|---|"]
    out += [f"| {{ref}}`orgsim {name} <cli-{name}>` | {_cell(p.description)} |" for name, p in commands(root).items()]
    out.append("")
    for name, p in commands(root).items():
        out += [f"(cli-{name})=", f"## `orgsim {name}`", "", p.description, "", "```text", p.format_usage().strip(), "```", ""]
        out += _options(p)
    return "\n".join(out)
