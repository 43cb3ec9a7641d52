"""The right-hand side of the model: dy/dt = f(y, p), assembled from the submodels.

``rhs`` computes what several submodels share (compartment volumes, CAR target densities,
engagement, per-cell kill rates of CAR-T, antibody and drugs, whole-body T-cell totals, the
BBB-dependent CNS entry rate) and lets each submodel add its terms. CAR-T killing is
ratio-dependent: a target cell of antigen weight w in compartment c dies at

    w * f_c * k_kill * e_c / (EC50_kill + e_c + a_c)

with e_c the effector and a_c the antigen-weighted target density; f_c is 1 in blood and
f_kill_tissue_cart in tissues and the CNS, where CAR-T cells bring their own effector function.
Each effector thus kills at most k_kill targets a day while targets abound, and each target
dies at most at k_kill when effectors abound: CAR-T must expand before a large pool falls.

The function has no time argument and no branches on time: doses arrive as events between
integration segments (``therapies``). It is written in plain scalar arithmetic so that numba
compiles it and, with numba disabled, pint quantities flow through it for the dimensional
check in the tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.anti_cd20 import add_anti_cd20, antibody_kill_rates
from cartsim.model.bcells import W_TARGET, add_bcells
from cartsim.model.bcells_layout import SUBSETS
from cartsim.model.cart import add_cart
from cartsim.model.conditioning import add_conditioning, drug_kill_rates
from cartsim.model.cytokines import add_cytokines
from cartsim.model.disease import add_disease
from cartsim.model.immunoglobulins import add_immunoglobulins
from cartsim.model.layout import P
from cartsim.model.malignant import add_malignant
from cartsim.model.management import EMAX_CART, add_management, dexamethasone_factor
from cartsim.model.myelopoiesis import add_myelopoiesis
from cartsim.model.states import BBB, BCELL, CART_EFF, CART_EXH, CART_MEM, MALIGNANT, TCELL
from cartsim.model.tcells import add_tcells

_VOLUMES = (P["v_blood"], P["v_lymph_node"], P["v_spleen"], P["v_bone_marrow"], P["v_cns"])
_W_MAL = P["w_target_malignant"]
_EC50_ACT = P["ec50_cart_activation"]
_K_KILL = P["k_kill_cart"]
_EC50_KILL = P["ec50_kill_cart"]
_F_TISSUE = P["f_kill_tissue_cart"]
_K_CNS_IN = P["k_cns_entry"]
_G_BBB = P["f_bbb_entry_gain"]
_N_SUBSETS = len(SUBSETS)


@njit
def target_density(y, p, c, volume):
    """Antigen-weighted CAR target cells per litre in compartment ``c``."""
    total = p[_W_MAL] * y[MALIGNANT[c]]
    for s in range(_N_SUBSETS):
        total += p[W_TARGET[s]] * (y[BCELL[s, 0, c]] + y[BCELL[s, 1, c]])
    return total / volume


@njit
def rhs(y, p, dy):
    """Write dy/dt at state ``y`` with parameter vector ``p`` into ``dy`` (zeroed here)."""
    for i in range(y.shape[0]):
        dy[i] = 0.0
    volumes = (p[_VOLUMES[0]], p[_VOLUMES[1]], p[_VOLUMES[2]], p[_VOLUMES[3]], p[_VOLUMES[4]])
    efficiency = (1.0, p[_F_TISSUE], p[_F_TISSUE], p[_F_TISSUE], p[_F_TISSUE])
    density = np.zeros_like(y[:5])
    engagement = np.zeros_like(y[:5])
    k_car = np.zeros_like(y[:5])
    k_ab = np.zeros_like(y[:5])
    cart_total = 0.0 * y[CART_EFF[0]]
    normal_t = 0.0 * y[TCELL[0]]
    for c in range(5):
        density[c] = target_density(y, p, c, volumes[c])
        engagement[c] = density[c] / (p[_EC50_ACT] + density[c])
        e = y[CART_EFF[c]] / volumes[c]
        k_car[c] = efficiency[c] * p[_K_KILL] * e / (p[_EC50_KILL] + e + density[c])
        cart_total += y[CART_EFF[c]] + y[CART_MEM[c]] + y[CART_EXH[c]]
        normal_t += y[TCELL[c]]
    total_t = normal_t + cart_total
    antibody_kill_rates(y, p, k_ab)
    kill_t, kill_b, kill_prog = drug_kill_rates(y, p)
    k_cns_in = p[_K_CNS_IN] * (1.0 + p[_G_BBB] * y[BBB])

    add_conditioning(y, p, kill_prog, dy)
    add_tcells(y, p, volumes, k_cns_in, total_t, kill_t, dy)
    add_cart(y, p, volumes, k_cns_in, density, total_t, normal_t, kill_t,
             dexamethasone_factor(y, p, EMAX_CART), dy)
    add_bcells(y, p, volumes, k_cns_in, k_car, k_ab, kill_b, cart_total, dy)
    add_malignant(y, p, volumes, k_cns_in, k_car, k_ab, kill_b, dy)
    add_cytokines(y, p, volumes, engagement, dy)
    add_immunoglobulins(y, p, dy)
    add_anti_cd20(y, p, dy)
    add_disease(y, p, normal_t, dy)
    add_myelopoiesis(y, p, dy)
    add_management(y, p, dy)


