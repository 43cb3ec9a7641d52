"""Percentile bands of trajectories over many patients, in memory bounded by the grid.

Keeping every patient's trajectory to draw bands does not scale (1e7 patients x 731 days x the
states is terabytes). Instead each chunk counts its patients' values in fixed logarithmic
bins per series, arm and week: the counts add up across chunks in any order (so the result
does not depend on workers or chunking) and percentiles are read back from the cumulative
counts. With 20 bins per decade the percentile is known to within a factor 10**(1/20), about
12%, which is finer than the line width of a log-scale figure. Bins are half-open, [lower edge,
upper edge); values below the lowest edge (zeros: no CAR-T, complete depletion) fall in the
first bin and read back as 0.
"""

from __future__ import annotations

import numpy as np

BAND_SERIES = (
    ("bcell_blood_per_ul", "B cells, blood", "cells/µL"),
    ("bcell_pct_baseline_lymph_node", "B cells, lymph node", "% of untreated"),
    ("bcell_pct_baseline_spleen", "B cells, spleen", "% of untreated"),
    ("bcell_pct_baseline_bone_marrow", "B cells, bone marrow", "% of untreated"),
    ("bcell_pct_baseline_cns", "B cells, CNS", "% of untreated"),
    ("cart_blood_per_ul", "CAR-T cells, blood", "cells/µL"),
    ("il6_pg_per_ml", "IL-6", "pg/mL"),
    ("igg_pct_baseline", "Serum IgG", "% of baseline"),
    ("neutrophils_blood_per_ul", "Neutrophils (ANC), blood", "cells/µL"),
    ("platelets_blood_per_nl", "Platelets, blood", "1e9/L"),
)
"""Series drawn as bands: name, title, unit."""

BAND_STEP_DAYS = 7
PERCENTILES = (5.0, 25.0, 50.0, 75.0, 95.0)
_LOW, _HIGH, _PER_DECADE = -4, 12, 20
EDGES = np.logspace(_LOW, _HIGH, (_HIGH - _LOW) * _PER_DECADE + 1)
"""Bin edges from 1e-4 to 1e12 (any unit used here), 20 per decade."""
N_BINS = EDGES.size + 1


def band_days(t: np.ndarray) -> np.ndarray:
    """The days of the grid ``t`` at which bands are kept: day 0 and every week after it."""
    return t[(t >= 0) & ((t % BAND_STEP_DAYS) == 0)]


def empty_counts(n_arms: int, n_days: int) -> np.ndarray:
    """A zero count array, shape (series, arms, days, bins)."""
    return np.zeros((len(BAND_SERIES), n_arms, n_days, N_BINS), dtype=np.int64)


def add_patient(counts: np.ndarray, arm: int, t: np.ndarray, series: dict[str, np.ndarray]) -> None:
    """Count one patient's values of one arm into ``counts`` in place."""
    keep = np.isin(t, band_days(t))
    columns = np.arange(int(keep.sum()))
    for s, (name, _, _) in enumerate(BAND_SERIES):
        bins = np.searchsorted(EDGES, series[name][keep], side="right")
        np.add.at(counts[s, arm], (columns, bins), 1)


def percentiles(counts: np.ndarray) -> np.ndarray:
    """Percentiles (PERCENTILES) per leading index from counts (..., bins) -> (..., 5).

    A percentile is the geometric centre of the bin where the cumulative share reaches it;
    the first bin (below 1e-4) reads as 0. NaN where nothing was counted.

    Examples
    --------
    Four values of 10 fall in the bin [10, 10**1.05) = [10, 11.2), whose geometric centre is
    10**1.025:

    >>> c = np.zeros(N_BINS, dtype=np.int64); c[np.searchsorted(EDGES, 10.0, side="right")] = 4
    >>> float(np.round(percentiles(c)[2], 1))
    10.6
    """
    centres = np.concatenate(([0.0], np.sqrt(EDGES[:-1] * EDGES[1:]), [EDGES[-1]]))
    total = counts.sum(axis=-1, keepdims=True)
    share = np.cumsum(counts, axis=-1) / np.maximum(total, 1)
    out = np.empty((*counts.shape[:-1], len(PERCENTILES)))
    for k, q in enumerate(PERCENTILES):
        index = np.argmax(share >= q / 100.0, axis=-1)
        out[..., k] = centres[index]
    out[total[..., 0] == 0] = np.nan
    return out
