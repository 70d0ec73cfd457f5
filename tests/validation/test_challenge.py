"""Challenge demands (README, Model: period boundaries, step 2), both engines.

With a department's ``challenge_effect`` c its morale target drops by c x max(0, threshold - (u - b)):
unblocked work short of the threshold leaves part of the challenge missing.  The period rows give each period's u, b and
morale, so the rule is checked boundary by boundary, written here once more from the README; at c = 0 the
run is the one without the field, and the engines agree with it on.
"""

from __future__ import annotations

import numpy as np
import pytest
from agreement import disagreements
from refusals import problems

import orgsim
from orgsim import metrics, policies
from orgsim.engines.api import engine_function
from orgsim.kernels import layout
from orgsim.scenario.loader import validate_mapping

ENGINES = ("simpy", "numba")
BASELINE, THRESHOLD, ADJUST, CHALLENGE, BLOCKED = 0.75, 0.85, 0.5, 0.6, 0.8
HEADS = {"desk": 3, "back": 1}


def office(challenge: float = CHALLENGE, **morale) -> dict:
    """A desk (challenge_effect *challenge*) at about a third of its time busy whose clerks wait, half the time,
    with the customer on the back office (challenge_effect 0)."""
    return {
        "name": "challenge", "time_unit": "hour", "horizon": 1200, "warmup": 200, "period": 40,
        "departments": {
            "desk": {"headcount": HEADS["desk"], "challenge_effect": challenge, "services": {"serve": {
                "time": {"dist": "exponential", "mean": 0.5},
                "needs": [{"service": "back.check", "probability": 0.5, "hold": True}]}}},
            "back": {"headcount": HEADS["back"], "services": {"check": {"time": {"dist": "exponential", "mean": 0.3}}}},
        },
        "segments": {"walkins": {"arrivals": {"rate": 1.5}, "journey": ["desk.serve"], "expectation": 2.0}},
        "morale": {"enabled": True, "baseline": BASELINE, "utilisation_threshold": THRESHOLD, "adjust_rate": ADJUST,
                   "load_effect": 2.0, "blocked_effect": BLOCKED, "attrition_rate": 0.0, **morale},
    }


def periods(raw: dict, engine: str, reps: int) -> dict:
    sc = validate_mapping(raw, "t")
    out = engine_function(engine)(policies.effective_scenario(sc), HEADS, 7, np.arange(reps))
    return layout.unpack(out.periods, metrics.structure(sc).period_blocks())


def expected_morale(u: np.ndarray, b: np.ndarray, challenge: float) -> np.ndarray:
    """The README's step 2 over the periods of each replication (axis 1), from morale at baseline."""
    m, out = np.full(u.shape[0], BASELINE), np.empty_like(u)
    for k in range(u.shape[1]):
        target = (BASELINE - 2.0 * np.maximum(0.0, u[:, k] - THRESHOLD) - BLOCKED * b[:, k]
                  - challenge * np.maximum(0.0, THRESHOLD - (u[:, k] - b[:, k])))
        m = np.clip(m + ADJUST * (np.clip(target, 0.0, 1.0) - m), 0.0, 1.0)
        out[:, k] = m
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_morale_follows_the_rule_boundary_by_boundary(engine):
    p = periods(office(), engine, reps=4)
    u = p["dept_busy"] / p["dept_available"]
    b = p["dept_blocked"] / p["dept_available"]
    assert b[..., 0].mean() > 0.05 and (u - b).max() < THRESHOLD - 0.1  # the term is at work, blocking counted
    for d, c in enumerate((CHALLENGE, 0.0)):  # the last row ends at the horizon, not at a boundary: no update there
        np.testing.assert_allclose(p["dept_morale"][:, :-1, d], expected_morale(u[..., d], b[..., d], c)[:, :-1], rtol=1e-9)
    without = periods(office(challenge=0.0), engine, reps=4)["dept_morale"][..., 0]
    assert (p["dept_morale"][..., 0] < without - 0.1).all()  # a desk far short of the threshold is less engaged


@pytest.mark.parametrize("engine", ENGINES)
def test_at_zero_the_run_is_the_one_without_the_field(engine):
    raw = office(challenge=0.0)
    absent = office()
    del absent["departments"]["desk"]["challenge_effect"]
    a, b = (orgsim.run(validate_mapping(r, "t"), engine=engine, replications=3, seed=4) for r in (raw, absent))
    assert a.values.keys() == b.values.keys()
    for name in a.values:
        np.testing.assert_array_equal(a.values[name], b.values[name], err_msg=name)
    assert "challenge_effect" not in validate_mapping(raw, "t").model_dump()["departments"]["desk"]


def test_engines_agree_with_challenge_on():
    raw = office(attrition_rate=0.05, hiring_delay=40.0)  # leaving follows the morale the challenge moves
    raw["measures"] = {"turnover": True, "productivity": True, "engagement": True, "year": 2000}
    sc = validate_mapping(raw, "t")
    a = orgsim.run(sc, engine="simpy", replications=30, seed=1)
    b = orgsim.run(sc, engine="numba", replications=30, seed=2)
    assert not disagreements(a, b, 0.01 / 60, 60)


def test_a_negative_challenge_is_refused_by_name():
    (msg,) = problems(office(challenge=-0.5))
    assert msg.startswith("f.yaml: departments.desk.challenge_effect:") and "0" in msg
