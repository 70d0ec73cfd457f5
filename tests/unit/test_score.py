"""`orgsim score`: the KPIs and distances on small logs worked out by hand, and the command end to end.

The distances follow log-distance-measures 2.2.0 (cycle_time_distribution_distance with 1-hour bins and
normalize=True; circadian_event_distribution_distance with start and end timestamps, Wasserstein): the
expected values below are that package's formulas applied by hand.
"""

import json
import statistics
import subprocess
import sys

import pandas as pd
import pytest

from orgsim.eventlog import EventLog, split_by_case
from orgsim.eventlog.measures import circadian_distance, cycle_time_distance, distances, kpis, noise_floor
from orgsim.studies.score import fill_enabled

MON = "2025-01-06 "  # a Monday


def log(rows):
    """A log from (case, activity, start, end) rows on Monday (times as HH:MM), in department d."""
    frame = pd.DataFrame(rows, columns=["case", "activity", "start", "end"])
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(MON + frame[column])
    frame["enabled"] = frame["start"]
    frame["department"] = "d"
    return frame


A = log([(1, "a", "09:00", "10:00"), (2, "a", "09:00", "10:00"), (2, "b", "11:00", "12:30")])  # cycles 1 h, 3.5 h
B = log([(1, "a", "09:00", "11:00"), (2, "a", "09:00", "11:12")])  # cycles 2 h, 2.2 h


def test_cycle_time_distance_by_hand():
    # bins from the shortest cycle (1 h), 1 h wide: A -> [0, 2], B -> [1, 1]; Wasserstein 1; largest bin 2
    assert cycle_time_distance(A, B) == pytest.approx(0.5)
    assert cycle_time_distance(A, A) == 0.0


def test_circadian_distance_by_hand():
    # Monday hours, starts and ends: A [9, 10, 9, 10, 11, 12], B [9, 11, 9, 11]: the CDFs differ by 1/6 on
    # [9, 10), [10, 11) and [11, 12): 0.5; the six other weekdays have no events in either log: 0
    assert circadian_distance(A, B) == pytest.approx(0.5 / 7)
    tuesday = B.assign(start=B["start"] + pd.Timedelta(days=1), end=B["end"] + pd.Timedelta(days=1))
    assert circadian_distance(A, tuesday) == pytest.approx(46 / 7)  # a weekday only one log has costs 23


def test_noise_floor_by_hand():
    # two cases: every split puts one in each half, so every split's distance is the same: cycle 1 h against 3 h,
    # bins [0] and [2], Wasserstein 2 over the largest bin 2; Monday hours [9, 10] against [9, 12]: 1, over 7 weekdays
    two = log([("x", "a", "09:00", "10:00"), ("y", "a", "09:00", "12:00")])
    assert noise_floor(two) == pytest.approx({"cycle_time_distribution": 1.0, "circadian_event_distribution": 1 / 7})


def test_noise_floor_is_the_median_over_the_splits_split_by_case_makes():
    six = log([(f"c{k}", "a", "09:00", f"{10 + k}:{15 * (k % 3):02d}") for k in range(6)])
    each = []
    for seed in range(5):
        first, second = split_by_case(EventLog(frame=six, path="six"), 0.5, seed)
        each.append(distances(first.frame, second.frame))
    floor = noise_floor(six, splits=5)
    for name in ("cycle_time_distribution", "circadian_event_distribution"):
        assert floor[name] == pytest.approx(statistics.median(run[name] for run in each))
    assert len({run["cycle_time_distribution"] for run in each}) > 1  # the splits differ: the median is no accident
    # a split's floor is the larger of that median and its own halves' distance
    for seed in (0, 1, 7):
        first, second = split_by_case(EventLog(frame=six, path="six"), 0.5, seed)
        own = distances(first.frame, second.frame)
        for name, value in noise_floor(six, splits=5, seed=seed).items():
            assert value == pytest.approx(max(floor[name], own[name]))


