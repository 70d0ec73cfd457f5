"""The numba engine against the README's "Model" rules, one mechanism at a time.

Each scenario isolates a rule so that its outcome has a closed form: exact
numbers where the scenario is deterministic (handoffs, holds, supplier lead
times, morale under recognition, staff moves), or a mean over replications
within a Bonferroni t tolerance (family-wise false-alarm rate ALPHA for the
file) where it is random (rework, escaped defects, churn, acquisition,
attrition).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from orgsim import metrics
from orgsim.kernels import layout, run
from orgsim.scenario.loader import validate_mapping

ALPHA = 0.001
M = 30  # stochastic comparisons in this file (an upper bound)
SEED = 777


def run_raw(raw: dict, replications: int, seed: int = SEED):
    scenario = validate_mapping(raw)
    rows, periods = run.simulate(scenario, None, seed, replications)
    st = metrics.structure(scenario)
    return scenario, st, rows, periods


def check(values, expected: float, what: str) -> None:
    x = np.asarray(values, dtype=float)
    assert not np.isnan(x).any(), f"{what}: undefined in some replication"
    se = x.std(ddof=1) / math.sqrt(x.size)
    tol = stats.t.ppf(1 - ALPHA / (2 * M), x.size - 1) * se
    assert abs(x.mean() - expected) <= tol, f"{what}: mean {x.mean():.6g} vs {expected:.6g} (tolerance {tol:.3g})"


def dept(headcount: int, **services) -> dict:
    return {"headcount": headcount, "services": services}


def exp(mean: float) -> dict:
    return {"dist": "exponential", "mean": mean}


def det(value: float) -> dict:
    return {"dist": "deterministic", "value": value}


# --------------------------------------------------------------------------- defects


def test_rework_and_escapes_along_a_journey():
    """A defect at a step is caught by the next step (redo at the same service); at the last step it escapes."""
    p, q, p_last = 0.2, 0.5, 0.3
    raw = {
        "horizon": 3000,
        "warmup": 100,
        "departments": {
            "a": dept(10, s={"time": exp(0.2), "defect_rate": p, "detection": q}),
            "b": dept(10, t={"time": exp(0.2), "defect_rate": p_last, "detection": 0.9}),
        },
        "segments": {"c": {"arrivals": {"rate": 5.0}, "journey": ["a.s", "b.t"], "expectation": 1e6}},
    }
    _, st, rows, _ = run_raw(raw, 60)
    m = metrics.replication_metrics(rows, st)
    escape_a = p * (1 - q) / (1 - p * q)  # a defect is caught (redo) or escapes; redos can be defective again
    check(m["internal.rework_rate"], p * q / (2 - p * q), "journey rework rate")  # a: 1/(1-pq) services, b: 1
    check(m["external.csat"], 10 - 3.0 * (escape_a + p_last), "journey csat (3 points per escaped defect)")
    p0 = (1 - escape_a) * (1 - p_last)
    p2 = escape_a * p_last  # one escape scores 7 (passive), two score 4 (detractor)
    check(m["external.nps"], 100 * (p0 - p2), "journey NPS")


def test_subrequest_defects_are_caught_by_the_requester_or_mark_the_order():
    p, q = 0.2, 0.5
    raw = {
        "horizon": 3000,
        "warmup": 100,
        "departments": {
            "front": dept(10, s={"time": exp(0.2), "needs": [{"service": "back.fix"}]}),
            "back": dept(10, fix={"time": exp(0.2), "defect_rate": p, "detection": q}),
        },
        "segments": {"c": {"arrivals": {"rate": 5.0}, "journey": ["front.s"], "expectation": 1e6}},
    }
    _, st, rows, _ = run_raw(raw, 60)
    m = metrics.replication_metrics(rows, st)
    escape = p * (1 - q) / (1 - p * q)
    check(m["internal.rework_rate"], p * q / (2 - p * q), "sub-request rework rate")
    check(m["external.csat"], 10 - 3.0 * escape, "csat with sub-request escapes")
    check(m["external.nps"], 100 * (1 - escape), "NPS with sub-request escapes (7 is passive)")


def test_invoice_defects_mark_no_order():
    """Invoices are work for no external order: even if every invoice escapes defective, no order is marked."""
    raw = {
        "horizon": 400,
        "departments": {
            "a": dept(20, s={"time": exp(0.1), "needs": [{"supplier": "parts"}]}),
            "fin": dept(20, pay={"time": exp(0.1), "defect_rate": 1.0, "detection": 0.0}),
        },
        "segments": {"c": {"arrivals": {"rate": 2.0}, "journey": ["a.s"], "expectation": 1e6}},
        "suppliers": {"parts": {"lead_time": det(1.0), "paid_by": "fin.pay"}},
    }
    _, st, rows, _ = run_raw(raw, 4)
    m = metrics.replication_metrics(rows, st)
    assert np.all(m["external.csat"] == 10.0)
    assert np.all(m["internal.rework_rate"] == 0.0)


# --------------------------------------------------------------------------- handoffs, holds, suppliers (exact)


@pytest.mark.parametrize("second, sojourn", [("a.t", 2.0), ("b.t", 7.0)])
def test_handoff_only_between_departments(second, sojourn):
    raw = {
        "horizon": 2000,
        "handoff": det(5.0),
        "departments": {"a": dept(50, s={"time": det(1.0)}, t={"time": det(1.0)}), "b": dept(50, t={"time": det(1.0)})},
        "segments": {"c": {"arrivals": {"rate": 0.5}, "journey": ["a.s", second], "expectation": 100.0}},
    }
    _, st, rows, _ = run_raw(raw, 3)
    m = metrics.replication_metrics(rows, st)
    np.testing.assert_allclose(m["external.sojourn_mean"], sojourn, rtol=1e-12)


@pytest.mark.parametrize("hold", [True, False])
def test_hold_blocks_the_employee_while_the_request_is_out(hold):
    """Front work 1 after a request taking 2: sojourn 3 either way; with hold the front employee is blocked for 2."""
    raw = {
        "horizon": 5000,
        "departments": {
            "front": dept(50, s={"time": det(1.0), "needs": [{"service": "back.r", "hold": hold}]}),
            "back": dept(50, r={"time": det(2.0)}),
        },
        "segments": {"c": {"arrivals": {"rate": 0.5}, "journey": ["front.s"], "expectation": 100.0}},
    }
    _, st, rows, _ = run_raw(raw, 3)
    m = metrics.replication_metrics(rows, st)
    np.testing.assert_allclose(m["external.sojourn_mean"], 3.0, rtol=1e-12)
    np.testing.assert_allclose(m["internal.front.back.response_mean"], 2.0, rtol=1e-12)
    b = layout.unpack(rows, st.blocks())
    busy, blocked = b["dept_busy"][:, 0], b["dept_blocked"][:, 0]
    if hold:  # busy 3 per order of which blocked 2 (up to the few orders cut by the horizon)
        np.testing.assert_allclose(blocked / busy, 2 / 3, rtol=2e-3)
    else:
        assert np.all(blocked == 0.0)
        np.testing.assert_allclose(m["dept.back.utilisation"] / m["dept.front.utilisation"], 2.0, rtol=2e-3)


def test_hold_little_law():
    """Blocked employee time equals the response times of the held requests (Little's law on the window)."""
    raw = {
        "horizon": 6000,
        "warmup": 500,
        "departments": {
            "front": dept(4, s={"time": exp(0.5), "needs": [{"service": "back.r", "probability": 0.5, "hold": True}]}),
            "back": dept(2, r={"time": exp(0.6)}),
        },
        "segments": {"c": {"arrivals": {"rate": 3.0}, "journey": ["front.s"], "expectation": 100.0}},
    }
    _, st, rows, _ = run_raw(raw, 80)
    b = layout.unpack(rows, st.blocks())
    window = 6000 - 500
    diff = (b["dept_blocked"][:, 0] - b["resp_sum"][:, 0, 1]) / window
    check(diff, 0.0, "blocked time minus held response times, per unit time")
    assert np.all(b["dept_blocked"][:, 0] > 0)


def test_supplier_lead_time_grows_with_late_payment():
    """Invoices paid in exactly 1 against terms of 0.5: after the first period the lead time is x1.5."""
    raw = {
        "horizon": 400,
        "warmup": 50,
        "period": 10,
        "departments": {
            "a": dept(50, s={"time": exp(0.1), "needs": [{"supplier": "parts"}]}),
            "fin": dept(50, pay={"time": det(1.0)}),
        },
        "segments": {"c": {"arrivals": {"rate": 1.0}, "journey": ["a.s"], "expectation": 100.0}},
        "suppliers": {
            "parts": {"lead_time": det(2.0), "paid_by": "fin.pay", "payment_terms": 0.5, "payment_sensitivity": 0.5}
        },
    }
    _, st, rows, _ = run_raw(raw, 3)
    m = metrics.replication_metrics(rows, st)
    np.testing.assert_allclose(m["internal.a.parts.response_mean"], 2.0 * 1.5, rtol=1e-12)
    # without invoices the factor stays 1
    raw["suppliers"]["parts"].pop("paid_by")
    _, st, rows, _ = run_raw(raw, 3)
    np.testing.assert_allclose(metrics.replication_metrics(rows, st)["internal.a.parts.response_mean"], 2.0, rtol=1e-12)


# --------------------------------------------------------------------------- customers: churn and acquisition


def population(n: int, rate: float, churn: float, acquisition: float = 0.0, wom: float = 0.0) -> dict:
    return {
        "arrivals": {"population": n, "rate_per_customer": rate},
        "journey": ["desk.s"],
        "expectation": 1e6,  # every order scores 10
        "churn": {"floor": churn, "ceiling": churn},
        "acquisition": {"rate": acquisition, "word_of_mouth": wom},
    }


def test_churn_after_each_ended_order():
    """Each order ends with the customer leaving w.p. c: a customer's life is exponential at rate r c."""
    r, c, warmup, horizon = 0.01, 0.02, 200.0, 1200.0
    raw = {
        "horizon": horizon,
        "warmup": warmup,
        "departments": {"desk": dept(100, s={"time": exp(0.01)})},
        "segments": {"p": population(2000, r, c)},
    }
    _, st, rows, _ = run_raw(raw, 60)
    m = metrics.replication_metrics(rows, st)
    check(m["external.churn_rate"], 1 - math.exp(-r * c * (horizon - warmup)), "churn rate")


@pytest.mark.parametrize("rate, nps", [(0.1, 100.0), (0.0, 0.0)], ids=["all-promoters", "no-orders"])
def test_acquisition_follows_last_periods_nps(rate, nps):
    """Poisson(rate x period x (1 + wom x NPS/100)) newcomers per boundary; NPS 0 when no order ended."""
    a, wom, period, horizon, n0 = 0.5, 0.5, 10.0, 200.0, 100
    raw = {
        "horizon": horizon,
        "period": period,
        "departments": {"desk": dept(100, s={"time": exp(0.01)})},
        "segments": {"p": population(n0, rate, 0.0, a, wom)},
    }
    _, st, _, periods = run_raw(raw, 200)
    active = metrics.period_metrics(periods, st)["segment.p.active"]
    assert np.all(active[:, 0] == n0)  # the first period closes before any acquisition
    per_boundary = a * period * (1 + wom * nps / 100)
    check(active[:, -1], n0 + per_boundary * (int(horizon / period) - 1), f"population after acquisitions ({nps=})")


# --------------------------------------------------------------------------- staff: attrition, hiring, review


def morale(**kw) -> dict:
    return {"enabled": True, **kw}


def test_attrition_without_replacement():
    """Idle staff at baseline morale: each boundary every present employee leaves w.p. 1 - exp(-rate)."""
    h, rate = 200, 0.1
    raw = {
        "horizon": 100,
        "period": 10,
        "departments": {"idle": dept(h, s={"time": exp(1.0)})},
        "morale": morale(attrition_rate=rate, hiring_delay=1e9),
    }
    _, st, _, periods = run_raw(raw, 200)
    heads = metrics.period_metrics(periods, st)["dept.idle.headcount"]
    keep = math.exp(-rate)
    assert np.all(heads[:, 0] == h)
    for k in (1, 3, 6, 9):  # recorded at the boundary ending period k, after k attrition draws
        check(heads[:, k], h * keep**k, f"headcount after {k} boundaries")


def test_leavers_are_replaced_after_the_hiring_delay():
    h, rate, delay, period = 100, 0.05, 4.0, 10.0
    raw = {
        "horizon": 200,
        "period": period,
        "departments": {"idle": dept(h, s={"time": exp(1.0)})},
        "morale": morale(attrition_rate=rate, hiring_delay=delay),
    }
    _, st, _, periods = run_raw(raw, 100)
    b = layout.unpack(periods, st.period_blocks())
    assert np.all(b["dept_headcount"][:, :, 0] == h)  # every leaver is back before the next boundary
    assert np.all(b["dept_available"][:, 0, 0] == h * period)
    available = b["dept_available"][:, 1:, 0].mean(axis=1)
    check(available, h * period - delay * h * (1 - math.exp(-rate)), "available time with leavers away")


@pytest.mark.parametrize("every", [1, 2])
def test_review_moves_one_employee_from_least_to_most_utilised(every):
    raw = {
        "horizon": 1000,
        "period": 100,
        "departments": {"busy": dept(4, s={"time": exp(1.0)}), "idle": dept(5, s={"time": exp(1.0)})},
        "segments": {"c": {"arrivals": {"rate": 3.0}, "journey": ["busy.s"], "expectation": 10.0}},
        "policy": {"review": {"every": every, "threshold": 0.1, "transfer_delay": 0.0}},
    }
    _, st, _, periods = run_raw(raw, 5)
    pm = metrics.period_metrics(periods, st)
    moves = np.minimum(np.arange(10) // every, 4)  # moves made before each period's end; idle keeps min_per_department=1
    for rep in range(5):
        np.testing.assert_array_equal(pm["dept.idle.headcount"][rep], 5 - moves)
        np.testing.assert_array_equal(pm["dept.busy.headcount"][rep], 4 + moves)


# --------------------------------------------------------------------------- investments


def test_training_speeds_work_up_over_time():
    """Deterministic work of 1 takes 1 / (1 + effect x share x (1 - exp(-t / lag))) when it starts at t."""
    effect, lag, share = 3.0, 200.0, 1 / 21
    raw = {
        "horizon": 1000,
        "period": 100,
        "departments": {"desk": dept(20, s={"time": det(1.0)})},
        "segments": {"c": {"arrivals": {"rate": 0.5}, "journey": ["desk.s"], "expectation": 10.0}},
        "policy": {"budget": 21, "investments": {"training": 1, "training_effect": effect, "training_lag": lag}},
    }
    _, st, _, periods = run_raw(raw, 3)
    b = layout.unpack(periods, st.period_blocks())
    mean = b["seg_sojourn_sum"][..., 0] / b["seg_completed"][..., 0]  # per replication and period
    f = lambda t: 1 + effect * share * (1 - np.exp(-t / lag))  # noqa: E731
    edges = np.arange(11) * 100.0
    # orders completing in period k started in [edge_k - 1, edge_k+1]: work 1/f(start) is bracketed
    assert np.all(mean <= 1 / f(np.maximum(edges[:-1] - 1, 0)) + 1e-12)
    assert np.all(mean >= 1 / f(edges[1:]) - 1e-12)
    assert mean[:, -1].max() < 0.9  # the skill gain is real (1/f(1000) = 0.88)


def test_recognition_lifts_the_morale_target():
    """Idle staff: the target is baseline + recognition_effect x share; morale closes 30 % of the gap per boundary."""
    raw = {
        "horizon": 100,
        "period": 10,
        "departments": {"idle": dept(5, s={"time": exp(1.0)})},
        "morale": morale(attrition_rate=0.0),
        "policy": {"budget": 10, "investments": {"recognition": 1, "recognition_effect": 2.0}},
    }
    _, st, _, periods = run_raw(raw, 2)
    got = metrics.period_metrics(periods, st)["dept.idle.morale"]
    k = np.arange(1, 10)
    expected = 0.95 - 0.2 * 0.7**k  # after k boundaries; the last period closes at the horizon without one
    np.testing.assert_allclose(got[:, :9], np.broadcast_to(expected, (2, 9)), rtol=1e-12)
    np.testing.assert_allclose(got[:, 9], got[:, 8])
