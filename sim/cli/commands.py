"""What each `orgsim` command does: read the parsed arguments, call the library, print or write the result."""

from __future__ import annotations

import json
import os
import shlex
import sys
import threading
from contextlib import nullcontext
from pathlib import Path

from orgsim.cli.fitting import cmd_fit
from orgsim.errors import BackendError, OptionError, one_line
from orgsim.scenario.checks import peak_warnings
from orgsim.scenario.loader import dotted, load, shipped_scenarios
from orgsim.scenario.schema import Scenario


def _print_json(obj: dict) -> None:
    print(json.dumps(obj, indent=2, allow_nan=False))


def _scenario(args) -> Scenario:
    overrides = list(args.overrides)
    if getattr(args, "horizon", None) is not None:
        overrides.append(f"horizon={args.horizon}")
    return load(args.scenario, overrides)


def _backend(args):
    from orgsim.execution.backends import backend_context

    if args.backend != "dask" and (args.scheduler or args.workers):
        raise BackendError(f"{'--scheduler' if args.scheduler else '--workers'} needs --backend dask")
    return backend_context(args.backend, args.scheduler, args.workers)


def _check_output(option: str, path, folder: bool = True) -> None:
    """Refuse, before any simulation starts, an output place that cannot be written (exit 2, one line)."""
    from orgsim.execution.atomic import check_writable_dir, check_writable_file

    problem = check_writable_dir(path) if folder else check_writable_file(path)
    if problem:
        raise OptionError(option, problem)


def _note(command: str):
    """Tell the user, one line on stderr, of a checkpointed batch that is computed again."""
    return lambda text: print(f"orgsim {command}: note: {text}", file=sys.stderr)


class _Counter:
    """Counts replications done (restored or computed) and feeds the progress bar.

    ``plan(total, what)`` follows a study through its phases: the same *what* again gives the bar a new
    end (``--precision`` adds rounds); another *what* starts a new bar (an optimiser's search, then the
    fresh replications of its winner).  A total of None shows a counter and a rate.
    """

    def __init__(self, total: int | None, enabled: bool, what: str = "replications"):
        from orgsim.execution.progress import Progress

        self.enabled = enabled
        self.what = what
        self.progress = Progress(total, enabled=enabled, desc=what)
        self.done = 0

    def plan(self, total: int | None, what: str) -> None:
        from orgsim.execution.progress import Progress

        if what == self.what and total is not None:
            self.progress.set_total(total)
            return
        self.progress.close()
        self.what = what
        self.progress = Progress(total, enabled=self.enabled, desc=what)

    def restored(self, n: int) -> None:
        self.done += n
        self.progress.skip(n)

    def advance(self, n: int) -> None:
        self.done += n
        self.progress.advance(n)


def _interrupted(args, counter: _Counter, total: int, where: str) -> int:
    counter.progress.close()
    if args.out:
        argv = list(sys.argv[1:])
        if "--resume" not in argv:
            argv.append("--resume")
        print(f"\ninterrupted: {counter.done} of {total} replications are saved in {where}.\n"
              f"To resume: orgsim {shlex.join(argv)}", file=sys.stderr)
    else:
        print("\ninterrupted: nothing was saved (give --out DIR to be able to resume)", file=sys.stderr)
    _end_now_if_a_batch_is_computing()
    return 130


def _end_now_if_a_batch_is_computing() -> None:
    """End the process at once when a compiled batch is still running on another thread.

    A numba batch cannot be stopped mid-way, and Python would wait for it at exit (for as long as the
    batch runs: hours on a long horizon).  Every finished batch is already on disk and the checkpoint
    locks are released, so nothing is lost by not waiting.
    """
    busy = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive() and not t.daemon]
    if busy:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)


def _announce(estimate) -> None:
    """Say what a long study will cost before it starts, so nobody waits blind."""
    if estimate.long:
        print(f"this study is estimated at {estimate.describe()}; Ctrl-C stops it"
              " (with --out DIR, finished batches are kept for --resume)", file=sys.stderr)


def cmd_schema(args) -> int:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "orgsim scenario"
    _print_json(schema)
    return 0


def cmd_validate(args) -> int:
    from orgsim.errors import ScenarioError

    status = 0
    for name in args.files:
        try:
            scenario = load(name, args.overrides)
            print(f"{name}: ok")
            for path, message in peak_warnings(scenario):  # a queue that grows for a while: said, not refused
                print(f"{name}: warning: {dotted(path)}: {message}", file=sys.stderr)
        except ScenarioError as exc:
            for line in exc.problems:
                print(line, file=sys.stderr)
            status = 2
    return status


