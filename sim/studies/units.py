"""Run a chain of units: independent firms that share a scenario's structure, parameters drawn per unit.

Unit *u* draws every field its scenario's ``units.vary`` names from one stream, ``units``, seeded from
(seed, *u*) only, in the order ``vary`` is written and, within a ``*``, in the scenario's order of names;
its replications run with a seed of its own, also from (seed, *u*) only.  So a unit's numbers depend on
neither the number of units, nor the thread count, batch size or backend, and two units share no random
numbers: they are independent firms.  Over units, a metric is each unit's mean over its replications,
then a mean and a confidence interval across units (the units are the sample).
"""

from __future__ import annotations

import numpy as np

from orgsim.engines.reference.draws import sample
from orgsim.errors import ScenarioError
from orgsim.execution.backends import backend_context
from orgsim.kernels import streams
from orgsim.scenario import units as spec
from orgsim.scenario.checks import listing, suggest
from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.schema import Multiply, Scenario
from orgsim.studies.allocation import headcount as resolve_headcount
from orgsim.studies.estimate import choose_engine
from orgsim.studies.results import RunResult, UnitRuns
from orgsim.studies.simulate import Variant, simulate

DRAWS = "units"  # the stream of a unit's parameters
SEEDS = "units/seed"  # the stream the seed of a unit's replications comes from


def draw(scenario: Scenario, seed: int, unit: int) -> dict[tuple, float]:
    """The values unit *unit* gives the fields ``units.vary`` names (field path -> value)."""
    rng = streams.generator(seed, unit, DRAWS)
    raw = spec.tree(scenario)
    values: dict[tuple, float] = {}
    for pattern, dist in scenario.units.vary.items():
        paths, _ = spec.expand(raw, pattern)
        for path in paths:
            if isinstance(dist, Multiply):
                node = raw
                for key in path:
                    node = node[key]
                values[path] = node * sample(rng, dist.multiply)
            else:
                values[path] = sample(rng, dist)
    return values


def unit_seed(seed: int, unit: int) -> int:
    """The seed of unit *unit*'s replications (from (seed, unit) only)."""
    return int(streams.seed_sequence(seed, unit, SEEDS).generate_state(1, np.uint32)[0])


def unit_scenario(scenario: Scenario, seed: int, unit: int) -> tuple[Scenario, dict[str, float]]:
    """Unit *unit* as a scenario of its own (validated like a file), and its drawn parameters by path."""
    values = draw(scenario, seed, unit)
    label = f"{scenario.name} unit {unit}"
    try:
        sc = validate_mapping(spec.unit_mapping(scenario, values), label)
    except ScenarioError as err:
        drawn = ", ".join(f"{'.'.join(map(str, p))}={v:.4g}" for p, v in values.items())
        raise ScenarioError([f"units: unit {unit} (seed {seed}; drawn {drawn}) is not a valid scenario: {problem}"
                             for problem in err.problems]) from None
    return sc, {".".join(map(str, p)): float(_value_at(sc, p)) for p in values}


def _value_at(scenario: Scenario, path: tuple):
    """The value at a field path of a validated scenario."""
    node = scenario
    for key in path:
        node = node[key] if isinstance(node, dict) else getattr(node, key)
    return node


def _check_correlate(scenario: Scenario, produced) -> None:
    """Every metric ``units.correlate`` names is one the units report."""
    problems = [f"{scenario.name}: units.correlate.{i}: unknown metric `{name}`{suggest(name, produced)} (this "
                f"scenario reports {listing(produced)})"
                for i, pair in enumerate(scenario.units.correlate) for name in pair if name not in produced]
    if problems:
        raise ScenarioError(problems)


def run_units(scenario: Scenario, engine: str, replications: int, seed: int, *, backend=None, batch_size=None,
              on_batch=None, on_estimate=None) -> RunResult:
    """Every unit of *scenario* for *replications* each; the result's values are the units' means."""
    made = [unit_scenario(scenario, seed, u) for u in range(scenario.units.count)]
    engine = choose_engine(engine, [sc for sc, _ in made], replications)
    runs = []
    with backend_context(backend) as be:
        for u, (sc, _) in enumerate(made):
            (res,) = simulate([Variant(f"unit {u}", sc, resolve_headcount(sc))], engine, replications,
                              unit_seed(seed, u), backend=be, batch_size=batch_size, on_batch=on_batch,
                              on_estimate=on_estimate if u == 0 else None)
            runs.append(res)
    _check_correlate(scenario, runs[0].values)
    unit_runs = UnitRuns([p for _, p in made], [unit_seed(seed, u) for u in range(len(made))], runs,
                         scenario.units.correlate)
    return RunResult(
        scenario=scenario, engine=engine, seed=seed, replications=np.arange(len(runs)), values=unit_runs.means(),
        period_sums={k: sum(r.period_sums[k] for r in runs) for k in runs[0].period_sums}, series=None,
        headcount=runs[0].headcount, wall_time=sum(r.wall_time for r in runs), unit_runs=unit_runs,
        extra={"backend": runs[0].extra.get("backend"), "unit_replications": replications},
    )
