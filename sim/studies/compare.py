"""Compare policies and what-if variants on common random numbers: which is best for a metric, by how much, how sure.

Every arm (a policy, or a variant of the scenario: ``orgsim.studies.plans``) runs the same replication
indices with the same seed, so replication i of every arm sees the same demand (the random streams are
keyed by source name, not by policy).  Differences are therefore paired: their confidence intervals come
from the per-replication differences, which is what makes small effects visible.  The variance reduction
this buys is reported against what independent runs would give.  Arms that resolve to one plan run once
and are shown once, with all their names.  With variants, the scenario as written is an arm too and every
arm's paired difference against it is reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim import metrics
from orgsim.errors import BudgetError, OptionError, one_line
from orgsim.scenario.checks import suggest
from orgsim.scenario.edit import with_policy
from orgsim.scenario.loader import read_mapping
from orgsim.scenario.schema import ALLOCATIONS, PRIORITIES, Scenario
from orgsim.studies.allocation import resolve
from orgsim.studies.ceiling import mean_cost, money, require_prices, within
from orgsim.studies.estimate import choose_engine
from orgsim.studies.plans import VariantSpec, apply_variant, cost, group, variant_specs
from orgsim.studies.results import RunResult, concat
from orgsim.studies.simulate import AS_SCENARIO, Variant, simulate

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


def check_labels(arms: list[PolicySpec | VariantSpec]) -> None:
    """Policies and variants in one study need different labels: results are keyed by them."""
    labels = [p.label for p in arms]
    if len(set(labels)) != len(labels):
        raise OptionError("policies", f"labels must differ (got {', '.join(labels)})")


def staffed(scenario: Scenario, spec: PolicySpec | VariantSpec | None, on_batch=None, on_plan=None) -> Variant:
    """The arm a policy or variant makes of a scenario (None: as written), its allocation resolved (searched for ``optimised``)."""
    if spec is None:
        label, what, changed = AS_SCENARIO, "scenario", scenario
    elif isinstance(spec, VariantSpec):
        label, what, changed = spec.label, "variant", apply_variant(scenario, spec)
    else:
        label, what, changed = spec.label, "policy", apply_policy(scenario, spec)
    try:
        return Variant(label, *resolve(changed, on_batch, on_plan))
    except BudgetError as exc:
        raise BudgetError(f"{what} {label}: {exc.problems[0]}") from None


INTERVAL_KEYS = ("mean", "ci_low", "ci_high", "ci_method", "ci_reliable")


def _interval(agg: dict) -> dict:
    """The part of ``metrics.aggregate`` a comparison reports: mean, interval, its method and reliability."""
    return {k: agg[k] for k in INTERVAL_KEYS}


def _paired(x: np.ndarray, k: int, j: int, metric: str) -> dict:
    """Mean and 95 % CI of column k minus column j, replication by replication (0 for a column against itself)."""
    agg = metrics.aggregate(x[:, k] - x[:, j], metric, difference=True)
    if k == j:
        agg.update(mean=0.0, ci_low=0.0, ci_high=0.0)
    return _interval(agg)


@dataclass
class Comparison:
    """Results of a comparison; ``summary()`` is its table, ``to_json()`` the `orgsim compare --format json` object.

    ``labels`` name one arm per plan (the first of its names); ``names`` lists every policy or variant
    that resolved to that plan; ``reference`` is the arm differences are also taken against (the
    scenario as written, when variants are compared, or the arm named); ``specs`` records what each name
    changed, and ``scenario`` the scenario they changed.  With a ``cost_ceiling``, arms whose mean
    ``firm.cost`` exceeds it are not ranked: the best and P(best) are among the arms within it.
    """

    metric: str
    labels: list[str]
    results: dict[str, RunResult]
    allocations: dict[str, dict[str, int]]
    seed: int
    stats: dict = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)
    reference: str | None = None
    specs: dict[str, dict] = field(default_factory=dict)
    scenario: Scenario | None = None
    cost_ceiling: float | None = None

    def __post_init__(self):
        self.names = {label: list(self.names.get(label, [label])) for label in self.labels}

    @property
    def engine(self) -> str:
        """The engine every policy ran on (``auto`` resolved)."""
        return self.results[self.labels[0]].engine

    @property
    def direction(self) -> int:
        """+1 if a higher metric is better, -1 if lower (a metric with no direction ranks higher first)."""
        return metrics.direction(self.metric) or 1

    def title(self, label: str) -> str:
        """An arm as shown: all the names that resolved to its plan (``sqrt_staffing = optimised``)."""
        return " = ".join(self.names[label])

    def cost(self, label: str) -> dict:
        """The arm's allocation, investments, heads, cost (heads + invested) and budget."""
        res = self.results[label]
        return cost(res.scenario, self.allocations[label])

    def values(self, label: str) -> np.ndarray:
        """The arm's per-replication values of the ranked metric, in replication order."""
        return self.results[label].values[self.metric]

    def for_metric(self, metric: str) -> Comparison:
        """The same runs analysed for another metric (no simulation: every arm's replications are kept)."""
        if metric not in self.results[self.labels[0]].values:
            raise OptionError("metric", f"{metric} is not a metric of this scenario"
                              f"{suggest(metric, self.results[self.labels[0]].values)}")
        return Comparison(metric, self.labels, self.results, self.allocations, self.seed, names=self.names,
                          reference=self.reference, specs=self.specs, scenario=self.scenario,
                          cost_ceiling=self.cost_ceiling).analyse()

    def _eligible(self) -> np.ndarray:
        """Per arm: is its mean ``firm.cost`` within the ceiling?  Refused when no arm's is."""
        ok = np.array([within(self.results[label].values, self.cost_ceiling) for label in self.labels])
        if not ok.any():
            cheapest = min(self.labels, key=lambda label: mean_cost(self.results[label].values))
            raise OptionError("cost_ceiling", f"{money(self.cost_ceiling)} is below every arm's mean firm.cost (the least: "
                              f"{self.title(cheapest)}, {mean_cost(self.results[cheapest].values):,.0f})")
        return ok

    def analyse(self, boot: int = 4000) -> Comparison:
        """Means, CIs, paired differences against the best (and the reference), P(best) and the CRN variance reduction."""
        x = np.column_stack([self.values(label) for label in self.labels])  # replications x policies
        ok = ~np.isnan(x).any(axis=1)
        x = x[ok]
        n = x.shape[0]
        sign = self.direction
        means = x.mean(axis=0)
        eligible = self._eligible()
        best = int(np.argmax(np.where(eligible, sign * means, -np.inf)))
        per_policy = {}
        for k, label in enumerate(self.labels):
            per_policy[label] = _interval(metrics.aggregate(x[:, k], self.metric))
        # P(best): paired bootstrap over replications (keeps the common random numbers together)
        rng = np.random.default_rng([self.seed, 7919])
        idx = rng.integers(0, n, size=(boot, n))
        boot_means = x[idx].mean(axis=1)  # boot x policies
        scored = np.where(eligible, sign * boot_means, -np.inf)  # an arm over the ceiling is never best
        top = scored.max(axis=1, keepdims=True)
        # policies tied for best in a resample share that win
        wins = np.isclose(scored, top, rtol=1e-12, atol=1e-12)
        share = wins / wins.sum(axis=1, keepdims=True)
        for k, label in enumerate(self.labels):
            per_policy[label]["p_best"] = float(share[:, k].mean())
        differences = {label: _paired(x, k, best, self.metric) for k, label in enumerate(self.labels)}
        reduction = {}
        for k, label in enumerate(self.labels):
            if k != best and n < 2:
                reduction[label] = float("nan")  # one replication has no variance to reduce
            elif k != best:
                independent = x[:, k].var(ddof=1) + x[:, best].var(ddof=1)
                paired = (x[:, k] - x[:, best]).var(ddof=1)
                reduction[label] = float(1 - paired / independent) if independent > 0 else float("nan")
        order = sorted(np.flatnonzero(eligible), key=lambda k: -sign * means[k])
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
        if self.cost_ceiling is not None:
            self.stats["cost_ceiling"] = self.cost_ceiling
            self.stats["firm_cost"] = {label: mean_cost(self.results[label].values) for label in self.labels}
            self.stats["over_ceiling"] = [label for k, label in enumerate(self.labels) if not eligible[k]]
        if self.reference is not None:
            ref = self.labels.index(self.reference)
            self.stats["against_reference"] = {label: _paired(x, k, ref, self.metric) for k, label in enumerate(self.labels)}
        return self

    def max_half_width(self) -> float:
        """The widest CI half-width of any arm's mean (what ``--precision`` drives down)."""
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
        within_text = f"Within the cost ceiling of {money(s['cost_ceiling'])}, " if "cost_ceiling" in s else ""
        text = within_text + (
            f"{self.title(best)} gives the {word} {self.metric} ({p['mean']:.3g}, 95 % CI {p['ci_low']:.3g} to "
            f"{p['ci_high']:.3g}; P(best) {p['p_best']:.0%})"
        )
        if s["tied_with_best"]:
            text += (f", but cannot be told apart from {', '.join(map(self.title, s['tied_with_best']))} "
                     f"with {s['n']} replications")
        elif len(s["ranking"]) > 1:
            runner_up = s["ranking"][1]
            d = s["differences"][runner_up]
            text += (
                f"; it beats the runner-up {self.title(runner_up)} by {abs(d['mean']):.3g} "
                f"(paired 95 % CI {min(abs(d['ci_low']), abs(d['ci_high'])):.3g} to {max(abs(d['ci_low']), abs(d['ci_high'])):.3g})"
            )
        if not p["ci_reliable"]:
            text += f" (intervals from {metrics.UNRELIABLE})"
        over = s.get("over_ceiling")
        if over:
            verb = "costs more than the ceiling and is" if len(over) == 1 else "cost more than the ceiling and are"
            text += f"; {', '.join(map(self.title, over))} {verb} not ranked"
        return text + "."

    def shown(self) -> list[tuple[int | None, str]]:
        """Every arm as a table lists it: (rank, label), the ranked ones best first, then those over the ceiling."""
        s = self.stats
        return list(enumerate(s["ranking"], 1)) + [(None, label) for label in s.get("over_ceiling", [])]

    def summary(self) -> pd.DataFrame:
        """One row per arm, best first: names, metric mean and CI, P(best), paired differences, spending, n."""
        s = self.stats
        rows = []
        for rank, label in self.shown():
            p, d = s["policies"][label], s["differences"][label]
            row = {"rank": rank, "policy": label, "names": self.title(label), "mean": p["mean"], "ci_low": p["ci_low"],
                   "ci_high": p["ci_high"], "p_best": p["p_best"], "minus_best": d["mean"],
                   "minus_best_ci_low": d["ci_low"], "minus_best_ci_high": d["ci_high"]}
            if "against_reference" in s:
                r = s["against_reference"][label]
                row |= {"minus_reference": r["mean"], "minus_reference_ci_low": r["ci_low"],
                        "minus_reference_ci_high": r["ci_high"]}
            if "cost_ceiling" in s:
                row |= {"firm_cost": s["firm_cost"][label], "over_ceiling": rank is None}
            c = self.cost(label)
            row |= {"heads": c["heads"], "cost": c["cost"], "budget": c["budget"], "n": s["n"]}
            rows.append(row)
        return pd.DataFrame(rows)

    def to_json(self) -> dict:
        """What was compared and found, with what it takes to run it again (scenario, engine, seed, each arm's changes)."""
        s = self.stats
        scenario = self.scenario or self.results[self.labels[0]].scenario
        policies = {}
        for label in self.labels:
            res = self.results[label]
            policies[label] = {
                **metrics.json_safe(s["policies"][label]),
                "names": self.names[label],
                **self.cost(label),
                "n": int(len(res.replications)),
                "seed": int(res.seed),
                "changes": {name: self.specs.get(name, {}) for name in self.names[label]},
                **({"firm_cost": s["firm_cost"][label]} if "cost_ceiling" in s else {}),
            }
        out = {
            "metric": self.metric,
            "scenario": scenario.name,
            "scenario_definition": scenario.model_dump(mode="json"),
            "engine": self.engine,
            "seed": int(self.seed),
            "replications": int(len(self.results[self.labels[0]].replications)),
            "policies": policies,
            "ranking": s["ranking"],
            "differences": {k: metrics.json_safe(v) for k, v in s["differences"].items()},
        }
        if "against_reference" in s:
            out["reference"] = self.reference
            out["against_reference"] = {k: metrics.json_safe(v) for k, v in s["against_reference"].items()}
        if "cost_ceiling" in s:
            out["cost_ceiling"] = s["cost_ceiling"]
            out["over_ceiling"] = s["over_ceiling"]
        return out


