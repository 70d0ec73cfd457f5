"""Traffic equations and the stability check against loads computed by hand.

Every expected number below is worked out in the comments from the model's
rules (DESIGN.md): offered load of a department = sum over its services of
(services performed per time unit) x (mean work time / skill), plus a floor
for employees held while waiting.  Nothing here calls orgsim.scenario.traffic to get
an expected value.
"""

from __future__ import annotations

import re

import pytest

import orgsim
from orgsim.scenario.checks import stability_problems
from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.traffic import solve

REL = 1e-9  # the equations are linear algebra on a handful of numbers: only rounding error is allowed


def svc(mean: float, **extra) -> dict:
    return {"time": {"dist": "exponential", "mean": mean}, **extra}


def dept(headcount: int, **services) -> dict:
    return {"headcount": headcount, "services": services}


def open_segment(rate: float, *journey) -> dict:
    return {"arrivals": {"rate": rate}, "journey": list(journey), "expectation": 1.0}


def build(departments: dict, segments: dict, suppliers: dict | None = None, allow_unstable=True, **top):
    raw = {"horizon": 1000, "departments": departments, "segments": segments, "allow_unstable": allow_unstable, **top}
    if suppliers:
        raw["suppliers"] = suppliers
    return validate_mapping(raw, "t.yaml")


# --------------------------------------------------------------------------- (a) one station


def test_single_station_load_is_rate_times_mean():
    # M/M/1: lambda = 2 per hour, E[S] = 0.4 h  ->  offered load 2 x 0.4 = 0.8 erlang
    s = build({"a": dept(1, s=svc(0.4))}, {"c": open_segment(2.0, "a.s")}, allow_unstable=False)
    t = solve(s)
    assert t.demand["a.s"] == pytest.approx(2.0, rel=REL)
    assert t.executions["a.s"] == pytest.approx(2.0, rel=REL)
    assert t.load["a"] == pytest.approx(0.8, rel=REL)
    assert t.utilisation({"a": 1})["a"] == pytest.approx(0.8, rel=REL)
    assert stability_problems(s) == []


@pytest.mark.parametrize(
    "time, mean",
    [
        ({"dist": "deterministic", "value": 0.4}, 0.4),
        ({"dist": "uniform", "low": 0.2, "high": 0.6}, 0.4),  # (0.2 + 0.6) / 2
        ({"dist": "triangular", "low": 0.1, "mode": 0.4, "high": 0.7}, 0.4),  # (0.1 + 0.4 + 0.7) / 3
        ({"dist": "erlang", "mean": 0.4, "k": 5}, 0.4),
        ({"dist": "gamma", "mean": 0.4, "cv": 2.0}, 0.4),
        ({"dist": "lognormal", "mean": 0.4, "cv": 0.3}, 0.4),
    ],
    ids=lambda v: v["dist"] if isinstance(v, dict) else None,
)
def test_load_depends_on_the_mean_only(time, mean):
    s = build({"a": dept(1, s={"time": time})}, {"c": open_segment(2.0, "a.s")})
    assert solve(s).load["a"] == pytest.approx(2.0 * mean, rel=REL)


def test_skill_divides_work_time():
    # skill 1.6: 2/h x 0.4 h / 1.6 = 0.5
    departments = {"a": {"headcount": 1, "skill": 1.6, "services": {"s": svc(0.4)}}}
    assert solve(build(departments, {"c": open_segment(2.0, "a.s")})).load["a"] == pytest.approx(0.5, rel=REL)


def test_morale_below_baseline_slows_work():
    # speed = 1 + productivity_effect x (initial - baseline) = 1 + 0.4 x (0.5 - 0.75) = 0.9
    # load = 2 x 0.4 / 0.9 = 0.8888...
    s = build(
        {"a": dept(1, s=svc(0.4))}, {"c": open_segment(2.0, "a.s")},
        morale={"enabled": True, "initial": 0.5, "baseline": 0.75, "productivity_effect": 0.4},
    )
    assert solve(s).load["a"] == pytest.approx(0.8 / 0.9, rel=REL)


