"""Units: parameters drawn per unit from their stated distributions, reproducible whatever runs them, refused
with field paths when badly shaped; cross-unit correlations with Fisher-z intervals; both engines agree."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from agreement import disagreements
from refusals import problems
from scipy import stats
from units_chain import chain

import orgsim
from orgsim.scenario.loader import validate_mapping
from orgsim.studies.results import fisher_interval
from orgsim.studies.units import draw


def test_draws_follow_their_distributions():
    """2,000 units: a uniform, a triangular and a lognormal multiplier, each tested against its law (KS)."""
    sc = validate_mapping(chain(count=2000), "t")
    drawn = [draw(sc, 5, u) for u in range(2000)]
    skill = np.array([d[("departments", "front", "skill")] for d in drawn])
    other = np.array([d[("departments", "back", "skill")] for d in drawn])
    load = np.array([d[("morale", "load_effect")] for d in drawn])
    factor = np.array([d[("segments", "walkins", "arrivals", "rate")] for d in drawn]) / 2.0
    assert stats.kstest(skill, stats.uniform(0.8, 0.4).cdf).pvalue > 1e-3
    assert stats.kstest(load, stats.triang(1 / 3, loc=1.0, scale=3.0).cdf).pvalue > 1e-3
    sigma = math.sqrt(math.log1p(0.2**2))
    assert stats.kstest(factor, stats.lognorm(sigma, scale=math.exp(-sigma**2 / 2)).cdf).pvalue > 1e-3
    assert abs(np.corrcoef(skill, other)[0, 1]) < 4 / math.sqrt(2000)  # `*`: one independent draw per department


def test_a_units_draws_depend_on_seed_and_unit_only():
    few, many = validate_mapping(chain(count=3), "t"), validate_mapping(chain(count=50), "t")
    assert [draw(few, 9, u) for u in range(3)] == [draw(many, 9, u) for u in range(3)]
    assert draw(few, 9, 0) != draw(few, 9, 1) and draw(few, 9, 0) != draw(few, 10, 0)


def test_units_run_independent_firms_and_report_each():
    res = orgsim.run(validate_mapping(chain(), "t"), engine="simpy", replications=3, seed=2)
    frame = res.units()
    assert sorted(frame["unit"].unique()) == [0, 1, 2, 3]
    assert {"seed", "segments.walkins.arrivals.rate", "departments.back.skill", "morale.load_effect",
            "metric", "mean", "ci_low", "ci_high", "n"} <= set(frame.columns)
    assert frame["seed"].nunique() == 4  # each unit its own replications: no random number shared
    nps = frame.query("metric == 'external.nps'").set_index("unit")["mean"]
    assert res.values["external.nps"] == pytest.approx(nps.to_numpy())  # the run's values: the units' means
    assert res.summary().set_index("metric").loc["external.nps", "n"] == 4
    corr = res.unit_runs.correlations().iloc[0]
    x, y = res.values["firm.engagement"], res.values["external.nps"]
    assert corr["r"] == pytest.approx(np.corrcoef(x, y)[0, 1]) and corr["n"] == 4


def test_fisher_interval_matches_scipy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    y = 0.4 * x + rng.normal(size=30)
    ours = fisher_interval(x, y)
    ref = stats.pearsonr(x, y)
    ci = ref.confidence_interval(0.95)
    assert ours["r"] == pytest.approx(ref.statistic)
    assert (ours["ci_low"], ours["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_units_give_the_same_numbers_whatever_the_batch_split_and_threads():
    sc = validate_mapping(chain(), "t")
    whole = orgsim.run(sc, engine="numba", replications=6, seed=4).to_json()
    split = orgsim.run(sc, engine="numba", replications=6, seed=4, batch_size=1).to_json()
    assert whole["units"] == split["units"] and whole["metrics"] == split["metrics"]
    one_thread = subprocess.run(
        [sys.executable, "-c", "import json, orgsim\nfrom orgsim.scenario.loader import validate_mapping\n"
         f"sc = validate_mapping({chain()!r}, 't')\n"
         "print(json.dumps(orgsim.run(sc, engine='numba', replications=6, seed=4).to_json()['units']))"],
        capture_output=True, text=True, env={"NUMBA_NUM_THREADS": "1", "PATH": ""}, check=True)
    assert json.loads(one_thread.stdout) == json.loads(json.dumps(whole["units"]))


def test_engines_agree_on_units():
    sc = validate_mapping(chain(count=12), "t")
    a = orgsim.run(sc, engine="simpy", replications=4, seed=1)
    b = orgsim.run(sc, engine="numba", replications=4, seed=1)
    assert [r["params"] for r in a.to_json()["units"]["units"]] == [r["params"] for r in b.to_json()["units"]["units"]]
    assert not disagreements(a, b, 0.01 / 40, 40)


def test_a_scenario_without_units_has_no_units_section():
    raw = chain()
    del raw["units"]
    res = orgsim.run(validate_mapping(raw, "t"), engine="simpy", replications=2, seed=1)
    assert "units" not in res.to_json() and res.unit_runs is None
    with pytest.raises(ValueError, match="no units"):
        res.units()


@pytest.mark.parametrize("vary, path, words", [
    ({"departments.frnt.skill": {"dist": "uniform", "low": 1, "high": 2}}, "units.vary.departments.frnt.skill",
     "did you mean `front`"),
    ({"segments.*.arivals.rate": {"dist": "uniform", "low": 1, "high": 2}}, "units.vary.segments.*.arivals.rate",
     "did you mean `arrivals`"),
    ({"departments.*.services": {"dist": "uniform", "low": 1, "high": 2}}, "units.vary.departments.*.services",
     "not a single number"),
    ({"morale.initial": {"dist": "uniform", "low": 0, "high": 1}}, "units.vary.morale.initial", "unset"),
    ({"morale.baseline": {"dist": "normal", "mean": 1}}, "units.vary.morale.baseline.dist", "did you mean `lognormal`"),
    ({"morale.baseline": {"multiply": 3}}, "units.vary.morale.baseline.multiply", "must be a mapping with `dist`"),
    ({"Morale.baseline": {"dist": "uniform", "low": 0, "high": 1}}, "units.vary.Morale.baseline", "field names and `*`"),
    ({"units.count": {"dist": "uniform", "low": 0, "high": 1}}, "units.vary.units.count", "units block itself"),
])
def test_bad_vary_entries_are_refused_with_their_field_path(vary, path, words):
    (problem,) = problems(chain(**vary))
    assert f"f.yaml: {path}:" in problem and words in problem, problem


@pytest.mark.parametrize("units, path, words", [
    ({"count": 1, "vary": {"morale.baseline": {"dist": "uniform", "low": 0, "high": 1}}}, "units.count", ">= 2"),
    ({"count": 3, "vary": {}}, "units.vary", "empty"),
    ({"cont": 3, "vary": {"morale.baseline": {"dist": "uniform", "low": 0, "high": 1}}}, "units.cont",
     "did you mean `count`"),
])
def test_bad_units_blocks_are_refused_with_their_field_path(units, path, words):
    raw = chain()
    raw["units"] = units
    found = problems(raw)
    assert any(f"f.yaml: {path}:" in p and words in p for p in found), found


def test_a_unit_whose_draw_is_invalid_is_named():
    raw = chain(**{"morale.baseline": {"dist": "uniform", "low": 0.5, "high": 3.0}})
    with pytest.raises(orgsim.ScenarioError, match=r"units: unit \d+ \(seed 1; drawn morale.baseline=.*morale.baseline"):
        orgsim.run(validate_mapping(raw, "t"), engine="simpy", replications=2, seed=1)


def test_an_unknown_correlated_metric_is_refused():
    raw = chain()
    raw["units"]["correlate"] = [["firm.engagment", "external.nps"]]
    with pytest.raises(orgsim.ScenarioError, match="units.correlate.0: unknown metric `firm.engagment`; did you mean"):
        orgsim.run(validate_mapping(raw, "t"), engine="simpy", replications=2, seed=1)


def test_cli_writes_units_csv_and_refuses_it_without_units(tmp_path):
    import yaml

    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump(chain()))
    orgsim_cli = [sys.executable, "-m", "orgsim.cli", "run", str(path), "-r", "2", "--engine", "simpy", "--no-progress"]
    done = subprocess.run([*orgsim_cli, "--units-out", str(tmp_path / "u.csv")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "firm.engagement ~ external.nps  r = " in done.stdout
    import pandas as pd

    frame = pd.read_csv(tmp_path / "u.csv")
    assert sorted(frame["unit"].unique()) == [0, 1, 2, 3]
    refused = subprocess.run([*orgsim_cli, "--set", "units=null", "--units-out", str(tmp_path / "v.csv")],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "--units-out needs a scenario with a `units:` block" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize("option, value, why", [("first", 2, "each unit runs replications from 0"),
                                                ("headcount", {"front": 3, "back": 2}, "allocates its own heads")])
def test_what_a_chain_cannot_do_is_refused_with_the_reason(option, value, why):
    with pytest.raises(orgsim.OptionError, match=why):
        orgsim.run(validate_mapping(chain(), "t"), engine="simpy", replications=2, **{option: value})


def test_other_studies_refuse_a_chain_instead_of_dropping_its_units():
    sc = validate_mapping(chain(), "t")
    with pytest.raises(orgsim.ScenarioError, match="only `run` runs a chain of units"):
        orgsim.compare(sc, [orgsim.parse_policy("fixed"), orgsim.parse_policy("sqrt_staffing")], replications=2)
