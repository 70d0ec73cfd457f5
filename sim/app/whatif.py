"""A what-if: the scenario as written against an edited copy, on common random numbers, with paired differences.

The page's controls arrive as ``Edits`` (headcount per department, investments, queue priority, demand
multipliers per segment); ``apply_edits`` derives the what-if through ``orgsim.scenario.edit`` so it is
validated exactly like a file, and ``paired`` runs both on the one orchestration path
(``orgsim.studies.simulate``: same seed, same replication indices).  ``paired`` is the one place that
would switch to a variant API of the studies layer when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orgsim import metrics
from orgsim.errors import OptionError, ScenarioError
from orgsim.scenario.edit import edited
from orgsim.scenario.schema import PRIORITIES, Scenario
from orgsim.studies.allocation import resolve
from orgsim.studies.results import RunResult
from orgsim.studies.simulate import Variant, simulate

WRITTEN, WHATIF = "as_written", "what_if"
# (recovery needs its step)
INVESTMENTS = ("training", "recognition", "tooling", "communication", "feedback", "improvement", "role_clarity")
HEADLINE = ("external.nps", "external.csat", "external.wait_mean", "external.abandon_rate")
MONEY = ("cost", "profit", "revenue")  # shown when the scenario's metrics have them
SERIES = ("external.nps", "external.csat", "external.sojourn_mean", "external.abandoned")
MAX_MULTIPLIER = 100.0


@dataclass(frozen=True)
class Edits:
    """What the page's controls change; an empty ``Edits`` is the scenario as written."""

    headcount: dict[str, int] = field(default_factory=dict)
    investments: dict[str, int] = field(default_factory=dict)
    priority: str | None = None
    demand: dict[str, float] = field(default_factory=dict)  # segment -> multiplier of its arrival rate

    @classmethod
    def from_json(cls, data: dict | None) -> Edits:
        """Edits from the page's JSON; a malformed one raises ``OptionError`` naming the control."""
        data = data or {}
        if not isinstance(data, dict):
            raise OptionError("edits", "must be an object")
        heads = _numbers(data.get("headcount"), "headcount", int)
        invest = _numbers(data.get("investments"), "investments", int)
        demand = _numbers(data.get("demand"), "demand", float)
        unknown = sorted(set(invest) - set(INVESTMENTS))
        if unknown:
            raise OptionError("investments", f"unknown investment {unknown[0]} (allowed: {', '.join(INVESTMENTS)})")
        priority = data.get("priority") or None
        if priority is not None and priority not in PRIORITIES:
            raise OptionError("priority", f"must be one of {', '.join(PRIORITIES)} (got {priority!r})")
        return cls(heads, invest, priority, demand)

    @property
    def empty(self) -> bool:
        return not (self.headcount or self.investments or self.priority or self.demand)

    def key(self) -> tuple:
        """A hashable form, for caching results by what was asked."""
        return (tuple(sorted(self.headcount.items())), tuple(sorted(self.investments.items())), self.priority,
                tuple(sorted(self.demand.items())))


def _numbers(block, name: str, kind: type) -> dict:
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise OptionError(name, "must be an object of name: number")
    out = {}
    for key, value in block.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
            raise OptionError(f"{name}.{key}", f"must be a {'whole ' if kind is int else ''}number (got {value!r})")
        out[str(key)] = kind(value)
    return out


def apply_edits(scenario: Scenario, edits: Edits, label: str = "what-if") -> Scenario:
    """The what-if scenario: *scenario* with *edits* applied and validated like a file (``ScenarioError``)."""
    problems = [f"{label}: departments.{d}: no such department" for d in edits.headcount if d not in scenario.departments]
    problems += [f"{label}: segments.{s}: no such segment" for s in edits.demand if s not in scenario.segments]
    problems += [f"{label}: segments.{s}.arrivals: demand multiplier must be between 0 and {MAX_MULTIPLIER:g} (got {m:g})"
                 for s, m in edits.demand.items() if s in scenario.segments and not 0 <= m <= MAX_MULTIPLIER]
    if problems:
        raise ScenarioError(problems)

    def change(raw: dict) -> None:
        for d, n in edits.headcount.items():
            raw["departments"][d]["headcount"] = n
        if edits.headcount and raw["policy"]["allocation"] != "fixed":
            raw["policy"]["allocation"] = "fixed"  # heads set by hand replace the allocation rule
        raw["policy"]["investments"].update(edits.investments)
        if edits.priority:
            raw["policy"]["priority"] = edits.priority
        for s, m in edits.demand.items():
            arrivals = raw["segments"][s]["arrivals"]
            key = "rate_per_customer" if "rate_per_customer" in arrivals else "rate"
            rate = arrivals[key]  # a number, or a table of windows: every window scaled
            arrivals[key] = {w: r * m for w, r in rate.items()} if isinstance(rate, dict) else rate * m

    name = scenario.name if scenario.name.endswith("(what-if)") else f"{scenario.name} (what-if)"
    return edited(scenario, lambda raw: (change(raw), raw.update(name=name[:200])), label)


