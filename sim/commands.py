"""Commands that run simulations (run, trace, demo), registered on the CLI parser."""

from __future__ import annotations

import sys

from .loader import load


class _Bad(Exception):
    pass


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _argerror(f"expected a whole number, got {text!r}")
    if value < 1:
        raise _argerror(f"must be at least 1 (got {value})")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _argerror(f"expected a whole number, got {text!r}")
    if value < 0:
        raise _argerror(f"must be >= 0 (got {value})")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _argerror(f"expected a number, got {text!r}")
    if not value > 0:
        raise _argerror(f"must be > 0 (got {text})")
    return value


def _argerror(message: str):
    import argparse

    return argparse.ArgumentTypeError(message)


def register(sub, add_set) -> None:
    """Add the simulation commands to the `orgsim` sub-command parser."""
    p = sub.add_parser("run", help="simulate a scenario; metrics with 95 % confidence intervals")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--engine", choices=["simpy", "numba"], default="simpy")
    p.add_argument("-r", "--replications", type=_positive_int, default=20, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--horizon", type=_positive_float, metavar="T", help="override the simulated time per replication")
    p.add_argument("--out", metavar="DIR", help="write summary, time series, scenario and run metadata here")
    p.add_argument("--format", choices=["table", "json"], default="table")
    add_set(p)
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("trace", help="narrate one replication event by event (reference engine)")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--until", type=_positive_float, required=True, metavar="T", help="stop narrating at this time")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--format", choices=["text", "csv"], default="text")
    add_set(p)
    p.set_defaults(handler=cmd_trace)

    p = sub.add_parser("demo", help="the main job on the shipped baseline scenario")
    p.add_argument("--out", default="orgsim-demo", metavar="DIR")
    p.add_argument("-r", "--replications", type=_positive_int, default=10, metavar="N")
    p.set_defaults(handler=cmd_demo)


def _scenario(args):
    overrides = list(args.overrides)
    if getattr(args, "horizon", None) is not None:
        overrides.append(f"horizon={args.horizon}")
    return load(args.scenario, overrides)


def cmd_run(args) -> int:
    from .output import json_text, table, write_run
    from .runner import run

    scenario = _scenario(args)
    result = run(scenario, engine=args.engine, replications=args.replications, seed=args.seed)
    if args.out:
        write_run(result, args.out, ["orgsim", *sys.argv[1:]])
    print(json_text(result) if args.format == "json" else table(result))
    if args.out and args.format == "table":
        print(f"results written to {args.out}/")
    return 0


def cmd_trace(args) -> int:
    from .runner import trace

    frame = trace(_scenario(args), until=args.until, seed=args.seed)
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        for text in frame["text"]:
            print(text)
    return 0


def cmd_demo(args) -> int:
    from .loader import shipped_scenarios
    from .output import table, write_run
    from .runner import run
    from .summary import describe

    for name, path in sorted(shipped_scenarios().items()):
        print(describe(load(path), name))
        print()
    scenario = load("baseline")
    result = run(scenario, engine="simpy", replications=args.replications, seed=1)
    print(table(result))
    write_run(result, args.out, ["orgsim", *sys.argv[1:]])
    print(f"results written to {args.out}/")
    return 0
