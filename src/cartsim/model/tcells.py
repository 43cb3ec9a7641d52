"""Normal T cells: homeostasis in competition with CAR-T cells for space (Kimmel 2021).

Whole-body normal T cells N and CAR-T cells C share one homeostatic niche. In each compartment

    dT_c/dt = r_N * T_c * ln(K_N / (N + C)) - kill_T * T_c + trafficking

with r_N and K_N from Kimmel, Locke & Altrock 2021 (Table 1), so that the untreated steady
state is N = K_N and lymphodepletion (kill_T from ``conditioning``) frees space that both
normal T cells and CAR-T cells refill. Resting T cells traffic with k_exit_resting_tcell and
the T-cell partition coefficients of Hosseini 2020.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.compartments import K_CNS_EXIT, TCELL_PARTITION, add_trafficking
from cartsim.model.layout import P
from cartsim.model.states import TCELL

_R_N = P["k_homeostatic_tcell"]
_K_N = P["n_capacity_tcell"]
_K_EXIT = P["k_exit_resting_tcell"]


@njit
def add_tcells(y, p, volumes, k_cns_in, total_t, kill_t, dy):
    """Add normal T-cell homeostasis, drug kill and trafficking to ``dy``.

    ``total_t`` is normal T plus CAR-T cells (whole body), ``k_cns_in`` the BBB-dependent
    CNS entry rate.
    """
    growth = p[_R_N] * np.log(p[_K_N] / total_t)
    for c in range(5):
        dy[TCELL[c]] += (growth - kill_t) * y[TCELL[c]]
    add_trafficking(y, p, TCELL, p[_K_EXIT], TCELL_PARTITION, volumes, k_cns_in, p[K_CNS_EXIT], dy)
