"""The ratio every metric is built from: element-wise, NaN where there is nothing to divide by.

A replication with no completed orders has no mean wait: NaN leaves it out of the metric's n instead
of counting it as 0 (``orgsim.metrics``, ``orgsim.measures``).
"""

import numpy as np


def ratio(num, den) -> np.ndarray:
    """*num* / *den* element-wise, NaN where *den* is not positive."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out
