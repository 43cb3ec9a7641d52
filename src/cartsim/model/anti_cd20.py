"""Anti-CD20 antibodies (ocrelizumab, ofatumumab, rituximab): PK and B-cell killing.

Two-compartment PK with an optional subcutaneous depot (ofatumumab) and a time-dependent
clearance CL_t that decays from its value at the first dose (ocrelizumab label model,
Gibiansky 2021), all in mg and L:

    dDepot/dt = -ka Depot                       (doses enter Depot as F * dose, or Central)
    dA_c/dt  = ka Depot - (CL + CL_t) C - Q (C - A_p / V_p),   C = A_c / V_c
    dA_p/dt  = Q (C - A_p / V_p)
    dCL_t/dt = -k_des CL_t

Drug-specific PK values come from ``parameterise`` (Yu 2022 ofatumumab; Ocrevus SmPC; Ng 2006
rituximab). Killing follows Yu 2022's Emax model on the local concentration, acting only on
CD20+ subsets; tissue concentrations are Kp times serum (Shah & Betts 2013 via Hosseini 2020)
and CSF about 0.1% of serum. Effector-dependent killing is as efficient as in blood in spleen and
bone marrow, which deplete as easily as blood (Leandro 2013), and reduced in lymph nodes
(Hosseini 2020's tissue factor) and the CNS:

    kab_c = f_c * kmax * x^h / (1 + x^h),   x = Kp_c * C / EC50
"""

from __future__ import annotations

from numba import njit

from cartsim.model.layout import P
from cartsim.model.states import AB_CENTRAL, AB_CLT, AB_DEPOT, AB_PERIPHERAL

_KA = P["ab_ka"]
_VC = P["ab_vc"]
_VP = P["ab_vp"]
_Q = P["ab_q"]
_CL = P["ab_cl"]
_K_DES = P["ab_k_cl_decay"]
_KMAX = P["k_kill_max_anti_cd20"]
_EC50 = P["ec50_anti_cd20"]
_HILL = P["hill_anti_cd20"]
_KP = (P["kp_antibody_lymph_node"], P["kp_antibody_spleen"], P["kp_antibody_bone_marrow"],
       P["kp_antibody_cns"])
_F_LN = P["f_kill_tissue_antibody"]
_F_CNS = P["f_kill_cns_antibody"]


@njit
def serum_concentration(y, p):
    """Antibody concentration in the central volume (mg/L)."""
    return y[AB_CENTRAL] / p[_VC]


@njit
def antibody_kill_rates(y, p, out):
    """Write the per-cell kill rate of a CD20+ cell in each compartment (1/day) into ``out``."""
    conc = serum_concentration(y, p)
    partition = (1.0, p[_KP[0]], p[_KP[1]], p[_KP[2]], p[_KP[3]])
    efficiency = (1.0, p[_F_LN], 1.0, 1.0, p[_F_CNS])
    for c in range(5):
        x = max(0.0, partition[c] * conc / p[_EC50])
        xh = x ** p[_HILL]
        out[c] = efficiency[c] * p[_KMAX] * xh / (1.0 + xh)


@njit
def add_anti_cd20(y, p, dy):
    """Add antibody absorption, distribution and elimination to ``dy``."""
    conc = serum_concentration(y, p)
    distribution = p[_Q] * (conc - y[AB_PERIPHERAL] / p[_VP])
    absorption = p[_KA] * y[AB_DEPOT]
    dy[AB_DEPOT] -= absorption
    dy[AB_CENTRAL] += absorption - (p[_CL] + y[AB_CLT]) * conc - distribution
    dy[AB_PERIPHERAL] += distribution
    dy[AB_CLT] -= p[_K_DES] * y[AB_CLT]
