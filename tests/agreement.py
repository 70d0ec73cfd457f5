"""Do the two engines agree on a scenario?  Welch's t-test per metric, at a level the caller's Bonferroni budget sets.

The engines use different generators, so their replications are independent samples of the same model:
a metric whose means differ beyond its level is a disagreement.  Shared by every engine-equivalence test.
"""

import numpy as np
import pytest
from scipy import stats


def disagreements(ref, fast, level: float, max_metrics: int) -> list[str]:
    """Metrics of two RunResults whose means differ at *level* (already divided over the caller's comparisons).

    Both must report the same metrics, at most *max_metrics* (the caller's budget counts them); a metric
    constant in both runs must be the same constant.
    """
    assert set(ref.values) == set(fast.values), set(ref.values) ^ set(fast.values)
    assert len(ref.values) <= max_metrics
    bad = []
    for name, x in ref.values.items():
        y = fast.values[name]
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
        if len(x) < 3 or len(y) < 3:
            continue
        if np.ptp(x) == 0 and np.ptp(y) == 0:
            if x[0] != pytest.approx(y[0], rel=1e-9, abs=1e-12):
                bad.append(f"{name}: constant {x[0]} vs {y[0]}")
            continue
        p = stats.ttest_ind(x, y, equal_var=False).pvalue
        if p < level:
            bad.append(f"{name}: simpy {x.mean():.4g}±{x.std(ddof=1):.2g} vs numba {y.mean():.4g}±{y.std(ddof=1):.2g} "
                       f"(p={p:.2g})")
    return bad