def test_boundary_utilisation_one_is_unstable():
    # 2.5/h x 0.4 h = 1.0 erlang on one employee: utilisation exactly 1 is not stable
    with pytest.raises(orgsim.ScenarioError) as info:
        build({"a": dept(1, s=svc(0.4))}, {"c": open_segment(2.5, "a.s")}, allow_unstable=False)
    assert info.value.problems == [
        "t.yaml: departments.a.headcount: unstable: offered load 1 employees on headcount 1 (utilisation 1 >= 1) "
        "from work that cannot leave (internal requests, orders without patience); "
        "raise headcount to at least 2, lower the demand, or set allow_unstable: true"
    ]
    # just below the boundary is accepted
    assert build({"a": dept(1, s=svc(0.4))}, {"c": open_segment(2.49, "a.s")}, allow_unstable=False)


# --------------------------------------------------------------------------- (b) journeys with `next`


def test_feedback_loop_visits():
    # journey A -> B; after B the item returns to A with p = 0.25, else completes.
    # visits to A: v = 1 + 0.25 v  ->  v = 1 / (1 - 0.25) = 4/3; B is visited after every A: 4/3.
    # rate 1.5/h -> 2/h at A and at B; loads 2 x 0.3 = 0.6 and 2 x 0.2 = 0.4
    s = build(
        {"a": dept(1, s=svc(0.3)), "b": dept(1, t=svc(0.2))},
        {"c": open_segment(1.5, "a.s", {"service": "b.t", "next": {"a.s": 0.25}})},
    )
    t = solve(s)
    assert t.demand["a.s"] == pytest.approx(2.0, rel=REL)
    assert t.demand["b.t"] == pytest.approx(2.0, rel=REL)
    assert t.load["a"] == pytest.approx(0.6, rel=REL)
    assert t.load["b"] == pytest.approx(0.4, rel=REL)


def test_branching_and_early_exit():
    # A -> B; B goes on to C with p = 0.5 and ends the journey otherwise; C -> D in order.
    # `next: {}` at D ends there, so E (listed after D) is never visited.
    # rate 4: A 4, B 4, C 2, D 2, E 0
    s = build(
        {"a": dept(9, s=svc(1.0), b=svc(1.0), c=svc(1.0), d=svc(1.0), e=svc(1.0))},
        {"k": open_segment(4.0, "a.s", {"service": "a.b", "next": {"a.c": 0.5}}, "a.c",
                           {"service": "a.d", "next": {}}, "a.e")},
    )
    t = solve(s)
    assert [t.demand[r] for r in ("a.s", "a.b", "a.c", "a.d", "a.e")] == pytest.approx([4, 4, 2, 2, 0], rel=REL, abs=1e-12)
    assert t.load["a"] == pytest.approx(12.0, rel=REL)


def test_jackson_tandem_with_two_feedbacks():
    # Steps A, B, C.  After A: always B.  After B: back to A w.p. 0.2, on to C w.p. 0.5, exit 0.3.
    # After C: back to B w.p. 0.4, exit 0.6.
    # Traffic: a = r + 0.2 b ; b = a + 0.4 c ; c = 0.5 b.
    #   b = a + 0.2 b  ->  b = a / 0.8 = 1.25 a ;  a = r + 0.25 a  ->  a = r / 0.75
    #   r = 3: a = 4, b = 5, c = 2.5
    s = build(
        {"x": dept(20, a=svc(0.5), b=svc(0.5), c=svc(0.5))},
        {"k": open_segment(3.0, "x.a", {"service": "x.b", "next": {"x.a": 0.2, "x.c": 0.5}},
                           {"service": "x.c", "next": {"x.b": 0.4}})},
    )
    t = solve(s)
    assert t.demand["x.a"] == pytest.approx(4.0, rel=REL)
    assert t.demand["x.b"] == pytest.approx(5.0, rel=REL)
    assert t.demand["x.c"] == pytest.approx(2.5, rel=REL)
    assert t.load["x"] == pytest.approx(0.5 * (4 + 5 + 2.5), rel=REL)


