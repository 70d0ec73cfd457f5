"""Exact event traces of the SimPy reference engine on tiny deterministic scenarios, one per model rule.

Every scenario here has deterministic work times and probabilities 0 or 1;
orders arrive at designed times (the segments' own Poisson streams are set to
rate 0 and ``Organisation.script`` places orders).  Expected times, counts and
scores are worked out by hand in each test.
"""

import math

import numpy as np
import pytest

from orgsim import metrics
from orgsim.engines.reference import Organisation, simulate
from orgsim.kernels import layout
from orgsim.scenario.loader import validate_mapping


def det(value):
    return {"dist": "deterministic", "value": value}


def scenario(departments, segments, **extra):
    raw = {"horizon": 10.0, "period": 5.0, "departments": departments, "segments": segments}
    raw.update(extra)
    return validate_mapping(raw)


def segment(journey, **extra):
    spec = {"arrivals": {"rate": 0.0}, "journey": journey, "expectation": 100.0}
    spec.update(extra)
    return spec


def run(sc, script, until=None, headcount=None):
    """Run replication 0 with orders at the scripted times; return the organisation, its books and trace."""
    heads = headcount or {d: dept.headcount for d, dept in sc.departments.items()}
    org = Organisation(sc, heads, seed=1, replication=0, trace=True)
    for name, times in script.items():
        org.script(name, times)
    org.run(until)
    st = metrics.structure(sc)
    row, periods = org.books()
    return org, layout.unpack(row, st.blocks()), layout.unpack(periods, st.period_blocks()), org.tracer.records


def events(records, event, **match):
    """(time, item, service) of the records of one kind, optionally matching other fields."""
    return [
        (round(r["time"], 9), r["item"], r["service"])
        for r in records
        if r["event"] == event and all(r[k] == v for k, v in match.items())
    ]


def times(records, event, **match):
    return [t for t, _, _ in events(records, event, **match)]


# --------------------------------------------------------------------------- journeys


def test_sequential_journey():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}}},
         "b": {"headcount": 1, "services": {"t": {"time": det(2.0)}}}},
        {"x": segment(["a.s", "b.t"], expectation=3.0)},
    )
    org, b, p, rec = run(sc, {"x": [0.0, 0.5]})
    # order 1: a 0-1, b 1-3.  order 2: waits at a 0.5-1, a 1-2, waits at b 2-3, b 3-5.
    assert sorted(events(rec, "start")) == [
        (0.0, "order #1", "a.s"), (1.0, "order #1", "b.t"), (1.0, "order #2", "a.s"), (3.0, "order #2", "b.t")
    ]
    assert events(rec, "complete") == [(3.0, "order #1", None), (5.0, "order #2", None)]
    assert b["seg_completed"][0] == 2 and b["seg_arrivals"][0] == 2
    assert b["seg_sojourn_sum"][0] == pytest.approx(3.0 + 4.5)
    assert b["seg_wait_sum"][0] == pytest.approx(0.5 + 1.0)
    assert b["dept_wait_sum"].tolist() == pytest.approx([0.5, 1.0])
    assert b["dept_visits"].tolist() == [2, 2]
    assert b["dept_busy"].tolist() == pytest.approx([2.0, 4.0])
    assert b["dept_available"].tolist() == pytest.approx([10.0, 10.0])
    assert b["services_completed"][0] == 4
    # scores: sojourn 3 meets the expectation 3; 4.5 is 50 % late: 10 exp(-0.5 x 0.5)
    assert b["seg_score_sum"][0] == pytest.approx(10.0 + 10.0 * math.exp(-0.25))
    assert b["seg_promoters"][0] == 1 and b["seg_detractors"][0] == 0
    # periods [0, 5) and [5, 10): order 2 ends at t = 5, in the second
    assert p["seg_completed"][:, 0].tolist() == [1, 1]
    assert p["dept_busy"][:, 0].tolist() == pytest.approx([2.0, 0.0])
    assert p["dept_busy"][:, 1].tolist() == pytest.approx([4.0, 0.0])
    assert p["dept_available"].ravel().tolist() == pytest.approx([5.0] * 4)
    assert org.segments[0].in_system == 0


