"""Compartments of the body and the trafficking of cells between them.

Five compartments: peripheral blood, lymph nodes, spleen, bone marrow and the CNS (CSF plus the
meningeal/perivascular niche where B cells and plasma cells sit in MS). Cells move between blood
and each peripheral tissue in the partition form of Hosseini 2020:

    flux_blood->i = k_exit * V_blood * (K_i * x_blood / V_blood - x_i / V_i)

so that at equilibrium the tissue concentration is K_i times the blood concentration. The CNS
is reached through the blood-brain barrier instead, with an entry rate that rises with the
barrier-activation index b:

    flux_blood->cns = k_cns_entry * (1 + g_bbb * b) * x_blood - k_cns_exit * x_cns

This module declares the geometry and the flux; it must not know which cell type it moves.
"""

from __future__ import annotations

from numba import njit

from cartsim.model.layout import P

COMPARTMENTS = ("blood", "lymph_node", "spleen", "bone_marrow", "cns")
BLOOD, LYMPH_NODE, SPLEEN, BONE_MARROW, CNS = range(5)
N_COMPARTMENTS = len(COMPARTMENTS)

BCELL_PARTITION = (P["kp_bcell_lymph_node"], P["kp_bcell_spleen"], P["kp_bcell_bone_marrow"])
TCELL_PARTITION = (P["kp_tcell_lymph_node"], P["kp_tcell_spleen"], P["kp_tcell_bone_marrow"])
"""Parameter indices of the tissue:blood partition coefficients (lymph node, spleen, marrow)."""
K_CNS_EXIT = P["k_cns_exit"]


@njit
def add_trafficking(y, p, idx, k_exit, partition, volumes, k_cns_in, k_cns_out, dy):
    """Add the blood<->tissue and blood<->CNS fluxes of one cell type to ``dy``.

    ``idx`` holds the state indices of that cell type in the five compartments; ``partition``
    the parameter indices of its partition coefficients (``BCELL_PARTITION`` or
    ``TCELL_PARTITION``); ``volumes`` the five compartment volumes; ``k_cns_in`` already
    includes the BBB factor.
    """
    conc_blood = y[idx[BLOOD]] / volumes[BLOOD]
    for j in range(3):
        c = j + 1
        flux = k_exit * volumes[BLOOD] * (p[partition[j]] * conc_blood - y[idx[c]] / volumes[c])
        dy[idx[BLOOD]] -= flux
        dy[idx[c]] += flux
    flux_cns = k_cns_in * y[idx[BLOOD]] - k_cns_out * y[idx[CNS]]
    dy[idx[BLOOD]] -= flux_cns
    dy[idx[CNS]] += flux_cns
