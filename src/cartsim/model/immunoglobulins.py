"""Serum IgG, autoantibody and intrathecal IgG (an oligoclonal-band proxy).

Antibody is secreted by plasma cells and, at a relative rate f_pbl, by plasmablasts; each
level is tracked relative to its untreated value, so its steady state is 1 by construction:

    dIgG/dt  = k_IgG * (S / S_0 - IgG)            S: all secreting cells outside the CNS
    dAuto/dt = k_IgG * (S_auto / S_auto,0 - Auto)  autoreactive secreting cells outside the CNS
    dIth/dt  = k_CSF * (S_cns / S_cns,0 - Ith)     secreting cells in the CNS

k_IgG = ln2 / t_half_IgG (21 days); intrathecal IgG is renewed with the CSF (k_CSF, A24).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.bcells_layout import AUTO, NONAUTO, PLASMA_CELL, PLASMABLAST
from cartsim.model.compartments import CNS
from cartsim.model.layout import P
from cartsim.model.states import AUTOAB, BCELL, IGG, IGG_CNS

_T_IGG = P["t_half_igg"]
_F_PBL = P["f_plasmablast_secretion"]
_K_CSF = P["k_csf_turnover"]
_NORM_IGG = P["norm_igg_source"]
_NORM_AUTO = P["norm_auto_source"]
_NORM_CNS = P["norm_cns_source"]


@njit
def secreting_cells(y, p, reactivity, compartment):
    """Plasma cells plus f_pbl times plasmablasts of one reactivity in one compartment."""
    return (y[BCELL[PLASMA_CELL, reactivity, compartment]]
            + p[_F_PBL] * y[BCELL[PLASMABLAST, reactivity, compartment]])


@njit
def add_immunoglobulins(y, p, dy):
    """Add relative serum IgG, autoantibody and intrathecal IgG dynamics to ``dy``."""
    auto = 0.0 * y[BCELL[PLASMA_CELL, AUTO, 0]]
    nonauto = 0.0 * y[BCELL[PLASMA_CELL, AUTO, 0]]
    for c in range(4):
        auto += secreting_cells(y, p, AUTO, c)
        nonauto += secreting_cells(y, p, NONAUTO, c)
    cns = secreting_cells(y, p, AUTO, CNS) + secreting_cells(y, p, NONAUTO, CNS)
    k_igg = np.log(2.0) / p[_T_IGG]
    dy[IGG] += k_igg * ((auto + nonauto) / p[_NORM_IGG] - y[IGG])
    dy[AUTOAB] += k_igg * (auto / p[_NORM_AUTO] - y[AUTOAB])
    dy[IGG_CNS] += p[_K_CSF] * (cns / p[_NORM_CNS] - y[IGG_CNS])