def test_next_routing_feedback_with_probability_one_then_exit():
    # a -> (next: c, p=1) -> c -> (next: b, p=1, feedback to an earlier step) -> b -> (next: {}) exits
    sc = scenario(
        {d: {"headcount": 1, "services": {"w": {"time": det(1.0)}}} for d in ("a", "b", "c")},
        {"x": segment([
            {"service": "a.w", "next": {"c.w": 1.0}},
            {"service": "b.w", "next": {}},
            {"service": "c.w", "next": {"b.w": 1.0}},
        ])},
    )
    _, b, _, rec = run(sc, {"x": [0.0]})
    assert events(rec, "start") == [(0.0, "order #1", "a.w"), (1.0, "order #1", "c.w"), (2.0, "order #1", "b.w")]
    assert times(rec, "complete") == [3.0]
    assert b["dept_visits"].tolist() == [1, 1, 1]


def test_handoff_between_departments_and_none_within():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}, "t": {"time": det(1.0)}}},
         "b": {"headcount": 1, "services": {"u": {"time": det(1.0)}}}},
        {"x": segment(["a.s", "a.t", "b.u"])},
        handoff=det(0.25),
    )
    _, b, _, rec = run(sc, {"x": [0.0]})
    # a.s 0-1, a.t 1-2 (same department: no delay), handoff 2-2.25, b.u 2.25-3.25
    assert events(rec, "start") == [(0.0, "order #1", "a.s"), (1.0, "order #1", "a.t"), (2.25, "order #1", "b.u")]
    assert [(r["time"], r["department"]) for r in rec if r["event"] == "handoff"] == [(2.0, "b")]
    assert times(rec, "complete") == [3.25]
    assert b["seg_wait_sum"][0] == 0.0  # a handoff is not a queue wait


# --------------------------------------------------------------------------- needs


def test_fork_join_without_hold_waits_for_the_slower_need_then_queues():
    sc = scenario(
        {"f": {"headcount": 1, "services": {
            "f": {"time": det(0.5), "needs": [{"service": "s1.x"}, {"service": "s2.y"}]},
            "g": {"time": det(1.0)}}},
         "s1": {"headcount": 1, "services": {"x": {"time": det(1.0)}}},
         "s2": {"headcount": 1, "services": {"y": {"time": det(3.0)}}}},
        {"o": segment(["f.f"]), "p": segment(["f.g"])},
    )
    _, b, _, rec = run(sc, {"o": [0.0], "p": [2.5]})
    # both requests leave at 0; x is done at 1, y at 3; meanwhile order #2 takes f's employee 2.5-3.5;
    # order #1 queues at 3 (not before: waiting on needs is in no queue), is served 3.5-4.
    assert times(rec, "request", item="order #1") == [0.0, 0.0]
    assert times(rec, "fulfil") == [1.0, 3.0]
    assert times(rec, "queue", item="order #1") == [3.0]
    assert times(rec, "start", item="order #1") == [3.5]
    assert times(rec, "start", service="f.f") == [3.5]
    assert events(rec, "complete") == [(3.5, "order #2", None), (4.0, "order #1", None)]
    st = metrics.structure(sc)
    f, s1, s2 = (st.targets.index(n) for n in ("f", "s1", "s2"))
    assert b["resp_sum"][f, s1] == pytest.approx(1.0) and b["resp_sum"][f, s2] == pytest.approx(3.0)
    assert b["resp_count"][f, s1] == 1 and b["resp_count"][f, s2] == 1
    assert b["dept_blocked"][f] == 0.0
    assert b["dept_busy"][f] == pytest.approx(1.5)
    assert b["seg_wait_sum"][0] == pytest.approx(0.5)  # order #1's only queue wait