def test_kpis_by_hand():
    frame = log([(1, "a", "09:00", "10:00"), (1, "b", "16:30", "17:30"), (2, "a", "10:00", "10:30")])
    frame.loc[2, "enabled"] = pd.Timestamp(MON + "09:00")
    out = kpis(frame, (pd.Timestamp(MON + "08:00"), pd.Timestamp(MON + "17:00")), {"d": 3.0})
    assert out["cases"] == 2
    assert out["cycle_time_mean"] == pytest.approx((8.5 + 1.5) / 2)
    assert out["activity.a.wait_mean"] == pytest.approx(0.5) and out["activity.b.wait_mean"] == 0.0
    assert out["activity.a.processing_mean"] == pytest.approx(0.75)
    assert out["department.d.utilisation"] == pytest.approx((1 + 0.5 + 0.5) / 3.0)  # 16:30-17:30 counts to 17:00


def test_busy_time_counts_only_on_duty_hours():
    # the span starts 08:00; d is open 09:00-12:00 only: the 08:00-10:00 activity was busy 1 h of it, 11:00-13:00 1 h
    frame = log([(1, "a", "08:00", "10:00"), (2, "a", "11:00", "13:00")])
    on_duty = {"d": ([0.0, 1.0, 4.0, 9.0], [0.0, 0.0, 3.0, 3.0])}
    out = kpis(frame, (pd.Timestamp(MON + "08:00"), pd.Timestamp(MON + "17:00")), {"d": 6.0}, on_duty)
    assert out["department.d.utilisation"] == pytest.approx(2.0 / 6.0)


def test_enabled_times_filled_from_the_latest_end_before_the_start():
    frame = log([(1, "a", "09:00", "10:00"), (1, "b", "10:30", "11:00"), (1, "c", "09:30", "12:00")])
    frame["enabled"] = pd.NaT
    filled = fill_enabled(frame)
    assert filled.set_index("activity")["enabled"].dt.strftime("%H:%M").to_dict() == {"a": "09:00", "c": "09:30", "b": "10:00"}


def orgsim_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture(scope="module")
def own_log(tmp_path_factory):
    """A log simulated from contact_centre itself (seed 9), over 200 hours."""
    path = tmp_path_factory.mktemp("score") / "cc.csv"
    proc = orgsim_cli("run", "contact_centre", "--horizon", "200", "--set", "warmup=0", "-r", "1", "--seed", "9",
                      "--events", str(path))
    assert proc.returncode == 0, proc.stderr
    return path


def test_score_json_is_the_contract_and_a_scenario_scores_close_to_its_own_log(own_log):
    proc = orgsim_cli("score", "contact_centre", str(own_log), "-r", "3", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"scenario", "log", "replications", "kpis", "distances"}
    assert out["scenario"] == "contact_centre" and out["log"] == str(own_log) and out["replications"] == 3
    names = {"cases", "cycle_time_mean", "cycle_time_p50", "cycle_time_p90", "activity.answer.wait_mean",
             "activity.answer.processing_mean", "activity.follow_up.wait_mean", "department.front_line.utilisation",
             "department.back_office.utilisation"}
    assert names <= set(out["kpis"])
    for stats in out["kpis"].values():
        assert set(stats) == {"log", "sim", "ci_low", "ci_high"}
        assert stats["ci_low"] <= stats["sim"] <= stats["ci_high"]
    assert set(out["distances"]) == {"cycle_time_distribution", "circadian_event_distribution"}
    kpi = out["kpis"]
    assert kpi["cases"]["sim"] == pytest.approx(kpi["cases"]["log"], rel=0.1)
    assert kpi["activity.answer.processing_mean"]["sim"] == pytest.approx(kpi["activity.answer.processing_mean"]["log"], rel=0.1)
    assert abs(kpi["department.front_line.utilisation"]["sim"] - kpi["department.front_line.utilisation"]["log"]) < 0.05
    assert 0 <= out["distances"]["cycle_time_distribution"] < 0.05
    assert 0 <= out["distances"]["circadian_event_distribution"] < 1.0