def test_segments_add_up():
    # two segments on one service: 1.0/h + 0.5/h = 1.5/h x 0.4 h = 0.6
    s = build({"a": dept(1, s=svc(0.4))}, {"c": open_segment(1.0, "a.s"), "d": open_segment(0.5, "a.s")})
    assert solve(s).load["a"] == pytest.approx(0.6, rel=REL)


# --------------------------------------------------------------------------- (c) needs


def test_need_with_probability_halves_demand():
    # front.serve needs back.do with p = 0.5: back sees 0.5 x 3/h = 1.5/h; x 0.6 h = 0.9 erlang
    s = build(
        {"front": dept(2, serve=svc(0.5, needs=[{"service": "back.do", "probability": 0.5}])),
         "back": dept(1, do=svc(0.6))},
        {"c": open_segment(3.0, "front.serve")},
    )
    t = solve(s)
    assert t.demand["back.do"] == pytest.approx(1.5, rel=REL)
    assert t.load["back"] == pytest.approx(0.9, rel=REL)
    assert t.load["front"] == pytest.approx(1.5, rel=REL)  # the need itself adds no front work without hold


def test_nested_needs_multiply_and_converge():
    # front (3/h) -> back w.p. 0.5 -> deep w.p. 0.4 ; side (1/h, its own segment) -> deep w.p. 1
    # back: 1.5/h ; deep: 1.5 x 0.4 + 1 x 1 = 1.6/h ; deep load 1.6 x 0.25 = 0.4
    s = build(
        {"front": dept(2, serve=svc(0.5, needs=[{"service": "back.do", "probability": 0.5}])),
         "back": dept(1, do=svc(0.6, needs=[{"service": "deep.dig", "probability": 0.4}])),
         "side": dept(1, go=svc(0.1, needs=[{"service": "deep.dig"}])),
         "deep": dept(1, dig=svc(0.25))},
        {"c": open_segment(3.0, "front.serve"), "d": open_segment(1.0, "side.go")},
    )
    t = solve(s)
    assert t.demand["back.do"] == pytest.approx(1.5, rel=REL)
    assert t.demand["deep.dig"] == pytest.approx(1.6, rel=REL)
    assert t.load["deep"] == pytest.approx(0.4, rel=REL)


def test_needs_fire_once_per_visit_of_a_revisited_step():
    # A is visited 4/3 times per order (feedback 0.25); each visit fires A's need w.p. 0.3:
    # rate 1.5 -> A demand 2 -> need demand 0.6/h
    s = build(
        {"a": dept(2, s=svc(0.3, needs=[{"service": "n.x", "probability": 0.3}])), "b": dept(1, t=svc(0.2)),
         "n": dept(1, x=svc(1.0))},
        {"c": open_segment(1.5, "a.s", {"service": "b.t", "next": {"a.s": 0.25}})},
    )
    assert solve(s).demand["n.x"] == pytest.approx(0.6, rel=REL)


# --------------------------------------------------------------------------- (d) rework


def test_rework_when_the_item_continues():
    # A then B.  A's defect rate 0.1, detection 0.5: a defect is caught by B (the next internal customer)
    # w.p. 0.5 and A redoes the work; each redo can be defective again.  Executions per demand form a
    # geometric series: 1 + 0.05 + 0.05^2 + ... = 1 / (1 - 0.05).  Demand 2/h -> 2 / 0.95 executions.
    s = build(
        {"a": dept(2, s=svc(0.5, defect_rate=0.1, detection=0.5)), "b": dept(1, t=svc(0.1))},
        {"c": open_segment(2.0, "a.s", "b.t")},
    )
    t = solve(s)
    assert t.demand["a.s"] == pytest.approx(2.0, rel=REL)
    assert t.executions["a.s"] == pytest.approx(2.0 / 0.95, rel=REL)
    assert t.load["a"] == pytest.approx(2.0 / 0.95 * 0.5, rel=REL)