def test_fork_join_with_hold_blocks_the_employee():
    sc = scenario(
        {"f": {"headcount": 1, "services": {"f": {"time": det(1.0), "needs": [{"service": "s.x", "hold": True}]}}},
         "s": {"headcount": 1, "services": {"x": {"time": det(2.0)}}}},
        {"o": segment(["f.f"])},
    )
    _, b, _, rec = run(sc, {"o": [0.0, 0.5]})
    # order 1 takes f's only employee at 0, who is blocked 0-2 while s works, then serves 2-3.
    # order 2 waits for that employee 0.5-3, blocks them 3-5, is served 5-6.
    assert times(rec, "block") == [0.0, 3.0]
    assert events(rec, "start", department="f") == [(2.0, "order #1", "f.f"), (5.0, "order #2", "f.f")]
    assert events(rec, "complete") == [(3.0, "order #1", None), (6.0, "order #2", None)]
    assert b["dept_blocked"].tolist() == pytest.approx([4.0, 0.0])
    assert b["dept_busy"].tolist() == pytest.approx([6.0, 4.0])
    assert b["dept_wait_sum"][0] == pytest.approx(2.5)
    m = metrics.replication_metrics(b_row(sc, b), metrics.structure(sc))
    assert m["dept.f.blocked_share"][0] == pytest.approx(0.4)
    assert m["dept.f.utilisation"][0] == pytest.approx(0.6)
    assert m["internal.f.s.response_mean"][0] == pytest.approx(2.0)


def b_row(sc, blocks):
    """Pack unpacked blocks back into one accumulator row."""
    table, length = layout.offsets(metrics.structure(sc).blocks())
    row = np.zeros(length)
    for name, (start, shape) in table.items():
        row[start : start + int(np.prod(shape))] = np.ravel(blocks[name])
    return row[None, :]


# --------------------------------------------------------------------------- defects


def with_service(sc, ref, **changes):
    """A copy of a validated scenario with one service changed, unchecked: for cases the validator refuses."""
    d, s = ref.split(".")
    dept = sc.departments[d]
    svc = dept.services[s].model_copy(update=changes)
    dept = dept.model_copy(update={"services": {**dept.services, s: svc}})
    return sc.model_copy(update={"departments": {**sc.departments, d: dept}})


def test_caught_defect_is_redone_at_the_same_service():
    # a.s is always defective and b always catches it: the work is redone again and again (the validator
    # refuses such a scenario because it never ends; here it runs until t = 3.5)
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0), "defect_rate": 1.0, "detection": 0.5}}},
         "b": {"headcount": 1, "services": {"t": {"time": det(1.0)}}}},
        {"x": segment(["a.s", "b.t"])},
    )
    sc = with_service(sc, "a.s", detection=1.0)
    _, b, _, rec = run(sc, {"x": [0.0]}, until=3.5)
    assert times(rec, "defect") == [1.0, 2.0, 3.0]
    assert all("caught by b, redone" in r["text"] for r in rec if r["event"] == "defect")
    assert [(t, s) for t, _, s in events(rec, "start")] == [(0.0, "a.s"), (1.0, "a.s"), (2.0, "a.s"), (3.0, "a.s")]
    assert b["services_completed"][0] == 3 and b["services_redone"][0] == 2
    assert b["seg_completed"][0] == 0


def test_redo_queues_again_behind_waiting_work():
    sc = with_service(
        scenario(
            {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}, "q": {"time": det(1.0)}}},
             "b": {"headcount": 1, "services": {"t": {"time": det(1.0)}}}},
            {"x": segment(["a.s", "b.t"]), "y": segment(["a.q"])},
        ),
        "a.s", defect_rate=1.0, detection=1.0,
    )
    # order 1's first pass ends at 1 and is caught; order 2 (t=0.5) is already queued, so the redo waits
    _, _, _, rec = run(sc, {"x": [0.0], "y": [0.5]}, until=2.5)
    assert events(rec, "start") == [(0.0, "order #1", "a.s"), (1.0, "order #2", "a.q"), (2.0, "order #1", "a.s")]


