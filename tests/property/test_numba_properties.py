"""Properties of the numba engine that hold for every scenario: determinism, independence of how
replications are run, accounting identities, and metrics in their ranges.

Random scenarios come from tests/strategies.py (edge_cases=True): every mechanism (needs with and
without hold, suppliers and invoices, defects, patience, handoffs, routing
loops, population segments, morale and attrition, periodic review, training
and recognition, every distribution, every queue priority) in small, short,
possibly unstable organisations.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import scenarios

import orgsim
from orgsim import metrics
from orgsim.kernels import compile as kcompile
from orgsim.kernels import layout, run
from orgsim.scenario.loader import ScenarioError, shipped_scenarios


def digest(rows: np.ndarray, periods: np.ndarray) -> str:
    return hashlib.sha256(rows.tobytes() + periods.tobytes()).hexdigest()


@pytest.fixture(scope="module")
def baseline():
    return orgsim.load("baseline", ["horizon=400", "warmup=40"])


# --------------------------------------------------------------------------- determinism and independence


def test_same_seed_same_numbers_other_seed_other_numbers(baseline):
    a = run.simulate(baseline, None, 3, 4)
    b = run.simulate(baseline, None, 3, 4)
    c = run.simulate(baseline, None, 4, 4)
    assert digest(*a) == digest(*b)
    assert not np.array_equal(a[0], c[0])


def test_replication_alone_equals_replication_in_a_batch(baseline):
    rows, periods = run.simulate(baseline, None, 9, 8)
    for i in (0, 5, 7):
        r1, p1 = run.simulate(baseline, None, 9, [i])
        assert np.array_equal(r1[0], rows[i]) and np.array_equal(p1[0], periods[i])
    r, p = run.simulate(baseline, None, 9, [7, 2, 5])
    assert np.array_equal(r, rows[[7, 2, 5]]) and np.array_equal(p, periods[[7, 2, 5]])


@pytest.mark.parametrize("threads, batch_size", [(1, None), (2, None), (1, 3), (2, 1), (2, 5)])
def test_threads_and_batches_change_nothing(baseline, threads, batch_size):
    reference = run.simulate(baseline, None, 2, 9, threads=1)
    got = run.simulate(baseline, None, 2, 9, threads=threads, batch_size=batch_size)
    assert digest(*got) == digest(*reference)
    seen, rows, periods = [], [], []
    for idx, r, p in run.simulate_batches(baseline, None, 2, 9, threads=threads, batch_size=batch_size or 4):
        seen += list(idx)
        rows.append(r)
        periods.append(p)
    assert seen == list(range(9))
    assert digest(np.concatenate(rows), np.concatenate(periods)) == digest(*reference)


SCRIPT = textwrap.dedent(
    """
    import hashlib, numba
    from orgsim.scenario.loader import validate_mapping
    from orgsim.kernels import run
    exp = lambda m: {"dist": "exponential", "mean": m}
    sc = validate_mapping({
        "horizon": 300, "warmup": 30, "period": 20, "handoff": exp(0.05),
        "departments": {
            "front": {"headcount": 4, "services": {"s": {"time": {"dist": "gamma", "mean": 0.5, "cv": 0.7},
                      "defect_rate": 0.1, "needs": [{"service": "back.r", "probability": 0.3, "hold": True},
                                                    {"supplier": "parts", "probability": 0.1}]}}},
            "back": {"headcount": 2, "services": {"r": {"time": exp(0.4)}}},
            "fin": {"headcount": 1, "services": {"pay": {"time": exp(0.3), "defect_rate": 0.2}}}},
        "segments": {
            "a": {"arrivals": {"rate": 4.0}, "journey": [{"service": "front.s", "next": {"front.s": 0.1}}],
                  "patience": exp(1.0), "expectation": 1.0},
            "b": {"arrivals": {"population": 500, "rate_per_customer": 0.004}, "journey": ["back.r"],
                  "expectation": 1.0, "acquisition": {"rate": 0.5}}},
        "suppliers": {"parts": {"lead_time": exp(2.0), "paid_by": "fin.pay"}},
        "morale": {"enabled": True, "attrition_rate": 0.05, "hiring_delay": 15},
        "policy": {"priority": "internal_first", "review": {"every": 2}},
    })
    rows, periods = run.simulate(sc, None, 11, 12)
    print(numba.get_num_threads(), hashlib.sha256(rows.tobytes() + periods.tobytes()).hexdigest())
    """
)


def test_numba_num_threads_1_and_2_give_identical_bytes():
    out = {}
    for n in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=n)
        res = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr
        threads, h = res.stdout.split()
        assert threads == n
        out[n] = h
    assert out["1"] == out["2"]


def test_batches_keep_memory_flat():
    """Many replications streamed batch by batch: memory does not grow with the number of replications."""
    sc = orgsim.load("baseline", ["horizon=20", "warmup=0", "period=10"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    total = 0
    for idx, rows, _periods in run.simulate_batches(sc, None, 1, 20_000, batch_size=1000):
        assert rows.shape[0] == idx.size <= 1000
        total += int(rows[:, 0].sum() >= 0) * idx.size
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert total == 20_000
    assert grown_mib < 400, f"peak memory grew by {grown_mib:.0f} MiB"


def test_bad_arguments_are_refused(baseline):
    with pytest.raises(ValueError):
        run.simulate(baseline, {"nowhere": 3}, 1, 1)
    with pytest.raises(ValueError):
        run.simulate(baseline, {"it": -1}, 1, 1)
    with pytest.raises(ValueError):
        run.simulate(baseline, None, -1, 1)
    with pytest.raises(ValueError):
        run.simulate(baseline, None, 1, 1, trace=True)
    with pytest.raises(ValueError):
        run.simulate(baseline, None, 1, 1, threads=0)


def test_headcount_override(baseline):
    """A department with nobody works on nothing; the override is per department."""
    rows, _ = run.simulate(baseline, {"legal": 0}, 1, 2)
    m = metrics.replication_metrics(rows, metrics.structure(baseline))
    assert np.all(np.isnan(m["dept.legal.utilisation"]))  # no available time at all
    assert not np.isnan(m["dept.it.utilisation"]).any()


# --------------------------------------------------------------------------- compiled structure


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_compiled_order_is_the_metrics_structure(name):
    try:
        sc = orgsim.load(name)
    except ScenarioError:
        pytest.skip(f"{name} does not validate")
    cs = kcompile.compile_scenario(sc)
    st_ = metrics.structure(sc)
    assert (cs.n_seg, cs.n_dept, cs.n_sup) == (len(st_.segments), len(st_.departments), len(st_.suppliers))
    assert cs.n_targets == len(st_.targets)
    assert cs.n_periods == sc.n_periods()
    assert cs.scale == st_.scale
    _, row_len = layout.offsets(st_.blocks())
    assert cs.row_len == row_len
    refs = sc.service_refs()
    assert [st_.departments[d] for d in cs.svc_dept] == [r.split(".")[0] for r in refs]
    names = kcompile.source_names(sc)
    assert len(names) == len(set(names)) == cs.src_keys.size
    for seg in sc.segments:
        for src in ("arrivals", "patience", "routing", "churn", "acquisition"):
            assert f"{src}/{seg}" in names
    for ref in refs:
        for src in ("service", "needs", "defects", "detection"):
            assert f"{src}/{ref}" in names


# --------------------------------------------------------------------------- metrics in range, identities


def assert_sane(scenario, rows: np.ndarray, periods: np.ndarray, exact: bool) -> None:
    """Ranges of every metric and the accounting identities; *exact* (warm-up 0) adds the period sums."""
    st_ = metrics.structure(scenario)
    assert np.all(np.isfinite(rows)) and np.all(np.isfinite(periods))
    b = layout.unpack(rows, st_.blocks())
    pb = layout.unpack(periods, st_.period_blocks())
    counts = ["seg_arrivals", "seg_completed", "seg_abandoned", "seg_sojourn_hist", "seg_promoters", "seg_detractors",
              "seg_churned", "dept_visits", "resp_count", "services_completed", "services_redone"]  # fmt: skip
    for name in counts:
        assert np.all(b[name] >= 0) and np.all(b[name] == np.round(b[name])), name
    assert np.all(b["seg_sojourn_hist"].sum(axis=-1) == b["seg_completed"])
    assert np.all(b["services_redone"] <= b["services_completed"])
    assert np.all(b["seg_promoters"] + b["seg_detractors"] <= b["seg_completed"] + b["seg_abandoned"])
    values = np.array([seg.value for seg in scenario.segments.values()])
    np.testing.assert_allclose(b["seg_revenue"], b["seg_completed"] * values, rtol=1e-12)
    eps = 1e-9 * max(1.0, scenario.horizon)
    assert np.all(b["dept_blocked"] <= b["dept_busy"] + eps)
    assert np.all(b["dept_busy"] <= b["dept_available"] + eps)
    staff = sum(scenario.departments[d].headcount for d in st_.departments)
    assert np.all(b["dept_available"].sum(axis=-1) <= staff * (scenario.horizon - scenario.warmup) * (1 + 1e-12))
    assert np.all(b["seg_wait_sum"] <= b["seg_sojourn_sum"] * (1 + 1e-12) + eps)
    for name, v in metrics.replication_metrics(rows, st_).items():
        v = v[~np.isnan(v)]
        last = name.rsplit(".", 1)[-1]
        # (churn_rate may exceed 1: customers acquired after warm-up churn too, the denominator is the warm-up population)
        if last in ("abandon_rate", "utilisation", "blocked_share", "rework_rate", "morale"):
            assert np.all((v >= 0) & (v <= 1 + 1e-9)), (name, v)
        elif last == "csat":
            assert np.all((v >= 0) & (v <= 10)), (name, v)
        elif last == "nps":
            assert np.all((v >= -100) & (v <= 100)), (name, v)
        else:
            assert np.all(v >= 0), (name, v)
    assert np.all((pb["dept_morale"] >= 0) & (pb["dept_morale"] <= 1))
    assert np.all(pb["dept_headcount"] >= 0) and np.all(pb["seg_active"] >= 0)
    if exact:  # warm-up 0: the replication row is the sum of the period rows
        assert np.all(b["seg_completed"] + b["seg_abandoned"] <= b["seg_arrivals"])
        for name in ("seg_completed", "seg_abandoned", "seg_promoters", "seg_detractors"):
            assert np.array_equal(pb[name].sum(axis=1), b[name]), name
        for name in ("seg_sojourn_sum", "seg_score_sum", "dept_busy", "dept_blocked", "dept_available"):
            np.testing.assert_allclose(pb[name].sum(axis=1), b[name], rtol=1e-9, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_shipped_scenario_runs_with_sane_metrics(name):
    try:
        sc = orgsim.load(name)
    except ScenarioError:
        pytest.skip(f"{name} does not validate")
    rows, periods = run.simulate(sc, None, 1, 3)
    assert rows.shape == (3, layout.offsets(metrics.structure(sc).blocks())[1])
    assert periods.shape[:2] == (3, sc.n_periods())
    assert_sane(sc, rows, periods, exact=False)
    assert np.all(rows[:, 0 : len(sc.segments)].sum(axis=1) > 0) or not sc.segments  # somebody arrived


# --------------------------------------------------------------------------- random organisations

@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios(edge_cases=True), st.integers(0, 2**40))
def test_random_organisations_run_deterministically_with_sane_metrics(scenario, seed):
    rows, periods = run.simulate(scenario, None, seed, 3, threads=2)
    assert_sane(scenario, rows, periods, exact=scenario.warmup == 0.0)
    again = run.simulate(scenario, None, seed, [2], threads=1)
    assert np.array_equal(again[0][0], rows[2]) and np.array_equal(again[1][0], periods[2])


def test_run_keeps_a_batch_ahead_without_changing_a_number(baseline):
    """orgsim.run on 2 numba threads runs two batches at once; every value equals the one-at-a-time run's."""
    from orgsim.execution.backends import LocalBackend

    results = []
    for threads in (1, 2):
        backend = LocalBackend()
        backend.threads = threads
        results.append(orgsim.run(baseline, engine="numba", replications=11, seed=4, batch_size=2, backend=backend))
    one, two = results
    assert one.values.keys() == two.values.keys()
    for name in one.values:
        assert np.array_equal(one.values[name], two.values[name], equal_nan=True), name
    assert one.timeseries().equals(two.timeseries())
