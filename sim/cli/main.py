"""The `orgsim` command line.  Exit status: 0 success, 2 bad input, 130 interrupted, 1 anything else.

Library errors arrive in library words; here they are told in the user's: an argument's name
becomes the flag they typed, and every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys

from orgsim.cli.commands import HANDLERS
from orgsim.cli.parser import FLAGS, UsageError, build_parser
from orgsim.errors import BackendError, CheckpointError, EventLogError, OptionError, ScenarioError


def main(argv: list[str] | None = None) -> int:
    """Run one `orgsim` command; returns the exit status."""
    parser = build_parser(HANDLERS)
    command = "orgsim"
    try:
        args = parser.parse_args(argv)
        command = f"orgsim {args.command}"
        return args.handler(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ScenarioError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return 2
    except OptionError as exc:
        print(f"{command}: {FLAGS.get(exc.option, exc.option)} {exc.message}", file=sys.stderr)
        return 2
    except (BackendError, CheckpointError, EventLogError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
