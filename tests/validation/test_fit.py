"""`orgsim fit` recovers what made a log, and its scenarios of the two real logs load and run.

The known process (written here, not taken from the fitter): cases arrive as a Poisson stream on
weekdays 09:00-17:00; `Register` (desk, 3 people) is followed by `Review` (office, 2 people) with
probability P_REVIEW, else by `Close` (desk); `Review` is followed by `Close`.  Each activity takes
the first free person of its team (no one works two cases at once) and lasts an exponential
working time: work starts only in office hours and pauses while the office is closed.
Tolerances are four standard errors of the estimate from the log's own counts.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import orgsim
from orgsim.eventlog import read_log
from orgsim.eventlog.fitting import fit_log
from orgsim.eventlog.volumes import ALPHA
from orgsim.eventlog.wait_periods import MIN_CASES
from orgsim.eventlog.writing import write_scenario
from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.schema import DISTRIBUTIONS
from orgsim.studies.score import score

ORGSIM = str(Path(sys.executable).with_name("orgsim"))
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
RATE, P_REVIEW, WEEKS = 4.0, 0.3, 12
MEANS = {"Register": 5 / 60, "Review": 20 / 60, "Close": 3 / 60}
TEAMS = {"Register": "desk", "Close": "desk", "Review": "office"}
HEADS = {"desk": 3, "office": 2}
ORIGIN = pd.Timestamp("2024-01-01")  # a Monday


def office_hours(day: int) -> tuple[float, float]:
    """The known process's hours on every weekday: 09:00-17:00."""
    return 9.0, 17.0


def constant(day: int) -> float:
    """The known process's arrival rate on every day: RATE per open hour."""
    return RATE


def _arrivals(rng, hours, rate=constant) -> np.ndarray:
    """Hours after ORIGIN of Poisson arrivals at *rate* (of the day) per open hour (weekdays, by *hours* of the day)."""
    times = []
    for day in range(WEEKS * 7):
        if day % 7 < 5:
            a, b = hours(day)
            n = rng.poisson(rate(day) * (b - a))
            times += list(day * 24 + a + np.sort(rng.uniform(0, b - a, n)))
    return np.array(times)


def _next_open(t: float, hours) -> float:
    """The first moment at or after *t* (hours after ORIGIN, a Monday 00:00) inside a weekday's *hours*."""
    while True:
        day, hour = divmod(t, 24.0)
        a, b = hours(int(day))
        if day % 7 < 5 and a <= hour < b:
            return t
        t = day * 24 + a if day % 7 < 5 and hour < a else (day + 1) * 24 + hours(int(day) + 1)[0]