def test_defect_loop_relations_hold_for_any_draw():
    # a.s is always defective; b catches each defect with probability 1/2: each order's a.s work is redone
    # until one defect is missed, which escapes; so per order: passes = caught + 1, one escaped defect
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0), "defect_rate": 1.0, "detection": 0.5}}},
         "b": {"headcount": 1, "services": {"t": {"time": det(1.0)}}}},
        {"x": segment(["a.s", "b.t"], expectation=1000.0, defect_penalty=3.0)},
        horizon=2000.0,
        period=2000.0,
    )
    org, b, _, rec = run(sc, {"x": [100.0 * k for k in range(12)]})
    caught = [r for r in rec if r["event"] == "defect" and "caught" in r["text"]]
    missed = [r for r in rec if r["event"] == "defect" and "missed" in r["text"]]
    assert len(missed) == 12
    assert b["services_redone"][0] == len(caught)
    assert b["services_completed"][0] == 12 + len(caught) + 12  # a passes, plus b once per order
    assert b["seg_score_sum"][0] == pytest.approx(12 * 7.0)  # one escaped defect each
    for k in range(12):  # order k+1 reaches b after its a passes, one time unit each
        label = f"order #{k + 1}"
        passes = sum(1 for r in rec if r["event"] == "start" and r["item"] == label and r["service"] == "a.s")
        assert times(rec, "start", item=label, service="b.t") == [100.0 * k + passes]


def test_missed_and_last_step_defects_escape_and_cost_score():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0), "defect_rate": 1.0, "detection": 0.0}}},
         "b": {"headcount": 1, "services": {"t": {"time": det(1.0), "defect_rate": 1.0, "detection": 0.5}}}},
        {"x": segment(["a.s", "b.t"], expectation=10.0, defect_penalty=3.0)},
    )
    _, b, _, rec = run(sc, {"x": [0.0]})
    # a's defect is missed by b; b's defect has no internal customer left, whatever its detection:
    # 2 escaped, score 10 - 2 x 3
    assert times(rec, "defect") == [1.0, 2.0]
    assert "no internal customer is left" in [r for r in rec if r["event"] == "defect"][1]["text"]
    assert b["services_redone"][0] == 0
    assert b["seg_score_sum"][0] == pytest.approx(4.0)
    assert b["seg_detractors"][0] == 1


def test_sub_request_defect_marks_the_order_that_caused_it():
    sc = scenario(
        {"f": {"headcount": 1, "services": {"f": {"time": det(1.0), "needs": [{"service": "s.x"}]}}},
         "s": {"headcount": 1, "services": {"x": {"time": det(1.0), "defect_rate": 1.0, "detection": 0.0}}}},
        {"o": segment(["f.f"], expectation=10.0, defect_penalty=3.0)},
    )
    _, b, _, rec = run(sc, {"o": [0.0]})
    assert times(rec, "complete") == [2.0]
    assert b["seg_score_sum"][0] == pytest.approx(7.0)  # one escaped defect: 10 - 3


# --------------------------------------------------------------------------- patience


def test_abandonment_counts_total_queue_wait_across_departments():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}}},
         "b": {"headcount": 1, "services": {"t": {"time": det(3.0)}}}},
        {"x": segment(["a.s", "b.t"], patience=det(2.0), abandon_score=1.5, expectation=5.0)},
    )
    org, b, _, rec = run(sc, {"x": [0.0, 0.0]})
    # order 1: a 0-1, b 1-4.  order 2 waits 1 at a (0-1), is served 1-2, queues at b from 2 while b is busy
    # to 4: its remaining patience is 1, so it abandons at 3 after 2 h of waiting in total.
    assert events(rec, "abandon") == [(3.0, "order #2", None)]
    assert "after waiting 2.00 h" in [r for r in rec if r["event"] == "abandon"][0]["text"]
    assert times(rec, "complete") == [4.0]
    assert b["seg_completed"][0] == 1 and b["seg_abandoned"][0] == 1
    assert b["seg_score_sum"][0] == pytest.approx(10.0 + 1.5)
    assert b["dept_visits"].tolist() == [2, 1]  # the abandoned wait at b never started service
    assert b["dept_wait_sum"].tolist() == pytest.approx([1.0, 0.0])
    assert b["seg_wait_sum"][0] == 0.0  # waits of completed orders only
    assert org.segments[0].in_system == 0


