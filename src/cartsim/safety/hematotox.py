"""The CAR-HEMATOTOX score: baseline risk of haematotoxicity after CAR-T (Rejeski et al. 2021).

``car_hematotox_score`` adds the points of five blood values measured before lymphodepletion
(platelets and ferritin weigh double) and ``car_hematotox_risk`` splits the score into low
(0-1) and high (>= 2) risk. The cut-offs are in ``criteria``. This module must not know where
the values came from; the score was derived in large B-cell lymphoma and is applied to other
diseases only by analogy.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.typing import ArrayLike

from cartsim.safety.criteria import (
    HEMATOTOX_ANC_PER_UL,
    HEMATOTOX_CRP_MG_PER_L,
    HEMATOTOX_FERRITIN_NG_PER_ML,
    HEMATOTOX_HAEMOGLOBIN_G_PER_DL,
    HEMATOTOX_HIGH_RISK_SCORE,
    HEMATOTOX_PLATELETS_PER_NL,
    HEMATOTOX_RISK,
)
from cartsim.safety.findings import check_shapes, numbers, scalar_or_array, whole_numbers

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def car_hematotox_score(platelets_per_nl: ArrayLike, anc_per_ul: ArrayLike,
                        haemoglobin_g_per_dl: ArrayLike, crp_mg_per_l: ArrayLike,
                        ferritin_ng_per_ml: ArrayLike) -> int | np.ndarray:
    """Return the CAR-HEMATOTOX score (0-7) from baseline blood values.

    Points: platelets < 75 -> 2, 75-175 -> 1 (x 10^9/L); ANC < 1200 /uL -> 1; haemoglobin
    < 9.0 g/dL -> 1; CRP >= 30 mg/L (3.0 mg/dL) -> 1; ferritin > 2000 -> 2, 650-2000 -> 1
    (ng/mL).

    Parameters
    ----------
    platelets_per_nl:
        Platelet count in 10^9/L (per nL).
    anc_per_ul:
        Absolute neutrophil count in cells per uL.
    haemoglobin_g_per_dl:
        Haemoglobin in g/dL.
    crp_mg_per_l:
        C-reactive protein in mg/L.
    ferritin_ng_per_ml:
        Ferritin in ng/mL.

    Examples
    --------
    >>> car_hematotox_score(220, 3400, 12.4, 8.0, 180)
    0
    >>> car_hematotox_score(60, 700, 8.5, 24.0, 1400)
    5
    """
    source = "car_hematotox_score"
    markers = {
        "platelets_per_nl": (platelets_per_nl, HEMATOTOX_PLATELETS_PER_NL),
        "anc_per_ul": (anc_per_ul, HEMATOTOX_ANC_PER_UL),
        "haemoglobin_g_per_dl": (haemoglobin_g_per_dl, HEMATOTOX_HAEMOGLOBIN_G_PER_DL),
        "crp_mg_per_l": (crp_mg_per_l, HEMATOTOX_CRP_MG_PER_L),
        "ferritin_ng_per_ml": (ferritin_ng_per_ml, HEMATOTOX_FERRITIN_NG_PER_ML),
    }
    points = {name: _points(numbers(value, name, source, low=0.0), bands)
              for name, (value, bands) in markers.items()}
    check_shapes(source, **points)
    return scalar_or_array(np.asarray(sum(points.values()), dtype=np.int64))


def car_hematotox_risk(score: ArrayLike) -> str | np.ndarray:
    """Return ``"low"`` for a CAR-HEMATOTOX score of 0-1 and ``"high"`` for 2 or more.

    Examples
    --------
    >>> car_hematotox_risk(1), car_hematotox_risk(2)
    ('low', 'high')
    """
    value = whole_numbers(score, "score", "car_hematotox_risk", low=0, high=7)
    risk = np.asarray(HEMATOTOX_RISK)[(value >= HEMATOTOX_HIGH_RISK_SCORE).astype(int)]
    return str(risk) if risk.ndim == 0 else risk


def _points(value: np.ndarray, bands: tuple[tuple[float, str, int], ...]) -> np.ndarray:
    points = np.zeros(value.shape, dtype=np.int64)
    for cut_off, comparison, band_points in reversed(bands):
        points = np.where(_COMPARE[comparison](value, cut_off), band_points, points)
    return points
