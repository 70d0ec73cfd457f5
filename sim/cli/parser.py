"""The `orgsim` argument parser: every command, flag and help text, and nothing that runs a simulation.

The only place that knows flag names: ``FLAGS`` maps the library's argument names (as an
``OptionError`` names them) to the flags a user typed.
"""

from __future__ import annotations

import argparse
import sys

from orgsim.scenario.schema import ALLOCATIONS, PRIORITIES

FLAGS = {
    "objective": "--objective", "metric": "--metric", "budget": "--budget", "policy": "--policy",
    "policies": "--policy", "replications": "-r", "engine": "--engine", "grid": "--grid",
    "backend": "--backend", "scheduler": "--scheduler", "workers": "--workers", "out": "--out", "resume": "--resume",
    "report": "--report", "select": "--select", "delta": "--delta", "alpha": "--alpha", "first_stage": "-r",
    "precision": "--precision",
}  # fmt: skip


class UsageError(Exception):
    """A bad command-line argument; printed without a traceback, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 already; keep its message short and ours
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: {message}")


def _number(kind: type, low: float, strict: bool, rule: str):
    """An argparse type: a number of *kind* above (or, not *strict*, at least) *low*; *rule* words the bound."""

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


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario field, e.g. --set departments.it.headcount=4 (repeatable)")


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


def _add_select(p) -> None:
    g = p.add_argument_group("selection with a guarantee (Kim-Nelson procedure on common random numbers)")
    g.add_argument("--select", action="store_true",
                   help="add replications only to the policies still in contention until one is left; -r is the first stage "
                   "(default 20)")
    g.add_argument("--delta", type=_positive_float, metavar="D",
                   help="with --select: the smallest difference in --metric worth detecting (the indifference zone)")
    g.add_argument("--alpha", type=_positive_float, metavar="A",
                   help="with --select: the best policy, if at least D better than the rest, is selected with probability "
                   "at least 1-A (default 0.05)")


def _policy_help() -> str:
    return f"a built-in policy ({', '.join((*ALLOCATIONS, *PRIORITIES))}) or a YAML file holding a `policy:` block (repeat)"


def build_parser(handlers: dict) -> argparse.ArgumentParser:
    """The parser; ``handlers`` maps each command name to the function that runs it."""
    parser = _Parser(prog="orgsim", description="Simulate an organisation of internal customers and suppliers.")
    parser.add_argument("--version", action="version", version=f"orgsim {__import__('orgsim').__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, text: str, scenario: str | None = "one", overrides: bool = True):
        p = sub.add_parser(name, help=text, description=text.replace("%%", "%"))
        if scenario == "one":
            p.add_argument("scenario", metavar="SCENARIO")
        if overrides:
            _add_set(p)
        p.set_defaults(handler=handlers[name])
        return p

    p = command("validate", "check scenario files; one line per problem", scenario=None)
    p.add_argument("files", nargs="+", metavar="SCENARIO")
    p = command("summary", "departments, internal suppliers and offered load of scenarios", scenario=None)
    p.add_argument("files", nargs="*", metavar="SCENARIO", help="default: every shipped scenario")
    command("schema", "print the JSON Schema of the scenario format", scenario=None, overrides=False)

    p = command("run", "simulate a scenario; metrics with 95 %% confidence intervals")
    p.add_argument("--engine", choices=["simpy", "numba"], default="simpy")
    p.add_argument("-r", "--replications", type=_positive_int, default=20, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--horizon", type=_positive_float, metavar="T", help="override the simulated time per replication")
    p.add_argument("--out", metavar="DIR", help="write summary, time series, scenario and run metadata here "
                   "(and every finished batch to DIR/batches as it completes, for --resume)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run saved in --out DIR")
    p.add_argument("--report", metavar="FILE", help="write a self-contained HTML report: every per-period series as a plot, "
                   "the warm-up diagnostic and drift warnings")
    _add_backend(p)
    _add_progress(p)

    p = command("trace", "narrate one replication event by event (reference engine)")
    p.add_argument("--until", type=_positive_float, required=True, metavar="T", help="stop narrating at this time")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--format", choices=["text", "csv"], default="text")

    p = command("compare", "rank policies by a metric on common random numbers")
    p.add_argument("--policy", action="append", required=True, metavar="NAME|FILE", help=_policy_help())
    p.add_argument("--metric", default="external.nps")
    size = p.add_mutually_exclusive_group()
    size.add_argument("-r", "--replications", type=_positive_int, default=None, metavar="N")
    size.add_argument("--precision", type=_positive_float, metavar="H",
                      help="add replications until every policy's CI half-width is at most H")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--engine", choices=["simpy", "numba"], default="numba")
    p.add_argument("--report", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add_select(p)
    _add_backend(p, batch=False)

    p = command("optimise", "search the headcount allocation that best serves an objective")
    p.add_argument("--budget", type=_positive_int, required=True, metavar="N")
    p.add_argument("--objective", default=None, metavar="METRIC", help="default: policy.objective (external.nps)")
    p.add_argument("--min-per-department", type=_seed, default=None, metavar="K")
    p.add_argument("-r", "--replications", type=_positive_int, default=40, metavar="N",
                   help="replications per candidate during the search")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--engine", choices=["simpy", "numba"], default="numba")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add_backend(p, batch=False)

    p = command("sweep", "every combination of parameter values and policies, one tidy table")
    p.add_argument("--grid", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="a scenario field and the values to sweep it over (repeat: the Cartesian product)")
    p.add_argument("--policy", action="append", default=[], metavar="NAME|FILE", help=_policy_help())
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

    p = command("demo", "the main job: compare allocation policies on the shipped baseline", scenario=None,
                overrides=False)
    p.add_argument("--out", default="orgsim-demo", metavar="DIR")
    p.add_argument("-r", "--replications", type=_positive_int, default=200, metavar="N")
    return parser
