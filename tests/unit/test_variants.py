"""Process variants: looped cases become their own segment only when their cycle times form a second cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd

import orgsim
from orgsim.eventlog import read_log
from orgsim.eventlog.fitting import case_times, fit_log
from orgsim.eventlog.variants import loop_groups
from orgsim.eventlog.writing import write_scenario

ORIGIN = pd.Timestamp("2024-01-01")


def _log(slow_wait: float, cases: int = 120, looped_every: int = 5, seed: int = 3) -> pd.DataFrame:
    """Cases Ask, Check, Done arriving every 6 h; every *looped_every*-th case checks three times (Check,
    Amend, Check, Amend, Check) and waits about *slow_wait* hours before each check; the others wait 0.1-6 h."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(cases):
        looped = c % looped_every == 0
        t = ORIGIN + pd.Timedelta(hours=6 * c)
        path = ["Ask", "Check", "Amend", "Check", "Amend", "Check", "Done"] if looped else ["Ask", "Check", "Done"]
        for act in path:
            wait = (slow_wait * rng.uniform(0.8, 1.2) if looped else rng.uniform(0.1, 6.0)) if act == "Check" else 0.1
            start = t + pd.Timedelta(hours=wait)
            t = start + pd.Timedelta(hours=0.5 * rng.uniform(0.5, 1.5))
            rows.append((f"c{c}", act, f"r-{act}", start, t))
    return pd.DataFrame(rows, columns=["case_id", "activity", "resource", "start_time", "end_time"])


def _groups(frame: pd.DataFrame):
    log = frame.rename(columns={"case_id": "case", "start_time": "start", "end_time": "end"}).assign(enabled=pd.NaT)
    return loop_groups(log, case_times(log)["cycle"])


def test_looped_cases_in_a_second_cluster_form_their_own_group():
    found = _groups(_log(slow_wait=100.0))
    assert found is not None
    assert found.activity == "Check" and found.passes == 3
    assert (found.group == "repeated").sum() == 24 and (found.group == "fewer").sum() == 96
    assert found.medians["repeated"] > 10 * found.medians["fewer"]


def test_a_loop_that_only_shifts_the_cycle_time_is_no_second_cluster():
    # looped cases wait about 1 h per check: a longer cycle time than most others, but not 2x the others' p90
    assert _groups(_log(slow_wait=1.0)) is None


def test_a_log_without_repeats_has_one_group():
    frame = _log(slow_wait=100.0)
    assert _groups(frame.drop_duplicates(["case_id", "activity"])) is None


def test_the_fit_gives_each_cluster_its_own_segment_routing_and_waits(tmp_path):
    path = tmp_path / "variants.csv"
    _log(slow_wait=100.0).to_csv(path, index=False)
    model = fit_log(read_log(path))
    segments = model.scenario["segments"]
    assert set(segments) == {"cases_fewer", "cases_repeated"}
    rates = {s: sum(spec["arrivals"]["rate"].values()) for s, spec in segments.items()}
    assert rates["cases_repeated"] < rates["cases_fewer"] / 3  # Poisson splitting: a fifth of the arrivals
    assert {"before_check_repeated", "before_check_fewer"} <= set(model.scenario["departments"]["waits"]["services"])
    slow, fast = (model.services[f"wait before Check ({g} cases)"].wall_mean for g in ("repeated", "fewer"))
    assert slow > 50 and fast < 5  # each group's own wait law (written: about 100 h and 0.1-6 h)
    looped = {step["service"]: step["next"] for step in segments["cases_repeated"]["journey"]}
    assert any(k.startswith("waits.before_check_repeated") for k in looped[next(iter(looped))])
    write_scenario(model, tmp_path / "variants.yaml")
    assert orgsim.load(tmp_path / "variants.yaml").segments
