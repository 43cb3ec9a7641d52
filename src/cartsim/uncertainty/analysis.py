"""Sobol indices of each endpoint from the evaluated design (SALib ``sobol.analyze``).

For every arm and endpoint, the design's blocks of ``D + 2`` rows (see ``sampling``) in which
every evaluation is defined are kept and the rest dropped whole, so the estimator stays
consistent; ``n_used`` says how many base samples remain. First-order (S1) and total (ST)
indices come with bootstrap confidence intervals (half-widths at ``CONFIDENCE``). An endpoint
whose defined values are all positive and span more than ``LOG_SCALE_SPAN`` is analysed as its
log10 (``scale`` says so): variance on the raw scale of a quantity spread over decades is the
variance of its few largest values, and one extreme run would decide every index. An endpoint
that is undefined for the arm, has too few defined blocks or does not vary gets NaN indices and
a note instead. This module analyses numbers; it runs no simulation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from SALib.analyze import sobol

from cartsim.uncertainty.problem import SensitivityProblem

CONFIDENCE = 0.95
"""Level of the bootstrap confidence intervals of S1 and ST."""
BOOTSTRAP_RESAMPLES = 200
"""Bootstrap resamples per index: enough for a stable interval width at the sample sizes used."""
LOG_SCALE_SPAN = 100.0
"""Ratio of the largest to the smallest defined value above which an endpoint is analysed as log10."""
MIN_BLOCKS = 4
"""Fewest defined base samples for which indices are reported."""
COLUMNS = ("arm", "endpoint", "scale", "parameter", "S1", "S1_conf", "ST", "ST_conf", "n_used",
           "n_censored", "note")


def sobol_indices(problem: SensitivityProblem, outputs: np.ndarray, censored: np.ndarray,
                  arms: Sequence[str], endpoints: Sequence[str], seed: int) -> pd.DataFrame:
    """One row per arm, endpoint and parameter with S1, ST, their intervals and a note.

    ``outputs`` and ``censored`` are (design rows x arms x endpoints).

    Examples
    --------
    >>> from cartsim.parameters.ranges import ParameterRange
    >>> from cartsim.uncertainty.sampling import sobol_design
    >>> p = SensitivityProblem((ParameterRange("a", 0.0, 1.0, False),
    ...                         ParameterRange("b", 0.0, 1.0, False)))
    >>> x = sobol_design(p, 1024, seed=1)     # N = 64 gives ST(a) = 1.07 +/- 0.21: noise
    >>> y = (x[:, 0] + 0.01 * x[:, 1])[:, None, None]
    >>> table = sobol_indices(p, y, np.zeros_like(y, bool), ["arm"], ["y"], seed=1)
    >>> table.set_index("parameter")["ST"].round(1).to_dict()
    {'a': 1.0, 'b': 0.0}
    """
    width = len(problem.ranges) + 2
    rows: list[dict[str, object]] = []
    for a, arm in enumerate(arms):
        for e, endpoint in enumerate(endpoints):
            y = outputs[:, a, e].reshape(-1, width)
            defined = np.isfinite(y).all(axis=1)
            kept = y[defined].ravel()
            n_censored = int(censored[:, a, e].reshape(-1, width)[defined].sum())
            scale = "log10" if kept.size and kept.min() > 0 and \
                kept.max() > LOG_SCALE_SPAN * kept.min() else "linear"
            indices, note = _indices(problem, np.log10(kept) if scale == "log10" else kept,
                                     int(defined.sum()), y.shape[0], seed)
            rows += [{"arm": arm, "endpoint": endpoint, "scale": scale, "parameter": name,
                      **{key: float(values[j]) for key, values in indices.items()},
                      "n_used": int(defined.sum()), "n_censored": n_censored, "note": note}
                     for j, name in enumerate(problem.names)]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _indices(problem: SensitivityProblem, y: np.ndarray, used: int, total: int, seed: int
             ) -> tuple[dict[str, np.ndarray], str]:
    nan = np.full(len(problem.ranges), np.nan)
    empty = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
    if used == 0:
        return empty, "not defined for this arm"
    if used < MIN_BLOCKS:
        return empty, f"defined in only {used} of {total} base samples"
    if np.ptp(y) == 0.0:
        return empty, "does not vary"
    result = sobol.analyze(problem.salib(), y, calc_second_order=False,
                           num_resamples=BOOTSTRAP_RESAMPLES, conf_level=CONFIDENCE, seed=seed)
    note = "" if used == total else f"{total - used} of {total} base samples undefined, dropped"
    return {key: np.asarray(result[key], dtype=float) for key in empty}, note


def rank_parameters(group: pd.DataFrame) -> pd.DataFrame:
    """The rows of one arm and endpoint sorted by ST, with what their intervals allow to say.

    Adds ``ST_low`` and ``ST_high`` (the 95% interval), ``influential`` (the interval lies
    above 0: the parameter matters at all) and ``above_next`` (its interval lies wholly above
    that of the next parameter: the two can be ranked). Rows without indices come last.

    Examples
    --------
    >>> g = pd.DataFrame({"parameter": ["a", "b", "c"], "ST": [0.1, 0.8, 0.75],
    ...                   "ST_conf": [0.2, 0.1, 0.05]})
    >>> r = rank_parameters(g)
    >>> r["parameter"].tolist(), r["influential"].tolist(), r["above_next"].tolist()
    (['b', 'c', 'a'], [True, True, False], [False, True, False])
    """
    ranked = group.sort_values("ST", ascending=False, na_position="last", kind="stable")
    ranked = ranked.reset_index(drop=True)
    low, high = ranked["ST"] - ranked["ST_conf"], ranked["ST"] + ranked["ST_conf"]
    next_high = high.shift(-1)
    return ranked.assign(ST_low=low, ST_high=high, influential=low > 0.0,
                         above_next=(low > next_high).fillna(False).astype(bool))


def resolved_ranks(ranked: pd.DataFrame) -> int:
    """How many leading ranks of ``rank_parameters`` are resolved (each above the next).

    Examples
    --------
    >>> resolved_ranks(pd.DataFrame({"above_next": [True, False, True]}))
    1
    """
    leading = 0
    for above in ranked["above_next"]:
        if not above:
            break
        leading += 1
    return leading