def test_score_table_names_each_kpi(own_log):
    proc = orgsim_cli("score", "contact_centre", str(own_log), "-r", "2")
    assert proc.returncode == 0, proc.stderr
    assert "department.back_office.utilisation" in proc.stdout and "circadian_event_distribution" in proc.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (["contact_centre", "missing.csv"], "missing.csv"),
    (["contact_centre", "LOG", "--case", "nope"], "nope"),
])  # fmt: skip
def test_score_errors_exit_2_with_one_line(own_log, args, needle):
    proc = orgsim_cli("score", *[str(own_log) if a == "LOG" else a for a in args])
    assert proc.returncode == 2
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_service_the_log_never_names_changes_no_distance():
    # the same firm, once with a zero-time need on its step done by a department of its own: every case's times
    # are the same, so with the hidden service left out of the comparison (as a fitted delay is) so are the distances
    from orgsim.scenario.loader import validate_mapping
    from orgsim.studies.events import event_log
    from orgsim.studies.score import score

    def firm(hidden: bool):
        serve = {"time": {"dist": "exponential", "mean": 1.5}}
        departments = {"desk": {"headcount": 1, "services": {"serve": serve}}}
        if hidden:
            serve["needs"] = [{"service": "side.note"}]
            departments["side"] = {"headcount": 50, "services": {"note": {"time": {"dist": "deterministic", "value": 0.0}}}}
        return validate_mapping({
            "time_unit": "hour", "clock": {"start": "2025-01-06 00:00"}, "horizon": 100.0, "period": 50.0,
            "departments": departments,
            "segments": {"x": {"arrivals": {"rate": 0.5}, "journey": ["desk.serve"], "expectation": 5.0}},
        })  # fmt: skip

    real = event_log(firm(False), replications=1, seed=5)
    plain, with_hidden = score(firm(False), real, replications=2), score(firm(True), real, replications=2)
    assert "activity.note.processing_mean" in with_hidden.kpis  # the KPIs keep it
    assert with_hidden.distances == pytest.approx(plain.distances)
    assert with_hidden.kpis["cycle_time_mean"]["sim"] == pytest.approx(plain.kpis["cycle_time_mean"]["sim"])


def test_two_services_carrying_one_activity_name_are_one_activity_of_the_log():
    # a first check (1 h) and a repeat check (3 h), both `activity: Check`: the simulated log names both "Check",
    # and scoring against it gives one KPI for it, pooling both (mean 2 h), none under the services' own names
    from orgsim.scenario.loader import validate_mapping
    from orgsim.studies.events import event_log
    from orgsim.studies.score import score

    det = lambda v: {"dist": "deterministic", "value": v}
    sc = validate_mapping({
        "time_unit": "hour", "clock": {"start": "2025-01-06 00:00"}, "horizon": 100.0, "period": 50.0,
        "departments": {"desk": {"headcount": 5, "services": {
            "check": {"time": det(1.0), "activity": "Check"},
            "check_visit2": {"time": det(3.0), "activity": "Check"},
            "file": {"time": det(0.5)}}}},
        "segments": {"x": {"arrivals": {"rate": 0.2}, "journey": ["desk.check", "desk.check_visit2", "desk.file"],
                           "expectation": 9.0}},
    })  # fmt: skip
    real = event_log(sc, replications=1, seed=5)
    assert set(real["activity"]) == {"Check", "file"}
    assert (real["activity"] == "Check").sum() == 2 * (real["activity"] == "file").sum()
    out = score(sc, real, replications=2).kpis
    assert [k for k in out if ".check" in k] == ["activity.check.wait_mean", "activity.check.processing_mean"]
    assert out["activity.check.processing_mean"]["log"] == pytest.approx(2.0)
    assert out["activity.check.processing_mean"]["sim"] == pytest.approx(2.0)
    assert sc.model_dump()["departments"]["desk"]["services"]["file"] == {
        "time": det(0.5), "defect_rate": 0.0, "detection": 0.9, "needs": ()}
