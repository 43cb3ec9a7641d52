"""The B lineage: pre-B, transitional, naive, memory B, plasmablasts and long-lived plasma cells.

Every subset s is split into an autoreactive (auto) and a non-autoreactive part and lives in
the five compartments. Target-antigen weights (CD19, CD20, BCMA per subset, ``parameterise``)
decide which subsets a CAR-T product or an anti-CD20 antibody can kill. Killing of subset s in
compartment c happens at w_s * kcar_c + cd20_s * kab_c + kill_B (kill_B, the drug kill, spares
plasma cells).

    pre-B (bone marrow):  d/dt = prod * P * share_r * (1 + g * deficit) / (1 + C / C50)
                                 - (k_mat + d_pre + kill) pre
    transitional:         d/dt = k_mat pre - (k_tr + d_tr + kill) tr + trafficking
    naive:                d/dt = k_tr tr - (d_nv + k_act + kill) nv + trafficking
    memory:               d/dt = seed_r + renew_r - (d_mem + k_pb + kill) mem + trafficking
    plasmablast:          d/dt = k_pb mem - (d_pbl + niche_c k_pc + kill) pbl + trafficking
    plasma cell:          d/dt = niche_c k_pc pbl - (d_pc + kill) pc

- Production: prod is set per patient so that the untreated steady state has the patient's
  blood B-cell count; P is the progenitor index (``conditioning``); the deficit-driven boost
  g * max(0, 1 - B_periph / B_periph_ref) is Hosseini 2020's repletion feedback; many CAR-T
  cells C (whole body) suppress progenitor output, 1 / (1 + C / C50) (Leon-Triana 2020).
- Immune reset (A37-A40): new naive cells carry the healthy autoreactive share f_auto_naive.
  Activated autoreactive naive cells seed the self-sustaining autoreactive memory pool only at
  (1 - f_reset) of the activation rate (the rest join the non-autoreactive memory pool), while
  autoreactive memory cells that exist renew themselves at k_renew * (1 - share / f_cap),
  share being the autoreactive fraction of whole-body memory B. Surviving memory cells thus
  keep the disease share and rebuild it; returning naive cells rebuild it slowly or, at
  f_reset = 1, not at all.
- Plasma cells form only where survival niches exist (spleen, bone marrow, CNS) and do not
  circulate; pre-B cells stay in the marrow; the other subsets traffic like B cells (Hosseini
  2020 partition coefficients) and enter the CNS through the BBB.
"""

from __future__ import annotations

from numba import njit

from cartsim.model.bcells_layout import (
    AUTO,
    MEMORY,
    NAIVE,
    NONAUTO,
    PLASMA_CELL,
    PLASMABLAST,
    PRE_B,
    SUBSETS,
    TRANSITIONAL,
)
from cartsim.model.compartments import (
    BCELL_PARTITION,
    BLOOD,
    BONE_MARROW,
    K_CNS_EXIT,
    LYMPH_NODE,
    SPLEEN,
    add_trafficking,
)
from cartsim.model.layout import P
from cartsim.model.states import BCELL, PROGENITOR

TINY = 1e-12
"""Relative guard against 0/0 when a pool is emptied completely (scaled by a pool size, so
it carries the unit of cells and changes nothing measurable)."""

PLASMA_CELL_NICHE = (0.0, 0.0, 1.0, 1.0, 1.0)
"""1 where long-lived plasma cells find survival niches (spleen, bone marrow, CNS)."""

_PROD = P["prod_preb"]
_BOOST = P["f_repletion_boost"]
_C50 = P["n_cart_progenitor_suppression"]
_B_REF = P["bcell_periph_ref"]
_K_MAT = P["k_preb_maturation"]
_D_PRE = P["k_death_preb"]
_K_TR = P["k_transitional_maturation"]
_D_TR = P["k_death_transitional"]
_D_NV = P["k_death_naive"]
_K_ACT = P["k_naive_activation"]
_D_MEM = P["k_death_memory"]
_K_PB = P["k_memory_to_plasmablast"]
_D_PBL = P["k_death_plasmablast"]
_K_PC = P["k_plasmablast_to_plasma_cell"]
_D_PC = P["k_death_plasma_cell"]
_F_AUTO = P["f_auto_naive"]
_F_CAP = P["f_auto_memory_cap"]
_K_RENEW = P["k_auto_memory_renewal"]
_F_RESET = P["f_reset"]
W_TARGET = tuple(P[f"w_target_{s}"] for s in SUBSETS)
"""Parameter indices of the CAR antigen weight of each B subset (set per product)."""
_CD20 = (P["f_cd20_pre_b"], P["f_cd20_transitional"], P["f_cd20_naive"],
         P["f_cd20_memory"], P["f_cd20_plasmablast"], P["f_cd20_plasma_cell"])
