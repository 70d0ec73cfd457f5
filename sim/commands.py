"""Commands that run simulations (run, trace, demo), registered on the CLI parser."""

from __future__ import annotations

import sys

from .loader import load


def _number(kind: type, low: float, strict: bool, rule: str):
    """An argparse type: a number of *kind* above (or, not *strict*, at least) *low*; *rule* words the bound."""
    import argparse

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'a whole number' if kind is int else 'a number'}, got {text!r}"
            ) from None
        if not (value > low if strict else value >= low):
            raise argparse.ArgumentTypeError(f"must be {rule} (got {text})")
        return value

    return parse


_positive_int = _number(int, 1, False, "at least 1")
_seed = _number(int, 0, False, ">= 0")
_positive_float = _number(float, 0.0, True, "> 0")


def register(sub, add_set) -> None:
    """Add the simulation commands to the `orgsim` sub-command parser."""
    p = sub.add_parser("run", help="simulate a scenario; metrics with 95 % confidence intervals")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--engine", choices=["simpy", "numba"], default="simpy")
    p.add_argument("-r", "--replications", type=_positive_int, default=20, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--horizon", type=_positive_float, metavar="T", help="override the simulated time per replication")
    p.add_argument("--out", metavar="DIR", help="write summary, time series, scenario and run metadata here "
                   "(and every finished batch to DIR/batches as it completes, for --resume)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run saved in --out DIR")
    _add_backend(p)
    _add_progress(p)
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
    _add_backend(p, batch=False)
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
    _add_backend(p, batch=False)
    add_set(p)
    p.set_defaults(handler=cmd_optimise)

    p = sub.add_parser("sweep", help="every combination of parameter values and policies, one tidy table")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--grid", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="a scenario field and the values to sweep it over (repeat: the Cartesian product)")
    p.add_argument("--policy", action="append", default=[], metavar="NAME|FILE",
                   help="a built-in policy name or a YAML file holding a `policy:` block (repeat)")
    p.add_argument("-r", "--replications", type=_positive_int, default=100, metavar="N",
                   help="replications per cell (the same ones in every cell: common random numbers)")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--engine", choices=["simpy", "numba"], default="numba")
    p.add_argument("--metric", default="external.nps", help="the metric shown on the terminal (the table has all)")
    p.add_argument("--out", metavar="DIR", help="write sweep.csv and sweep.parquet here, checkpointing every batch")
    p.add_argument("--resume", action="store_true", help="continue the interrupted sweep saved in --out DIR")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add_backend(p)
    _add_progress(p)
    add_set(p)
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("demo", help="the main job: compare allocation policies on the shipped baseline")
    p.add_argument("--out", default="orgsim-demo", metavar="DIR")
    p.add_argument("-r", "--replications", type=_positive_int, default=200, metavar="N")
    p.set_defaults(handler=cmd_demo)


def _add_backend(p, batch: bool = True) -> None:
    g = p.add_argument_group("where replications run")
    g.add_argument("--backend", choices=["local", "dask"], default="local",
                   help="local: this process; dask: a Dask cluster (needs orgsim[distributed])")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --backend dask: an existing scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    g.add_argument("--workers", type=_positive_int, metavar="N",
                   help="with --backend dask and no --scheduler: worker processes of the local cluster (default: one per core)")
    if batch:
        g.add_argument("--batch-size", type=_positive_int, metavar="N",
                       help="replications per batch (default: chosen by the backend; results never depend on it)")


def _add_progress(p) -> None:
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr (none when stderr is not a terminal)")


def _backend(args):
    from .backends import BackendError, backend_context

    if args.backend != "dask" and (args.scheduler or args.workers):
        raise BackendError(f"{'--scheduler' if args.scheduler else '--workers'} needs --backend dask")
    return backend_context(args.backend, args.scheduler, args.workers)


def _friendly(handler):
    """Missing Dask, an unreachable scheduler or a --resume of another run: a one-line message, exit 2."""
    import functools

    @functools.wraps(handler)
    def wrapper(args) -> int:
        from .backends import BackendError
        from .checkpoint import CheckpointMismatch

        try:
            return handler(args)
        except (BackendError, CheckpointMismatch) as exc:
            print(f"orgsim {args.command}: {exc}", file=sys.stderr)
            return 2

    return wrapper


class _Counter:
    """Counts replications done (restored or computed) and feeds the progress bar."""

    def __init__(self, progress):
        self.progress = progress
        self.done = 0

    def restored(self, n: int) -> None:
        self.done += n
        self.progress.skip(n)

    def advance(self, n: int) -> None:
        self.done += n
        self.progress.advance(n)


def _resume_command() -> str:
    import shlex

    argv = list(sys.argv[1:])
    if "--resume" not in argv:
        argv.append("--resume")
    return "orgsim " + shlex.join(argv)


def _interrupted(args, counter, total: int, where: str) -> int:
    counter.progress.close()
    if args.out:
        print(f"\ninterrupted: {counter.done} of {total} replications are saved in {where}.\n"
              f"To resume: {_resume_command()}", file=sys.stderr)
    else:
        print("\ninterrupted: nothing was saved (give --out DIR to be able to resume)", file=sys.stderr)
    return 130


def _scenario(args):
    overrides = list(args.overrides)
    if getattr(args, "horizon", None) is not None:
        overrides.append(f"horizon={args.horizon}")
    return load(args.scenario, overrides)


@_friendly
def cmd_run(args) -> int:
    from pathlib import Path

    from .output import json_text, table, write_run
    from .progress import Progress
    from .runner import run

    scenario = _scenario(args)
    if args.resume and not args.out:
        print("orgsim run: --resume needs --out DIR, the folder of the interrupted run", file=sys.stderr)
        return 2
    checkpoint = Path(args.out) / "batches" if args.out else None
    if args.resume and not (checkpoint / "manifest.json").exists():
        print(f"orgsim run: no interrupted run in {checkpoint}/; running from the start", file=sys.stderr)
    counter = _Counter(Progress(args.replications, enabled=not args.no_progress))
    try:
        with _backend(args) as backend:
            result = run(scenario, engine=args.engine, replications=args.replications, seed=args.seed,
                         batch_size=args.batch_size, backend=backend, checkpoint=checkpoint, resume=args.resume,
                         on_batch=counter.advance, on_restore=counter.restored)
    except KeyboardInterrupt:
        return _interrupted(args, counter, args.replications, f"{checkpoint}/")
    finally:
        counter.progress.close()
    if args.out:
        write_run(result, args.out, ["orgsim", *sys.argv[1:]])
        import shutil

        shutil.rmtree(checkpoint, ignore_errors=True)  # the results are written: the checkpoint has served
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


@_friendly
def cmd_compare(args) -> int:
    import json

    from .compare import compare, parse_policy
    from .report import write

    scenario = _scenario(args)
    specs = [parse_policy(p) for p in args.policy]
    with _backend(args) as backend:
        comp = compare(
            scenario, specs, metric=args.metric, replications=args.replications or 50, seed=args.seed,
            engine=args.engine, precision=args.precision, backend=backend,
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


@_friendly
def cmd_optimise(args) -> int:
    import json

    from .optimise import optimise

    scenario = _scenario(args)
    with _backend(args) as backend:
        best = optimise(
            scenario, budget=args.budget, objective=args.objective, min_per_department=args.min_per_department,
            replications=args.replications, seed=args.seed, engine=args.engine, backend=backend,
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


@_friendly
def cmd_sweep(args) -> int:
    import json
    from pathlib import Path

    import numpy as np

    from .compare import parse_policy
    from .progress import Progress
    from .sweep import parse_grid, plan, sweep

    scenario = _scenario(args)
    grid = parse_grid(args.grid)
    specs = [parse_policy(p) for p in args.policy]
    if not grid and not specs:
        print("orgsim sweep: give at least one --grid PATH=V1,V2,... or --policy NAME", file=sys.stderr)
        return 2
    if args.resume and not args.out:
        print("orgsim sweep: --resume needs --out DIR, the folder of the interrupted sweep", file=sys.stderr)
        return 2
    cells = plan(scenario, grid, specs)  # every bad value is reported before anything runs
    if args.resume and not (Path(args.out) / "sweep.json").exists():
        print(f"orgsim sweep: no interrupted sweep in {args.out}/; running from the start", file=sys.stderr)
    total = len(cells) * args.replications
    counter = _Counter(Progress(total, enabled=not args.no_progress))
    try:
        with _backend(args) as backend:
            res = sweep(scenario, grid, specs, replications=args.replications, seed=args.seed, engine=args.engine,
                        backend=backend, out=args.out, resume=args.resume, batch_size=args.batch_size,
                        on_batch=counter.advance, on_restore=counter.restored)
    except KeyboardInterrupt:
        return _interrupted(args, counter, total, f"{args.out}/cells/")
    finally:
        counter.progress.close()
    if args.format == "json":
        print(json.dumps(res.to_json(), indent=2, allow_nan=False))
        return 0
    table = res.table()
    paths = [p for p, _ in grid]
    shown = table[table["metric"] == args.metric]
    if shown.empty:
        from .checks import suggest

        names = sorted(set(table["metric"]))
        print(f"orgsim sweep: --metric {args.metric}: not a metric of this scenario{suggest(args.metric, names)}",
              file=sys.stderr)
        return 2
    print(f"{scenario.name}: {len(cells)} cells x {args.replications} replications, {args.engine} engine, "
          f"seed {args.seed}, {res.extra['backend']}; {args.metric}, mean and 95 % CI")
    widths = [max(len(p), *(len(str(v)) for v in shown[p])) for p in paths]
    pw = max(len("policy"), *(len(str(v)) for v in shown["policy"]))
    print("  ".join([*(p.ljust(w) for p, w in zip(paths, widths)), "policy".ljust(pw), "mean".rjust(10), "95 % CI"]))
    for _, row in shown.iterrows():
        ci = f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]" if np.isfinite(row["ci_low"]) else "-"
        print("  ".join([*(str(row[p]).ljust(w) for p, w in zip(paths, widths)), str(row["policy"]).ljust(pw),
                         f"{row['mean']:10.3f}", ci]))
    print(f"wall time {res.wall_time:.1f} s")
    if args.out:
        print(f"table written to {args.out}/sweep.csv and {args.out}/sweep.parquet")
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
