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

    p = sub.add_parser("compare", help="rank policies by a metric on common random numbers")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--policy", action="append", required=True, metavar="NAME|FILE",
                   help="a built-in policy name or a YAML file holding a `policy:` block (repeat)")
    p.add_argument("--metric", default="external.nps")
    size = p.add_mutually_exclusive_group()
    size.add_argument("-r", "--replications", type=_positive_int, default=None, metavar="N")
    size.add_argument("--precision", type=_positive_float, metavar="H",
                      help="add replications until every policy's CI half-width is at most H")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--engine", choices=["simpy", "numba"], default="numba")
    p.add_argument("--report", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--format", choices=["table", "json"], default="table")
    add_set(p)
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("optimise", help="search the headcount allocation that best serves an objective")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--budget", type=_positive_int, required=True, metavar="N")
    p.add_argument("--objective", default=None, metavar="METRIC", help="default: policy.objective (external.nps)")
    p.add_argument("--min-per-department", type=_seed, default=None, metavar="K")
    p.add_argument("-r", "--replications", type=_positive_int, default=40, metavar="N",
                   help="replications per candidate during the search")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--engine", choices=["simpy", "numba"], default="numba")
    p.add_argument("--format", choices=["table", "json"], default="table")
    add_set(p)
    p.set_defaults(handler=cmd_optimise)

    p = sub.add_parser("demo", help="the main job: compare allocation policies on the shipped baseline")
    p.add_argument("--out", default="orgsim-demo", metavar="DIR")
    p.add_argument("-r", "--replications", type=_positive_int, default=200, metavar="N")
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


def _comparison_table(comp) -> str:
    s = comp.stats
    lines = [f"{'rank':<5}{'policy':<22}{comp.metric:>16}  {'95 % CI':<22}{'P(best)':>8}  {'minus best [95 % CI]':<28}"]
    for rank, label in enumerate(s["ranking"], 1):
        p, d = s["policies"][label], s["differences"][label]
        tie = " =" if label in s["tied_with_best"] else ""
        lines.append(
            f"{rank:<5}{label + tie:<22}{p['mean']:>16.3f}  [{p['ci_low']:.3f}, {p['ci_high']:.3f}]".ljust(65)
            + f"{p['p_best']:>8.0%}  {d['mean']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]"
        )
    if s["tied_with_best"]:
        lines.append("= cannot be told apart from the best at this number of replications")
    red = {k: v for k, v in s["variance_reduction"].items()}
    if red:
        lines.append(
            "common random numbers: variance of paired differences vs independent runs reduced by "
            + ", ".join(f"{k} {v:.0%}" for k, v in red.items())
        )
    return "\n".join(lines)


def cmd_compare(args) -> int:
    import json

    from .compare import compare, parse_policy
    from .report import write

    scenario = _scenario(args)
    specs = [parse_policy(p) for p in args.policy]
    comp = compare(
        scenario, specs, metric=args.metric, replications=args.replications or 50, seed=args.seed,
        engine=args.engine, precision=args.precision,
    )
    if args.format == "json":
        print(json.dumps(comp.to_json(), indent=2, allow_nan=False))
    else:
        print(f"{scenario.name}: {comp.stats['n']} replications per policy, {args.engine} engine, seed {args.seed}")
        print(_comparison_table(comp))
        print()
        print(comp.answer())
    if args.report:
        write(comp, args.report)
        if args.format != "json":
            print(f"report written to {args.report}")
    return 0


def cmd_optimise(args) -> int:
    import json

    from .optimise import optimise

    scenario = _scenario(args)
    best = optimise(
        scenario, budget=args.budget, objective=args.objective, min_per_department=args.min_per_department,
        replications=args.replications, seed=args.seed, engine=args.engine,
    )
    if args.format == "json":
        print(json.dumps(best.to_json(), indent=2, allow_nan=False))
        return 0
    print(f"{scenario.name}: budget {args.budget}, objective {best.objective} ({best.evaluations} allocations simulated)")
    for step in best.path:
        alloc = ", ".join(f"{d} {h}" for d, h in step["allocation"].items())
        print(f"  {step['step']:<40} {best.objective} {step['mean']:.3f}   [{alloc}]")
    print(f"best allocation: {', '.join(f'{d} {h}' for d, h in best.allocation.items())}")
    print(f"{best.objective} {best.mean:.3f} (95 % CI {best.ci_low:.3f} to {best.ci_high:.3f}, fresh replications)")
    return 0


def cmd_demo(args) -> int:
    from pathlib import Path

    from .compare import PolicySpec, compare
    from .output import write_run
    from .report import write

    scenario = load("baseline")
    names = ["fixed", "front_line_first", "proportional_load", "sqrt_staffing", "utilisation_target", "optimised"]
    print(f"Comparing {len(names)} allocation policies on '{scenario.name}' (budget {scenario.policy.budget}), "
          f"{args.replications} replications each, numba engine, common random numbers ...", flush=True)
    comp = compare(scenario, [PolicySpec(n, {"allocation": n}) for n in names], metric="external.nps",
                   replications=args.replications, seed=1, engine="numba")
    print(_comparison_table(comp))
    print()
    print(comp.answer())
    out = Path(args.out)
    report = write(comp, out / "report.html")
    for label, res in comp.results.items():
        res.policy = label
        write_run(res, out / label, ["orgsim", *sys.argv[1:]])
    print(f"report written to {report}; per-policy results in {out}/<policy>/")
    return 0
