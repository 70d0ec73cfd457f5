"""Windows, the clock, holidays and seasonality: parsing, every error message, and the compiled rate by hand."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import yaml
from refusals import problems

from orgsim.scenario import calendar
from orgsim.scenario.checks import peak_warnings
from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.traffic import solve


def base(**top) -> dict:
    raw = {"time_unit": "hour", "horizon": 168, "period": 24,
           "departments": {"desk": {"headcount": 4, "services": {"serve": {"time": {"dist": "exponential", "mean": 0.5}}}}},
           "segments": {"c": {"arrivals": {"rate": {"mon-fri 08:00-12:00": 6.0}}, "journey": ["desk.serve"],
                              "expectation": 1}}}
    raw.update(top)
    return raw


# --------------------------------------------------------------------------- windows


def test_window_forms():
    assert calendar.parse_window("mon-fri 09:00-12:30") == calendar.Window((0, 1, 2, 3, 4), 540, 750)
    assert calendar.parse_window("daily 00:00-24:00") == calendar.Window(tuple(range(7)), 0, 1440)
    assert calendar.parse_window("sun 13:00-14:00").days == (6,)
    assert calendar.parse_window("sat-mon 09:00-10:00").days == (5, 6, 0)  # a range may wrap the week


@pytest.mark.parametrize("text,message", [
    ("mno 09:00-10:00", "window `mno 09:00-10:00`: unknown day `mno`; did you mean `mon`? (days: mon, tue, wed, thu, "
                        "fri, sat, sun, a range like mon-fri, or daily)"),
    ("mon-fry 09:00-10:00", "unknown day `fry`; did you mean `fri`?"),
    ("mon 25:00-26:00", "window `mon 25:00-26:00`: `25:00` is not a time of day (HH:MM from 00:00 to 24:00)"),
    ("mon 09:60-10:00", "`09:60` is not a time of day"),
    ("mon 9:00-10:00", "`9:00` is not a time of day"),
    ("mon 12:00-09:00", "window `mon 12:00-09:00`: ends (09:00) before it starts (12:00); a window that crosses "
                        "midnight is written as two windows"),
    ("mon 09:00-09:00", "ends (09:00) when it starts (09:00)"),
    ("weekdays", "window `weekdays`: expected `DAYS HH:MM-HH:MM`, e.g. `mon-fri 09:00-17:00`"),
])
def test_window_errors_name_the_text_and_the_fault(text, message):
    with pytest.raises(ValueError) as exc:
        calendar.parse_window(text)
    assert message in str(exc.value)


def test_overlapping_windows_in_a_calendar_and_in_a_rate_table():
    msgs = problems(base(calendars={"office": ["mon-fri 09:00-12:30", "mon 12:00-13:00"]}))
    assert msgs == ["f.yaml: calendars.office: windows `mon-fri 09:00-12:30` and `mon 12:00-13:00` overlap on mon "
                    "(12:00-12:30)"]
    raw = base()
    raw["segments"]["c"]["arrivals"]["rate"] = {"daily 08:00-12:00": 1.0, "sat 11:00-14:00": 2.0}
    assert problems(raw) == ["f.yaml: segments.c.arrivals.rate: windows `daily 08:00-12:00` and `sat 11:00-14:00` "
                             "overlap on sat (11:00-12:00)"]


def test_window_error_paths_in_a_scenario():
    msgs = problems(base(calendars={"late": ["mon 13:00-21:00", "sat 25:00-26:00"], "none": []}))
    assert "f.yaml: calendars.late.1: window `sat 25:00-26:00`: `25:00` is not a time of day" in msgs[0]
    assert msgs[1] == "f.yaml: calendars.none: needs at least one window `DAYS HH:MM-HH:MM`"
    raw = base()
    raw["segments"]["c"]["arrivals"]["rate"] = {"mon-fri 08:00-12:00": 6.0, "sun 10:00-9:00": 1.0}
    (msg,) = problems(raw)
    assert msg.startswith("f.yaml: segments.c.arrivals.rate.sun 10:00-9:00: window `sun 10:00-9:00`: `9:00` is not")


# --------------------------------------------------------------------------- clock, holidays, seasonality, units


def test_dates_and_the_clock_are_checked():
    msgs = problems(base(clock={"start": "2025-01-06 24:30"}, holidays=["2025-12-25", "25/12/2025"]))
    assert msgs == [
        "f.yaml: clock.start: `2025-01-06 24:30` is not a date and time written `YYYY-MM-DD HH:MM`, e.g. "
        "`2025-01-06 00:00`",
        "f.yaml: holidays.1: `25/12/2025` is not a date written YYYY-MM-DD, e.g. 2025-12-25",
    ]


def test_dates_need_the_clock():
    raw = base(holidays=["2025-12-25"])
    raw["segments"]["c"]["arrivals"]["seasonality"] = {"dec": 1.4}
    assert problems(raw) == [
        'f.yaml: segments.c.arrivals.seasonality: needs `clock: {start: "YYYY-MM-DD HH:MM"}` to know the month',
        'f.yaml: holidays: need `clock: {start: "YYYY-MM-DD HH:MM"}` to know the date of each day',
    ]


def test_unknown_month_suggests_one():
    raw = base(clock={"start": "2025-01-06 00:00"})
    raw["segments"]["c"]["arrivals"]["seasonality"] = {"decm": 1.4}
    (msg,) = problems(raw)
    assert msg.startswith("f.yaml: segments.c.arrivals.seasonality.decm: must be one of 'jan'")
    assert msg.endswith("did you mean `dec`?")


def test_a_rate_table_needs_a_calendar_time_unit():
    assert problems(base(time_unit="tick")) == [
        "f.yaml: segments.c.arrivals.rate: a rate table needs `time_unit` minute, hour or day (got `tick`)"]
    validate_mapping(base(time_unit="tick", segments={"c": {"arrivals": {"rate": 1.0}, "journey": ["desk.serve"],
                                                           "expectation": 1}}))  # a plain rate needs no calendar


def test_bad_window_through_the_command_line_exits_2(tmp_path):
    raw = base()
    raw["segments"]["c"]["arrivals"]["rate"] = {"mon-fri 08:00-25:00": 6.0}
    path = tmp_path / "firm.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = subprocess.run([sys.executable, "-m", "orgsim.cli", "validate", str(path)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    row = next(k for k, text in enumerate(path.read_text().splitlines(), 1) if "08:00-25:00" in text)
    line = f"{path}:{row}: segments.c.arrivals.rate.mon-fri 08:00-25:00: window `mon-fri 08:00-25:00`: `25:00` is not a time"
    assert out.stderr.startswith(line), out.stderr
    assert "Traceback" not in out.stderr


# --------------------------------------------------------------------------- the compiled rate, by hand


def test_profile_follows_the_clock_weekday():
    # t = 0 is Wednesday 06:00: the 08-12 window opens at t = 2, 26 (Thursday) ...
    p = calendar.profile({"mon-fri 08:00-12:00": 6.0}, "hour", 48, start="2025-01-08 06:00")
    np.testing.assert_array_equal(p.breaks, [0, 2, 6, 26, 30, 48])
    np.testing.assert_array_equal(p.rates, [0, 6, 0, 6, 0, 0])
    np.testing.assert_array_equal(p.cumulative, [0, 0, 24, 24, 48, 48])
    assert p.integral(3, 27) == pytest.approx(6 * 3 + 6 * 1)


def test_profile_without_a_clock_starts_on_a_monday_and_holidays_close_tables():
    p = calendar.profile({"mon 00:00-01:00": 1.0, "tue 00:00-01:00": 2.0}, "hour", 48)
    np.testing.assert_array_equal(p.breaks, [0, 1, 24, 25, 48])
    np.testing.assert_array_equal(p.rates, [1, 0, 2, 0, 0])
    closed = calendar.profile({"daily 10:00-11:00": 1.0}, "hour", 72, "2025-12-24 00:00", ["2025-12-25"])
    assert closed.integral(0, 72) == 2.0  # the 24th and the 26th


def test_seasonality_multiplies_its_month_and_units_convert():
    p = calendar.profile(1.0, "hour", 48, "2025-01-31 00:00", (), {"feb": 2.0})
    np.testing.assert_array_equal(p.breaks, [0, 24, 48])
    np.testing.assert_array_equal(p.rates, [1, 2, 0])
    minutes = calendar.profile({"mon 08:00-08:30": 0.1}, "minute", 1440)
    np.testing.assert_array_equal(minutes.breaks, [0, 480, 510, 1440])
    days = calendar.profile({"daily 12:00-24:00": 4.0}, "day", 2)
    np.testing.assert_array_equal(days.breaks, [0, 0.5, 1, 1.5, 2])
    assert days.integral(0, 2) == pytest.approx(4.0)


def test_traffic_uses_the_weekly_average_and_seasonality_over_the_horizon():
    raw = base(clock={"start": "2025-01-06 00:00"})
    raw["segments"]["c"]["arrivals"]["rate"] = {"mon-fri 08:00-12:00": 6.0, "sat 09:00-13:00": 2.0}
    week = (5 * 4 * 6.0 + 4 * 2.0) / 168
    assert solve(validate_mapping(raw)).load["desk"] == pytest.approx(week * 0.5)
    raw["segments"]["c"]["arrivals"]["seasonality"] = {"jan": 3.0}
    raw["horizon"] = 24 * 52  # 6 Jan - 28 Feb: 26 January days at x3, 26 February days at x1
    assert solve(validate_mapping(raw)).load["desk"] == pytest.approx(week * 0.5 * (26 * 3 + 26) / 52)


def test_a_window_above_capacity_is_a_warning_not_an_error():
    raw = base()
    raw["departments"]["desk"]["headcount"] = 2  # the morning window offers 6 x 0.5 = 3 employees of work
    scenario = validate_mapping(raw)  # stable on the weekly average (load 0.71)
    assert peak_warnings(scenario) == [(("segments", "c", "arrivals", "rate", "mon-fri 08:00-12:00"),
                                        "this window alone offers `desk` a load of 3 employees on headcount 2: its "
                                        "queue grows while the window lasts")]
    raw["departments"]["desk"]["headcount"] = 3
    assert peak_warnings(validate_mapping(raw)) == []


def test_unquoted_yaml_dates_are_read_as_written(tmp_path):
    """YAML reads `2025-12-25` as a date and `2025-01-06 00:00:00` as a date-time: both mean what they say."""
    from orgsim.scenario.loader import load

    raw = yaml.safe_dump(base()).replace("time_unit: hour", "time_unit: hour\nclock: {start: 2025-01-06 00:00:00}\n"
                                                            "holidays: [2025-01-07]")
    path = tmp_path / "firm.yaml"
    path.write_text(raw)
    scenario = load(path)
    assert scenario.clock.start == "2025-01-06 00:00" and scenario.holidays == ("2025-01-07",)
    assert scenario.demand_profile("c").integral(0, 168) == 4 * 4 * 6.0  # Tuesday closed


def test_the_what_if_demand_multiplier_scales_every_window():
    from orgsim.app.whatif import Edits, apply_edits

    scenario = validate_mapping(base())
    whatif = apply_edits(scenario, Edits(demand={"c": 1.5}))
    assert whatif.segments["c"].arrivals.rate == {"mon-fri 08:00-12:00": 9.0}


# --------------------------------------------------------------------------- dated changes


def _dated(changes, clock=True) -> dict:
    raw = base(calendars={"office": {"hours": ["mon-fri 09:00-17:00"], "changes": changes}})
    raw["departments"]["desk"]["calendar"] = "office"
    if clock:
        raw["clock"] = {"start": "2025-01-06 00:00"}
    return raw


def test_a_dated_change_replaces_a_table_from_its_day_on():
    p = calendar.profile({"daily 09:00-10:00": 1.0}, "hour", 72, "2025-01-06 00:00",
                         changes=[(calendar.parse_date("2025-01-07"), {"daily 10:00-12:00": 2.0})])
    np.testing.assert_array_equal(p.breaks, [0, 9, 10, 34, 36, 58, 60, 72])
    np.testing.assert_array_equal(p.rates, [0, 1, 0, 2, 0, 2, 0, 0])


@pytest.mark.parametrize("changes,clock,message", [
    ([{"from": "2025-01-06", "hours": ["mon-fri 10:00-18:00"]}], True,
     "calendars.office.changes.0.from: `2025-01-06` is not after the clock's start day (2025-01-06)"),
    ([{"from": "2025-02-30", "hours": ["mon-fri 10:00-18:00"]}], True,
     "calendars.office.changes.0.from: `2025-02-30` is not a date written YYYY-MM-DD"),
    ([{"from": "2025-02-03", "hours": ["mon 10:00-18:00"]}, {"from": "2025-01-13", "hours": ["mon 09:00-17:00"]}], True,
     "calendars.office.changes: changes must be in date order, one per date: `2025-01-13` follows `2025-02-03`"),
    ([{"since": "2025-02-03", "hours": ["mon 10:00-18:00"]}], True,
     "calendars.office.changes.0.since: unknown field `since`"),
    ([{"from": "2025-02-03", "hours": ["mon 10:00-18:00", "mon 17:00-19:00"]}], True,
     "calendars.office.changes.0.hours: windows `mon 10:00-18:00` and `mon 17:00-19:00` overlap on mon (17:00-18:00)"),
    ([{"from": "2025-02-03", "hours": ["mon 10:00-18:00"]}], False,
     'calendars.office.changes: dated changes need `clock: {start: "YYYY-MM-DD HH:MM"}`'),
])
def test_dated_change_errors_name_the_field_and_the_fault(changes, clock, message):
    found = problems(_dated(changes, clock))
    assert any(message in line for line in found), found  # a misspelt `from` also says `from` is missing


def test_rate_changes_need_a_rate_table():
    raw = base(clock={"start": "2025-01-06 00:00"})
    raw["segments"]["c"]["arrivals"] = {"rate": 2.0, "changes": [{"from": "2025-02-03", "rate": {"mon 09:00-10:00": 1}}]}
    assert problems(raw) == ["f.yaml: segments.c.arrivals.changes: dated changes replace a rate table: `rate` must be "
                             'a table of windows, e.g. {"mon-fri 09:00-17:00": 2.0}']


def test_weekly_views_read_the_hours_on_most_days_and_dumps_round_trip():
    raw = _dated([{"from": "2025-01-09", "hours": ["mon-fri 10:00-18:00"]}])  # horizon 168 h: 3 days, then 4
    scenario = validate_mapping(raw)
    assert scenario.weekly_hours("office") == ("mon-fri 10:00-18:00",)
    dumped = yaml.safe_load(yaml.safe_dump(scenario.model_dump(mode="json")))
    assert dumped["calendars"]["office"]["changes"] == [{"from": "2025-01-09", "hours": ["mon-fri 10:00-18:00"]}]
    assert validate_mapping(dumped) == scenario
