"""The `orgsim` argument parser: every command, flag and help text, and nothing that runs a simulation.

The only place that knows flag names: ``FLAGS`` maps the library's argument names (as an
``OptionError`` names them) to the flags a user typed.
"""

from __future__ import annotations

import argparse
import sys

from orgsim.engines.api import AUTO, AUTO_SIMPY_EVENTS, ENGINES
from orgsim.scenario.schema import ALLOCATIONS, PRIORITIES

FLAGS = {
    "objective": "--objective", "metric": "--metric", "budget": "--budget", "policy": "--policy",
    "cost_ceiling": "--cost-ceiling", "policies": "--policy", "replications": "-r", "engine": "--engine", "grid": "--grid",
    "backend": "--backend", "scheduler": "--scheduler", "workers": "--workers", "out": "--out", "resume": "--resume",
    "report": "--report", "events": "--events", "log": "LOG", "variant": "--variant", "reference": "--reference", "port": "--port",
    "select": "--select", "delta": "--delta", "alpha": "--alpha", "first_stage": "-r", "precision": "--precision",
    "units_out": "--units-out",
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
_non_negative = _number(float, 0.0, False, ">= 0")


class _Help(argparse.HelpFormatter):
    """Help that shows each option's default after its text, unless the text says it or there is none."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        nothing = default is None or default is False or default == [] or default == argparse.SUPPRESS
        if "%(default)" in text or not action.option_strings or nothing:
            return text
        return f"{text} (default: %(default)s)"


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario field, e.g. --set departments.it.headcount=4 (repeatable)")


def _add_engine(p) -> None:
    p.add_argument("--engine", choices=[AUTO, *ENGINES], default=AUTO,
                   help=f"simpy: the readable reference engine; numba: the compiled one; {AUTO}: simpy when the "
                        f"whole study is at most {AUTO_SIMPY_EVENTS:,} simulated events (about 2 s there, less than "
                        "numba needs to start), numba otherwise; the engine used is printed and in the JSON")


def _add_seed(p) -> None:
    p.add_argument("--seed", type=_seed, default=0, metavar="S",
                   help="seed of every random stream (replication i of every policy or cell sees the same demand)")


def _add_format(p, choices=("table", "json")) -> None:
    p.add_argument("--format", choices=list(choices), default=choices[0],
                   help=f"{choices[0]}: for reading; {choices[1]}: for programs (stdout only)")


def _add_backend(p, batch: bool = True) -> None:
    g = p.add_argument_group("where replications run")
    g.add_argument("--backend", choices=["local", "dask"], default="local",
                   help="local: this process; dask: a Dask cluster (needs orgsim[distributed])")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --backend dask: an existing scheduler, e.g. tcp://10.0.0.5:8786 (default: start a local cluster)")
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


def _add_log_columns(p) -> None:
    g = p.add_argument_group("columns of the log (default: found by their common names, e.g. case_id, case:concept:name)")
    for canon, example in (("case", "case_id"), ("activity", "concept:name"), ("resource", "org:resource"),
                           ("role", "org:role"), ("start", "start_timestamp"), ("end", "time:timestamp"),
                           ("enabled", "enabled_time")):
        g.add_argument(f"--{canon}", metavar="COLUMN", help=f"the column holding each event's {canon}, e.g. {example}")


def _policy_help() -> str:
    return f"a built-in policy ({', '.join((*ALLOCATIONS, *PRIORITIES))}) or a YAML file holding a `policy:` block (repeat)"


def build_parser(handlers: dict) -> argparse.ArgumentParser:
    """The parser; ``handlers`` maps each command name to the function that runs it."""
    parser = _Parser(prog="orgsim", description="Simulate an organisation of internal customers and suppliers.",
                     formatter_class=_Help)
    parser.add_argument("--version", action="version", version=f"orgsim {__import__('orgsim').__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    def command(name: str, text: str, scenario: str | None = "one", overrides: bool = True):
        p = sub.add_parser(name, help=text, description=text.replace("%%", "%"), formatter_class=_Help)
        if scenario == "one":
            p.add_argument("scenario", metavar="SCENARIO", help="a scenario file, or the name of a shipped one (baseline)")
        if overrides:
            _add_set(p)
        p.set_defaults(handler=handlers[name])
        return p

    p = command("validate", "check scenario files; one line per problem", scenario=None)
    p.add_argument("files", nargs="+", metavar="SCENARIO", help="scenario files or names of shipped scenarios")
    p = command("summary", "departments, internal suppliers and offered load of scenarios", scenario=None)
    p.add_argument("files", nargs="*", metavar="SCENARIO", help="scenario files or names (default: every shipped scenario)")
    command("schema", "print the JSON Schema of the scenario format", scenario=None, overrides=False)

    p = command("run", "simulate a scenario; metrics with 95 %% confidence intervals")
    _add_engine(p)
    p.add_argument("-r", "--replications", type=_positive_int, default=20, metavar="N", help="independent replications")
    _add_seed(p)
    p.add_argument("--horizon", type=_positive_float, metavar="T", help="override the simulated time per replication")
    p.add_argument("--out", metavar="DIR", help="write summary, time series, scenario and run metadata here "
                   "(and every finished batch to DIR/batches as it completes, for --resume)")
    _add_format(p)
    p.add_argument("--resume", action="store_true", help="continue the interrupted run saved in --out DIR")
    p.add_argument("--report", metavar="FILE", help="write a self-contained HTML report: every per-period series as a plot, "
                   "the warm-up diagnostic and drift warnings")
    p.add_argument("--events", metavar="FILE", help="also write the event log of external cases (case, activity, department, "
                   "employee, enabled, start, end; replication with -r > 1) as CSV or Parquet by the extension; the "
                   "reference engine records it")
    p.add_argument("--units-out", metavar="FILE", help="a scenario with units: write one CSV row per unit and metric "
                   "(unit, seed, each drawn parameter, metric, mean, CI, std, n)")
    _add_backend(p)
    _add_progress(p)

    p = command("score", "simulate a scenario over an event log's time span and compare their KPIs and distances")
    p.add_argument("log", metavar="LOG", help="the real event log: CSV, CSV.gz, Parquet or XES")
    p.add_argument("-r", "--replications", type=_positive_int, default=20, metavar="N",
                   help="replications of the reference engine, which records the simulated event logs")
    _add_seed(p)
    _add_format(p)
    _add_log_columns(p)

    p = command("trace", "narrate one replication event by event (reference engine)")
    p.add_argument("--until", type=_positive_float, required=True, metavar="T", help="stop narrating at this time")
    p.add_argument("--seed", type=_seed, default=0, metavar="S", help="seed of the narrated replication")
    _add_format(p, ("text", "csv"))

    p = command("compare", "rank policies and what-if variants by a metric on common random numbers")
    p.add_argument("--policy", action="append", default=[], metavar="NAME|FILE", help=_policy_help())
    p.add_argument("--variant", action="append", default=[], metavar="LABEL=PATH=VALUE[,PATH=VALUE...]",
                   help="a what-if: the scenario with these fields changed, e.g. it4=departments.it.headcount=4 (repeat); "
                        "the scenario as written is then compared too, as as_scenario, and every paired difference "
                        "against it is shown")
    p.add_argument("--metric", default="external.nps", help="the metric to rank by, in its direction (higher NPS, lower wait)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("-r", "--replications", type=_positive_int, default=50, metavar="N",
                      help="replications per policy, the same ones for every policy")
    size.add_argument("--precision", type=_positive_float, metavar="H",
                      help="add replications until every policy's CI half-width is at most H")
    _add_seed(p)
    _add_engine(p)
    p.add_argument("--report", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--cost-ceiling", type=_non_negative, default=None, metavar="MONEY",
                   help="most an arm may cost (mean firm.cost; needs the scenario's costs): arms over it are shown "
                        "but not ranked, and the answer is the best within it (default: none)")
    _add_format(p)
    _add_select(p)
    _add_backend(p, batch=False)
    _add_progress(p)

    p = command("optimise", "search the headcount allocation that best serves an objective")
    p.add_argument("--budget", type=_positive_int, required=True, metavar="N", help="heads to allocate")
    p.add_argument("--objective", default=None, metavar="METRIC", help="the metric to improve (default: policy.objective)")
    p.add_argument("--min-per-department", type=_seed, default=None, metavar="K",
                   help="least heads any department gets (default: policy.min_per_department)")
    p.add_argument("-r", "--replications", type=_positive_int, default=40, metavar="N",
                   help="replications per candidate during the search")
    p.add_argument("--cost-ceiling", type=_non_negative, default=None, metavar="MONEY",
                   help="most a plan may cost (mean firm.cost; needs the scenario's costs): heads are added only "
                        "while a plan stays within it (default: none)")
    _add_seed(p)
    _add_engine(p)
    _add_format(p)
    _add_backend(p, batch=False)
    _add_progress(p)

    p = command("sweep", "every combination of parameter values and policies, one tidy table")
    p.add_argument("--grid", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="a scenario field and the values to sweep it over (repeat: the Cartesian product)")
    p.add_argument("--policy", action="append", default=[], metavar="NAME|FILE", help=_policy_help())
    p.add_argument("-r", "--replications", type=_positive_int, default=100, metavar="N",
                   help="replications per cell (the same ones in every cell: common random numbers)")
    _add_seed(p)
    _add_engine(p)
    p.add_argument("--metric", default="external.nps", help="the metric shown on the terminal (the table has all)")
    p.add_argument("--reference", metavar="PATH=VALUE[,...][,policy=LABEL]",
                   help="the cell every other is compared with, replication by replication (paired difference "
                        "and 95 %% CI), named by its grid values and policy (default: the first cell)")
    p.add_argument("--out", metavar="DIR", help="write sweep.csv and sweep.parquet here, checkpointing every batch")
    p.add_argument("--resume", action="store_true", help="continue the interrupted sweep saved in --out DIR")
    _add_format(p)
    _add_backend(p)
    _add_progress(p)

    p = command("fit", "learn a scenario from an event log (CSV, CSV.gz, Parquet or XES)", scenario=None, overrides=False)
    p.add_argument("log", metavar="LOG", help="the event log: one row per activity instance (case, activity, times)")
    p.add_argument("--out", required=True, metavar="FILE", help="where the fitted, commented scenario YAML goes")
    p.add_argument("--report", metavar="FILE", help="also write a self-contained HTML page of the fitted numbers")
    p.add_argument("--name", metavar="TEXT", help="the scenario's name (default: 'fitted from' and the log's file name)")
    _add_log_columns(p)

    p = command("app", "a local what-if page in the browser (needs orgsim[app]); runs until Ctrl-C", scenario=None,
                overrides=False)
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="the scenario shown first (default: baseline)")
    p.add_argument("--port", type=_number(int, 0, False, ">= 0"), default=0, metavar="N",
                   help="port on 127.0.0.1 (default 0: a free one, printed)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")

    p = command("demo", "the main job: 9 more heads' budget on the shipped baseline: which allocation rule or "
                "internal-customer strategy, at equal cost, raises NPS and profit most?", scenario=None, overrides=False)
    p.add_argument("--out", default="orgsim-demo", metavar="DIR", help="where the report and per-arm results go")
    p.add_argument("-r", "--replications", type=_positive_int, default=60, metavar="N", help="replications per arm")
    _add_format(p)
    _add_progress(p)
    return parser
