"""MS disease activity: relapse hazard, new-lesion rate and serum neurofilament light.

Disease activity has a B-cell-driven part, carried by autoreactive memory B cells and
plasmablasts in the periphery and by autoreactive memory B, plasmablasts and plasma cells in
the CNS, and a T-cell-driven part that follows the normal T-cell pool:

    A_B = (1 - f_cns) * A_periph / A_periph,0 + f_cns * A_cns / A_cns,0      (1 untreated)
    A_T = N / K_N
    relapse hazard  = k_relapse,course * (f_B,rel * A_B + (1 - f_B,rel) * A_T)
    new-lesion rate = k_lesion,course   * (f_B,les * A_B + (1 - f_B,les) * A_T)
    dNfL/dt = k_NfL * (NfL_healthy + (NfL_disease - NfL_healthy) * r_les - NfL)

r_les is the lesion rate relative to untreated. Baseline rates by course are from natural
history (``parameterise``). The B-cell-driven fractions are anchored on the anti-CD20 trials:
f_B,rel = 1 - the relapse rate ratio of ocrelizumab against placebo (network meta-analysis),
f_B,les = 1 - the Gd-lesion ratio in OPERA, i.e. the part of activity that near-complete
peripheral B-cell depletion removes. NfL levels are from Kuhle 2019. The expected numbers of
relapses and lesions are integrated as states.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.bcells_layout import AUTO, MEMORY, PLASMA_CELL, PLASMABLAST
from cartsim.model.compartments import CNS
from cartsim.model.layout import P
from cartsim.model.states import BCELL, LESIONS, NFL, RELAPSES

_F_REL = P["f_relapse_bcell_driven"]
_F_LES = P["f_lesion_bcell_driven"]
_F_CNS = P["f_cns_share_bcell_activity"]
_NORM = P["norm_bcell_activity"]
_NORM_CNS = P["norm_bcell_activity_cns"]
_K_N = P["n_capacity_tcell"]
_K_REL = P["k_relapse_base"]
_K_LES = P["k_lesion_base"]
_NFL_H = P["nfl_serum_healthy"]
_NFL_D = P["nfl_serum_disease"]
_T_NFL = P["t_half_nfl"]


@njit
def bcell_activity(y, p):
    """Relative B-cell-driven disease activity A_B (1 in the untreated steady state)."""
    periph = 0.0 * y[BCELL[MEMORY, AUTO, 0]]
    for c in range(4):
        periph += y[BCELL[MEMORY, AUTO, c]] + y[BCELL[PLASMABLAST, AUTO, c]]
    cns = (y[BCELL[MEMORY, AUTO, CNS]] + y[BCELL[PLASMABLAST, AUTO, CNS]]
           + y[BCELL[PLASMA_CELL, AUTO, CNS]])
    return (1.0 - p[_F_CNS]) * periph / p[_NORM] + p[_F_CNS] * cns / p[_NORM_CNS]


@njit
def relative_activity(y, p, normal_t, f_bcell):
    """Activity relative to untreated, with B-cell-driven fraction ``f_bcell``."""
    return f_bcell * bcell_activity(y, p) + (1.0 - f_bcell) * normal_t / p[_K_N]


@njit
def add_disease(y, p, normal_t, dy):
    """Add the expected relapses, expected lesions and serum NfL dynamics to ``dy``."""
    lesion_rel = relative_activity(y, p, normal_t, p[_F_LES])
    dy[RELAPSES] += p[_K_REL] * relative_activity(y, p, normal_t, p[_F_REL])
    dy[LESIONS] += p[_K_LES] * lesion_rel
    target = p[_NFL_H] + (p[_NFL_D] - p[_NFL_H]) * lesion_rel
    dy[NFL] += np.log(2.0) / p[_T_NFL] * (target - y[NFL])
