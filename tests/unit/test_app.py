"""The what-if page's computations, without a browser: pairing, edits and their problems, the classroom timeline.

The page's numbers must be what `orgsim.run` gives for the scenario as written and for the edited scenario
with the same seed (paired per replication); a control that breaks the scenario must come back as the
validator's message beside that control; the timeline's counts must agree with what the engine narrates.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import orgsim
from orgsim.app.service import Service, problems
from orgsim.app.timeline import timeline
from orgsim.app.whatif import Edits, apply_edits, csv_text, difference_rows, paired
from orgsim.errors import OptionError, ScenarioError

ORGSIM = str(Path(sys.executable).with_name("orgsim"))


def small_classroom():
    return orgsim.load("classroom", ["horizon=160", "warmup=40"])


def test_paired_differences_are_those_of_two_separate_runs_with_the_same_seed():
    sc = small_classroom()
    whatif = apply_edits(sc, Edits(headcount={"records": 2}))
    written, edited = paired(sc, whatif, replications=4, seed=7, engine="simpy")
    a = orgsim.run(sc, engine="simpy", replications=4, seed=7).values["external.nps"]
    b = orgsim.run(whatif, engine="simpy", replications=4, seed=7).values["external.nps"]
    row = next(r for r in difference_rows(written, edited) if r["metric"] == "external.nps")
    assert row["difference"]["mean"] == pytest.approx(float(np.mean(b - a)), abs=1e-12)
    assert row["as_written"]["mean"] == pytest.approx(float(np.mean(a)), abs=1e-12)
    assert edited.headcount["records"] == 2 and written.headcount["records"] == 1
    assert not np.allclose(a, b)  # a second archivist changes the outcome: the test compares something


def test_a_cached_as_written_result_gives_the_same_pairs_and_no_edits_means_no_difference():
    sc = small_classroom()
    whatif = apply_edits(sc, Edits(demand={"citizens": 0.9}))
    first = paired(sc, whatif, 3, 1, "simpy")
    again = paired(sc, whatif, 3, 1, "simpy", written=first[0])
    assert np.array_equal(first[1].values["external.nps"], again[1].values["external.nps"])
    same = paired(sc, None, 3, 1, "simpy")
    assert all(r["difference"]["mean"] == 0 for r in difference_rows(*same) if r["difference"]["mean"] is not None)


def test_edits_change_exactly_the_fields_they_name():
    sc = orgsim.load("baseline")
    w = apply_edits(sc, Edits(headcount={"it": 4, "operations": 18}, investments={"training": 0}, priority="external_first",
                              demand={"consumers": 1.5, "b2b": 0.5}))
    assert w.departments["it"].headcount == 4 and w.departments["operations"].headcount == 18
    assert w.policy.priority == "external_first"
    assert w.segments["consumers"].arrivals.rate_per_customer == pytest.approx(0.0015)
    assert w.segments["b2b"].arrivals.rate == pytest.approx(1.0)
    assert w.segments["consumers"].arrivals.population == sc.segments["consumers"].arrivals.population


@pytest.mark.parametrize("edits, control, words", [
    (Edits(headcount={"it": 4}), "budget", "41 heads plus 0 invested exceed the budget 40"),
    (Edits(headcount={"it": 1, "operations": 21}), "headcount.it", "unstable"),
    (Edits(investments={"training": 3}), "budget", "exceed the budget 40"),
    (Edits(headcount={"itt": 3}), "headcount.itt", "no such department"),
    (Edits(demand={"consumers": 5.0}), "headcount.", "unstable"),
    (Edits(demand={"consumers": -1.0}), "demand.consumers", "between 0 and"),
])
def test_a_broken_combination_is_the_validators_message_beside_its_control(edits, control, words):
    with pytest.raises(ScenarioError) as err:
        apply_edits(orgsim.load("baseline"), edits)
    found = problems(err.value)
    assert any(p["control"] and p["control"].startswith(control) and words in p["message"] for p in found), found
    assert all("Traceback" not in p["message"] for p in found)


@pytest.mark.parametrize("data, option", [
    ({"headcount": {"it": 3.5}}, "headcount.it"), ({"headcount": {"it": "4"}}, "headcount.it"),
    ({"investments": {"bonus": 1}}, "investments"), ({"priority": "loudest_first"}, "priority"), ({"demand": [1]}, "demand"),
])
def test_malformed_edits_name_the_control(data, option):
    with pytest.raises(OptionError) as err:
        Edits.from_json(data)
    assert err.value.option == option


def test_the_service_keeps_no_state_per_tab_and_its_yaml_runs():
    service = Service("classroom", warm=False)  # no numba: the reference engine's first look answers
    one = service.whatif({"scenario": "classroom", "edits": {"headcount": {"records": 2}}, "seed": 1})
    two = service.whatif({"scenario": "classroom", "edits": {"headcount": {"it": 2}}, "seed": 1})
    again = service.whatif({"scenario": "classroom", "edits": {"headcount": {"records": 2}}, "seed": 1})
    nps = lambda r: next(x for x in r["rows"] if x["metric"] == "external.nps")["difference"]["mean"]
    assert one["headcount"]["what_if"]["records"] == 2 and two["headcount"]["what_if"]["it"] == 2
    assert nps(one) != nps(two) and nps(again) == nps(one)
    name, media, text = service.download("yaml", {"scenario": "classroom", "edits": {"headcount": {"records": 2}}})
    assert name.endswith(".yaml") and media == "application/yaml"
    from orgsim.scenario.loader import parse_text, validate_mapping

    back = validate_mapping(parse_text(text, name)[0], name)
    assert back.departments["records"].headcount == 2 and back.horizon == orgsim.load("classroom").horizon
    _, _, table = service.download("csv", {"scenario": "classroom", "edits": {"headcount": {"records": 2}}})
    assert table.splitlines()[0].startswith("metric,as_written_mean") and "external.nps," in table


def test_the_classroom_timeline_agrees_with_what_the_engine_narrates():
    day = timeline(orgsim.load("classroom"), until=8.0, seed=0)
    steps = day["steps"]
    assert steps and steps[-1]["time"] <= 8.0
    completes = 0
    for s in steps:
        completes += s["event"] == "complete"
        assert s["left"]["served"] == completes
        for d, x in s["departments"].items():
            assert 0 <= x["serving"] + x["blocked"] <= x["heads"], (s["text"], d, x)
        if s["event"] == "queue":  # "... queues at D; K ahead in queue, B of P employees busy" (FIFO)
            ahead, busy, present = map(int, re.search(r"(\d+) ahead in queue, (\d+) of (\d+)", s["text"]).groups())
            x = s["departments"][s["department"]]
            assert len(x["queue"]) == ahead + 1 and x["serving"] + x["blocked"] == busy and x["heads"] == present
    assert any(s["event"] == "block" for s in steps) and any(s["departments"]["records"]["queue"] for s in steps)


@pytest.mark.parametrize("args, words", [(["--port", "70000"], "--port must be at most 65535"),
                                         (["nosuch.yaml"], "nosuch.yaml: no such file")])
def test_orgsim_app_refuses_bad_arguments_in_one_line(args, words):
    done = subprocess.run([ORGSIM, "app", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_csv_has_a_row_per_metric_and_empty_cells_for_missing_intervals():
    sc = small_classroom()
    rows = difference_rows(*paired(sc, apply_edits(sc, Edits(headcount={"it": 2})), 2, 0, "simpy"))
    lines = csv_text(rows).splitlines()
    assert len(lines) == len(rows) + 1 and all(len(line.split(",")) == 11 for line in lines)


def test_the_page_runs_a_chain_of_units_as_one_firm():
    from orgsim.app.sources import Sources

    _, scenario = Sources(None).get({"scenario": "branches"})
    assert scenario.units is None and scenario.measures is not None
    assert orgsim.load("branches").units is not None  # the file keeps its units: only the page drops them
