"""Visit-indexed states (``orgsim.eventlog.visits``): the geometric test and the caps, worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from orgsim.eventlog import visits
from orgsim.eventlog.visits import geometric_test


def test_geometric_test_by_hand():
    # 6 cases: visits 1,1,1,1,2,3 -> n 6, total 9, r = 3/9; expected 6 * (2/3) * (1/3)^(v-1) = 4, 4/3, 4/9
    g, df, p = geometric_test(np.array([1, 1, 1, 1, 2, 3]))
    by_hand = 2 * (4 * math.log(4 / 4) + 1 * math.log(1 / (4 / 3)) + 1 * math.log(1 / (4 / 9)))
    assert g == pytest.approx(by_hand) and df == 2
    assert p == pytest.approx(math.exp(-by_hand / 2))  # chi-squared on 2 df: survival exp(-x / 2)
    assert geometric_test(np.array([1, 1, 1]))[2] == 1.0  # no repeat: nothing to test


def test_visit_caps_and_labels_by_hand():
    # 25 cases doing A exactly three times: rejected; K of A is 3 (25 cases reach visit 3), of B 1
    rows = [(f"c{c}", act, pd.Timestamp("2024-01-01") + pd.Timedelta(hours=c * 10 + i))
            for c in range(25) for i, act in enumerate(["A", "A", "A", "B"])]
    frame = pd.DataFrame(rows, columns=["case", "activity", "start"]).assign(end=lambda f: f["start"])
    labels, tests, base = visits.states(frame, pd.Series("s", index=[f"c{c}" for c in range(25)]))
    assert tests["s"].caps == {"A": 3, "B": 1} and tests["s"].counts == {3: 25}
    assert labels.tolist()[:4] == ["A", "A visit2", "A visit3", "B"]
    assert base == {"A visit2": ("A", 2), "A visit3": ("A", 3)}