def cmd_summary(args) -> int:
    from orgsim.present.summary import describe

    files = args.files or [str(p) for _, p in sorted(shipped_scenarios().items())]
    for name in files:
        print(describe(load(name, args.overrides), name))
    return 0


def cmd_run(args) -> int:
    from orgsim.execution.checkpoint import Checkpoint, FolderLock
    from orgsim.present.run_files import write_run
    from orgsim.present.tables import table
    from orgsim.studies.run import run
    from orgsim.studies.units import clear_checkpoint

    scenario = _scenario(args)
    engine = args.engine
    if args.events:
        from orgsim.eventlog.simulated import check_events_path

        check_events_path(args.events)
        _check_output("events", args.events, folder=False)
        if engine == "numba":
            raise OptionError("events", "needs the reference engine, which records the event log: "
                                        "use --engine simpy (or auto, which then runs it)")
        engine = "simpy"
    if args.resume and not args.out:
        raise OptionError("resume", "needs --out DIR, the folder of the interrupted run")
    if args.out:
        _check_output("out", args.out)
    if args.report:
        _check_output("report", args.report, folder=False)
    _check_units(scenario, args)
    units = scenario.units.count if scenario.units else 1
    checkpoint = Path(args.out) / "batches" if args.out else None
    with FolderLock(args.out) if args.out else nullcontext():  # one process at a time on an --out folder
        record = "units.json" if scenario.units else "manifest.json"
        if args.resume and not (checkpoint / record).exists():
            print(f"orgsim run: no interrupted run in {checkpoint}/; running from the start", file=sys.stderr)
        counter = _Counter(args.replications * units, enabled=not args.no_progress)
        try:
            with _backend(args) as backend:
                result = run(scenario, engine=engine, replications=args.replications, seed=args.seed,
                             batch_size=args.batch_size, backend=backend, checkpoint=checkpoint, resume=args.resume,
                             on_batch=counter.advance, on_restore=counter.restored, on_note=_note("run"),
                             on_estimate=_announce)
        except KeyboardInterrupt:
            return _interrupted(args, counter, args.replications * units, f"{checkpoint}/")
        finally:
            counter.progress.close()
        if args.out:
            write_run(result, args.out, ["orgsim", *sys.argv[1:]])
            if scenario.units:  # the results are written: the checkpoint has served (only orgsim's files)
                clear_checkpoint(checkpoint)
            else:
                Checkpoint(checkpoint).clear()
    if args.report:
        from orgsim.present.run_report import write

        write(result, args.report)
    if args.events:
        from orgsim.eventlog.simulated import write_events
        from orgsim.studies.events import event_log

        write_events(event_log(scenario, args.replications, args.seed), args.events)
    if args.units_out:
        from orgsim.execution.atomic import write_text

        write_text(args.units_out, result.units().to_csv(index=False))
    if args.format == "json":
        _print_json(result.to_json())
    else:
        print(table(result))
        if args.out:
            print(f"results written to {args.out}/")
        if args.report:
            print(f"report written to {args.report}")
        if args.events:
            print(f"event log written to {args.events}")
    return 0


def cmd_score(args) -> int:
    from orgsim.eventlog.reading import read_log
    from orgsim.present.score import score_table
    from orgsim.studies.score import score

    scenario = _scenario(args)
    columns = {c: getattr(args, c) for c in ("case", "activity", "resource", "role", "start", "end", "enabled")}
    log = read_log(args.log, **columns)
    result = score(scenario, log, replications=args.replications, seed=args.seed)
    result.scenario, result.log = args.scenario, args.log
    if args.format == "json":
        _print_json(result.to_json())
    else:
        print(score_table(result))
    return 0


def _check_units(scenario, args) -> None:
    """`--units-out` needs units, and a file it can write (one line, exit 2)."""
    if args.units_out:
        if scenario.units is None:
            raise OptionError("units_out", "needs a scenario with a `units:` block (it writes one row per unit)")
        _check_output("units_out", args.units_out, folder=False)


def cmd_trace(args) -> int:
    from orgsim.studies.run import trace

    frame = trace(_scenario(args), until=args.until, seed=args.seed)
    frame["text"] = frame["text"].map(one_line)  # names the user wrote reach the terminal: control characters escaped
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        for text in frame["text"]:
            print(text)
    return 0


