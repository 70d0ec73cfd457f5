"""Allocation per shift: the covering search on hand-solved cases, SIPP loads by hand, every rule spending its budget."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from refusals import problems

import orgsim
from orgsim.errors import BudgetError
from orgsim.policies import allocate, effective_scenario
from orgsim.scenario.edit import with_policy
from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.shift_rules import carried, cover, week

RULES = ["front_line_first", "proportional_load", "sqrt_staffing", "utilisation_target"]

# --------------------------------------------------------------------------- the covering search, by hand

EARLY_LATE = np.array([[1, 1, 0], [0, 1, 1]])  # early open on pieces 0 and 1, late on 1 and 2


def test_two_overlapping_shifts_cover_each_end_and_the_overlap():
    # early alone must give 3 and late alone 2; then 5 on the overlap is already there: 3 + 2 is the only plan of 5
    assert cover([3, 5, 2], EARLY_LATE, [0.5, 0.5]) == (3, 2)


def test_among_plans_with_the_fewest_heads_the_least_time_on_duty_wins():
    # x_early >= 3, x_late >= 2, x_early + x_late >= 8: (6, 2), (5, 3), (4, 4), (3, 5) all have 8 heads;
    # early is on duty 0.3 of the week and late 0.4, so (6, 2) is on duty least (2.6 against 2.7, 2.8, 2.9)
    assert cover([3, 8, 2], EARLY_LATE, [0.3, 0.4]) == (6, 2)


def test_four_cyclic_shifts_need_the_lower_bound_and_ties_go_to_earlier_shifts():
    opened = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]])
    # pieces 0 and 2 have no shift in common: x1 + x4 >= 3 and x2 + x3 >= 5, so 8 heads at least, and 8 suffice.
    # With 8, x1 + x4 = 3 and x2 + x3 = 5; all on duty alike, the most heads go to shift 1 (3), then shift 2:
    # x3 >= 2 - x4 = 2 leaves x2 = 3.  So (3, 3, 2, 0).
    assert cover([3, 4, 5, 2], opened, [0.5, 0.5, 0.5, 0.5]) == (3, 3, 2, 0)


def test_stability_and_the_floor_bind_when_the_requirement_does_not():
    one = np.array([[1, 1, 0]])
    assert cover([0, 0, 0], one, [0.25], load=1.0) == (5,)  # 4 x 0.25 = 1.0 is not above the load: 5
    assert cover([2, 1, 0], one, [0.25], load=0.1, floor=3) == (3,)
    # no requirement: fewest heads first (2 early are 1.2 on duty on average, above the load 1.0; 4 late would do)
    assert cover([0, 0, 0], EARLY_LATE, [0.6, 0.3], load=1.0) == (2, 0)
    # among the stable plans of 2 heads, (2, 0) is on duty 1.0 and (1, 1) 0.8 (> 0.7); (0, 2), 0.6, is unstable
    assert cover([0, 0, 0], EARLY_LATE, [0.5, 0.3], load=0.7) == (1, 1)


def test_a_requirement_where_no_shift_is_open_cannot_be_covered():
    with pytest.raises(BudgetError, match="no plan of heads per shift covers the load"):
        cover([1, 0, 0], np.array([[0, 1, 1]]), [0.5])


def test_too_many_shifts_to_search_exactly_are_refused():
    opened = np.eye(6, dtype=int)
    with pytest.raises(BudgetError, match="6 shifts in one department are too many to staff exactly"):
        cover([30] * 6, opened, [1 / 6] * 6)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), k=st.integers(1, 3), pieces=st.integers(1, 4))
def test_the_covering_search_is_exact_against_brute_force(data, k, pieces):
    opened = np.array([data.draw(st.lists(st.integers(0, 1), min_size=pieces, max_size=pieces).filter(any))
                       for _ in range(k)])
    length = np.full(pieces, 1.0 / pieces)
    duty = opened @ length  # at least a quarter of the week each
    covered = opened.max(axis=0) > 0
    req = np.array([data.draw(st.integers(0, 5)) if c else 0 for c in covered])
    load = data.draw(st.sampled_from([0.0, 0.3, 1.0, 1.7]))
    floor = data.draw(st.integers(0, 3))
    feasible = []
    for plan in itertools.product(range(13), repeat=k):  # 12 >= any one slot's need: 5 + 3, or 1.7 / 0.25
        x = np.array(plan)
        if np.all(opened.T @ x >= req) and x.sum() >= floor and (load == 0 or duty @ x > load):
            feasible.append((x.sum(), float(duty @ x), tuple(-h for h in plan), plan))
    assert cover(req, opened, duty, load, floor) == min(feasible)[3]


# --------------------------------------------------------------------------- SIPP loads on contact_centre, by hand


def piece_at(wk_cuts_start: float, day: int, minute: int) -> int:
    return int(np.searchsorted(wk_cuts_start, day * 1440 + minute, side="right")) - 1


def test_sipp_loads_are_the_traffic_equations_at_each_windows_rates():
    sc = orgsim.load("contact_centre")
    wk = week(sc)
    starts = np.concatenate(([0.0], np.cumsum(wk.length)[:-1])) * 7 * 1440
    monday_10, tuesday_19, sunday = piece_at(starts, 0, 600), piece_at(starts, 1, 1140), piece_at(starts, 6, 600)
    # calls: 66 an hour on Monday morning, 20 on weekday evenings, none on Sunday; a call takes 0.1 h and 15 % of
    # calls send the back office a follow-up of 0.5 h; e-mails (0.3 an hour, around the clock) are follow-ups too
    assert wk.load["front_line"][monday_10] == pytest.approx(6.6)
    assert wk.load["front_line"][tuesday_19] == pytest.approx(2.0)
    assert wk.load["front_line"][sunday] == 0.0
    assert wk.load["back_office"][monday_10] == pytest.approx(66 * 0.15 * 0.5 + 0.3 * 0.5)
    # over the week the pieces add up to the long-run load of the traffic equations
    for d in sc.departments:
        assert float(wk.load[d] @ wk.length) == pytest.approx(wk.long_run[d])
    # the back office is open 37.5 h a week; the follow-ups of calls outside office hours wait for it
    office = wk.open["back_office"][0] > 0
    assert wk.duty("back_office")[0] == pytest.approx(37.5 / 168)
    a = carried(wk, "back_office")
    assert np.all(a[~office] == 0)
    assert float(a @ wk.length) == pytest.approx(wk.long_run["back_office"])  # no work lost, none invented
    shift = a[office] - wk.load["back_office"][office]
    assert np.allclose(shift, shift[0]) and shift[0] > 0  # spread evenly over the open time


# --------------------------------------------------------------------------- rules spend the budget, per shift


@pytest.mark.parametrize("budget", [17, 20, 24, 30])
@pytest.mark.parametrize("rule", RULES)
def test_every_rule_spends_the_whole_budget_per_shift(rule, budget):
    sc = orgsim.load("contact_centre")
    try:
        ruled = with_policy(sc, "t.yaml", allocation=rule, budget=budget)
    except orgsim.ScenarioError as exc:  # only utilisation_target may not fit: it holds a utilisation, not a budget
        assert rule == "utilisation_target" and budget < 23, exc
        assert "utilisation_target: a budget of" in exc.problems[0] and "needs at least 23" in exc.problems[0]
        return
    heads = allocate(ruled)
    assert sum(heads.values()) == budget
    run = effective_scenario(ruled)
    shifts = run.departments["front_line"].shifts
    assert sum(s.headcount for s in shifts) == heads["front_line"]
    wk = week(run)
    for d in sc.departments:  # every department stable on its weekly average on duty
        x = [s.headcount for s in shifts] if d == "front_line" else [heads[d]]
        assert float(wk.duty(d) @ np.array(x)) > wk.long_run[d]


def test_sqrt_staffing_puts_more_heads_where_the_peak_is():
    sc = with_policy(orgsim.load("contact_centre"), "t.yaml", allocation="sqrt_staffing", budget=20)
    early, late = (s.headcount for s in effective_scenario(sc).departments["front_line"].shifts)
    # the early shift meets the Monday peak (6.6 erlangs) and the late one at most 3.5
    assert early > late


def test_fixed_spreads_a_larger_budget_over_shifts_in_proportion():
    sc = with_policy(orgsim.load("contact_centre"), "t.yaml", budget=34)  # twice the written 6 + 5 and 6
    run = effective_scenario(sc)
    assert [s.headcount for s in run.departments["front_line"].shifts] == [12, 10]
    assert allocate(sc) == {"front_line": 22, "back_office": 12}


def test_a_department_on_one_calendar_is_one_slot_staffed_for_its_open_time():
    sc = with_policy(orgsim.load("contact_centre"), "t.yaml", allocation="proportional_load", budget=30)
    wk = week(sc)
    # back office: 1.0 erlang over the week, open 22 % of it: at least 5 heads to be stable
    assert allocate(sc)["back_office"] >= 5 and wk.long_run["back_office"] / wk.duty("back_office")[0] > 4


def _office_pair(transfer_delay: float) -> dict:
    """A desk (2 heads) and a back office (3 heads, no work), both open Mon-Fri 09:00-17:00; one-hour calls."""
    one_hour = {"time": {"dist": "deterministic", "value": 1.0}}
    return {"time_unit": "hour", "horizon": 48, "period": 24, "calendars": {"office": ["mon-fri 09:00-17:00"]},
            "departments": {"desk": {"calendar": "office", "headcount": 2, "services": {"answer": one_hour}},
                            "back": {"calendar": "office", "headcount": 3, "services": {"file": one_hour}}},
            "segments": {"calls": {"arrivals": {"rate": 0.0}, "journey": ["desk.answer"], "expectation": 100.0}},
            "policy": {"review": {"every": 1, "threshold": 0.2, "transfer_delay": transfer_delay}}}


def test_a_review_moves_a_slot_between_office_departments_at_the_next_opening():
    from orgsim.engines.reference import Organisation

    sc = validate_mapping(_office_pair(transfer_delay=4.0))
    org = Organisation(sc, {"desk": 2, "back": 3}, seed=1, replication=0, trace=True)
    # Monday 09:00: 14 one-hour calls on 2 heads keep the desk busy until 16:00 (utilisation 14 / 16); the back
    # office has nothing to do.  Tuesday 09:00: 6 more calls.
    org.script("calls", [9.0] * 14 + [33.0] * 6)
    org.run(None)
    rec = org.tracer.records
    said = [(r["time"], r["text"].split("  ", 1)[1]) for r in rec if r["event"] in ("shift", "review", "transfer", "join")]
    # the boundary at Tuesday 00:00 (t = 24), both closed: the gap 0.875 > 0.2 moves one of back's slots to the
    # desk; back is one short from now (nobody is on duty to send off), the mover starts at 04:00 (t = 28)
    assert said == [
        (9.0, "Mon 09:00 desk opens, 2 on duty"), (9.0, "Mon 09:00 back opens, 3 on duty"),
        (17.0, "Mon 17:00 desk closes; nobody on duty"), (17.0, "Mon 17:00 back closes; nobody on duty"),
        (24.0, "staffing review: one employee of back (utilisation 0.00) will move to desk (0.88) when next free"),
        (24.0, "a slot of back is vacant from now: an employee moves to desk, starting there in 4.00 h; "
               "0 on duty in back"),
        (28.0, "an employee from back starts in desk; 0 on duty"),
        (33.0, "Tue 09:00 desk opens, 3 on duty"), (33.0, "Tue 09:00 back opens, 2 on duty"),
        (41.0, "Tue 17:00 desk closes; nobody on duty"), (41.0, "Tue 17:00 back closes; nobody on duty"),
    ]
    # three on duty at the desk on Tuesday: the 6 calls end at 34 and 35 (with two heads: 34, 35, 36)
    done = sorted(r["time"] for r in rec if r["event"] == "complete" and r["time"] > 24)
    assert done == [34.0] * 3 + [35.0] * 3


def test_a_review_keeps_the_floor_on_the_thinnest_opening():
    from orgsim.engines.reference import Organisation

    raw = _office_pair(transfer_delay=4.0)
    raw["policy"]["min_per_department"] = 3  # back has 3 on duty whenever open: it cannot give one
    org = Organisation(validate_mapping(raw), {"desk": 2, "back": 3}, seed=1, replication=0, trace=True)
    org.script("calls", [9.0] * 14)
    org.run(None)
    assert not [r for r in org.tracer.records if r["event"] in ("review", "transfer", "join")]
    assert [r["text"].split("  ", 1)[1] for r in org.tracer.records if r["event"] == "shift"][4:6] == [
        "Tue 09:00 desk opens, 2 on duty", "Tue 09:00 back opens, 3 on duty"]


def test_a_budget_below_the_least_stable_plan_names_what_it_needs():
    raw = orgsim.load("contact_centre").model_dump(mode="json")
    raw["policy"].update(allocation="sqrt_staffing", budget=8)
    (msg,) = problems(raw)
    # front line 1.33 erlangs, on duty 26 % (early) or 24 % (late) of the week: 6 heads; back office 1.15
    # erlangs (call follow-ups and e-mails) on duty 37.5 h of 168: 1.15 / 0.223 = 5.15, so 6 heads
    assert msg == ("f.yaml: policy.budget: sqrt_staffing: a budget of 8 cannot keep every department stable; "
                   "that needs at least 12 (front_line 6, back_office 6)")


def test_a_scenario_without_calendars_keeps_its_rules():
    sc = validate_mapping({"departments": {"a": {"headcount": 2, "services": {"w": {"time": {"dist": "exponential",
                                                                                               "mean": 1.0}}}}},
                           "segments": {"c": {"arrivals": {"rate": 1.5}, "journey": ["a.w"], "expectation": 1}},
                           "policy": {"allocation": "sqrt_staffing", "budget": 4}})
    assert allocate(sc) == {"a": 4} and effective_scenario(sc) is sc


def test_the_engines_run_the_rules_shifts():
    # sqrt_staffing at budget 20 staffs early 8, late 4, back office 8: the same runs as writing those heads
    base = orgsim.load("contact_centre", ["horizon=72", "warmup=0", "period=24"])
    ruled = with_policy(base, "t.yaml", allocation="sqrt_staffing", budget=20)
    assert [s.headcount for s in effective_scenario(ruled).departments["front_line"].shifts] == [8, 4]
    written = orgsim.load("contact_centre", ["horizon=72", "warmup=0", "period=24", "departments.back_office.headcount=8",
                                             "departments.front_line.shifts=[{calendar: early, headcount: 8}, "
                                             "{calendar: late, headcount: 4}]"])
    a = orgsim.run(ruled, engine="simpy", replications=2, seed=3)
    b = orgsim.run(written, engine="simpy", replications=2, seed=3)
    for name in ("external.completed", "external.abandoned", "dept.front_line.staffed", "dept.back_office.staffed"):
        assert np.array_equal(a.values[name], b.values[name]), name
    assert a.values["dept.front_line.staffed"].mean() > 0
