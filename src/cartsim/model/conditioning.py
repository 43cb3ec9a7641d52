"""Lymphodepleting and conditioning drugs: exposure, lymphocyte kill and progenitor ablation.

Each drug d (fludarabine, cyclophosphamide, rabbit ATG, melphalan standing for BEAM) is a
one-compartment amount A_d given as doses (events), eliminated with its half-life:

    dA_d/dt = -ln2 / t_half_d * A_d,         C_d = A_d / (Vd_d * weight)

and kills lymphocytes (normal T, CAR-T, B lineage except long-lived plasma cells, malignant
cells) at an Emax rate in its concentration:

    kill_T = sum_d k_kill_lymph_d * C_d / (EC50_d + C_d)
    kill_B = same, with ATG weighted by f_atg_bcell (ATG is mainly anti-T)

Plasma cells are spared (vaccine and autoantibody titres persist after Flu/Cy and aHSCT:
Schett 2023, Muraro 2005). Myeloablation acts on the haematopoietic progenitor index P:

    dP/dt = k_renew * P * (1 - P) - (kill_P_melphalan + kill_P_cyclophosphamide) * P

with the autologous graft added to P as an event. Half-lives and volumes are from the drug
labels; the kill potencies are assumptions (A18-A28) anchored on lymphocyte nadirs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.layout import P
from cartsim.model.states import DRUG, DRUG_NAMES, PROGENITOR

_T_HALF, _VD, _KILL, _EC50 = (
    np.array([P[f"{prefix}_{d}"] for d in DRUG_NAMES])
    for prefix in ("t_half", "vd", "k_kill_lymph", "ec50_kill")
)
_ATG, _CYCLOPHOSPHAMIDE, _MELPHALAN = (DRUG_NAMES.index(d) for d in ("atg", "cyclophosphamide", "melphalan"))
_WEIGHT = P["weight_kg"]
_F_ATG_B = P["f_atg_bcell_kill"]
_KILL_P_MEL = P["k_kill_progenitor_melphalan"]
_KILL_P_CY = P["k_kill_progenitor_cyclophosphamide"]
_RENEW = P["k_progenitor_renewal"]


@njit
def drug_effect(y, p, d):
    """Fractional effect C_d / (EC50_d + C_d) of drug ``d`` (index into DRUG_NAMES) now."""
    conc = y[DRUG[d]] / (p[_VD[d]] * p[_WEIGHT])
    return conc / (p[_EC50[d]] + conc)


@njit
def drug_kill_rates(y, p):
    """Return (kill_T, kill_B, kill_progenitor) in 1/day from the current drug amounts."""
    kill_t = 0.0 * p[_KILL[0]]
    kill_b = 0.0 * p[_KILL[0]]
    kill_prog = 0.0 * p[_KILL[0]]
    for d in range(4):
        effect = drug_effect(y, p, d)
        kill_t += p[_KILL[d]] * effect
        kill_b += p[_KILL[d]] * effect * (p[_F_ATG_B] if d == _ATG else 1.0)
        if d == _MELPHALAN:
            kill_prog += p[_KILL_P_MEL] * effect
        elif d == _CYCLOPHOSPHAMIDE:
            kill_prog += p[_KILL_P_CY] * effect
    return kill_t, kill_b, kill_prog


@njit
def add_conditioning(y, p, kill_prog, dy):
    """Add drug elimination and progenitor renewal/ablation to ``dy``."""
    for d in range(4):
        dy[DRUG[d]] -= np.log(2.0) / p[_T_HALF[d]] * y[DRUG[d]]
    prog = y[PROGENITOR]
    dy[PROGENITOR] += p[_RENEW] * prog * (1.0 - prog) - kill_prog * prog
