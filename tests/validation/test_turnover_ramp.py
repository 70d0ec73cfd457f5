"""Turnover costs speed (README, Model: period boundaries, 3b), both engines.

A department's work takes 1 / (1 - (1 - newcomer_speed) * min(L, h) / h) times as long in a period whose
opening boundary saw L leavers over the last ramp_periods boundaries; the engines agree with the rule on.
"""

from __future__ import annotations

import numpy as np
import pytest
from agreement import disagreements

import orgsim
from orgsim import metrics, policies
from orgsim.engines.api import engine_function
from orgsim.kernels import layout
from orgsim.scenario.loader import validate_mapping

ENGINES = ("simpy", "numba")
HEADS, NEWCOMER, RAMP = 4, 0.25, 2


def desk(**morale) -> dict:
    """Four employees at half load; morale pinned at its baseline, so leaving is a steady 5 % per boundary."""
    return {
        "name": "ramp", "time_unit": "hour", "horizon": 2000, "warmup": 200, "period": 40,
        "departments": {"desk": {"headcount": HEADS, "services": {"serve": {"time": {"dist": "exponential", "mean": 1.0}}}}},
        "segments": {"walkins": {"arrivals": {"rate": 2.0}, "journey": ["desk.serve"], "expectation": 2.0}},
        "morale": {"enabled": True, "load_effect": 0.0, "blocked_effect": 0.0, "attrition_rate": 0.05,
                   "hiring_delay": 0.0, "newcomer_speed": NEWCOMER, "ramp_periods": RAMP, **morale},
    }


def periods(raw: dict, engine: str, reps: int):
    """Per replication and period: the desk's busy time, services done and leavers drawn at the closing boundary."""
    sc = validate_mapping(raw, "t")
    out = engine_function(engine)(policies.effective_scenario(sc), {"desk": HEADS}, 7, np.arange(reps))
    p = layout.unpack(out.periods, metrics.structure(sc).period_blocks())
    return p["dept_busy"][..., 0], p["dept_done"][..., 0], p["dept_leavers"][..., 0]


def work_per_service_by_recent_leavers(busy, done, leavers) -> dict[int, float]:
    """Busy time per service done, pooled over the periods whose opening boundaries drew L leavers in all."""
    recent = sum(np.roll(leavers, j, axis=1) for j in range(RAMP))  # leavers at boundaries k-RAMP+1 .. k
    recent[:, :RAMP - 1] = -1  # fewer than RAMP boundaries before: not used
    opened = recent[:, :-1]  # the boundary closing period k opens period k+1
    b, d = busy[:, 1:], done[:, 1:]
    return {L: b[opened == L].sum() / d[opened == L].sum() for L in (0, 1, 2)}


@pytest.mark.parametrize("engine", ENGINES)
def test_recent_leavers_slow_the_department_by_the_formula(engine):
    per = work_per_service_by_recent_leavers(*periods(desk(), engine, reps=40 if engine == "numba" else 12))
    for L in (1, 2):
        expected = 1.0 / (1.0 - (1.0 - NEWCOMER) * L / HEADS)  # 1.23 and 1.60
        assert per[L] / per[0] == pytest.approx(expected, rel=0.06), (L, per)


@pytest.mark.parametrize("engine", ENGINES)
def test_without_the_ramp_leavers_do_not_slow_the_department(engine):
    per = work_per_service_by_recent_leavers(*periods(desk(ramp_periods=0), engine, reps=40 if engine == "numba" else 12))
    for L in (1, 2):
        assert per[L] / per[0] == pytest.approx(1.0, rel=0.06), (L, per)


def test_engines_agree_with_the_ramp_on():
    raw = desk(load_effect=2.0, utilisation_threshold=0.3)  # morale moves, so leaving varies with load
    raw["measures"] = {"turnover": True, "productivity": True, "engagement": True, "year": 2000}
    sc = validate_mapping(raw, "t")
    a = orgsim.run(sc, engine="simpy", replications=30, seed=1)
    b = orgsim.run(sc, engine="numba", replications=30, seed=2)
    assert not disagreements(a, b, 0.01 / 40, 40)
