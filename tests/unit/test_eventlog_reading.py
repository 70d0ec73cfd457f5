"""Reading event logs: column detection on the two real logs and renamed copies, formats, and each refusal.

The real logs are in ../shared/data (see its README for their counts, which the checks below use).
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from orgsim.errors import EventLogError
from orgsim.eventlog import COLUMNS, read_log, split_by_case

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LOAN = DATA / "LoanApp_simplified_train.csv.gz"
PURCHASING = DATA / "PurchasingExample.csv.gz"


def test_loan_log_columns_are_found_by_their_names():
    log = read_log(LOAN)
    assert log.source == {"case": "case_id", "activity": "activity", "resource": "resource", "role": "role",
                          "start": "start_time", "end": "end_time", "enabled": "enabled_time"}
    assert list(log.frame.columns) == list(COLUMNS)
    assert (len(log), log.cases) == (7544, 1000)
    assert log.frame["activity"].nunique() == 12 and log.frame["role"].nunique() == 6
    assert log.frame["resource"].nunique() == 19
    assert not log.derived_start


def test_purchasing_log_keeps_local_wall_time_and_sorts_within_a_case():
    log = read_log(PURCHASING)
    assert log.source["role"] is None and log.source["enabled"] is None
    assert (len(log), log.cases) == (9119, 608)
    case1 = log.frame[log.frame["case"] == "1"]
    # the file's first row of case 1 is 'Create Request for Quotation' at 12:37+02:00; the earliest is 07:00+02:00
    assert case1["activity"].iloc[0] == "Create Purchase Requisition"
    assert case1["start"].iloc[0] == pd.Timestamp("2011-01-01 07:00:00")
    assert case1["start"].is_monotonic_increasing
    assert log.frame["role"].isna().all() and log.frame["enabled"].isna().all()


def test_a_utc_offset_is_dropped_not_applied(tmp_path):
    path = tmp_path / "dst.csv"
    path.write_text("case,activity,resource,start,end\n"
                    "a,x,r,2011-03-25T09:00:00+01:00,2011-03-25T10:00:00+01:00\n"
                    "a,y,r,2011-03-28T09:00:00+02:00,2011-03-28T10:00:00+02:00\n")
    frame = read_log(path).frame
    assert list(frame["start"].dt.hour) == [9, 9]  # both 9 o'clock on the office clock, either side of the change


def test_renamed_columns_are_found_by_other_common_names(tmp_path):
    raw = pd.read_csv(LOAN, dtype=str).rename(columns={
        "case_id": "case:concept:name", "activity": "concept:name", "resource": "org:resource", "role": "org:role",
        "start_time": "start_timestamp", "end_time": "time:timestamp", "enabled_time": "enable_time"})
    path = tmp_path / "renamed.parquet"
    raw.to_parquet(path)
    log = read_log(path)
    assert log.source["case"] == "case:concept:name" and log.source["end"] == "time:timestamp"
    assert log.frame.equals(read_log(LOAN).frame)


def test_names_given_by_keyword_win(tmp_path):
    raw = pd.read_csv(LOAN, dtype=str).rename(columns={"case_id": "application", "activity": "step", "role": "team_x"})
    path = tmp_path / "odd.csv.gz"
    raw.to_csv(path, index=False)
    log = read_log(path, case="application", activity="step", role="team_x")
    assert log.frame.equals(read_log(LOAN).frame)


def test_one_time_column_is_the_end_and_start_is_the_previous_end(tmp_path):
    path = tmp_path / "ends.csv"
    path.write_text("case_id,activity,timestamp\n1,b,2024-01-01 10:00\n1,a,2024-01-01 09:00\n2,a,2024-01-02 08:00\n")
    log = read_log(path)
    assert log.derived_start
    starts = dict(zip(log.frame["activity"] + log.frame["case"], log.frame["start"]))
    assert starts == {"a1": pd.Timestamp("2024-01-01 09:00"), "b1": pd.Timestamp("2024-01-01 09:00"),
                      "a2": pd.Timestamp("2024-01-02 08:00")}


def _xes(events: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
            '<trace><string key="concept:name" value="c1"/>' + events + "</trace>\n</log>\n")


def test_xes_start_and_complete_events_pair_into_one_row(tmp_path):
    ev = '<event><string key="concept:name" value="{a}"/><string key="org:resource" value="ann"/>' \
         '<string key="lifecycle:transition" value="{t}"/><date key="time:timestamp" value="{ts}"/></event>'
    body = (ev.format(a="review", t="start", ts="2024-05-06T09:00:00.000+02:00")
            + ev.format(a="review", t="complete", ts="2024-05-06T09:30:00.000+02:00")
            + ev.format(a="sign", t="complete", ts="2024-05-06T11:00:00.000+02:00"))
    path = tmp_path / "log.xes.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(_xes(body))
    frame = read_log(path).frame
    assert list(frame["activity"]) == ["review", "sign"]
    assert list(frame["start"]) == [pd.Timestamp("2024-05-06 09:00"), pd.Timestamp("2024-05-06 11:00")]
    assert list(frame["end"]) == [pd.Timestamp("2024-05-06 09:30"), pd.Timestamp("2024-05-06 11:00")]
    assert set(frame["case"]) == {"c1"}


def test_split_is_by_case_and_repeatable():
    log = read_log(LOAN)
    half, rest = split_by_case(log, 0.5, seed=3)
    assert half.cases == 500 and rest.cases == 500 and len(half) + len(rest) == len(log)
    assert not set(half.frame["case"]) & set(rest.frame["case"])
    assert split_by_case(log, 0.5, seed=3)[0].frame.equals(half.frame)
    assert not split_by_case(log, 0.5, seed=4)[0].frame.equals(half.frame)


BAD = {
    "missing column": ("case_id,activity,start_time,end_time\n1,a,2024-01-01 09:00,2024-01-01 10:00\n",
                       {"case": "caseid"}, ["no column `caseid`", "columns: case_id, activity", "did you mean `case_id`"]),
    "no case column": ("id,activity,end_time\n1,a,2024-01-01 10:00\n", {}, ["no case column found", "--case"]),
    "unreadable time": ("case_id,activity,start_time,end_time\n1,a,2024-01-01 09:00,2024-01-01 10:00\n"
                        "1,b,2024-01-01 11:00,tomorrow-ish\n", {}, ["row 2", "`end_time`", "'tomorrow-ish'"]),
    "end before start": ("case_id,activity,start_time,end_time\n1,a,2024-01-01 09:00,2024-01-01 10:00\n"
                         "2,a,2024-01-01 12:00,2024-01-01 11:00\n", {}, ["row 2", "is before start"]),
    "empty log": ("case_id,activity,start_time,end_time\n", {}, ["has no events"]),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_logs_are_refused_with_one_line_naming_the_file(tmp_path, name):
    text, kwargs, words = BAD[name]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(EventLogError) as exc:
        read_log(path, **kwargs)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(str(path))
    for word in words:
        assert word in message


def test_unknown_file_type_is_refused(tmp_path):
    path = tmp_path / "log.xlsx"
    path.write_text("x")
    with pytest.raises(EventLogError, match=r"unknown event-log file type; allowed: \.csv, \.csv\.gz, \.parquet"):
        read_log(path)


ORGSIM = str(Path(sys.executable).with_name("orgsim"))
CLI_CASES = {**{name: (text, [f"--{k}={v}" for k, v in kw.items()], words) for name, (text, kw, words) in BAD.items()},
             "unknown file type": (None, [], ["unknown event-log file type"]),
             "no such file": (False, [], ["no such file"])}


@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_the_fit_command_refuses_a_bad_log_with_one_line_and_exit_2(tmp_path, name):
    text, flags, words = CLI_CASES[name]
    path = tmp_path / ("bad.csv" if text is not False else "missing.csv")
    if text is None:
        path = tmp_path / "log.xlsx"
        path.write_text("x")
    elif text:
        path.write_text(text)
    done = subprocess.run([ORGSIM, "fit", str(path), "--out", str(tmp_path / "out.yaml"), *flags],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"orgsim fit: {path}")
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "out.yaml").exists()
