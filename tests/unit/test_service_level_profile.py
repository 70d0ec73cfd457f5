"""Service-level targets and hour-of-week profiles: the format, the errors, the clock arithmetic, the outputs.

Accuracy against theory is in tests/validation/test_service_level_and_profiles.py; here: a scenario that uses
neither keeps its dump and its JSON keys, bad input is one line with exit status 2, hours of the week are
worked out by hand, and the profile travels through batches, checkpoints and ``--format json``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import orgsim
from orgsim.execution.batches import BatchResult
from orgsim.kernels import profile
from orgsim.scenario.loader import dump, load, validate_mapping


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_scenarios_without_the_fields_dump_as_before():
    text = dump(load("call_centre"))
    assert "profile" not in text and "service_level_target" not in text
    with_them = dump(load("call_centre", ["profile=true", "segments.callers.service_level_target=0.1"]))
    assert "profile: true" in with_them and "service_level_target: 0.1" in with_them


@pytest.mark.parametrize("setting,words", [
    ("time_unit=shift", "profile: hour-of-week profiles need `time_unit` minute, hour or day (got `shift`)"),
    ("segments.callers.service_level_target=-1", "segments.callers.service_level_target: must be >= 0.0 (got -1)"),
    ("segments.callers.service_level_targt=1", "did you mean `service_level_target`?"),
    ("horizon=3000000", "profile: profiles split the horizon at every hour: at most 2,000,000 hours"),
])
def test_bad_input_is_one_line_and_exit_status_2(setting, words):
    done = cli("validate", "call_centre", "--set", "profile=true", "--set", "period=1e5", "--set", setting)
    assert done.returncode == 2
    assert words in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_hour_of_week_by_hand():
    offset, per_unit = 3 * 24 + 6, 1 / 60  # Thursday 06:00, minutes
    assert profile.hour_of_week.py_func(0.0, offset, per_unit) == 78
    assert profile.hour_of_week.py_func(59.0, offset, per_unit) == 78
    assert profile.hour_of_week.py_func(61.0, offset, per_unit) == 79
    assert profile.hour_of_week.py_func(90 * 60 + 1.0, offset, per_unit) == 0  # Monday 00:01, after Sunday 23:xx
    times, hours = profile.ticks(30.0, 200.0, offset, per_unit)  # warm-up 30 min, horizon 200 min
    assert times.tolist() == [30.0, 60.0, 120.0, 180.0, 200.0]
    assert hours.tolist() == [78, 79, 80, 81]
    assert validate_mapping({"departments": {"d": {"headcount": 1, "services": {"s": {"time": {"dist": "exponential",
                            "mean": 1}}}}}, "profile": True, "clock": {"start": "2025-01-30 06:30"},
                             "time_unit": "day"}).profile_clock() == (78.5, 24.0)


def _small(**extra) -> orgsim.Scenario:
    return load("call_centre", ["horizon=400", "warmup=20", "period=40", *[f"{k}={v}" for k, v in extra.items()]])


def test_profile_only_when_asked():
    plain = orgsim.run(_small(), engine="numba", replications=3, seed=1)
    assert plain.profiles is None and "profile" not in plain.to_json()
    assert not any("service_level" in m for m in plain.values)
    with pytest.raises(ValueError, match="profile: true"):
        plain.profile()


def test_profile_frame_json_and_checkpoint(tmp_path):
    sc = _small(profile="true")
    res = orgsim.run(sc, engine="numba", replications=4, seed=1, batch_size=3, checkpoint=tmp_path / "ck")
    frame = res.profile()
    assert list(frame.columns) == ["hour_of_week", "day", "hour", "metric", "mean", "ci_low", "ci_high", "n"]
    assert len(frame) == 168 * 5 and set(frame.day) == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    arr = frame[frame.metric == "external.arrivals"]
    assert ((arr.ci_low <= arr["mean"]) & (arr["mean"] <= arr.ci_high)).all() and (arr.n == 4).all()
    again = orgsim.run(sc, engine="numba", replications=4, seed=1, batch_size=2, checkpoint=tmp_path / "ck2")
    for k in res.profiles:  # batch size changes no number
        np.testing.assert_array_equal(res.profiles[k], again.profiles[k])
    resumed = orgsim.run(sc, engine="numba", replications=4, seed=1, batch_size=3, checkpoint=tmp_path / "ck",
                         resume=True)
    assert resumed.extra["resumed_replications"] == 4
    for k in res.profiles:  # taken back from the checkpoint's batch files
        np.testing.assert_array_equal(res.profiles[k], resumed.profiles[k])
    done = cli("run", "call_centre", "--set", "profile=true", "--set", "horizon=400", "--set", "warmup=20",
               "--engine", "numba", "-r", "3", "--format", "json", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)["profile"]
    assert len(records) == 168 * 5
    assert set(records[0]) == {"hour_of_week", "day", "hour", "metric", "mean", "ci_low", "ci_high", "n"}
    staffed = [r["mean"] for r in records if r["metric"] == "dept.agents.staffed"]
    assert staffed == pytest.approx([10.0] * 168, rel=1e-12)  # headcount 10 throughout (time sums round)


def test_batch_result_rejects_a_profile_of_the_wrong_shape():
    res = BatchResult(0, 2, ["m"], np.zeros((2, 1)), [], 0, profile_names=["a"], profile=np.zeros((2, 167)))
    assert "profile has shape (2, 167), not (2, 168)" in res.problem()


def test_external_service_level_covers_only_the_segments_with_a_target():
    raw = {"horizon": 300, "warmup": 20, "period": 30,
           "departments": {"d": {"headcount": 2, "services": {"s": {"time": {"dist": "exponential", "mean": 1.0}}}}},
           "segments": {"a": {"arrivals": {"rate": 0.9}, "journey": ["d.s"], "expectation": 1.0,
                              "service_level_target": 0.5, "patience": {"dist": "exponential", "mean": 1.0}},
                        "b": {"arrivals": {"rate": 0.6}, "journey": ["d.s"], "expectation": 1.0}}}
    for engine in ("numba", "simpy"):
        v = orgsim.run(validate_mapping(raw), engine=engine, replications=3, seed=4).values
        assert "segment.a.service_level" in v and "segment.b.service_level" not in v
        np.testing.assert_array_equal(v["external.service_level"], v["segment.a.service_level"])
        # abandoned orders are misses: the level is at most the completed share of a's ended orders
        assert np.all(v["segment.a.service_level"] <= 1.0 - v["segment.a.abandon_rate"] + 1e-12)
        assert np.all(v["segment.a.service_level"] > 0.0)