def cmd_compare(args) -> int:
    from orgsim.present.report import write
    from orgsim.present.tables import comparison_table
    from orgsim.studies.compare import compare, parse_policy
    from orgsim.studies.plans import parse_variant

    scenario = _scenario(args)
    if not args.policy and not args.variant:
        raise OptionError("policy", "or --variant: give at least one policy or what-if variant to compare")
    specs = [parse_policy(p) for p in args.policy]
    variants = [parse_variant(v) for v in args.variant]
    if args.select or args.delta is not None or args.alpha is not None:
        return _select(args, scenario, specs)
    if args.report:
        _check_output("report", args.report, folder=False)
    counter = _Counter(None, enabled=not args.no_progress)
    try:
        with _backend(args) as backend:
            comp = compare(scenario, specs, metric=args.metric, replications=args.replications, seed=args.seed,
                           engine=args.engine, precision=args.precision, backend=backend,
                           on_batch=counter.advance, on_plan=counter.plan, variants=variants,
                           cost_ceiling=args.cost_ceiling)
    finally:
        counter.progress.close()
    if args.format == "json":
        _print_json(comp.to_json())
    else:
        print(f"{one_line(scenario.name)}: {comp.stats['n']} replications per policy, {comp.engine} engine, seed {args.seed}")
        print(comparison_table(comp))
        print()
        print(one_line(comp.answer()))
    if args.report:
        write(comp, args.report)
        if args.format != "json":
            print(f"report written to {args.report}")
    return 0


def _select(args, scenario, specs) -> int:
    """`compare --select`: the Kim-Nelson selection instead of a fixed number of replications."""
    from orgsim.present.tables import selection_table
    from orgsim.studies.select import select

    if not args.select:
        raise OptionError("delta" if args.delta is not None else "alpha", "needs --select")
    if args.delta is None:
        raise OptionError("delta", "is needed with --select: the smallest difference in the metric worth detecting")
    if args.precision is not None:
        raise OptionError("precision", "cannot be combined with --select (the procedure decides the replications)")
    if args.report:
        raise OptionError("report", "is not available with --select (use --format json for the selection's numbers)")
    if args.cost_ceiling is not None:
        raise OptionError("cost_ceiling", "cannot be combined with --select: its guarantee is for one metric, and a "
                          "ceiling on an estimated cost is a second (compare without --select ranks within a ceiling)")
    with _backend(args) as backend:
        sel = select(scenario, specs, delta=args.delta, alpha=0.05 if args.alpha is None else args.alpha,
                     metric=args.metric, first_stage=args.replications or 20, seed=args.seed, engine=args.engine,
                     backend=backend)
    if args.format == "json":
        _print_json(sel.to_json())
    else:
        print(f"{one_line(scenario.name)}: selecting the best of {len(specs)} policies by {sel.metric}, "
              f"first stage {sel.first_stage} replications, {args.engine} engine, seed {args.seed}")
        print(selection_table(sel))
    return 0


def cmd_optimise(args) -> int:
    from orgsim.present.tables import optimum_table
    from orgsim.studies.optimise import optimise

    scenario = _scenario(args)
    counter = _Counter(None, enabled=not args.no_progress, what="searching")
    try:
        with _backend(args) as backend:
            best = optimise(scenario, budget=args.budget, objective=args.objective,
                            min_per_department=args.min_per_department, replications=args.replications,
                            seed=args.seed, engine=args.engine, backend=backend,
                            on_batch=counter.advance, on_plan=counter.plan, cost_ceiling=args.cost_ceiling)
    finally:
        counter.progress.close()
    if args.format == "json":
        _print_json(best.to_json())
    else:
        print(optimum_table(best, f"{one_line(scenario.name)}: budget {args.budget}, objective {best.objective} "
                                  f"({best.evaluations} allocations simulated)"))
    return 0


