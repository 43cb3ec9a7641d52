"""CAR-T cells: effector (E), memory (M) and exhausted (X) states in every compartment.

In compartment c with target density a_c (antigen-weighted target cells per litre, see
``rhs``) and antigen switch f_c = a_c / (EC50_switch + a_c) (Hardiansyah & Ng 2019):

    dE/dt = [rho * s_prolif * g(T) * a_c/(EC50_act + a_c) + h - k_EM (1 - f_c) - k_EX s_exh f_c
             - d_E - rej - kill_T] E + k_ME f_c M + trafficking
    dM/dt = [h - k_ME f_c - d_M s_mem - rej - kill_T] M + k_EM (1 - f_c) E + trafficking
    dX/dt = k_EX s_exh f_c E - [d_X + rej + kill_T] X + trafficking

- g(T) = 1 / (1 + T / (f_sink K_N)) is the share of homeostatic gamma-c cytokines (IL-7, IL-15)
  left to CAR-T cells by the whole-body T-cell count T: endogenous lymphocytes are cytokine
  sinks, and lymphodepletion enhances transferred T cells by removing them (Gattinoni 2005;
  f_sink is assumption A70, chosen so that g is about 1 at the depth of lymphodepletion in
  which rho was estimated).
- rho is the antigen-driven expansion rate (Stein 2019 doubling time 0.78 d); d_E and k_EM
  are derived from Stein's initial decline alpha and slow-phase fraction FB so that, once
  antigen is gone, effectors fall at alpha and hand FB of the peak to memory, which then
  declines at Stein's terminal rate beta (d_M).
- h is homeostatic expansion after lymphodepletion, competing with normal T cells for space
  (Kimmel 2021): h = r_C(T) * max(0, ln(K_C / T)), r_C(T) = rho_C + b (T - K_N)^2 /
  (a T^2 + (T - K_N)^2), T = normal T + CAR-T. Only the positive (expansion) part is used, so
  that it does not double-count contraction already carried by d_E and d_M.
- s_prolif, s_exh, s_mem are the costimulation multipliers (1 for 4-1BB; CD28: A6-A8).
- rej is host rejection of allogeneic cells, proportional to recovering host T cells (A9).
- In vivo generation: vector genomes V in blood are cleared at k_V and transduce blood T cells,
  dE_blood/dt += f_tr k_V V T_blood / (EC50_tr + T_blood) (A10-A12).
Trafficking uses the activated-T exit rate and T-cell partition coefficients (Hosseini 2020);
CNS entry rises with BBB activation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.compartments import BLOOD, K_CNS_EXIT, TCELL_PARTITION, add_trafficking
from cartsim.model.layout import P
from cartsim.model.states import CART_EFF, CART_EXH, CART_MEM, TCELL, VECTOR

_RHO = P["k_prolif_cart"]
_EC50_ACT = P["ec50_cart_activation"]
_F_SINK = P["f_sink_half_tcell"]
_EC50_SWITCH = P["ec50_antigen_switch"]
_K_EM = P["k_eff_to_mem"]
_K_ME = P["k_mem_to_eff"]
_K_EX = P["k_exhaustion_cart"]
_D_E = P["k_death_cart_eff"]
_D_M = P["k_death_cart_mem"]
_D_X = P["k_death_cart_exh"]
_RHO_C = P["k_homeostatic_cart"]
_A_C = P["a_homeostatic_cart"]
_B_C = P["k_homeostatic_cart_lymphopenic"]
_K_C = P["n_capacity_cart"]
_K_N = P["n_capacity_tcell"]
_S_PROLIF = P["f_costim_prolif"]
_S_MEM = P["f_costim_mem_death"]
_S_EXH = P["f_costim_exhaustion"]
_REJ = P["k_rejection"]
_K_VEC = P["k_vector_clearance"]
_F_TR = P["yield_transduction"]
_EC50_TR = P["ec50_transduction_tcell"]
_K_EXIT = P["k_exit_activated"]


T_FLOOR = 1e-10
"""Floor on the whole-body T-cell count inside the logarithm of ``homeostatic_rate``, relative
to K_C (about 7 cells): a solver iterate may dip to or below zero, where ln(K_C / T) is
undefined. Real whole-body counts stay above 1e6 cells, so the floor changes nothing measurable."""


@njit
def homeostatic_rate(p, total_t):
    """Per-capita homeostatic CAR-T expansion h (1/day) at whole-body T-cell count total_t."""
    gap = total_t - p[_K_N]
    r_c = p[_RHO_C] + p[_B_C] * gap * gap / (p[_A_C] * total_t * total_t + gap * gap)
    return r_c * max(0.0, np.log(p[_K_C] / max(total_t, T_FLOOR * p[_K_C])))


@njit
def add_cart(y, p, volumes, k_cns_in, target_density, total_t, normal_t, kill_t, prolif_scale, dy):
    """Add CAR-T expansion, differentiation, death, transduction and trafficking to ``dy``.

    ``prolif_scale`` multiplies antigen-driven proliferation (1 without dexamethasone, see
    ``model.management``).
    """
    h = homeostatic_rate(p, total_t)
    cytokine_share = 1.0 / (1.0 + total_t / (p[_F_SINK] * p[_K_N]))
    rejection = p[_REJ] * normal_t / p[_K_N]
    for c in range(5):
        e, m, x = y[CART_EFF[c]], y[CART_MEM[c]], y[CART_EXH[c]]
        a = target_density[c]
        switch = a / (p[_EC50_SWITCH] + a)
        prolif = p[_RHO] * p[_S_PROLIF] * prolif_scale * cytokine_share * a / (p[_EC50_ACT] + a)
        to_mem = p[_K_EM] * (1.0 - switch) * e
        to_eff = p[_K_ME] * switch * m
        to_exh = p[_K_EX] * p[_S_EXH] * switch * e
        dy[CART_EFF[c]] += (prolif + h - p[_D_E] - rejection - kill_t) * e - to_mem - to_exh + to_eff
        dy[CART_MEM[c]] += (h - p[_D_M] * p[_S_MEM] - rejection - kill_t) * m + to_mem - to_eff
        dy[CART_EXH[c]] += to_exh - (p[_D_X] + rejection + kill_t) * x
    t_blood = y[TCELL[BLOOD]]
    transduced = p[_F_TR] * p[_K_VEC] * y[VECTOR] * t_blood / (p[_EC50_TR] + t_blood)
    dy[VECTOR] -= p[_K_VEC] * y[VECTOR]
    dy[CART_EFF[BLOOD]] += transduced
    for idx in (CART_EFF, CART_MEM, CART_EXH):
        add_trafficking(y, p, idx, p[_K_EXIT], TCELL_PARTITION, volumes, k_cns_in, p[K_CNS_EXIT], dy)