def test_no_rework_at_the_last_step():
    # Same service as the LAST step: no internal customer follows, so defects escape, none are redone.
    s = build(
        {"a": dept(2, s=svc(0.5, defect_rate=0.1, detection=0.5)), "b": dept(1, t=svc(0.1))},
        {"c": open_segment(2.0, "b.t", "a.s")},
    )
    t = solve(s)
    assert t.executions["a.s"] == pytest.approx(2.0, rel=REL)
    assert t.load["a"] == pytest.approx(1.0, rel=REL)


def test_rework_when_the_item_continues_only_sometimes():
    # A's `next` sends the item on to B w.p. 0.4 and ends the journey w.p. 0.6.
    # Continuing visits are redone as above (1 / 0.95 executions); ending visits are done once.
    # executions = 2 x (0.4 / 0.95 + 0.6)
    s = build(
        {"a": dept(2, s=svc(0.5, defect_rate=0.1, detection=0.5)), "b": dept(1, t=svc(0.1))},
        {"c": open_segment(2.0, {"service": "a.s", "next": {"b.t": 0.4}}, "b.t")},
    )
    assert solve(s).executions["a.s"] == pytest.approx(2.0 * (0.4 / 0.95 + 0.6), rel=REL)


def test_rework_of_internal_work():
    # Sub-requests always return to an internal customer (the requester), so their defects are caught:
    # back.do demand 1.5/h (3/h x 0.5), defect 0.2, detection 0.9 -> executions 1.5 / (1 - 0.18)
    s = build(
        {"front": dept(2, serve=svc(0.5, needs=[{"service": "back.do", "probability": 0.5}])),
         "back": dept(1, do=svc(0.4, defect_rate=0.2, detection=0.9))},
        {"c": open_segment(3.0, "front.serve")},
    )
    t = solve(s)
    assert t.demand["back.do"] == pytest.approx(1.5, rel=REL)
    assert t.executions["back.do"] == pytest.approx(1.5 / 0.82, rel=REL)
    assert t.load["back"] == pytest.approx(1.5 / 0.82 * 0.4, rel=REL)


def test_redone_work_does_not_refire_needs():
    # needs fire once per demand, not per execution: A (defects caught 5%) needs N w.p. 1 -> N sees 2/h
    s = build(
        {"a": dept(2, s=svc(0.5, defect_rate=0.1, detection=0.5, needs=[{"service": "n.x"}])),
         "b": dept(1, t=svc(0.1)), "n": dept(1, x=svc(0.1))},
        {"c": open_segment(2.0, "a.s", "b.t")},
    )
    assert solve(s).demand["n.x"] == pytest.approx(2.0, rel=REL)


# --------------------------------------------------------------------------- (e) suppliers and invoices


def test_supplier_invoices_arrive_at_paid_by():
    # front.serve (4/h) orders parts w.p. 0.25 -> 1 delivery/h -> 1 invoice/h at finance.pay (0.3 h each)
    # A second supplier without paid_by raises no invoices.
    s = build(
        {"front": dept(3, serve=svc(0.5, needs=[{"supplier": "parts", "probability": 0.25},
                                                 {"supplier": "free", "probability": 0.5}])),
         "finance": dept(1, pay=svc(0.3))},
        {"c": open_segment(4.0, "front.serve")},
        {"parts": {"lead_time": {"dist": "exponential", "mean": 10}, "paid_by": "finance.pay"},
         "free": {"lead_time": {"dist": "exponential", "mean": 10}}},
    )
    t = solve(s)
    assert t.supplier_rates["parts"] == pytest.approx(1.0, rel=REL)
    assert t.supplier_rates["free"] == pytest.approx(2.0, rel=REL)
    assert t.demand["finance.pay"] == pytest.approx(1.0, rel=REL)
    assert t.load["finance"] == pytest.approx(0.3, rel=REL)
    assert t.load["front"] == pytest.approx(2.0, rel=REL)  # waiting on a delivery costs nothing without hold


