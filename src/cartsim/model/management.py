"""Tocilizumab and dexamethasone given to manage CRS and ICANS: exposure and effects.

Both drugs arrive as dose events (``therapies.management``); this module adds their kinetics
and says how much they act, for ``cytokines`` and ``rhs`` to apply. It holds no dosing rule.

Tocilizumab, an anti-IL-6-receptor antibody, is one compartment after an IV dose (single-dose
half-life and volume from the label); it occupies IL-6 receptors as

    O = C_toci / (EC50_toci + C_toci),       C_toci = A_toci / (Vd_toci * weight)

which blocks IL-6 signalling (fever, hypotension, CRP synthesis and the IL-6 drive of
endothelial/BBB activation read IL-6 * (1 - O)) and the receptor-mediated share of IL-6
clearance, so that serum IL-6 rises while its signalling falls (Nishimoto 2008; A300, A301).

Dexamethasone is one compartment with its plasma half-life (Tsuei 1979); its effect follows an
effect compartment C_e with a slow equilibration (A302), so a day of doses acts for days:

    dC_e/dt = ln2 / t_half_effect * (A_dex / Vd_dex - C_e),   E = C_e / (EC50_dex + C_e)

E suppresses CAR-T-driven IL-6 release by up to emax_il6 (A304), the build-up of
endothelial/BBB activation by up to emax_bbb (A307; why steroids treat ICANS) and antigen-driven
CAR-T proliferation by up to emax_cart (A305, bounded by ZUMA-1 cohort 4's unchanged expansion).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.layout import P
from cartsim.model.states import DEXAMETHASONE, DEXAMETHASONE_EFFECT_SITE, TOCILIZUMAB

_T_TOCI = P["t_half_tocilizumab"]
_VD_TOCI = P["vd_tocilizumab"]
_EC50_TOCI = P["ec50_tocilizumab_il6r"]
_T_DEX = P["t_half_dexamethasone"]
_VD_DEX = P["vd_dexamethasone"]
_T_EFFECT = P["t_half_dexamethasone_effect"]
_EC50_DEX = P["ec50_dexamethasone"]
EMAX_IL6 = P["emax_dexamethasone_il6"]
EMAX_BBB = P["emax_dexamethasone_bbb"]
EMAX_CART = P["emax_dexamethasone_cart"]
_WEIGHT = P["weight_kg"]


@njit
def tocilizumab_concentration(tocilizumab_mg, p):
    """Serum tocilizumab (mg/L) for an amount in the body (mg; scalar or array)."""
    return tocilizumab_mg / (p[_VD_TOCI] * p[_WEIGHT])


@njit
def il6_receptor_blockade(tocilizumab_mg, p):
    """IL-6 receptor occupancy by tocilizumab (0-1) for an amount in the body (scalar or array).

    Examples
    --------
    >>> il6_receptor_blockade(0.0, p)  # doctest: +SKIP
    0.0
    """
    conc = tocilizumab_concentration(tocilizumab_mg, p)
    return conc / (p[_EC50_TOCI] + conc)


@njit
def dexamethasone_effect(effect_site_mg_per_l, p):
    """Fraction (0-1) of the maximal dexamethasone effect at an effect-site concentration."""
    return effect_site_mg_per_l / (p[_EC50_DEX] + effect_site_mg_per_l)


@njit
def dexamethasone_factor(y, p, emax):
    """Multiplier (<= 1) left by dexamethasone now of the process whose maximal suppression is
    ``p[emax]`` (``EMAX_IL6``, ``EMAX_BBB`` or ``EMAX_CART``)."""
    return 1.0 - p[emax] * dexamethasone_effect(y[DEXAMETHASONE_EFFECT_SITE], p)


@njit
def add_management(y, p, dy):
    """Add tocilizumab and dexamethasone elimination and the dexamethasone effect site to ``dy``."""
    dy[TOCILIZUMAB] -= np.log(2.0) / p[_T_TOCI] * y[TOCILIZUMAB]
    dy[DEXAMETHASONE] -= np.log(2.0) / p[_T_DEX] * y[DEXAMETHASONE]
    dy[DEXAMETHASONE_EFFECT_SITE] += np.log(2.0) / p[_T_EFFECT] * (
        y[DEXAMETHASONE] / p[_VD_DEX] - y[DEXAMETHASONE_EFFECT_SITE])
