"""Hypogammaglobulinaemia categories from serum IgG, as used in CAR-T immunoglobulin guidance.

``hypogammaglobulinaemia`` names the category of a serum IgG in g/L: normal (>= 7.0), mild
(< 7.0, the generally accepted definition), moderate (<= 6.0), severe (<= 4.0, where guidance
after CAR-T considers replacement) and profound (< 1.5). The cut-offs and their sources are in
``criteria``. This module must not decide on treatment, which also depends on infections.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.typing import ArrayLike

from cartsim.safety.criteria import HYPOGAMMAGLOBULINAEMIA, IGG_CATEGORY_BANDS_G_PER_L
from cartsim.safety.findings import numbers

_COMPARE = {"<": operator.lt, "<=": operator.le}


def hypogammaglobulinaemia(igg_g_per_l: ArrayLike) -> str | np.ndarray:
    """Return the hypogammaglobulinaemia category of serum IgG (g/L).

    Examples
    --------
    >>> hypogammaglobulinaemia(9.5), hypogammaglobulinaemia(4.0), hypogammaglobulinaemia(1.2)
    ('normal', 'severe', 'profound')
    >>> hypogammaglobulinaemia([6.5, 5.0])
    array(['mild', 'moderate'], dtype='<U8')
    """
    igg = numbers(igg_g_per_l, "igg_g_per_l", "hypogammaglobulinaemia", low=0.0, unit="g/L")
    width = max(len(name) for name in HYPOGAMMAGLOBULINAEMIA)
    category = np.full(igg.shape, HYPOGAMMAGLOBULINAEMIA[0], dtype=f"<U{width}")
    for cut_off, comparison, name in reversed(IGG_CATEGORY_BANDS_G_PER_L):
        category = np.where(_COMPARE[comparison](igg, cut_off), name, category)
    return str(category) if category.ndim == 0 else category
