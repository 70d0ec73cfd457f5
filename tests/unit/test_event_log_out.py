"""`orgsim run --events`: the simulated event log, exact on tiny deterministic scenarios, and end to end.

Expected rows are worked out by hand, as in test_reference_traces (designed arrival times,
deterministic work times).
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

import orgsim
from orgsim.engines.reference import Organisation
from orgsim.eventlog.simulated import COLUMNS, events_frame
from orgsim.scenario.loader import validate_mapping
from orgsim.studies.events import event_log


def det(value):
    return {"dist": "deterministic", "value": value}


def tiny(headcount=1, **extra):
    raw = {
        "horizon": 20.0, "period": 10.0,
        "departments": {
            "desk": {"headcount": headcount, "services": {"serve": {"time": det(2.0), "needs": [{"service": "back.check"}]}}},
            "back": {"headcount": 1, "services": {"check": {"time": det(1.0)}}},
        },
        "segments": {"x": {"arrivals": {"rate": 0.0}, "journey": ["desk.serve"], "expectation": 10.0}},
    }  # fmt: skip
    raw.update(extra)
    return validate_mapping(raw)


def recorded(sc, times, events=True):
    org = Organisation(sc, {d: dept.headcount for d, dept in sc.departments.items()}, seed=1, replication=0, events=events)
    org.script("x", times)
    return org.run()


def test_rows_of_a_journey_with_a_sub_request_by_hand():
    # order 1 at 0: back.check 0-1 (its need), desk.serve 1-3.  order 2 at 0.5: its back.check, sent at 0.5,
    # queues behind order 1's, 1-2; desk.serve enabled at 0.5 (it reached the desk then), starts 3 (one employee).
    org = recorded(tiny(), [0.0, 0.5])
    rows = sorted(org.events.rows, key=lambda r: (r[0], r[5]))
    assert rows == [
        (1, "check", "back", "back-1", 0.0, 0.0, 1.0),
        (1, "serve", "desk", "desk-1", 0.0, 1.0, 3.0),
        (2, "check", "back", "back-1", 0.5, 1.0, 2.0),
        (2, "serve", "desk", "desk-1", 0.5, 3.0, 5.0),
    ]
    assert org.events.arrived == {1: 0.0, 2: 0.5}
    assert org.events.completed == {1: 3.0, 2: 5.0}


def test_an_employee_is_the_lowest_desk_number_not_busy():
    # two employees: order 1 serves 1-3 (desk-1), order 2 serves 2-4 (desk-2), order 3 serves 3.5-5.5: desk-1 is free
    org = recorded(tiny(headcount=2), [0.0, 1.0, 2.5])
    serve = sorted((r[0], r[3], r[5]) for r in org.events.rows if r[1] == "serve")
    assert serve == [(1, "desk-1", 1.0), (2, "desk-2", 2.0), (3, "desk-1", 3.5)]


def test_recording_changes_no_number_of_the_run():
    sc = orgsim.load("contact_centre", ["horizon=200", "warmup=0"])
    heads = {d: dept.headcount for d, dept in sc.departments.items()}
    plain = Organisation(sc, heads, seed=3, replication=2).run().books()
    org = Organisation(sc, heads, seed=3, replication=2, events=True).run()
    assert len(org.events.rows) > 100
    for a, b in zip(plain, org.books()):
        np.testing.assert_array_equal(a, b)


def test_wall_clock_times_follow_the_clock():
    sc = tiny(time_unit="hour", clock={"start": "2025-03-03 08:00"})
    frame = events_frame([recorded(sc, [0.0, 0.5]).events], sc)
    assert list(frame.columns) == COLUMNS
    assert frame["start"].tolist()[:2] == [pd.Timestamp("2025-03-03 08:00"), pd.Timestamp("2025-03-03 09:00")]
    assert frame.loc[3, "enabled"] == pd.Timestamp("2025-03-03 08:30")


def test_several_replications_carry_their_number():
    frame = event_log(orgsim.load("contact_centre", ["horizon=200", "warmup=0"]), replications=2, seed=1)
    assert frame.columns[0] == "replication" and sorted(frame["replication"].unique()) == [0, 1]
    assert (frame["start"] >= frame["enabled"]).all() and (frame["end"] >= frame["start"]).all()


def orgsim_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    return proc


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_run_writes_the_log_it_simulated(tmp_path, suffix):
    path = tmp_path / f"cc{suffix}"
    proc = orgsim_cli("run", "contact_centre", "--horizon", "200", "--set", "warmup=0", "-r", "2", "--events", str(path),
                      "--format", "json")
    assert proc.returncode == 0, proc.stderr
    log = pd.read_csv(path, parse_dates=["enabled", "start", "end"]) if suffix == ".csv" else pd.read_parquet(path)
    assert list(log.columns) == ["replication", *COLUMNS]
    expected = event_log(orgsim.load("contact_centre", ["horizon=200", "warmup=0"]), replications=2, seed=0)
    pd.testing.assert_frame_equal(log[["replication", "case", "activity"]], expected[["replication", "case", "activity"]])
    assert np.allclose((log["end"] - expected["end"]).dt.total_seconds(), 0.0, atol=1e-3)


@pytest.mark.parametrize(("args", "needle"), [
    (["--events", "out.txt"], "--events out.txt: unknown file type '.txt'; the event log is written as .csv or .parquet"),
    (["--events", "out.csv", "--engine", "numba"], "--events needs the reference engine"),
])  # fmt: skip
def test_bad_events_requests_exit_2_with_one_line(tmp_path, args, needle):
    proc = orgsim_cli("run", "contact_centre", "--horizon", "200", "--set", "warmup=0", "-r", "1", *args)
    assert proc.returncode == 2
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_without_a_clock_the_log_has_model_times(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({
        "horizon": 20.0, "period": 10.0, "departments": {"desk": {"headcount": 1, "services": {"serve": {"time": det(2.0)}}}},
        "segments": {"x": {"arrivals": {"rate": 0.3}, "journey": ["desk.serve"], "expectation": 10.0}},
    }))  # fmt: skip
    out = tmp_path / "log.csv"
    proc = orgsim_cli("run", str(path), "-r", "1", "--events", str(out))
    assert proc.returncode == 0, proc.stderr
    log = pd.read_csv(out)
    assert (log["end"] - log["start"]).round(9).eq(2.0).all()  # model times without a clock: numbers