def staffed(label: str, scenario: Scenario) -> Variant:
    """A variant with the headcount its allocation policy gives (``BudgetError`` if none fits)."""
    return Variant(label, *resolve(scenario))


def paired(scenario: Scenario, whatif: Scenario | None, replications: int, seed: int, engine: str,
           written: RunResult | None = None) -> tuple[RunResult, RunResult]:
    """(as written, what-if) results on common random numbers: the same seed and replication indices.

    *whatif* None: nothing is edited, and the what-if is the scenario itself, replication for replication.
    *written*: the as-written result of an earlier call with the same seed, replications and engine; it does
    not depend on the what-if, so a page that moves one control need not simulate it again.
    """
    variants = [] if written is not None else [staffed(WRITTEN, scenario)]
    variants += [] if whatif is None else [staffed(WHATIF, whatif)]
    results = simulate(variants, engine, replications, seed) if variants else []
    a = written if written is not None else results.pop(0)
    return a, (results[0] if whatif is not None else a)


def shown_metrics(result: RunResult) -> list[str]:
    """The metrics the page compares: the headline four, money when present, and every department's utilisation."""
    names = [m for m in HEADLINE if m in result.values]
    names += [m for m in result.values if m.startswith("external.") and m.rsplit(".", 1)[-1] in MONEY]
    names += [m for m in result.values if m.startswith("dept.") and m.endswith(".utilisation")]
    return names


def difference_rows(written: RunResult, whatif: RunResult) -> list[dict]:
    """Per metric: each side's mean and 95 % CI, and the paired difference (what-if minus as written) with its CI."""
    rows = []
    for name in shown_metrics(written):
        a, b = written.values[name], whatif.values[name]
        both = ~(np.isnan(a) | np.isnan(b))
        d = metrics.aggregate(b[both] - a[both], name, difference=True)
        rows.append({
            "metric": name, "direction": metrics.direction(name),
            WRITTEN: metrics.json_safe(metrics.aggregate(a, name)), WHATIF: metrics.json_safe(metrics.aggregate(b, name)),
            "difference": metrics.json_safe(d),
        })
    return rows


def _per_period(result: RunResult, name: str) -> dict:
    n, s, ss = result.period_sums[name]
    mean = np.divide(s, n, out=np.full_like(s, np.nan), where=n > 0)
    var = np.divide(ss - n * mean**2, n - 1, out=np.full_like(s, np.nan), where=n > 1)
    half = 1.96 * np.sqrt(np.maximum(var, 0) / np.maximum(n, 1))
    clean = lambda x: [None if not np.isfinite(v) else round(float(v), 6) for v in x]
    return {"mean": clean(mean), "low": clean(mean - half), "high": clean(mean + half)}


def series(written: RunResult, whatif: RunResult, bottleneck: str | None) -> list[dict]:
    """Per-period mean and 95 % band of the charted metrics, both sides, with the period end times."""
    sc = written.scenario
    names = [m for m in SERIES if m in written.period_sums]
    if bottleneck and f"dept.{bottleneck}.utilisation" in written.period_sums:
        names.append(f"dept.{bottleneck}.utilisation")
    ends = [min((p + 1) * sc.period, sc.horizon) for p in range(sc.n_periods())]
    return [{"metric": m, "time": ends, "warmup": sc.warmup, "unit": sc.time_unit,
             WRITTEN: _per_period(written, m), WHATIF: _per_period(whatif, m)} for m in names]


def csv_text(rows: list[dict]) -> str:
    """The comparison as CSV: one row per metric, both sides and the paired difference."""
    head = ["metric"] + [f"{side}_{k}" for side in (WRITTEN, WHATIF, "difference") for k in ("mean", "ci_low", "ci_high")] + ["n"]
    lines = [",".join(head)]
    for r in rows:
        cells = [r["metric"]] + [_cell(r[side][k]) for side in (WRITTEN, WHATIF, "difference") for k in ("mean", "ci_low", "ci_high")]
        lines.append(",".join(cells + [str(r["difference"]["n"])]))
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    return "" if value is None else repr(float(value))