def cmd_sweep(args) -> int:
    from orgsim.cli.grid import parse_grid, parse_reference
    from orgsim.present.tables import sweep_table
    from orgsim.scenario.checks import suggest
    from orgsim.studies.compare import parse_policy
    from orgsim.studies.sweep import find_reference, plan, sweep

    scenario = _scenario(args)
    grid = parse_grid(args.grid)
    specs = [parse_policy(p) for p in args.policy]
    if not grid and not specs:
        raise OptionError("grid", "give at least one --grid PATH=V1,V2,... or --policy NAME")
    if args.resume and not args.out:
        raise OptionError("resume", "needs --out DIR, the folder of the interrupted sweep")
    cells = plan(scenario, grid, specs)  # every bad value is reported before anything runs
    reference = parse_reference(args.reference)
    find_reference(cells, grid, reference)
    if args.out:
        _check_output("out", args.out)
    if args.resume and not (Path(args.out) / "sweep.json").exists():
        print(f"orgsim sweep: no interrupted sweep in {args.out}/; running from the start", file=sys.stderr)
    total = len(cells) * args.replications
    counter = _Counter(total, enabled=not args.no_progress)
    try:
        with _backend(args) as backend:
            res = sweep(scenario, grid, specs, replications=args.replications, seed=args.seed, engine=args.engine,
                        backend=backend, out=args.out, resume=args.resume, batch_size=args.batch_size,
                        on_batch=counter.advance, on_restore=counter.restored, on_note=_note("sweep"),
                        on_estimate=_announce, reference=reference)
    except KeyboardInterrupt:
        return _interrupted(args, counter, total, f"{args.out}/cells/")
    finally:
        counter.progress.close()
    if args.format == "json":
        _print_json(res.to_json())
        return 0
    names = sorted(set(res.table()["metric"]))
    if args.metric not in names:
        raise OptionError("metric", f"{args.metric} is not a metric of this scenario{suggest(args.metric, names)}")
    print(f"{one_line(scenario.name)}: {len(cells)} cells x {args.replications} replications, {res.engine} engine, "
          f"seed {args.seed}, {res.extra['backend']}; {args.metric}, mean and 95 % CI")
    print("minus ref: paired difference against the reference cell, "
          + one_line(", ".join(f"{k}={v}" for k, v in res.reference_cell().items())))
    print(sweep_table(res, args.metric))
    print(f"wall time {res.wall_time:.1f} s")
    if args.out:
        print(f"table written to {args.out}/sweep.csv and {args.out}/sweep.parquet")
    return 0


def cmd_demo(args) -> int:
    from orgsim.present.report import write
    from orgsim.present.run_files import write_run
    from orgsim.present.tables import metrics_table
    from orgsim.studies import demo
    from orgsim.studies.compare import compare

    scenario, specs = demo.scenario(), demo.policies()
    out = Path(args.out)
    _check_output("out", out)
    _check_output("out", out / "report.html", folder=False)
    for spec in specs:
        _check_output("out", out / spec.label)
    say = sys.stderr if args.format == "json" else sys.stdout
    print(f"{demo.question(scenario)}\n{len(demo.RULES)} allocation rules and {len(demo.STRATEGIES)} strategies (each "
          f"investing {demo.LEVER_HEADS} heads' worth, the rest placed by {demo.REFERENCE}) on '{one_line(scenario.name)}', "
          f"{args.replications} replications each, common random numbers ...", file=say, flush=True)
    counter = _Counter(None, enabled=not args.no_progress)
    try:
        nps = compare(scenario, specs, metric=demo.METRICS[0], replications=args.replications, seed=demo.SEED,
                      on_batch=counter.advance, on_plan=counter.plan, reference=demo.REFERENCE)
    finally:
        counter.progress.close()
    comps = [nps, *(nps.for_metric(m) for m in demo.METRICS[1:])]
    report = write(nps, out / "report.html", demo.question(scenario), also=comps[1:], answer=demo.answer(comps))
    for label, res in nps.results.items():
        write_run(res, out / label, ["orgsim", *sys.argv[1:]])
    if args.format == "json":
        _print_json(demo.to_json(comps))
        return 0
    print(f"{nps.engine} engine, seed {demo.SEED}; paired differences against {nps.reference}")
    print(metrics_table(comps))
    print()
    print(one_line(demo.answer(comps)))
    print(f"report written to {report}; per-arm results in {out}/<arm>/")
    return 0


def cmd_app(args) -> int:
    try:
        from orgsim.app.server import serve
    except ImportError as exc:
        print(f"orgsim app: needs the app extra ({exc.name} is missing): pip install 'orgsim[app]'", file=sys.stderr)
        return 2
    if args.port > 65535:
        raise OptionError("port", f"must be at most 65535 (got {args.port})")
    serve(args.scenario, args.port, args.open, say=lambda text: print(text, flush=True))
    return 0


HANDLERS = {
    "validate": cmd_validate, "summary": cmd_summary, "schema": cmd_schema, "run": cmd_run, "score": cmd_score, "trace": cmd_trace,
    "compare": cmd_compare, "optimise": cmd_optimise, "sweep": cmd_sweep, "demo": cmd_demo, "app": cmd_app,
    "fit": cmd_fit,
}  # fmt: skip
