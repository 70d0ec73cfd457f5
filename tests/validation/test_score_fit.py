"""Fit on a random half of a real log's cases, score on the other half (issue 18's "Must reach").

Each log is split by case (seed 1); the fitted scenario is written and loaded as a user's would be,
then scored with 20 replications against the held-out half.  The noise floor of a distance is the
same distance between two real halves: its median over 20 seeded splits of the whole log, because
one split's value is itself a draw (the loan log's cycle-time distance between halves runs from
0.0051 to 0.0316 over those splits, the split of seed 1 giving its second-lowest value; the
purchasing log's from 0.0045 to 0.0458), or the distance between this split's own two halves when
that is larger (``orgsim.eventlog.measures.noise_floor(..., seed=1)``): the fit learns only its
half, and cannot be asked to come closer to the other half than its own half is.  For the loan log
the median is the larger; for the purchasing log this split's halves are (cycle-time distance
0.0225 against a median of 0.0143, circadian 0.480 h against 0.455 h), so under the median alone
the training half itself would fail the cycle-time check against the held-out half (1.57x).

Loan log (roles, enabled times): cycle-time mean and p90 within 10 %, cases within 5 %, every
department's utilisation within 0.05, both distances at most 1.5x their noise floor.

Purchasing log (no roles, no enabled times, 608 cases over nine months, cycle times heavy-tailed:
mean about 500 h, p90 about 2,000 h): cases within 5 % and utilisation within 0.05 as for the loan
log; cycle-time mean and p90 within 25 %, because the two real halves of this log themselves differ
by up to 26 % in mean cycle time over 20 seeded splits (median 4 %), so 10 % would fail on the
luck of the split; distances at most 1.5x their noise floor as for the loan log.  The p90 needs no
wider limit: the real halves' p90 differ by at most 6 % over the same 20 splits (the loan log's by a
median of 4 %, but once by 217 %: a tenth of its cases wait over a night or a weekend, and its p90
jumps between the two when that share moves by a point).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest

import orgsim
from orgsim.eventlog import read_log, split_by_case
from orgsim.eventlog.fitting import fit_log
from orgsim.eventlog.measures import noise_floor
from orgsim.eventlog.writing import write_scenario
from orgsim.studies.score import log_frame, score

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LOGS = {"loan": DATA / "LoanApp_simplified_train.csv.gz", "purchasing": DATA / "PurchasingExample.csv.gz"}
CYCLE_LIMIT = {"loan": 0.10, "purchasing": 0.25}
REPLICATIONS = 20


@functools.cache
def scored(log: str):
    """The score of the fitted half against the held-out half, and the noise floor of each distance."""
    read = read_log(LOGS[log])
    train, test = split_by_case(read, 0.5, seed=1)
    with tempfile.TemporaryDirectory(prefix=f"score-fit-{log}-") as folder:
        write_scenario(fit_log(train), Path(folder) / f"{log}.yaml")
        scenario = orgsim.load(Path(folder) / f"{log}.yaml")
    result = score(scenario, test, replications=REPLICATIONS, seed=0)
    floor = noise_floor(log_frame(read.frame, scenario), seed=1)
    return result, floor


def _relative(result, name: str) -> float:
    kpi = result.kpis[name]
    return abs(kpi["sim"] / kpi["log"] - 1)


@pytest.mark.parametrize("log", LOGS)
def test_cases_within_5_percent(log):
    result, _ = scored(log)
    assert _relative(result, "cases") <= 0.05, result.kpis["cases"]


@pytest.mark.parametrize("name", ["cycle_time_mean", "cycle_time_p90"])
@pytest.mark.parametrize("log", LOGS)
def test_cycle_time_within_limit(log, name):
    result, _ = scored(log)
    assert _relative(result, name) <= CYCLE_LIMIT[log], result.kpis[name]


@pytest.mark.parametrize("log", LOGS)
def test_every_department_utilisation_within_0_05(log):
    result, _ = scored(log)
    utilisation = {k: v for k, v in result.kpis.items() if k.endswith(".utilisation")}
    assert utilisation
    off = {k: (v["log"], v["sim"]) for k, v in utilisation.items() if abs(v["sim"] - v["log"]) > 0.05}
    assert not off


@pytest.mark.parametrize("name", ["cycle_time_distribution", "circadian_event_distribution"])
@pytest.mark.parametrize("log", LOGS)
def test_distance_within_1_5_noise_floors(log, name):
    result, floor = scored(log)
    assert result.distances[name] <= 1.5 * floor[name], (result.distances[name], floor[name])