def test_invoice_payment_can_have_needs_too():
    # finance.pay needs audit.check w.p. 0.5: 1 invoice/h -> 0.5 checks/h x 0.8 h = 0.4
    s = build(
        {"front": dept(3, serve=svc(0.5, needs=[{"supplier": "parts", "probability": 0.25}])),
         "finance": dept(1, pay=svc(0.3, needs=[{"service": "audit.check", "probability": 0.5}])),
         "audit": dept(1, check=svc(0.8))},
        {"c": open_segment(4.0, "front.serve")},
        {"parts": {"lead_time": {"dist": "exponential", "mean": 10}, "paid_by": "finance.pay"}},
    )
    assert solve(s).load["audit"] == pytest.approx(0.4, rel=REL)


# --------------------------------------------------------------------------- (f) population arrivals


def test_population_arrivals():
    # 2000 customers x 0.001 orders per customer-hour = 2 orders/h; x 0.4 h = 0.8
    s = build(
        {"a": dept(1, s=svc(0.4))},
        {"p": {"arrivals": {"population": 2000, "rate_per_customer": 0.001}, "journey": ["a.s"], "expectation": 1}},
        allow_unstable=False,
    )
    assert solve(s).load["a"] == pytest.approx(0.8, rel=REL)
    assert stability_problems(s) == []


# --------------------------------------------------------------------------- (g) hold


def _held(hold: bool, probability: float = 0.5, headcount: int = 5, allow_unstable: bool = True):
    # front.serve 1/h, 0.2 h of work; waits for a delivery (mean lead time 3 h) w.p. `probability`
    return build(
        {"front": dept(headcount, serve=svc(0.2, needs=[{"supplier": "parts", "probability": probability, "hold": hold}]))},
        {"c": open_segment(1.0, "front.serve")},
        {"parts": {"lead_time": {"dist": "gamma", "mean": 3.0, "cv": 0.5}}},
        allow_unstable=allow_unstable,
    )


def test_hold_adds_at_least_the_expected_blocked_time():
    # without hold: 1 x 0.2 = 0.2 ; with hold an employee also waits 3 h on half of the items: >= 0.2 + 1.5
    assert solve(_held(False)).load["front"] == pytest.approx(0.2, rel=REL)
    assert solve(_held(True)).load["front"] >= 0.2 + 0.5 * 3.0 - 1e-9


def test_hold_on_an_internal_service():
    # front.serve (2/h) holds an employee while back.do (0.6 h at skill 2 -> 0.3 h) works, w.p. 0.5:
    # blocked >= 2 x 0.5 x 0.3 = 0.3 on top of 2 x 0.25 = 0.5
    s = build(
        {"front": dept(3, serve=svc(0.25, needs=[{"service": "back.do", "probability": 0.5, "hold": True}])),
         "back": {"headcount": 1, "skill": 2.0, "services": {"do": svc(0.6)}}},
        {"c": open_segment(2.0, "front.serve")},
    )
    t = solve(s)
    assert t.load["front"] >= 0.5 + 0.3 - 1e-9
    assert t.load["back"] == pytest.approx(2 * 0.5 * 0.3, rel=REL)


def test_hold_can_make_a_department_unstable():
    # 1 employee: 0.2 of work, fine without hold; with hold at least 0.2 + 0.9 x 3 = 2.9 >= 1 -> refused
    assert stability_problems(_held(False, probability=0.9, headcount=1, allow_unstable=False)) == []
    with pytest.raises(orgsim.ScenarioError) as info:
        _held(True, probability=0.9, headcount=1, allow_unstable=False)
    [problem] = info.value.problems
    assert problem.startswith("t.yaml: departments.front.headcount: unstable: offered load ")


# --------------------------------------------------------------------------- (h) the refusal message


def _unstable_raw():
    # a: 3/h x 0.5 h = 1.5 on 1 employee (utilisation 1.5)
    # b: needed w.p. 1 by a.s: 3/h x 0.9 h = 2.7 on 2 employees (1.35)
    # c: 3/h x 0.1 h = 0.3 on 1 employee: stable, must not be named
    return {
        "horizon": 100,
        "departments": {
            "a": dept(1, s=svc(0.5, needs=[{"service": "b.t"}])),
            "b": dept(2, t=svc(0.9)),
            "c": dept(1, u=svc(0.1)),
        },
        "segments": {"k": open_segment(3.0, "a.s", "c.u")},
    }


