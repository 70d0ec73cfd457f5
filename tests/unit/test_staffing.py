"""Staff on a calendar or in shifts: the format, every error, the compiled schedule by hand, narration."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import yaml
from refusals import problems

import orgsim
from orgsim.scenario import shifts
from orgsim.scenario.checks import peak_warnings
from orgsim.scenario.loader import dump, validate_mapping

CALENDARS = {"office": ["mon-fri 09:00-12:30", "mon-fri 13:00-17:00"], "early": ["mon-fri 07:00-15:00"],
             "late": ["mon-fri 13:00-21:00", "sat 09:00-13:00"], "night": ["daily 22:00-24:00", "daily 00:00-06:00"]}


def firm(**top) -> dict:
    raw = {"time_unit": "hour", "horizon": 336, "period": 24, "calendars": CALENDARS,
           "departments": {
               "finance": {"calendar": "office", "headcount": 3,
                           "services": {"pay": {"time": {"dist": "exponential", "mean": 0.5}}}},
               "support": {"shifts": [{"calendar": "early", "headcount": 4}, {"calendar": "late", "headcount": 3}],
                           "services": {"help": {"time": {"dist": "exponential", "mean": 0.2},
                                                 "needs": [{"service": "finance.pay", "probability": 0.1}]}}}},
           "segments": {"c": {"arrivals": {"rate": {"mon-fri 08:00-20:00": 6.0}}, "journey": ["support.help"],
                              "expectation": 1}}}
    raw.update(top)
    return raw


# --------------------------------------------------------------------------- format


def test_shift_headcount_is_the_sum_and_dumps_leave_it_out():
    sc = validate_mapping(firm())
    assert sc.departments["support"].headcount == 7
    assert sc.departments["finance"].rostered and sc.departments["support"].rostered
    text = dump(sc)
    support = yaml.safe_load(text)["departments"]["support"]
    assert "headcount" not in support and support["shifts"][1] == {"calendar": "late", "headcount": 3}
    assert validate_mapping(yaml.safe_load(text)) == sc  # round trip


def test_a_department_without_a_calendar_dumps_as_before():
    raw = firm()
    raw["departments"]["finance"].pop("calendar")
    finance = yaml.safe_load(dump(validate_mapping(raw)))["departments"]["finance"]
    assert set(finance) == {"headcount", "skill", "services"}


def test_json_schema_asks_for_headcount_or_shifts():
    schema = orgsim.Scenario.model_json_schema()["$defs"]["Department"]
    assert "headcount" not in schema.get("required", [])
    assert schema["oneOf"] == [{"required": ["headcount"]}, {"required": ["shifts"]}]
    assert set(schema["$defs"]["Shift"]["required"] if "$defs" in schema else
               orgsim.Scenario.model_json_schema()["$defs"]["Shift"]["required"]) == {"calendar", "headcount"}


# --------------------------------------------------------------------------- errors


def test_unknown_calendar_names_suggest_one():
    raw = firm()
    raw["departments"]["finance"]["calendar"] = "ofice"
    raw["departments"]["support"]["shifts"][1]["calendar"] = "lat"
    assert problems(raw) == [
        "f.yaml: departments.finance.calendar: unknown calendar `ofice`; did you mean `office`? (calendars: office, "
        "early, late, night)",
        "f.yaml: departments.support.shifts.1.calendar: unknown calendar `lat`; did you mean `late`? (calendars: "
        "office, early, late, night)",
    ]


def test_a_calendar_without_any_calendars_defined():
    raw = firm(calendars={})
    raw["departments"].pop("support")
    raw["segments"]["c"]["journey"] = ["finance.pay"]
    assert problems(raw) == ["f.yaml: departments.finance.calendar: unknown calendar `office` (calendars: none; "
                             "define them under `calendars:`)"]


def test_headcount_and_shifts_exclude_each_other():
    raw = firm()
    raw["departments"]["support"]["headcount"] = 7
    (msg,) = problems(raw)
    assert msg.startswith("f.yaml: departments.support: `headcount` and `shifts` exclude each other")
    raw = firm()
    raw["departments"]["support"]["calendar"] = "office"
    (msg,) = problems(raw)
    assert msg.startswith("f.yaml: departments.support: `calendar` and `shifts` exclude each other")


def test_calendars_need_a_clock_unit_and_take_the_periodic_review():
    assert problems(firm(time_unit="tick"))[0] == (
        "f.yaml: departments.finance.calendar: a calendar needs `time_unit` minute, hour or day (got `tick`)")
    review = {"review": {"every": 4, "threshold": 0.2}}
    assert validate_mapping(firm(policy=review)).policy.review.every == 4  # its rule: test_shift_rules
    sc = validate_mapping(firm(policy={"allocation": "sqrt_staffing"}))  # allocated per shift (test_shift_rules)
    assert sc.policy.allocation == "sqrt_staffing"


def test_a_department_with_work_and_nobody_ever_on_duty_is_an_error():
    raw = firm(calendars={**CALENDARS, "weekend": ["sun 10:00-12:00"]}, horizon=120)  # Monday to Friday only
    raw["departments"]["finance"]["calendar"] = "weekend"
    assert problems(raw) == ["f.yaml: departments.finance.calendar: has work to do but nobody is ever on duty over "
                             "the horizon: open its calendar, or staff a shift"]


def test_stability_is_judged_on_the_weekly_average_on_duty():
    raw = firm()
    raw["departments"]["finance"]["headcount"] = 1  # 37.5 h a week of one person: 0.223 on average
    raw["segments"]["c"]["arrivals"]["rate"] = {"mon-fri 08:00-20:00": 6.0}  # 360 a week, 36 to finance: 18 h of work
    validate_mapping(raw)  # load 0.107 on 0.223
    raw["departments"]["finance"]["services"]["pay"]["time"]["mean"] = 1.2  # 43.2 h of work > 37.5 h open
    (msg,) = problems(raw)
    assert msg.startswith("f.yaml: departments.finance.headcount: unstable: offered load 0.257 employees on 0.223 "
                          "heads on duty on average over the week")


def test_unknown_calendar_through_the_command_line_exits_2(tmp_path):
    raw = firm()
    raw["departments"]["finance"]["calendar"] = "ofice"
    path = tmp_path / "firm.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = subprocess.run([sys.executable, "-m", "orgsim.cli", "validate", str(path)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    row = next(k for k, text in enumerate(path.read_text().splitlines(), 1) if "ofice" in text)
    assert out.stderr.startswith(f"{path}:{row}: departments.finance.calendar: unknown calendar `ofice`; did you mean "
                                 "`office`?"), out.stderr
    assert "Traceback" not in out.stderr


# --------------------------------------------------------------------------- the compiled schedule, by hand


def test_a_calendar_follows_the_clock_weekday_and_holidays():
    # t = 0 is Wednesday 8 Jan 2025 06:00; Thursday 9 Jan is a holiday; two days
    got = shifts.schedule([(CALENDARS["office"], 3)], "hour", 48, "2025-01-08 06:00", ["2025-01-09"])
    np.testing.assert_array_equal(got.breaks, [0, 3, 6.5, 7, 11])  # Wed 09:00, 12:30, 13:00, 17:00
    np.testing.assert_array_equal(got.heads, [0, 3, 0, 3, 0])  # Thursday (from t = 18) closed: no change
    assert got.open_time() == 7.5 and got.mean() == pytest.approx(3 * 7.5 / 48)
    assert got.at(3.0) == 3 and got.at(2.999) == 0 and got.at(47) == 0


def test_shifts_sum_and_a_night_shift_runs_through_midnight():
    pairs = [(CALENDARS["early"], 4), (CALENDARS["late"], 3), (CALENDARS["night"], 1)]
    got = shifts.schedule(pairs, "hour", 48)  # from Monday 00:00
    np.testing.assert_array_equal(got.breaks, [0, 6, 7, 13, 15, 21, 22, 24 + 6, 24 + 7, 24 + 13, 24 + 15, 24 + 21,
                                               24 + 22])
    np.testing.assert_array_equal(got.heads, [1, 0, 4, 7, 3, 0, 1, 0, 4, 7, 3, 0, 1])  # 22:00-06:00 one change each way
    assert shifts.weekly_heads(pairs) == pytest.approx((4 * 40 + 3 * 44 + 1 * 56) / 168)


def test_minutes_and_days_units_and_the_scenario_view():
    got = shifts.schedule([(["mon 09:00-09:30"], 2)], "minute", 600)
    np.testing.assert_array_equal(got.breaks, [0, 540, 570])
    got = shifts.schedule([(["tue 12:00-24:00"], 2)], "day", 3)
    np.testing.assert_array_equal(got.breaks, [0, 1.5, 2])
    sc = validate_mapping(firm())
    assert sc.staff_schedule("finance", heads=5).heads.max() == 5  # an allocation's headcount on a calendar
    assert sc.capacity("finance") == pytest.approx(3 * 37.5 / 168)


def test_peak_warning_counts_heads_on_duty_in_the_window():
    raw = firm()
    raw["segments"]["c"]["arrivals"]["rate"] = {"mon-fri 08:00-20:00": 6.0, "sat 09:00-13:00": 40.0}
    found = {(p[-1], m.split("`")[1]) for p, m in peak_warnings(validate_mapping(raw))}
    # Saturday: 40 x 0.2 = 8 erlangs at support on the 3 of the late shift; finance closed (0.8 on nobody)
    assert ("sat 09:00-13:00", "support") in found and ("sat 09:00-13:00", "finance") in found
    assert not any(w == "mon-fri 08:00-20:00" and d == "support" for w, d in found)  # 1.2 on at least 3


# --------------------------------------------------------------------------- narration


def test_trace_narrates_openings_and_closings_on_the_clock():
    frame = orgsim.trace(validate_mapping(firm(horizon=24)), until=22)
    texts = list(frame[frame.event == "shift"].text)
    assert texts[0] == "t=7.00  Mon 07:00 support opens, 4 on duty"
    assert texts[1] == "t=9.00  Mon 09:00 finance opens, 3 on duty"
    assert any(t.startswith("t=12.50  Mon 12:30 finance closes") for t in texts)
    assert any(t.startswith("t=13.00  Mon 13:00 support changes shift: 7 scheduled") for t in texts)
    assert any(t.startswith("t=21.00  Mon 21:00 support closes") for t in texts)