_K_EXIT = P["k_exit_activated"]


@njit
def peripheral_bcells(y):
    """Transitional + naive + memory B cells in blood, lymph nodes and spleen (cells)."""
    total = 0.0 * y[BCELL[NAIVE, NONAUTO, BLOOD]]
    for s in (TRANSITIONAL, NAIVE, MEMORY):
        for r in (NONAUTO, AUTO):
            for c in (BLOOD, LYMPH_NODE, SPLEEN):
                total += y[BCELL[s, r, c]]
    return total


@njit
def _kill(p, subset, k_car, k_ab):
    """Per-cell kill rate of B subset ``subset`` by CAR-T and anti-CD20 at the given rates."""
    return p[W_TARGET[subset]] * k_car + p[_CD20[subset]] * k_ab


@njit
def add_bcells(y, p, volumes, k_cns_in, k_car, k_ab, kill_b, cart_total, dy):
    """Add B-lineage production, maturation, death, killing and trafficking to ``dy``.

    ``k_car[c]`` and ``k_ab[c]`` are per-cell kill rates for a fully antigen-positive cell;
    ``cart_total`` is the whole-body CAR-T count.
    """
    deficit = max(0.0, 1.0 - peripheral_bcells(y) / p[_B_REF])
    suppression = 1.0 + cart_total / p[_C50]
    production = p[_PROD] * y[PROGENITOR] * (1.0 + p[_BOOST] * deficit) / suppression
    mem_auto = 0.0 * y[BCELL[MEMORY, AUTO, BLOOD]]
    mem_all = 0.0 * y[BCELL[MEMORY, AUTO, BLOOD]]
    for c in range(5):
        mem_auto += y[BCELL[MEMORY, AUTO, c]]
        mem_all += y[BCELL[MEMORY, AUTO, c]] + y[BCELL[MEMORY, NONAUTO, c]]
    renewal = p[_K_RENEW] * (1.0 - mem_auto / (mem_all + TINY * p[_B_REF]) / p[_F_CAP])
    share = (1.0 - p[_F_AUTO], p[_F_AUTO])
    for r in (NONAUTO, AUTO):
        for c in range(5):
            kc, ka = k_car[c], k_ab[c]
            pre = y[BCELL[PRE_B, r, c]]
            tr = y[BCELL[TRANSITIONAL, r, c]]
            nv = y[BCELL[NAIVE, r, c]]
            mem = y[BCELL[MEMORY, r, c]]
            pbl = y[BCELL[PLASMABLAST, r, c]]
            pc = y[BCELL[PLASMA_CELL, r, c]]
            if c == BONE_MARROW:
                dy[BCELL[PRE_B, r, c]] += production * share[r]
            dy[BCELL[PRE_B, r, c]] -= (p[_K_MAT] + p[_D_PRE] + _kill(p, PRE_B, kc, ka) + kill_b) * pre
            dy[BCELL[TRANSITIONAL, r, c]] += (
                p[_K_MAT] * pre - (p[_K_TR] + p[_D_TR] + _kill(p, TRANSITIONAL, kc, ka) + kill_b) * tr
            )
            dy[BCELL[NAIVE, r, c]] += (
                p[_K_TR] * tr - (p[_D_NV] + p[_K_ACT] + _kill(p, NAIVE, kc, ka) + kill_b) * nv
            )
            activated_auto = p[_K_ACT] * y[BCELL[NAIVE, AUTO, c]]
            if r == AUTO:
                seed = (1.0 - p[_F_RESET]) * activated_auto + renewal * mem
            else:
                seed = p[_K_ACT] * nv + p[_F_RESET] * activated_auto
            dy[BCELL[MEMORY, r, c]] += (
                seed - (p[_D_MEM] + p[_K_PB] + _kill(p, MEMORY, kc, ka) + kill_b) * mem
            )
            niche = PLASMA_CELL_NICHE[c]
            dy[BCELL[PLASMABLAST, r, c]] += p[_K_PB] * mem - (
                p[_D_PBL] + niche * p[_K_PC] + _kill(p, PLASMABLAST, kc, ka) + kill_b
            ) * pbl
            dy[BCELL[PLASMA_CELL, r, c]] += (
                niche * p[_K_PC] * pbl - (p[_D_PC] + _kill(p, PLASMA_CELL, kc, ka)) * pc
            )
        for s in (TRANSITIONAL, NAIVE, MEMORY, PLASMABLAST):
            add_trafficking(y, p, BCELL[s, r], p[_K_EXIT], BCELL_PARTITION, volumes, k_cns_in,
                            p[K_CNS_EXIT], dy)