def test_abandoned_request_leaves_the_queue():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(2.0)}}}},
        {"x": segment(["a.s"], patience=det(0.5))},
    )
    _, b, _, rec = run(sc, {"x": [0.0, 0.25, 3.0]})
    # order 2 gives up at 0.75; the employee is free at 2, so order 3 (at 3) starts at once
    assert times(rec, "abandon") == [0.75]
    assert events(rec, "start") == [(0.0, "order #1", "a.s"), (3.0, "order #3", "a.s")]
    assert b["dept_busy"][0] == pytest.approx(4.0)


# --------------------------------------------------------------------------- queue priority


@pytest.mark.parametrize(
    "priority, order",
    [
        ("fifo", ["order #1", "order #2", "request #1", "order #4"]),
        ("external_first", ["order #1", "order #2", "order #4", "request #1"]),
        ("internal_first", ["order #1", "request #1", "order #2", "order #4"]),
    ],
)
def test_priority_order(priority, order):
    sc = scenario(
        {"d": {"headcount": 1, "services": {"e": {"time": det(1.0)}, "i": {"time": det(1.0)}}},
         "f": {"headcount": 1, "services": {"f": {"time": det(0.1), "needs": [{"service": "d.i"}]}}}},
        {"ext": segment(["d.e"]), "int": segment(["f.f"])},
        policy={"priority": priority},
    )
    # order 1 occupies d 0-1; then external order 2 (t=0.1), the internal request of order 3 (t=0.2)
    # and external order 4 (t=0.3) queue at d
    _, _, _, rec = run(sc, {"ext": [0.0, 0.1, 0.3], "int": [0.2]})
    started = events(rec, "start", department="d")
    assert [item for _, item, _ in started] == order
    assert [t for t, _, _ in started] == [0.0, 1.0, 2.0, 3.0]


# --------------------------------------------------------------------------- customers


def test_churn_one_customer_per_ended_order():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}}}},
        {"x": segment(
            ["a.s"],
            arrivals={"population": 5, "rate_per_customer": 0.0},
            churn={"floor": 1.0, "ceiling": 1.0},
        )},
    )
    _, b, p, rec = run(sc, {"x": [0.0, 2.0, 3.0]})
    assert times(rec, "churn") == [1.0, 3.0, 4.0]
    assert b["seg_churned"][0] == 3 and b["seg_active_at_warmup"][0] == 5
    assert p["seg_active"][:, 0].tolist() == [2, 2]
    m = metrics.replication_metrics(b_row(sc, b), metrics.structure(sc))
    assert m["external.churn_rate"][0] == pytest.approx(0.6)


def test_no_churn_at_zero_probability():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}}}},
        {"x": segment(["a.s"], arrivals={"population": 5, "rate_per_customer": 0.0}, churn={"floor": 0.0, "ceiling": 0.0})},
    )
    _, b, p, _ = run(sc, {"x": [0.0, 2.0]})
    assert b["seg_churned"][0] == 0 and p["seg_active"][:, 0].tolist() == [5, 5]


# --------------------------------------------------------------------------- morale and staff