def _finish(t: float, work: float, hours) -> float:
    """When *work* hours of working time begun at *t* end: the work pauses while the office is closed."""
    while work > 1e-12:
        t = _next_open(t, hours)
        step = min(work, (t // 24) * 24 + hours(int(t // 24))[1] - t)
        t, work = t + step, work - step
    return t


def one_review(rng) -> list[str]:
    """The known process's path: Register, Review with probability P_REVIEW, Close."""
    return ["Register", "Review", "Close"] if rng.random() < P_REVIEW else ["Register", "Close"]


def known_log(seed: int = 1, hours=office_hours, rate=constant, paths=one_review, reply=None, replied=("Close",),
              slow=None, total=None) -> pd.DataFrame:
    """The known process's log; with *reply* (the case's arrival day -> mean hours), each activity in *replied* is
    enabled only after an exponential reply of that mean (wall clock, an `enabled_time` column): a wait no queue
    explains.  With *slow* (share, factor), that share of the cases waits factor times longer at every reply; with
    *total* (hours), a case's replies instead share out that total at random (uniform shares of it)."""
    rng = np.random.default_rng(seed)
    free = {team: np.zeros(n) for team, n in HEADS.items()}
    rows = []
    for case, t in enumerate(_arrivals(rng, hours, rate)):
        path, day = paths(rng), int(t // 24)
        factor = slow[1] if slow and rng.random() < slow[0] else 1.0
        shares = iter(rng.dirichlet(np.ones(len(replied)))) if total else None
        for act in path:
            team = TEAMS[act]
            who = int(np.argmin(free[team]))
            waited = reply is not None and act in replied
            if waited:  # a desk person at random closes it once enabled: this generator books people case by case,
                t += total * next(shares) if total else rng.exponential(reply(day) * factor)  # and a Close days ahead
                # would hold them up for later cases
                who = int(rng.integers(HEADS[team]))
            enabled = t
            start = _next_open(t if waited else max(t, free[team][who]), hours)
            t = _finish(start, rng.exponential(MEANS[act]), hours)
            free[team][who] = free[team][who] if waited else t
            rows.append((f"c{case}", act, f"{team}-{who}", team, ORIGIN + pd.Timedelta(hours=start), ORIGIN + pd.Timedelta(hours=t),
                         ORIGIN + pd.Timedelta(hours=enabled)))
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "resource", "role", "start_time", "end_time", "enabled_time"])
    return frame if reply is not None else frame.drop(columns="enabled_time")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    frame = known_log()
    path = tmp_path_factory.mktemp("known") / "known.csv"
    frame.to_csv(path, index=False)
    return frame, fit_log(read_log(path))


def test_headcount_and_departments_are_recovered(fitted):
    _, model = fitted
    depts = model.scenario["departments"]
    assert {d: v["headcount"] for d, v in depts.items()} == HEADS
    assert set(depts["desk"]["services"]) == {"register", "close"} and set(depts["office"]["services"]) == {"review"}


def test_calendar_is_the_working_week(fitted):
    _, model = fitted
    assert model.scenario["calendars"] == {"desk": ["mon-fri 09:00-17:00"], "office": ["mon-fri 09:00-17:00"]}
    assert model.scenario["holidays"] == []


def summer_hours(day: int) -> tuple[float, float]:
    """A firm's summer hours: 09:00-17:00 for six weeks, then 08:00-15:00 from Monday 12 February 2024."""
    return (9.0, 17.0) if day < 42 else (8.0, 15.0)


def test_a_change_of_hours_is_found_on_its_day_and_each_side_keeps_its_own_hours(tmp_path):
    path = tmp_path / "summer.csv"
    known_log(hours=summer_hours).to_csv(path, index=False)
    sc = fit_log(read_log(path)).scenario
    dated = {"hours": ["mon-fri 09:00-17:00"], "changes": [{"from": "2024-02-12", "hours": ["mon-fri 08:00-15:00"]}]}
    assert sc["calendars"] == {"desk": dated, "office": dated}
    arrivals = sc["segments"]["cases"]["arrivals"]
    assert arrivals["changes"][0]["from"] == "2024-02-12"
    after = arrivals["changes"][0]["rate"]
    assert "mon 08:00-09:00" in after and "mon 08:00-09:00" not in arrivals["rate"]
    assert "mon 16:00-17:00" in arrivals["rate"] and "mon 15:00-16:00" not in after
    validate_mapping(sc)  # the dated calendars and rate table load as a scenario


def test_arrival_rate_is_recovered_within_its_standard_error(fitted):
    frame, model = fitted
    table = model.scenario["segments"]["cases"]["arrivals"]["rate"]
    open_hours = [w for w in table if w.split()[0] in ("mon", "tue", "wed", "thu", "fri") and "09:00" <= w.split()[1][:5] < "17:00"]
    assert len(open_hours) == 40  # every weekday hour from 9 to 17 has arrivals
    exposure = WEEKS * 40
    mean_rate = np.mean([table[w] for w in open_hours])
    assert abs(mean_rate - RATE) < 4 * math.sqrt(RATE / exposure)
    outside = sum(v for w, v in table.items() if w not in open_hours)
    assert outside < 0.02 * RATE  # arrivals are only in open hours (an arrival at 16:59 may spill into 17:00)
    assert "changes" not in model.scenario["segments"]["cases"]["arrivals"]  # one level all along: no change


def falling(day: int) -> float:
    """Arrivals at RATE in January 2024, then a quarter of it from 1 February (day 31)."""
    return RATE if day < 31 else RATE / 4


def test_a_fall_in_arrivals_is_a_dated_level_of_the_rate_table(tmp_path):
    path = tmp_path / "falling.csv"
    known_log(rate=falling).to_csv(path, index=False)
    model = fit_log(read_log(path))
    arrivals = model.scenario["segments"]["cases"]["arrivals"]
    assert [c["from"] for c in arrivals["changes"]] == ["2024-02-01"]
    before, after = arrivals["rate"], arrivals["changes"][0]["rate"]
    assert set(before) == set(after)  # the week's shape is kept, its level changes
    n_after = 40 * 7.6 * RATE / 4  # cases after the fall: 7.6 weeks of 40 open hours at RATE / 4
    ratio = sum(after.values()) / sum(before.values())
    assert abs(ratio - 0.25) < 4 * 0.25 * math.sqrt(1 / n_after + 1 / (40 * 4.4 * RATE))
    validate_mapping(model.scenario)


def test_routing_probability_is_recovered(fitted):
    _, model = fitted
    first = model.scenario["segments"]["cases"]["journey"][0]
    assert first["service"] == "desk.register"
    n = model.notes["flow"].visits["Register"]
    p = first["next"]["office.review"]
    assert abs(p - P_REVIEW) < 4 * math.sqrt(P_REVIEW * (1 - P_REVIEW) / n)
    assert abs(first["next"]["desk.close"] - (1 - P_REVIEW)) < 4 * math.sqrt(P_REVIEW * (1 - P_REVIEW) / n)


@pytest.mark.parametrize("activity", sorted(MEANS))
def test_service_time_means_are_recovered(fitted, activity):
    _, model = fitted
    fit = model.services[activity]
    dist = model.scenario["departments"][TEAMS[activity]]["services"][activity.lower()]["time"]
    law = DISTRIBUTIONS[dist["dist"]](**dist)
    # exponential times: the sample mean's standard error is mean / sqrt(n); work rarely crosses the close
    assert abs(law.moments()[0] - MEANS[activity]) < 4 * MEANS[activity] / math.sqrt(fit.events)
    assert fit.fits[0].ks < 0.1


def _fit_cli(log: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([ORGSIM, "fit", str(log), "--out", str(out), *extra], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", ["LoanApp_simplified_train.csv.gz", "PurchasingExample.csv.gz"])
def test_fitted_scenarios_of_the_real_logs_load_and_run(tmp_path, name):
    out, report = tmp_path / "fitted.yaml", tmp_path / "fit.html"
    done = _fit_cli(DATA / name, out, "--report", str(report))
    assert done.returncode == 0, done.stderr
    scenario = orgsim.load(out)
    assert scenario.segments and scenario.departments
    text = report.read_text()
    assert "<table>" in text and "data:image/png;base64," in text and "http" not in text.replace("http-equiv", "")
    ran = subprocess.run([ORGSIM, "run", str(out), "--engine", "simpy", "-r", "1", "--format", "json"],
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    completed = yaml.safe_load(ran.stdout)["metrics"]["external.completed"]["mean"]
    cases = read_log(DATA / name).cases
    assert 0.8 * cases < completed < 1.1 * cases  # the fitted arrivals bring about as many cases as the log has


def test_a_fit_on_half_the_loan_log_reproduces_the_other_halfs_mean_cycle_time(tmp_path):
    """Issue 18's target for the mean: within 10 % of the held-out half (measured: -6 % on this split).

    The p90 is left to the score checks: about a tenth of the loan cases wait over a weekend, so
    the p90 moves between one and two days with that share (README, "How close it gets").
    """
    from orgsim.eventlog import split_by_case
    from orgsim.eventlog.fitting import case_times
    from orgsim.eventlog.writing import write_scenario

    train, test = split_by_case(read_log(DATA / "LoanApp_simplified_train.csv.gz"), 0.5, seed=0)
    write_scenario(fit_log(train), tmp_path / "half.yaml")
    result = orgsim.run(orgsim.load(tmp_path / "half.yaml"), engine="numba", replications=10, seed=0)
    simulated = result.summary().set_index("metric").loc["external.sojourn_mean", "mean"]
    held_out = case_times(test.frame)["cycle"].mean()
    assert abs(simulated / held_out - 1) < 0.10, (simulated, held_out)


def two_reviews(rng) -> list[str]:
    """Register, then with probability P_REVIEW exactly two Reviews, then Close: loop counts far from geometric."""
    return ["Register", "Review", "Review", "Close"] if rng.random() < P_REVIEW else ["Register", "Close"]


def geometric_reviews(rng) -> list[str]:
    """Register, Review with probability P_REVIEW and again after each Review with probability 0.3, then Close."""
    path = ["Register"]
    if rng.random() < P_REVIEW:
        path.append("Review")
        while rng.random() < 0.3:
            path.append("Review")
    return path + ["Close"]


def test_loops_of_exactly_two_become_visit_states_and_the_fit_repeats_them(tmp_path):
    from orgsim.studies.events import event_log

    path = tmp_path / "twice.csv"
    known_log(paths=two_reviews).to_csv(path, index=False)
    model = fit_log(read_log(path))
    # the cases that review take longer (two reviews, often over a night): they are the `repeated` segment
    assert model.segments["cases_fewer"]["visits"] is None  # no activity repeats there
    test = model.segments["cases_repeated"]["visits"]
    assert test.activity == "Review" and test.counts == {2: test.counts[2]} and test.p < 1e-3
    assert test.caps["Review"] == 2 and test.caps["Register"] == 1
    services = model.scenario["departments"]["office"]["services"]
    assert services["review_visit2"]["activity"] == "Review"
    journey = {s["service"]: s["next"] for s in model.scenario["segments"]["cases_repeated"]["journey"]}
    assert journey["office.review"] == {"office.review_visit2": 1.0}
    assert journey["office.review_visit2"] == {"desk.close": 1.0}
    sim = event_log(validate_mapping(model.scenario), replications=1, seed=3)
    shown = set(sim.loc[sim["department"] != "waits", "activity"])
    assert shown == {"register", "Review", "close"}  # both visits carry the log's name
    counts = sim[sim["activity"] == "Review"].groupby("case").size()
    # geometric routing would give 1, 2, 3, ... reviews; a case with one is one the horizon cut in the middle
    last_day = sim["start"].max() - pd.Timedelta(days=1)
    cut = set(sim.loc[sim["start"] > last_day, "case"])
    assert len(counts) > 50 and set(counts[~counts.index.isin(cut)]) == {2}


def test_geometric_loops_stay_one_state(tmp_path):
    path = tmp_path / "geometric.csv"
    known_log(paths=geometric_reviews).to_csv(path, index=False)
    model = fit_log(read_log(path))
    test = model.segments["cases"]["visits"]
    assert test.activity == "Review" and test.p > 1e-3 and not test.caps
    assert set(test.counts) >= {1, 2, 3}
    assert set(model.scenario["departments"]["office"]["services"]) == {"review"}


def slower_replies(day: int) -> float:
    """The reply before `Close` takes 2 h on average for cases arriving in January 2024, 48 h from 1 February."""
    return 2.0 if day < 31 else 48.0


def test_waits_that_grow_from_a_month_on_are_a_period_segment_of_their_own(tmp_path):
    path = tmp_path / "slower.csv"
    known_log(reply=slower_replies).to_csv(path, index=False)
    model = fit_log(read_log(path))
    segments = model.scenario["segments"]
    assert list(segments) == ["cases_from_2024_01", "cases_from_2024_02"]
    test = model.segments["cases_from_2024_01"]["wait_periods"]
    assert test.p < 1e-3 and test.starts == ("2024-01", "2024-02")
    january, later = segments["cases_from_2024_01"]["arrivals"], segments["cases_from_2024_02"]["arrivals"]
    assert [c["from"] for c in january["changes"]] == ["2024-02-01"] and not any(january["changes"][0]["rate"].values())
    # the later period: none before its first day; its level may still move inside it (arrivals stop at week 12,
    # the replies run on a few days: the volume rule sees fewer cases in March)
    assert not any(later["rate"].values()) and later["changes"][0]["from"] == "2024-02-01"
    assert sum(january["rate"].values()) == pytest.approx(sum(later["changes"][0]["rate"].values()), rel=0.2)  # one rate
    waits = {name: model.services[label] for name, label in model.notes["labels"].items() if "before_close" in name}
    means = sorted(fit.wall_mean for fit in waits.values())
    assert len(means) == 2 and means[1] > 10 * means[0]  # each period's wait law from its own cases
    validate_mapping(model.scenario)


def test_waits_of_one_law_all_span_stay_one_segment(tmp_path):
    path = tmp_path / "steady.csv"
    known_log(reply=lambda day: 24.0).to_csv(path, index=False)
    model = fit_log(read_log(path))
    assert list(model.scenario["segments"]) == ["cases"]
    assert model.segments["cases"]["wait_periods"].p > 1e-3


def every_review(rng) -> list[str]:
    return ["Register", "Review", "Close"]


def test_cases_slow_at_every_reply_are_a_wait_class_of_their_own(tmp_path):
    # a fifth of the cases wait 30 times longer (120 h against 4 h on average) before both Review and Close
    path = tmp_path / "slow.csv"
    known_log(paths=every_review, reply=lambda day: 4.0, replied=("Review", "Close"), slow=(0.2, 30.0)).to_csv(path, index=False)
    model = fit_log(read_log(path))
    segments = model.scenario["segments"]
    test = next(iter(model.segments.values()))["wait_classes"]
    assert test.p < ALPHA and len(test.bounds) >= 2
    assert len(segments) == len(test.bounds) and all(f["cases"] >= MIN_CASES for f in model.segments.values())
    slow = sum(f["cases"] for f in model.segments.values() if f["cycle_median"] > 50.0) / model.cases
    assert 0.17 < slow < 0.23  # a fifth of about 1,900 cases: standard error 0.009, so 3.3 of them either side
    # Poisson thinning: every class's table is its share of the cases times one table; each rate is rounded to 4
    # significant digits twice (the table, then the class's part), so two classes' quotients differ by under 2e-3
    tables = [pd.Series(spec["arrivals"]["rate"]) / (model.segments[name]["cases"] / model.cases)
              for name, spec in segments.items()]
    assert all(model.segments[name]["share"] == (model.segments[name]["cases"], model.cases) for name in segments)
    assert all(t.index.equals(tables[0].index) and np.allclose(t, tables[0], rtol=2e-3) for t in tables)
    # and that table holds every case: RATE an open hour, 40 open hours a week
    assert tables[0].sum() == pytest.approx(RATE * 40, rel=0.1)
    # each class's reply laws from its own cases: the slow class's wait before Close is far the longest
    waits = {model.notes["labels"][f"waits.{s}"]: model.services[model.notes["labels"][f"waits.{s}"]].wall_mean
             for s in model.scenario["departments"]["waits"]["services"] if "close" in s}
    assert max(waits.values()) > 10 * min(waits.values())
    validate_mapping(model.scenario)


def test_cases_whose_replies_are_independent_stay_one_segment(tmp_path):
    path = tmp_path / "even.csv"
    known_log(paths=every_review, reply=lambda day: 4.0, replied=("Review", "Close")).to_csv(path, index=False)
    model = fit_log(read_log(path))
    assert list(model.scenario["segments"]) == ["cases"]
    assert model.segments["cases"]["wait_classes"].p > ALPHA


def test_a_total_shared_out_over_the_replies_keeps_its_spread_in_the_simulation(tmp_path):
    # every case waits 100 h in all before Review and Close, split at random (offices open around the clock on
    # weekdays, one case an hour): independent draws of the two waits spread the total over 0-200 h, so the
    # simulated p90 of the cycle time came out 19 % above the log's (measured with s forced to 1); drawn toward
    # their means (s = 0 here: the routes are all alike) the simulation keeps it
    path = tmp_path / "shared.csv"
    known_log(hours=lambda day: (0.0, 24.0), rate=lambda day: 1.0, paths=every_review, replied=("Review", "Close"),
              reply=lambda day: 0.0, total=100.0).to_csv(path, index=False)
    model = fit_log(read_log(path))
    (facts,) = model.segments.values()
    assert facts["wait_classes"].p < ALPHA and facts["wait_classes"].bounds == (math.inf,)
    assert facts["shrink"] == 0.0
    out = tmp_path / "shared.yaml"
    write_scenario(model, out)
    result = score(orgsim.load(out), read_log(path), replications=3, seed=0)
    for kpi in ("cycle_time_mean", "cycle_time_p90"):
        log, sim = result.kpis[kpi]["log"], result.kpis[kpi]["sim"]
        assert abs(sim / log - 1) < 0.10, (kpi, log, sim)


def test_wait_classes_inside_a_later_period_keep_its_dates(tmp_path):
    # replies slow down from February (2 h to 48 h on average: two periods) and a fifth of the cases wait 30 times
    # longer at both replies: each period is cut into classes, and a later period's classes arrive only from its
    # first day, each with its share of that period's table
    path = tmp_path / "both.csv"
    known_log(paths=every_review, reply=slower_replies, replied=("Review", "Close"), slow=(0.2, 30.0)).to_csv(path, index=False)
    model = fit_log(read_log(path))
    february = {name: facts for name, facts in model.segments.items() if facts["parent"] == "from 2024_02"}
    assert len(february) >= 2 and len({f["parent"] for f in model.segments.values()}) == 2
    assert sum(f["share"][0] for f in february.values()) == next(iter(february.values()))["share"][1]
    for name in february:
        arrivals = model.scenario["segments"][name]["arrivals"]
        assert not any(arrivals["rate"].values()) and arrivals["changes"][0]["from"] == "2024-02-01"
    slow = sum(f["cases"] for f in february.values() if f["cycle_median"] > 500.0) / sum(f["cases"] for f in february.values())
    assert 0.15 < slow < 0.25  # a fifth of about 1,150 cases: standard error 0.012
    validate_mapping(model.scenario)