def test_refusal_names_every_unstable_department_and_its_load():
    with pytest.raises(orgsim.ScenarioError) as info:
        validate_mapping(_unstable_raw(), "u.yaml")
    problems = info.value.problems
    assert len(problems) == 2, problems
    by_dept = {re.match(r"u\.yaml: departments\.(\w+)\.headcount: unstable", p).group(1): p for p in problems}
    assert set(by_dept) == {"a", "b"}
    assert "offered load 1.5 employees on headcount 1" in by_dept["a"]
    assert "utilisation 1.5 >= 1" in by_dept["a"]
    assert "at least 2" in by_dept["a"]
    assert "offered load 2.7 employees on headcount 2" in by_dept["b"]
    assert "utilisation 1.35 >= 1" in by_dept["b"]
    assert "at least 3" in by_dept["b"]
    assert all("allow_unstable" in p for p in problems)


def test_stability_problems_directly():
    s = validate_mapping({**_unstable_raw(), "allow_unstable": True}, "u.yaml")
    assert stability_problems(s) == []  # allowed
    strict = s.model_copy(update={"allow_unstable": False})
    paths = [p for p, _ in stability_problems(strict)]
    assert paths == [("departments", "a", "headcount"), ("departments", "b", "headcount")]


def test_zero_headcount_with_work_is_unstable():
    raw = _unstable_raw()
    raw["departments"]["c"]["headcount"] = 0
    raw["departments"]["a"]["headcount"] = 2
    raw["departments"]["b"]["headcount"] = 3
    with pytest.raises(orgsim.ScenarioError) as info:
        validate_mapping(raw, "u.yaml")
    [problem] = info.value.problems
    assert problem.startswith("u.yaml: departments.c.headcount: unstable: offered load 0.3 employees on headcount 0")


def test_zero_headcount_without_work_is_fine():
    raw = _unstable_raw()
    raw["departments"]["a"]["headcount"] = 2
    raw["departments"]["b"]["headcount"] = 3
    raw["departments"]["idle"] = dept(0, nothing=svc(1.0))
    assert validate_mapping(raw, "u.yaml").departments["idle"].headcount == 0


# --------------------------------------------------------------------------- (i) orders with patience can leave


def patient(rate: float, *journey, mean_patience: float = 2.0) -> dict:
    return {**open_segment(rate, *journey), "patience": {"dist": "exponential", "mean": mean_patience}}


def test_patient_orders_overloading_a_department_run():
    # Erlang A: 11/h x 1 h = 11 on 10 agents (offered utilisation 1.1), callers abandon: a steady state exists
    s = build({"agents": dept(10, answer=svc(1.0))}, {"callers": patient(11.0, "agents.answer")}, allow_unstable=False)
    t = solve(s)
    assert t.load["agents"] == pytest.approx(11.0, rel=REL)
    assert t.captive["agents"] == 0.0
    assert stability_problems(s) == []


def test_the_same_orders_without_patience_are_refused():
    with pytest.raises(orgsim.ScenarioError) as info:
        build({"agents": dept(10, answer=svc(1.0))}, {"callers": open_segment(11.0, "agents.answer")},
              allow_unstable=False)
    [problem] = info.value.problems
    assert problem.startswith("t.yaml: departments.agents.headcount: unstable: offered load 11 employees on headcount 10")
    assert "from work that cannot leave (internal requests, orders without patience)" in problem


def _mixed(patient_rate: float, captive_rate: float, back_heads: int = 2):
    # front.serve (0.5 h) needs back.check (1 h) w.p. 0.5; segment p has patience, segment q has none.
    # front: (patient_rate + captive_rate) x 0.5 offered, of which captive_rate x 0.5 cannot leave;
    # back: every request is internal: (patient_rate + captive_rate) x 0.5 x 1 h, all captive
    return build(
        {"front": dept(2, serve=svc(0.5, needs=[{"service": "back.check", "probability": 0.5}])),
         "back": dept(back_heads, check=svc(1.0))},
        {"p": patient(patient_rate, "front.serve"), "q": open_segment(captive_rate, "front.serve")},
        allow_unstable=True,
    )