def compare(
    scenario: Scenario,
    policies: Sequence[PolicySpec] | None = None,
    metric: str = "external.nps",
    replications: int = 50,
    seed: int = 0,
    engine: str = "auto",
    precision: float | None = None,
    backend=None,
    on_batch=None,
    on_plan=None,
    *,
    variants: Sequence[VariantSpec] | Mapping[str, Mapping[str, object]] | None = None,
    reference: str | None = None,
    cost_ceiling: float | None = None,
) -> Comparison:
    """Run every policy and variant on common random numbers and analyse one metric.

    Parameters
    ----------
    scenario : Scenario
        The organisation the policies are applied to.
    policies : list of PolicySpec, optional
        From ``parse_policy`` (a built-in name or a policy file) or built directly.
    metric : str
        The metric to rank by, in its direction (``orgsim.metrics.direction``).
    replications : int
        Replications per arm (the same indices for every arm).
    seed : int
    engine : {"auto", "simpy", "numba"}
        ``auto`` chooses by the size of the first round (``orgsim.studies.estimate.choose_engine``).
    precision : float, optional
        Add replications in doubling batches until every arm's CI half-width of *metric* is
        at most this (at most ``MAX_REPLICATIONS``).
    backend : {"local", "dask"} or backend object, optional
    on_batch, on_plan : callable, optional
        Progress: ``on_batch(n)`` after each batch of *n* replications; ``on_plan(total, what)`` when the
        replications to run are known (``what`` is ``"replications"``; called again when *precision* adds
        a round) and during the search of an ``optimised`` policy (see ``orgsim.optimise``).
    variants : mapping or list of VariantSpec, optional
        What-ifs: ``{"it4": {"departments.it.headcount": 4}}`` (label -> field path -> value) or
        ``parse_variant`` results.  With variants, the scenario as written is compared too, as
        ``as_scenario``, and every arm's paired difference against it is in ``stats["against_reference"]``.
    reference : str, optional
        Without variants: the label of the policy every arm's paired difference is also taken against
        (``stats["against_reference"]``).
    cost_ceiling : float, optional
        Most the firm may pay (mean ``firm.cost``, from the scenario's ``costs``): arms over it are
        listed in ``stats["over_ceiling"]`` and not ranked; the best is the best within it.

    Returns
    -------
    Comparison
        Means, CIs, paired differences against the best, P(best) and the ranking (``stats``,
        ``summary()``).  Arms that resolve to one plan (headcount, investments and every other
        field the engines read) run once and are one row, named by all of them.
    """
    policies, whatifs = list(policies or []), variant_specs(variants)
    if not policies and not whatifs:
        raise OptionError("policies", "none given, and no variants: give at least one policy or variant to compare")
    if any(v.label == AS_SCENARIO for v in whatifs):
        raise OptionError("variant", f"{AS_SCENARIO} names the scenario as written, the reference; choose another label")
    check_labels([*policies, *whatifs, *([PolicySpec(AS_SCENARIO, {})] if whatifs else [])])
    require_prices(scenario, cost_ceiling)
    _check_reference(reference, policies, whatifs)
    arms = [staffed(scenario, None, on_batch, on_plan)] if whatifs else []
    arms += [staffed(scenario, spec, on_batch, on_plan) for spec in [*policies, *whatifs]]
    groups = group(arms)
    variants_run = [g[0] for g in groups]
    engine = choose_engine(engine, [v.scenario for v in variants_run], replications)
    labels = [v.label for v in variants_run]
    head = {v.label: g[0].label for g in groups for v in g}  # a reference that shares a plan is its plan's arm
    reference = AS_SCENARIO if whatifs else head.get(reference)
    specs = {AS_SCENARIO: {}} | {p.label: {"policy": p.changes} for p in policies}
    specs |= {v.label: {"set": v.overrides} for v in whatifs}
    done = 0
    batch = replications
    parts: dict[str, list[RunResult]] = {label: [] for label in labels}
    while True:
        if on_plan is not None:
            on_plan((done + batch) * len(variants_run), "replications")
        for label, res in zip(labels, simulate(variants_run, engine, batch, seed, first=done, backend=backend,
                                               on_batch=on_batch)):
            parts[label].append(res)
        done += batch
        results = {label: concat(rs) for label, rs in parts.items()}
        if metric not in results[labels[0]].values:
            raise OptionError("metric", f"{metric} is not a metric of this scenario{suggest(metric, results[labels[0]].values)}")
        comp = Comparison(metric, labels, results, {v.label: v.headcount for v in variants_run}, seed,
                          names={g[0].label: [v.label for v in g] for g in groups},
                          reference=reference, specs=specs, scenario=scenario, cost_ceiling=cost_ceiling).analyse()
        if precision is None or comp.max_half_width() <= precision or done >= MAX_REPLICATIONS:
            return comp
        batch = min(done, MAX_REPLICATIONS - done)


def _check_reference(reference: str | None, policies: list[PolicySpec], whatifs: list[VariantSpec]) -> None:
    """A named reference is one of the policies compared; with variants the scenario as written is the reference."""
    if reference is None:
        return
    if whatifs:
        raise OptionError("reference", f"cannot be named with variants: the scenario as written ({AS_SCENARIO}) is theirs")
    labels = [p.label for p in policies]
    if reference not in labels:
        raise OptionError("reference", f"{reference} is not a policy compared{suggest(reference, labels)} "
                          f"(policies: {', '.join(labels)})")
