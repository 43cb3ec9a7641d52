"""Malignant CD19+ B cells, so the same product can be run in B-ALL and LBCL as in MS.

The malignant burden M (B-ALL: marrow blasts that circulate; LBCL: nodal tumour that does not)
grows logistically towards its untreated size and is killed like B cells of its antigen
profile:

    dM_c/dt = k_grow * M_c * (1 - M / M_cap) - (w_mal * kcar_c + cd20_mal * kab_c + s_LD kill_B) M_c
              + f_traffic * trafficking

M_cap is the patient's untreated burden (covariate ``marrow_blast_pct`` or
``tumour_burden_cells``), so an untreated patient stays at steady state; the growth rate is an
assumption (A41). Relapsed or refractory disease has outlived earlier chemotherapy, so the
lymphodepleting drugs kill malignant cells at a fraction s_LD of their rate against normal B
cells (A71). The burden drives CAR-T expansion and IL-6 through the target density.
"""

from __future__ import annotations

from numba import njit

from cartsim.model.bcells import TINY
from cartsim.model.compartments import BCELL_PARTITION, K_CNS_EXIT, add_trafficking
from cartsim.model.layout import P
from cartsim.model.states import MALIGNANT

_GROW = P["k_malignant_growth"]
_CAP = P["malignant_capacity"]
_B_REF = P["bcell_periph_ref"]
_W = P["w_target_malignant"]
_CD20 = P["f_cd20_malignant"]
_TRAFFIC = P["f_malignant_traffic"]
_S_LD = P["f_ld_sensitivity_malignant"]
_K_EXIT = P["k_exit_activated"]


@njit
def add_malignant(y, p, volumes, k_cns_in, k_car, k_ab, kill_b, dy):
    """Add malignant growth, killing and (for circulating disease) trafficking to ``dy``."""
    total = 0.0 * y[MALIGNANT[0]]
    for c in range(5):
        total += y[MALIGNANT[c]]
    crowding = 1.0 - total / (p[_CAP] + TINY * p[_B_REF])
    for c in range(5):
        kill = p[_W] * k_car[c] + p[_CD20] * k_ab[c] + p[_S_LD] * kill_b
        dy[MALIGNANT[c]] += (p[_GROW] * crowding - kill) * y[MALIGNANT[c]]
    add_trafficking(y, p, MALIGNANT, p[_TRAFFIC] * p[_K_EXIT], BCELL_PARTITION, volumes,
                    p[_TRAFFIC] * k_cns_in, p[_TRAFFIC] * p[K_CNS_EXIT], dy)