def test_captive_load_counts_internal_work_and_orders_without_patience():
    t = solve(_mixed(4.0, 1.0, back_heads=3))
    assert t.load["front"] == pytest.approx(2.5, rel=REL)  # (4 + 1) x 0.5
    assert t.captive["front"] == pytest.approx(0.5, rel=REL)  # 1 x 0.5
    assert t.load["back"] == pytest.approx(2.5, rel=REL)  # 5 x 0.5 x 1
    assert t.captive["back"] == pytest.approx(2.5, rel=REL)  # internal requests never leave


def test_internal_work_that_overloads_a_department_is_refused_though_its_customers_are_patient():
    # front is overloaded by patient orders (2.5 on 2: runs); back gets 2.5 of internal requests on 2: refused
    strict = _mixed(4.0, 1.0).model_copy(update={"allow_unstable": False})
    problems = stability_problems(strict)
    assert [p for p, _ in problems] == [("departments", "back", "headcount")]
    [(_, message)] = problems
    assert message.startswith("unstable: offered load 2.5 employees on headcount 2 (utilisation 1.25 >= 1)")
    assert "work that cannot leave" in message and "at least 3" in message


def test_orders_without_patience_that_overload_a_department_are_refused_beside_patient_ones():
    # front: 6 orders/h without patience x 0.5 h = 3 on 2 employees, whatever the patient ones do
    strict = _mixed(0.5, 6.0, back_heads=10).model_copy(update={"allow_unstable": False})
    assert [p for p, _ in stability_problems(strict)] == [("departments", "front", "headcount")]


def test_cli_validates_the_overloaded_call_centre_and_refuses_it_without_patience():
    import subprocess
    import sys

    base = [sys.executable, "-m", "orgsim.cli", "validate", "call_centre", "--set", "segments.callers.arrivals.rate=11"]
    ok = subprocess.run(base, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    refused = subprocess.run([*base, "--set", "segments.callers.patience=null"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "departments.agents.headcount: unstable: offered load 11 employees on headcount 10" in refused.stderr
    assert "Traceback" not in refused.stderr
    summary = subprocess.run([sys.executable, "-m", "orgsim.cli", "summary", "call_centre", "--set",
                              "segments.callers.arrivals.rate=11"], capture_output=True, text=True)
    assert "1.10  serves -; needs -  <- overloaded: orders abandon" in summary.stdout, summary.stdout


# --------------------------------------------------------------------------- endless work is refused even when allowed


@pytest.mark.parametrize("allow", [False, True])
def test_journey_that_never_ends_is_refused(allow):
    # A -> B -> back to A with probability 1: no item ever completes, the visits are infinite
    raw = {
        "departments": {"a": dept(5, s=svc(0.1), t=svc(0.1))},
        "segments": {"k": open_segment(1.0, "a.s", {"service": "a.t", "next": {"a.s": 1.0}})},
        "allow_unstable": allow,
    }
    with pytest.raises(orgsim.ScenarioError) as info:
        validate_mapping(raw, "e.yaml")
    [problem] = info.value.problems
    assert problem.startswith("e.yaml: segments.k.journey.0: ") and "never complete" in problem


@pytest.mark.parametrize("allow", [False, True])
def test_rework_forever_is_refused(allow):
    raw = {
        "departments": {"a": dept(5, s=svc(0.1, defect_rate=1.0, detection=1.0), t=svc(0.1))},
        "segments": {"k": open_segment(1.0, "a.s", "a.t")},
        "allow_unstable": allow,
    }
    with pytest.raises(orgsim.ScenarioError) as info:
        validate_mapping(raw, "e.yaml")
    [problem] = info.value.problems
    assert problem.startswith("e.yaml: departments.a.services.s.defect_rate: ") and "redone forever" in problem
