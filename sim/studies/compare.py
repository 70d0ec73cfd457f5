"""Compare policies on common random numbers: which is best for a metric, by how much, how sure.

Every policy runs the same replication indices with the same seed, so
replication i of every policy sees the same demand (the random streams are
keyed by source name, not by policy).  Differences are therefore paired:
their confidence intervals come from the per-replication differences, which
is what makes small effects visible.  The variance reduction this buys is
reported against what independent runs would give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orgsim import metrics
from orgsim.errors import BudgetError, OptionError, one_line
from orgsim.scenario.checks import suggest
from orgsim.scenario.edit import with_policy
from orgsim.scenario.loader import read_mapping
from orgsim.scenario.schema import ALLOCATIONS, PRIORITIES, Scenario
from orgsim.studies.allocation import headcount
from orgsim.studies.results import RunResult, concat
from orgsim.studies.simulate import Variant, simulate

MAX_REPLICATIONS = 100_000


@dataclass
class PolicySpec:
    """A policy to compare: its label and the policy fields it changes."""

    label: str
    changes: dict


def builtin_names() -> list[str]:
    """The policies that can be named without a file: every allocation rule and queue priority."""
    return list(ALLOCATIONS) + list(PRIORITIES)


def parse_policy(text: str) -> PolicySpec:
    """A built-in name (an allocation or a queue priority) or a YAML file holding a `policy` block."""
    if text in ALLOCATIONS:
        return PolicySpec(text, {"allocation": text})
    if text in PRIORITIES:
        return PolicySpec(text, {"priority": text})
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists():
        raw, _ = read_mapping(path)
        block = raw.get("policy")
        if not isinstance(block, dict):
            raise OptionError("policy", f"{text}: a policy file holds a `policy:` mapping "
                              f"(got keys {', '.join(map(str, raw)) or 'none'})")
        return PolicySpec(one_line(path.stem), block)  # a label is printed: control characters escaped
    raise OptionError(
        "policy", f"{text} is not a built-in policy or a YAML file{suggest(text, builtin_names())} "
        f"(built-in: {', '.join(builtin_names())})"
    )


def apply_policy(scenario: Scenario, spec: PolicySpec) -> Scenario:
    """The scenario with the policy's fields replacing its own (validated like a file)."""
    return with_policy(scenario, f"policy {spec.label}", **spec.changes)


def check_labels(policies: list[PolicySpec]) -> None:
    """Policies in one study need different labels: results are keyed by them."""
    labels = [p.label for p in policies]
    if len(set(labels)) != len(labels):
        raise OptionError("policies", f"labels must differ (got {', '.join(labels)})")


def staffed(scenario: Scenario, spec: PolicySpec) -> Variant:
    """The variant a policy makes of a scenario: its fields applied, its allocation resolved."""
    variant = apply_policy(scenario, spec)
    try:
        return Variant(spec.label, variant, headcount(variant))
    except BudgetError as exc:
        raise BudgetError(f"policy {spec.label}: {exc.problems[0]}") from None


INTERVAL_KEYS = ("mean", "ci_low", "ci_high", "ci_method", "ci_reliable")


def _interval(agg: dict) -> dict:
    """The part of ``metrics.aggregate`` a comparison reports: mean, interval, its method and reliability."""
    return {k: agg[k] for k in INTERVAL_KEYS}