def test_morale_update_from_utilisation_and_speed_effect():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(36.0)}}}},
        {"x": segment(["a.s"])},
        horizon=120.0,
        period=40.0,
        morale={"enabled": True, "attrition_rate": 0.0},
    )
    org, b, p, rec = run(sc, {"x": [0.0, 41.0]})
    # period 1: busy 36 of 40 -> u = 0.9; target = 0.75 - 2 (0.9 - 0.85) = 0.65; m = 0.75 + 0.3 (0.65 - 0.75)
    m1 = 0.75 + 0.3 * (0.65 - 0.75)
    assert p["dept_morale"][0, 0] == pytest.approx(m1)
    # the second order starts at 41 at speed 1 + 0.4 (m1 - 0.75): it takes 36 / speed
    speed = 1.0 + 0.4 * (m1 - 0.75)
    assert times(rec, "complete") == [36.0, pytest.approx(41.0 + 36.0 / speed)]
    u2 = (36.0 / speed) / 40.0
    m2 = m1 + 0.3 * ((0.75 - 2.0 * (u2 - 0.85)) - m1)
    assert p["dept_morale"][1, 0] == pytest.approx(m2)
    # no boundary at the horizon: the last period keeps m2, and so does the horizon's morale
    assert p["dept_morale"][2, 0] == pytest.approx(m2)
    assert b["dept_morale"][0] == pytest.approx(m2)
    assert [r["text"].split("  ", 1)[1] for r in rec if r["event"] == "period"][0] == (
        f"period 1 ends: a utilisation 0.90, morale 0.75 → {m1:.2f}"
    )


def test_blocked_share_lowers_morale():
    sc = scenario(
        {"f": {"headcount": 1, "services": {"f": {"time": det(2.0), "needs": [{"service": "s.x", "hold": True}]}}},
         "s": {"headcount": 1, "services": {"x": {"time": det(8.0)}}}},
        {"o": segment(["f.f"])},
        horizon=40.0,
        period=20.0,
        morale={"enabled": True, "attrition_rate": 0.0, "blocked_effect": 1.0},
    )
    _, _, p, _ = run(sc, {"o": [0.0]})
    # f: blocked 0-8, serving 8-10: u = 10/20 (below the threshold), b = 8/20
    assert p["dept_blocked"][0].tolist() == pytest.approx([8.0, 0.0])
    assert p["dept_morale"][0, 0] == pytest.approx(0.75 + 0.3 * ((0.75 - 0.4) - 0.75))


def test_leavers_leave_when_next_free_and_are_replaced_after_the_hiring_delay():
    sc = scenario(
        {"a": {"headcount": 2, "services": {"s": {"time": det(45.0)}}}},
        {"x": segment(["a.s"])},
        horizon=80.0,
        period=40.0,
        morale={"enabled": True, "attrition_rate": 50.0, "hiring_delay": 10.0},
    )
    # attrition probability 1 - exp(-50) rounds to 1: both employees leave at the boundary t = 40.
    org, b, p, rec = run(sc, {"x": [0.0, 41.0]})
    assert times(rec, "leave") == [40.0, 45.0]  # the idle one at once, the busy one when free at 45
    assert times(rec, "hire") == [50.0, 55.0]
    assert events(rec, "start") == [(0.0, "order #1", "a.s"), (50.0, "order #2", "a.s")]
    # present: 2 until 40, 1 for 40-45, 0 for 45-50, 1 for 50-55, 2 for 55-80
    assert p["dept_available"][:, 0].tolist() == pytest.approx([80.0, 5.0 + 0.0 + 5.0 + 50.0])
    assert p["dept_busy"][:, 0].tolist() == pytest.approx([40.0, 5.0 + 30.0])
    assert p["dept_headcount"][:, 0].tolist() == [2, 2]
    assert b["dept_wait_sum"][0] == pytest.approx(9.0)
    # staffed is the time-average present, where heads (2 at both period ends) hides the gap
    st = metrics.structure(sc)
    _, periods = org.books()
    assert metrics.period_metrics(periods[None], st)["dept.a.staffed"][0].tolist() == pytest.approx([2.0, 60.0 / 40.0])
    assert metrics.replication_metrics(b_row(sc, b), st)["dept.a.staffed"][0] == pytest.approx(140.0 / 80.0)


