"""IL-6, CRP and the endothelial/blood-brain-barrier activation index.

IL-6 is made by effector CAR-T cells in proportion to their engagement with target cells, so
that a large target burden (leukaemia, lymphoma) drives far more cytokine than the few B cells
of MS (Hosseini 2020 form, with CAR-T effectors in place of drug-activated T cells):

    dIL6/dt = k_IL6 * (IL6_0 - IL6) + q_IL6 * sum_c E_c * a_c / (EC50_act + a_c) / V_plasma

with k_IL6 = ln2 / t_half_IL6 (20 min, Hosseini 2020) and baseline IL6_0 (Said 2021). CRP
follows IL-6 as an indirect response with the CRP half-life (Pepys & Hirschfield 2003):

    dCRP/dt = k_CRP * (CRP_0 * IL6 / IL6_0 - CRP)

The endothelial/BBB activation index b rises with IL-6 and with CAR-T effectors in the CNS and
recovers first-order; it raises CNS entry of cells and will drive ICANS risk (A46-A49):

    db/dt = k_b * (IL6 / (EC50_b,IL6 + IL6) + e_cns / (EC50_b,CAR + e_cns)) - k_rec * b

Management (``model.management``) changes these terms: tocilizumab's receptor blockade O makes
CRP and the BBB drive read the IL-6 signal IL6 * (1 - O) and removes the receptor share
f_rc of IL-6 clearance, k_IL6 * (1 - f_rc * O) * IL6; dexamethasone scales the CAR-T-driven
release and the BBB activation rate k_b by ``dexamethasone_factor``.
Without either drug all of these are as above.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.compartments import CNS
from cartsim.model.layout import P
from cartsim.model.management import EMAX_BBB, EMAX_IL6, dexamethasone_factor, il6_receptor_blockade
from cartsim.model.states import BBB, CART_EFF, CRP, IL6, TOCILIZUMAB

_IL6_0 = P["il6_plasma_0"]
_T_IL6 = P["t_half_il6"]
_Q_IL6 = P["q_il6_cart"]
_V_PLASMA = P["v_plasma"]
_CRP_0 = P["crp_plasma_0"]
_T_CRP = P["t_half_crp"]
_K_BBB = P["k_bbb_activation"]
_EC50_IL6 = P["ec50_bbb_il6"]
_EC50_CAR = P["ec50_bbb_cart"]
_K_REC = P["k_bbb_recovery"]
_F_RECEPTOR = P["f_il6_receptor_clearance"]


@njit
def add_cytokines(y, p, volumes, engagement, dy):
    """Add IL-6, CRP and BBB-index dynamics; ``engagement[c]`` = a_c / (EC50_act + a_c)."""
    engaged = 0.0 * y[CART_EFF[0]]
    for c in range(5):
        engaged += y[CART_EFF[c]] * engagement[c]
    il6 = y[IL6]
    blocked = il6_receptor_blockade(y[TOCILIZUMAB], p)
    release = p[_Q_IL6] * dexamethasone_factor(y, p, EMAX_IL6) * engaged / p[_V_PLASMA]
    dy[IL6] += np.log(2.0) / p[_T_IL6] * (p[_IL6_0] - (1.0 - p[_F_RECEPTOR] * blocked) * il6) + release
    signal = il6 * (1.0 - blocked)
    dy[CRP] += np.log(2.0) / p[_T_CRP] * (p[_CRP_0] * signal / p[_IL6_0] - y[CRP])
    e_cns = y[CART_EFF[CNS]] / volumes[CNS]
    drive = signal / (p[_EC50_IL6] + signal) + e_cns / (p[_EC50_CAR] + e_cns)
    dy[BBB] += p[_K_BBB] * dexamethasone_factor(y, p, EMAX_BBB) * drive - p[_K_REC] * y[BBB]
