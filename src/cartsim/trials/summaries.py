"""Per-arm summaries of per-patient endpoints, in the stable ``endpoints.json`` layout.

A distribution endpoint becomes ``{"mean", "sd", "median", "p25", "p75", "n"}`` over the
patients for whom it is defined (NaN means "does not apply", e.g. no reappearance before the
horizon; ``n`` says how many contribute); a proportion becomes ``{"value", "ci95": [lo, hi], "n"}``
in percent, with the Wilson score interval (good coverage for small n and proportions near 0
or 100%, where the Wald interval fails). An endpoint defined for no patient of an arm is
``null``. This module only aggregates numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cartsim.trials.endpoints import DISTRIBUTIONS, PROPORTIONS

_Z95 = 1.959963984540054


def distribution(values: np.ndarray) -> dict[str, float] | None:
    """Mean, SD (n-1), median, quartiles and n of the finite ``values``; None when none.

    Examples
    --------
    >>> distribution(np.array([1.0, 2.0, 3.0, np.nan]))["median"]
    2.0
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    p25, median, p75 = np.percentile(finite, [25.0, 50.0, 75.0])
    return {"mean": float(finite.mean()), "sd": float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
            "median": float(median), "p25": float(p25), "p75": float(p75), "n": int(finite.size)}


def proportion(indicators: np.ndarray) -> dict[str, object] | None:
    """Percentage of 1s among the finite 0/1 ``indicators`` with its Wilson 95% interval.

    Examples
    --------
    >>> proportion(np.array([1.0, 0.0, 0.0, 0.0]))["value"]
    25.0
    """
    finite = indicators[np.isfinite(indicators)]
    n = int(finite.size)
    if n == 0:
        return None
    p = float(finite.mean())
    centre = (p + _Z95**2 / (2 * n)) / (1 + _Z95**2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / (1 + _Z95**2 / n)
    low, high = min(p, centre - half), max(p, centre + half)  # exact at 0 and n, despite rounding
    return {"value": 100.0 * p, "ci95": [100.0 * max(0.0, low), 100.0 * min(1.0, high)], "n": n}


def arm_summary(rows: pd.DataFrame) -> dict[str, object]:
    """The endpoints block of one arm from its per-patient rows (successful patients only).

    An endpoint missing from ``rows`` (no patient of the trial could be integrated) is None.
    """
    endpoints: dict[str, object] = {}
    for name in DISTRIBUTIONS:
        endpoints[name] = distribution(rows[name].to_numpy(dtype=float)) if name in rows else None
    for name, column in PROPORTIONS.items():
        endpoints[name] = (proportion(rows[column].to_numpy(dtype=float))
                           if column in rows else None)
    return endpoints
