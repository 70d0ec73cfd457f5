"""Run a chain of units: independent firms that share a scenario's structure, parameters drawn per unit.

Unit *u* draws every field its scenario's ``units.vary`` names from one stream, ``units``, seeded from
(seed, *u*) only, in the order ``vary`` is written and, within a ``*``, in the scenario's order of names;
its replications run with a seed of its own, also from (seed, *u*) only.  So a unit's numbers depend on
neither the number of units, nor the thread count, batch size or backend, and two units share no random
numbers: they are independent firms.  Over units, a metric is each unit's mean over its replications,
then a mean and a confidence interval across units (the units are the sample).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np

from orgsim.engines.reference.draws import sample
from orgsim.errors import ScenarioError
from orgsim.execution import groups
from orgsim.execution.backends import backend_context
from orgsim.execution.checkpoint import FolderLock, scenario_hash
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


UNITS = "units"  # under a chain's checkpoint folder: one checkpoint folder per unit, units/NNN/
MANIFEST = "units.json"  # the chain's record: what a resume must match


def run_units(scenario: Scenario, engine: str, replications: int, seed: int, *, backend=None, batch_size=None,
              checkpoint=None, resume: bool = False, on_batch=None, on_restore=None, on_note=None,
              on_estimate=None) -> RunResult:
    """Every unit of *scenario* for *replications* each; the result's values are the units' means.

    With *checkpoint* (a folder, locked while the chain runs) every unit's finished batches are kept in
    ``checkpoint/units/NNN/`` as a run's are, under a manifest of the whole chain, so *resume* takes back
    every batch already done, unit by unit, and redoes only the rest.
    """
    made = [unit_scenario(scenario, seed, u) for u in range(scenario.units.count)]
    engine = choose_engine(engine, [sc for sc, _ in made], replications)
    folder = None if checkpoint is None else Path(checkpoint)
    with FolderLock(folder) if folder is not None else nullcontext():  # one process at a time on a chain
        if folder is not None:
            groups.prepare(folder, UNITS, MANIFEST, _identity(scenario, engine, seed, replications), resume,
                           "chain of units")
        runs = []
        with backend_context(backend) as be:
            for u, (sc, _) in enumerate(made):
                (res,) = simulate([Variant(f"unit {u}", sc, resolve_headcount(sc))], engine, replications,
                                  unit_seed(seed, u), backend=be, batch_size=batch_size, on_batch=on_batch,
                                  on_estimate=on_estimate if u == 0 else None, resume=resume, on_restore=on_restore,
                                  on_note=on_note, lock_checkpoints=False,
                                  checkpoints=None if folder is None else [groups.run_folder(folder, UNITS, u)])
                runs.append(res)
    _check_correlate(scenario, runs[0].values)
    unit_runs = UnitRuns([p for _, p in made], [unit_seed(seed, u) for u in range(len(made))], runs,
                         scenario.units.correlate)
    return RunResult(
        scenario=scenario, engine=engine, seed=seed, replications=np.arange(len(runs)), values=unit_runs.means(),
        period_sums={k: sum(r.period_sums[k] for r in runs) for k in runs[0].period_sums}, series=None,
        headcount=runs[0].headcount, wall_time=sum(r.wall_time for r in runs), unit_runs=unit_runs,
        extra={"backend": runs[0].extra.get("backend"), "unit_replications": replications,
               "resumed_replications": sum(r.extra.get("resumed_replications", 0) for r in runs)},
    )


def clear_checkpoint(folder) -> None:
    """Delete a chain's checkpoint (its units' batches and its manifest: only orgsim's files) once it has served."""
    groups.clear(Path(folder), UNITS, MANIFEST)


def _identity(scenario: Scenario, engine: str, seed: int, replications: int) -> dict:
    """What a chain's checkpoint records, so a resume of another chain is refused (each unit's folder checks its own)."""
    return {"kind": "units", "scenario": scenario.name, "scenario_hash": scenario_hash(scenario), "engine": engine,
            "seed": int(seed), "replications": int(replications)}
