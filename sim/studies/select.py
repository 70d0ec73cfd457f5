"""Select the best policy with a stated guarantee: KN on common random numbers, replications added in batches.

``compare`` estimates and ranks; raising its replications can flip a winner that had a high P(best),
since P(best) is no guarantee.  ``select`` runs Kim & Nelson's procedure (``orgsim.studies.kn``): a
first stage of ``first_stage`` replications of every policy, then further replications, only for the
policies still in contention, until one is left.  If the best policy's mean is at least ``delta``
better than every other's, it is the one selected with probability at least ``1 - alpha``.

Replication *i* of every policy uses the same random streams (``simulate`` with the same indices), so
the variances KN uses are those of paired differences.  Replications are simulated in batches (a
fifth of those done so far) and fed to KN one at a time, so KN decides exactly as if it had asked
for one at a time; replications of a batch simulated after a policy's elimination are not used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from orgsim import metrics
from orgsim.errors import OptionError
from orgsim.scenario.checks import suggest
from orgsim.scenario.schema import Scenario
from orgsim.studies.compare import MAX_REPLICATIONS, PolicySpec, check_labels, staffed
from orgsim.studies.kn import KN, bonferroni_n
from orgsim.studies.results import RunResult, concat
from orgsim.studies.simulate import simulate


@dataclass
class Selection:
    """What ``select`` found; ``to_json()`` is the `orgsim compare --select --format json` object."""

    metric: str
    labels: list[str]
    selected: str
    delta: float
    alpha: float
    first_stage: int
    seed: int
    used: dict[str, int]  # replications KN used of each policy
    simulated: dict[str, int]  # replications simulated of each policy (a batch may outrun an elimination)
    means: dict[str, float]  # each policy's mean over the replications KN used
    eliminated: list[dict]  # {"policy", "after", "tied"}: in the order they left; tied: the same mean as the selected one
    bound: int  # the most replications any policy could have needed
    fixed: int  # replications per policy a fixed equal allocation needs for the same guarantee
    allocations: dict[str, dict[str, int]] = field(default_factory=dict)
    results: dict[str, RunResult] = field(default_factory=dict)

    def guarantee(self) -> str:
        """The promise the procedure keeps, in one clause (the indifference zone and the probability)."""
        better = {1: "higher", -1: "lower"}[metrics.direction(self.metric) or 1]
        return (f"if the best policy's {self.metric} is at least {self.delta:g} {better} than every other's, "
                f"it is the one selected with probability at least {1 - self.alpha:.0%}")

    def answer(self) -> str:
        """The selection in one sentence, with its guarantee and the replications it saved."""
        total = sum(self.simulated.values())
        equal = self.fixed * len(self.labels)
        return (f"{self.selected} is selected: {self.guarantee()} (Kim-Nelson procedure on common random numbers; "
                f"{total} replications simulated, against {equal} for a fixed equal allocation with the same guarantee).")

    def to_json(self) -> dict:
        """The `orgsim compare --select --format json` object."""
        return {
            "metric": self.metric,
            "selected": self.selected,
            "procedure": "KN (Kim and Nelson 2001), common random numbers",
            "delta": self.delta,
            "alpha": self.alpha,
            "guarantee": self.guarantee(),
            "first_stage": self.first_stage,
            "policies": {k: {"mean": self.means[k], "replications_used": self.used[k],
                             "replications_simulated": self.simulated[k]} for k in self.labels},
            "eliminated": self.eliminated,
            "replications_simulated": sum(self.simulated.values()),
            "most_replications_needed": self.bound,
            "fixed_equal_allocation": {"per_policy": self.fixed, "total": self.fixed * len(self.labels)},
        }


def _check(delta: float, alpha: float, first_stage: int, policies: list[PolicySpec]) -> None:
    if not (isinstance(delta, (int, float)) and math.isfinite(delta) and delta > 0):
        raise OptionError("delta", f"must be a number > 0, the smallest difference worth detecting (got {delta})")
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise OptionError("alpha", f"must be between 0 and 1, e.g. 0.05 for 95 % (got {alpha})")
    if first_stage < 2:
        raise OptionError("first_stage", f"must be at least 2: the first stage estimates variances (got {first_stage})")
    if len(policies) < 2:
        raise OptionError("policies", f"selection needs at least 2 policies (got {len(policies)})")


def _observations(results: list[RunResult], metric: str, labels: list[str], sign: int) -> np.ndarray:
    """Replications x policies, oriented so that larger is better; a metric undefined in a replication is refused."""
    if metric not in results[0].values:
        raise OptionError("metric", f"{metric} is not a metric of this scenario{suggest(metric, results[0].values)}")
    x = sign * np.column_stack([r.values[metric] for r in results])
    if np.isnan(x).any():
        row, col = np.argwhere(np.isnan(x))[0]
        raise OptionError("metric", f"{metric} is undefined in replication {int(results[col].replications[row])} of "
                          f"policy {labels[col]} (nothing to measure); selection needs a value in every replication")
    return x


def select(
    scenario: Scenario,
    policies: list[PolicySpec],
    delta: float,
    alpha: float = 0.05,
    metric: str = "external.nps",
    first_stage: int = 20,
    seed: int = 0,
    engine: str = "numba",
    backend=None,
    on_progress=None,
) -> Selection:
    """Select the best policy for a metric with a guarantee: KN on common random numbers.

    Parameters
    ----------
    scenario : Scenario
        The organisation the policies are applied to.
    policies : list of PolicySpec
        At least two, from ``parse_policy`` or built directly.
    delta : float
        The indifference zone: the smallest difference in *metric* worth detecting.
    alpha : float
        The guarantee is a probability of correct selection of at least ``1 - alpha``.
    metric : str
        The metric to select by, in its direction (``orgsim.metrics.direction``).
    first_stage : int
        Replications of every policy before any is eliminated (at least 2; more gives sharper variances).
    seed : int
    engine : {"numba", "simpy"}
    backend : {"local", "dask"} or backend object, optional
    on_progress : callable, optional
        Called with the replications simulated so far (all policies) after each batch.

    Returns
    -------
    Selection
        The selected policy, the guarantee, replications used and simulated per policy, the order of
        eliminations, and the fixed equal allocation that the same guarantee would need.
    """
    _check(delta, alpha, first_stage, policies)
    check_labels(policies)
    variants = [staffed(scenario, p) for p in policies]
    labels = [v.label for v in variants]
    sign = metrics.direction(metric) or 1
    parts: dict[str, list[RunResult]] = {label: [] for label in labels}
    simulated = dict.fromkeys(labels, 0)

    def more(which: list[int], first: int, n: int) -> np.ndarray:
        rows = np.full((n, len(labels)), np.nan)
        runs = simulate([variants[k] for k in which], engine, n, seed, first=first, mode="none", backend=backend)
        rows[:, which] = _observations(runs, metric, [labels[k] for k in which], sign)
        for k, res in zip(which, runs):
            parts[labels[k]].append(res)
            simulated[labels[k]] += n
        if on_progress:
            on_progress(sum(simulated.values()))
        return rows

    first = more(list(range(len(labels))), 0, first_stage)
    kn = KN(first, alpha, delta)
    fixed = bonferroni_n(first, alpha, delta)
    if kn.bound > MAX_REPLICATIONS:
        raise OptionError("delta", f"{delta:g} would need up to {kn.bound:,} replications per policy (more than "
                          f"{MAX_REPLICATIONS:,}) at these variances; give a larger delta or alpha")
    done = first_stage
    while not kn.done:
        n = min(max(1, done // 5), kn.bound - done)
        kn.add(more(np.flatnonzero(kn.alive).tolist(), done, n))
        done += n
    means = kn.means()
    return Selection(
        metric=metric, labels=labels, selected=labels[kn.selected], delta=float(delta), alpha=float(alpha),
        first_stage=first_stage, seed=seed, used={label: int(kn.used[k]) for k, label in enumerate(labels)},
        simulated=simulated, means={label: float(sign * means[k]) for k, label in enumerate(labels)},
        eliminated=[{"policy": labels[i], "after": r, "tied": i in kn.tied} for i, r in kn.eliminated], bound=kn.bound,
        fixed=fixed,
        allocations={v.label: v.headcount for v in variants},
        results={label: concat(rs) for label, rs in parts.items()},
    )