def test_empty_department_has_no_available_time():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}}},
         "spare": {"headcount": 0, "services": {"s": {"time": det(1.0)}}}},
        {"x": segment(["a.s"])},
    )
    _, b, _, _ = run(sc, {"x": [0.0]}, headcount={"a": 1, "spare": 0})
    assert b["dept_available"].tolist() == [10.0, 0.0]
    m = metrics.replication_metrics(b_row(sc, b), metrics.structure(sc))
    assert math.isnan(m["dept.spare.utilisation"][0])


# --------------------------------------------------------------------------- suppliers


def test_supplier_delivery_invoice_and_lead_time_factor():
    sc = scenario(
        {"f": {"headcount": 1, "services": {"f": {"time": det(1.0), "needs": [{"supplier": "p"}]}}},
         "fin": {"headcount": 1, "services": {"pay": {"time": det(2.0)}}}},
        {"o": segment(["f.f"])},
        suppliers={"p": {"lead_time": det(5.0), "paid_by": "fin.pay", "payment_terms": 1.0, "payment_sensitivity": 0.5}},
        horizon=30.0,
        period=10.0,
    )
    org, b, _, rec = run(sc, {"o": [0.0, 12.0]})
    # order 1: delivery at 5, served 5-6; the invoice is paid 5-7 (2 h after it was raised).
    # boundary t=10: factor = 1 + 0.5 (2/1 - 1) = 1.5, so order 2 (t=12) gets its delivery 7.5 later.
    assert times(rec, "deliver") == [5.0, 19.5]
    assert times(rec, "paid") == [7.0, 21.5]
    assert times(rec, "complete") == [6.0, 20.5]
    assert org.suppliers[0].factor == pytest.approx(1.5)  # no invoice paid in [10, 20): unchanged
    st = metrics.structure(sc)
    f, p = st.targets.index("f"), st.targets.index("p")
    assert b["resp_sum"][f, p] == pytest.approx(5.0 + 7.5) and b["resp_count"][f, p] == 2
    assert b["services_completed"][0] == 4
    assert b["dept_busy"].tolist() == pytest.approx([2.0, 4.0])


# --------------------------------------------------------------------------- warm-up and stopping early


def test_warmup_counts_by_the_deciding_event_time():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}}}},
        {"x": segment(["a.s"])},
        warmup=2.0,
    )
    _, b, p, _ = run(sc, {"x": [0.5, 1.5, 2.5]})
    # arrivals at or after 2: one; orders ending at or after 2: at 2.5 and 3.5; services starting after 2: one
    assert b["seg_arrivals"][0] == 1
    assert b["seg_completed"][0] == 2
    assert b["dept_visits"][0] == 1
    assert b["services_completed"][0] == 2
    assert b["dept_busy"][0] == pytest.approx(0.5 + 1.0)  # [2, 10]: 2-2.5 and 2.5-3.5
    assert b["dept_available"][0] == pytest.approx(8.0)
    assert p["seg_completed"][:, 0].tolist() == [3, 0]  # period rows include the warm-up


def test_until_stops_the_run_and_the_trace():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": {"dist": "exponential", "mean": 0.5}}}}},
        {"x": {"arrivals": {"rate": 1.0}, "journey": ["a.s"], "expectation": 1.0}},
        horizon=100.0,
        period=10.0,
    )
    out = simulate(sc, {"a": 1}, seed=3, replications=[0, 1], trace=True, until=20.0)
    assert out.trace and max(r["time"] for r in out.trace) <= 20.0
    assert set(out.trace[0]) == {"time", "event", "item", "segment", "department", "service", "text"}
    b = layout.unpack(out.rows, metrics.structure(sc).blocks())
    assert b["dept_available"][:, 0].tolist() == pytest.approx([20.0, 20.0])
    assert out.periods[:, 2:].sum() == 0.0  # periods after t = 20 never happened


