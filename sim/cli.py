"""The `orgsim` command line.  Exit status: 0 success, 2 bad input, 1 anything else."""

from __future__ import annotations

import argparse
import json
import sys

from .loader import ScenarioError, load


class UsageError(Exception):
    """A bad command-line argument; printed without a traceback, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 already; keep its message short and ours
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: {message}")


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario field, e.g. --set departments.it.headcount=4 (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="orgsim", description="Simulate an organisation of internal customers and suppliers.")
    parser.add_argument("--version", action="version", version=f"orgsim {__import__('orgsim').__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check scenario files; one line per problem")
    p.add_argument("files", nargs="+", metavar="SCENARIO")
    _add_set(p)

    p = sub.add_parser("summary", help="departments, internal suppliers and offered load of scenarios")
    p.add_argument("files", nargs="*", metavar="SCENARIO", help="default: every shipped scenario")
    _add_set(p)

    sub.add_parser("schema", help="print the JSON Schema of the scenario format")

    from . import commands

    commands.register(sub, _add_set)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.handler(args) if hasattr(args, "handler") else _builtin(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ScenarioError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _builtin(args) -> int:
    if args.command == "schema":
        from .scenario import Scenario

        schema = Scenario.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = "orgsim scenario"
        print(json.dumps(schema, indent=2))
        return 0
    if args.command == "validate":
        status = 0
        for name in args.files:
            try:
                load(name, args.overrides)
                print(f"{name}: ok")
            except ScenarioError as exc:
                for line in exc.problems:
                    print(line, file=sys.stderr)
                status = 2
        return status
    if args.command == "summary":
        from .loader import shipped_scenarios
        from .summary import describe

        files = args.files or [str(p) for _, p in sorted(shipped_scenarios().items())]
        for name in files:
            print(describe(load(name, args.overrides), name))
        return 0
    raise UsageError(f"unknown command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