@dataclass
class Comparison:
    """Results of a comparison; ``to_json()`` is the `orgsim compare --format json` object."""

    metric: str
    labels: list[str]
    results: dict[str, RunResult]
    allocations: dict[str, dict[str, int]]
    seed: int
    stats: dict = field(default_factory=dict)

    @property
    def direction(self) -> int:
        return metrics.direction(self.metric) or 1

    def values(self, label: str) -> np.ndarray:
        return self.results[label].values[self.metric]

    def analyse(self, boot: int = 4000) -> Comparison:
        """Means, CIs, paired differences against the best, P(best) and the CRN variance reduction."""
        x = np.column_stack([self.values(label) for label in self.labels])  # replications x policies
        ok = ~np.isnan(x).any(axis=1)
        x = x[ok]
        n = x.shape[0]
        sign = self.direction
        means = x.mean(axis=0)
        best = int(np.argmax(sign * means))
        per_policy = {}
        for k, label in enumerate(self.labels):
            per_policy[label] = _interval(metrics.aggregate(x[:, k], self.metric))
        # P(best): paired bootstrap over replications (keeps the common random numbers together)
        rng = np.random.default_rng([self.seed, 7919])
        idx = rng.integers(0, n, size=(boot, n))
        boot_means = x[idx].mean(axis=1)  # boot x policies
        scored = sign * boot_means
        top = scored.max(axis=1, keepdims=True)
        # policies tied for best in a resample share that win (identical allocations tie exactly)
        wins = np.isclose(scored, top, rtol=1e-12, atol=1e-12)
        share = wins / wins.sum(axis=1, keepdims=True)
        for k, label in enumerate(self.labels):
            per_policy[label]["p_best"] = float(share[:, k].mean())
        differences, reduction = {}, {}
        for k, label in enumerate(self.labels):
            d = x[:, k] - x[:, best]
            agg = metrics.aggregate(d, self.metric, difference=True)
            if k == best:
                agg.update(mean=0.0, ci_low=0.0, ci_high=0.0)
            differences[label] = _interval(agg)
            if k != best and n < 2:
                reduction[label] = float("nan")  # one replication has no variance to reduce
            elif k != best:
                independent = x[:, k].var(ddof=1) + x[:, best].var(ddof=1)
                paired = d.var(ddof=1)
                reduction[label] = float(1 - paired / independent) if independent > 0 else float("nan")
        order = sorted(range(len(self.labels)), key=lambda k: -sign * means[k])
        ranking = [self.labels[k] for k in order]
        tied = [
            label
            for label in ranking[1:]
            if differences[label]["ci_low"] <= 0 <= differences[label]["ci_high"]
            or not np.isfinite(differences[label]["ci_low"])
        ]
        self.stats = {
            "n": n,
            "best": self.labels[best],
            "policies": per_policy,
            "differences": differences,
            "ranking": ranking,
            "tied_with_best": tied,
            "variance_reduction": reduction,
        }
        return self

    def max_half_width(self) -> float:
        return max(
            (p["ci_high"] - p["ci_low"]) / 2 if np.isfinite(p["ci_high"]) else math.inf
            for p in self.stats["policies"].values()
        )

    def answer(self) -> str:
        """The ranked answer in one sentence."""
        s = self.stats
        best = s["best"]
        word = {1: "highest", -1: "lowest"}[self.direction]
        p = s["policies"][best]
        text = (
            f"{best} gives the {word} {self.metric} ({p['mean']:.3g}, 95 % CI {p['ci_low']:.3g} to {p['ci_high']:.3g}; "
            f"P(best) {p['p_best']:.0%})"
        )
        if s["tied_with_best"]:
            text += f", but cannot be told apart from {', '.join(s['tied_with_best'])} with {s['n']} replications"
        elif len(s["ranking"]) > 1:
            runner_up = s["ranking"][1]
            d = s["differences"][runner_up]
            text += (
                f"; it beats the runner-up {runner_up} by {abs(d['mean']):.3g} "
                f"(paired 95 % CI {min(abs(d['ci_low']), abs(d['ci_high'])):.3g} to {max(abs(d['ci_low']), abs(d['ci_high'])):.3g})"
            )
        if not p["ci_reliable"]:
            text += f" (intervals from {metrics.UNRELIABLE})"
        return text + "."

    def to_json(self) -> dict:
        s = self.stats

        return {
            "metric": self.metric,
            "policies": {k: metrics.json_safe(v) for k, v in s["policies"].items()},
            "ranking": s["ranking"],
            "differences": {k: metrics.json_safe(v) for k, v in s["differences"].items()},
        }


def compare(
    scenario: Scenario,
    policies: list[PolicySpec],
    metric: str = "external.nps",
    replications: int = 50,
    seed: int = 0,
    engine: str = "numba",
    precision: float | None = None,
    on_progress=None,
    backend=None,
) -> Comparison:
    """Run every policy on common random numbers and analyse one metric.

    Parameters
    ----------
    scenario : Scenario
        The organisation the policies are applied to.
    policies : list of PolicySpec
        From ``parse_policy`` (a built-in name or a policy file) or built directly.
    metric : str
        The metric to rank by, in its direction (``orgsim.metrics.direction``).
    replications : int
        Replications per policy (the same indices for every policy).
    seed : int
    engine : {"numba", "simpy"}
    precision : float, optional
        Add replications in doubling batches until every policy's CI half-width of *metric* is
        at most this (at most ``MAX_REPLICATIONS``).
    on_progress : callable, optional
        Called with the replications done per policy after each round.
    backend : {"local", "dask"} or backend object, optional

    Returns
    -------
    Comparison
        Means, CIs, paired differences against the best, P(best) and the ranking (``stats``).
    """
    check_labels(policies)
    variants = [staffed(scenario, p) for p in policies]
    labels = [v.label for v in variants]
    done = 0
    batch = replications
    parts: dict[str, list[RunResult]] = {label: [] for label in labels}
    while True:
        for label, res in zip(labels, simulate(variants, engine, batch, seed, first=done, backend=backend)):
            parts[label].append(res)
        done += batch
        if on_progress:
            on_progress(done)
        results = {label: concat(rs) for label, rs in parts.items()}
        if metric not in results[labels[0]].values:
            raise OptionError("metric", f"{metric} is not a metric of this scenario{suggest(metric, results[labels[0]].values)}")
        allocations = {v.label: v.headcount for v in variants}
        comp = Comparison(metric, labels, results, allocations, seed).analyse()
        if precision is None or comp.max_half_width() <= precision or done >= MAX_REPLICATIONS:
            return comp
        batch = min(done, MAX_REPLICATIONS - done)
