"""Per-arm summaries of per-patient endpoints, in the stable ``endpoints.json`` layout.

A distribution endpoint becomes ``{"mean", "sd", "median", "p25", "p75", "n"}`` over the
patients for whom it is defined (NaN means "does not apply", e.g. no reappearance before the
horizon; ``n`` says how many contribute); a proportion becomes ``{"value", "ci95": [lo, hi], "n"}``
in percent, with the Wilson score interval (good coverage for small n and proportions near 0
or 100%, where the Wald interval fails). An endpoint defined for no patient of an arm is
``null``. Summaries read ``patients.parquet`` one endpoint column at a time (with the arm and
status columns): exact quantiles need every value of a column, but never the whole table. This
module only aggregates numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

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


def trial_summaries(patients: Path, arms: Sequence[str]) -> dict[str, dict[str, object]]:
    """``{arm: {"n_patients", "endpoints"}}`` from a trial's ``patients.parquet``.

    ``n_patients`` counts every row of the arm; endpoints are summarised over its successful
    rows. An endpoint column missing from the file (no patient of the trial could be
    integrated) is None.

    Examples
    --------
    >>> import tempfile
    >>> rows = pd.DataFrame({"arm": ["A", "A", "B"], "status": ["ok", "failed", "ok"],
    ...                      "annualized_relapse_rate": [0.5, np.nan, 0.1]})
    >>> path = Path(tempfile.mkdtemp()) / "patients.parquet"; rows.to_parquet(path)
    >>> summary = trial_summaries(path, ["A", "B"])
    >>> summary["A"]["n_patients"], summary["A"]["endpoints"]["annualized_relapse_rate"]["n"]
    (2, 1)
    """
    keys = read_keys(patients, ["arm", "status"])
    in_arm = {a: (keys["arm"] == a).to_numpy() for a in arms}
    ok = (keys["status"] == "ok").to_numpy()
    summaries: dict[str, dict[str, object]] = {
        a: {"n_patients": int(in_arm[a].sum()), "endpoints": {}} for a in arms}
    columns = [(name, name, distribution) for name in DISTRIBUTIONS]
    columns += [(name, column, proportion) for name, column in PROPORTIONS.items()]
    for name, column, summarise in columns:
        values = read_column(patients, column)
        for a in arms:
            summaries[a]["endpoints"][name] = (summarise(values[ok & in_arm[a]])
                                               if values is not None else None)
    return summaries


def read_keys(patients: Path, columns: Sequence[str]) -> pd.DataFrame:
    """``columns`` of ``patients.parquet``, with ``arm`` and ``status`` as categoricals.

    Categoricals keep a byte or so per row where Python strings would take about 60 bytes.
    """
    strings = [c for c in columns if c in ("arm", "status")]
    return pq.read_table(patients, columns=list(columns), read_dictionary=strings).to_pandas()


def read_column(patients: Path, column: str) -> np.ndarray | None:
    """One column of ``patients.parquet`` as floats, or None when the file has no such column."""
    if column not in pq.read_schema(patients).names:
        return None
    return pd.read_parquet(patients, columns=[column])[column].to_numpy(dtype=float)


def trial_failures(patients: Path) -> int:
    """Patient-arms of a trial's ``patients.parquet`` that could not be integrated."""
    return int((read_keys(patients, ["status"])["status"] != "ok").sum())