def test_narration_reads_as_plain_english():
    sc = scenario(
        {"support": {"headcount": 1, "services": {"resolve": {"time": det(1.0), "needs": [{"service": "it.fix", "hold": True}]}}},
         "it": {"headcount": 1, "services": {"fix": {"time": det(2.0)}}}},
        {"consumers": segment(["support.resolve"], expectation=2.5)},
    )
    _, _, _, rec = run(sc, {"consumers": [0.0, 0.5]})
    texts = [r["text"] for r in rec]
    assert "t=0.00  order #1 (consumers) waits for it.fix: IT is support's internal supplier; 0 ahead in queue" in texts
    assert "t=0.50  order #2 (consumers) queues at support; 0 ahead in queue, 1 of 1 employees busy" in texts
    assert "t=3.00  order #2 (consumers) waits for it.fix: IT is support's internal supplier; 0 ahead in queue" in texts
    # order 2 ends at 6 after 5.5 h: 10 exp(-0.5 (5.5/2.5 - 1)) = 5.49, a detractor
    assert f"t=6.00  order #2 (consumers) completes after 5.50 h (waited 2.50 h); scores {10 * math.exp(-0.6):.1f}, a detractor" in texts
    assert all(r["text"].startswith(f"t={r['time']:.2f}  ") for r in rec)


# --------------------------------------------------------------------------- policies during the run


def test_periodic_review_moves_one_employee_from_least_to_most_utilised():
    sc = scenario(
        {"a": {"headcount": 2, "services": {"s": {"time": det(1.0)}}},
         "b": {"headcount": 1, "services": {"t": {"time": det(25.0)}}}},
        {"x": segment(["b.t"])},
        horizon=30.0,
        period=10.0,
        policy={"review": {"every": 1, "threshold": 0.1, "transfer_delay": 5.0}, "min_per_department": 1},
    )
    _, b, p, rec = run(sc, {"x": [0.0, 11.0]})
    # t=10: a was idle (u 0), b busy (u 1): an idle employee of a leaves at once and starts in b at 15.
    # t=20: a has one employee left, the least any department keeps: no move.
    assert times(rec, "review") == [10.0]
    assert times(rec, "transfer") == [10.0]
    assert [(r["time"], r["department"]) for r in rec if r["event"] == "join"] == [(15.0, "b")]
    assert events(rec, "start") == [(0.0, "order #1", "b.t"), (15.0, "order #2", "b.t")]
    assert p["dept_headcount"].tolist() == [[2, 1], [1, 2], [1, 2]]
    assert p["dept_available"][:, 0].tolist() == pytest.approx([20.0, 10.0, 10.0])
    assert p["dept_available"][:, 1].tolist() == pytest.approx([10.0, 15.0, 20.0])
    assert b["dept_wait_sum"][1] == pytest.approx(4.0)


def test_training_speeds_work_up_over_time():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(4.0)}}}},
        {"x": segment(["a.s"])},
        horizon=40.0,
        period=40.0,
        policy={"budget": 10, "investments": {"training": 5, "training_effect": 2.0, "training_lag": 10.0}},
    )
    _, _, _, rec = run(sc, {"x": [10.0]})
    # invested share 5/10: speed x (1 + 2 x 0.5 x (1 - exp(-10/10))) at the start, t = 10
    assert times(rec, "complete") == [pytest.approx(10.0 + 4.0 / (2.0 - math.exp(-1.0)))]


def test_recognition_lifts_the_morale_target():
    sc = scenario(
        {"a": {"headcount": 1, "services": {"s": {"time": det(1.0)}}}},
        {"x": segment(["a.s"])},
        horizon=20.0,
        period=10.0,
        morale={"enabled": True, "attrition_rate": 0.0},
        policy={"budget": 10, "investments": {"recognition": 5, "recognition_effect": 1.0}},
    )
    _, _, p, _ = run(sc, {"x": [0.0]})
    # u = 0.1: target = clip(0.75 + 1.0 x 0.5, 0, 1) = 1; morale 0.75 + 0.3 (1 - 0.75)
    assert p["dept_morale"][0, 0] == pytest.approx(0.825)
