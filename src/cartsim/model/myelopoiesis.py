"""Neutrophils and platelets: myelosuppression by lymphodepletion and conditioning drugs.

Each lineage (neutrophils, platelets) follows the semi-mechanistic model of Friberg et al. 2002:
a proliferating precursor pool in the marrow, three maturation (transit) compartments and the
circulating cells, with k_tr = 4 / MTT for every step and a feedback of the circulating count on
proliferation (the G-CSF or thrombopoietin drive). States are relative to the untreated value,
so every compartment is 1 at steady state:

    dProl/dt = k_tr * Prol * (P * Circ^-gamma - 1) - kill_marrow * Prol
    dT_1/dt  = k_tr * (Prol - T_1),  dT_i/dt = k_tr * (T_(i-1) - T_i)  (i = 2, 3)
    dCirc/dt = k_tr * (T_3 - Circ)

P is the haematopoietic progenitor index of ``conditioning`` (1 when normal): myeloablation
(BEAM) empties it and the autologous graft restores it, so precursors recover only as stem
cells return. kill_marrow is the Emax kill of the drugs in the body, with the drugs'
lymphodepletion EC50s and marrow-specific maximal rates (A164-A167); megakaryocyte precursors
take f_kill_marrow_platelet of it (A168). Blood counts are the
relative circulating state times the untreated count (``observables``). This module only adds
terms to the right-hand side.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.conditioning import drug_effect
from cartsim.model.layout import P
from cartsim.model.states import DRUG_NAMES, NEUTROPHIL_CHAIN, PLATELET_CHAIN, PROGENITOR

_KILL = np.array([P[f"k_kill_marrow_{d}"] for d in DRUG_NAMES])
_MTT = (P["mtt_neutrophil"], P["mtt_platelet"])
_GAMMA = (P["gamma_neutrophil"], P["gamma_platelet"])
_F_PLATELET = P["f_kill_marrow_platelet"]


@njit
def marrow_kill_rate(y, p):
    """Kill rate (1/day) of proliferating myeloid and megakaryocyte precursors by the drugs."""
    kill = 0.0 * p[_KILL[0]]
    for d in range(_KILL.size):
        kill += p[_KILL[d]] * drug_effect(y, p, d)
    return kill


@njit
def _add_lineage(y, p, chain, mtt, gamma, kill, dy):
    k_tr = 4.0 / mtt
    prol, circulating = y[chain[0]], y[chain[4]]
    dy[chain[0]] += k_tr * prol * (y[PROGENITOR] * circulating ** (-gamma) - 1.0) - kill * prol
    for i in range(1, 5):
        dy[chain[i]] += k_tr * (y[chain[i - 1]] - y[chain[i]])


@njit
def add_myelopoiesis(y, p, dy):
    """Add neutrophil and platelet production, maturation and drug kill to ``dy``."""
    kill = marrow_kill_rate(y, p)
    _add_lineage(y, p, NEUTROPHIL_CHAIN, p[_MTT[0]], p[_GAMMA[0]], kill, dy)
    _add_lineage(y, p, PLATELET_CHAIN, p[_MTT[1]], p[_GAMMA[1]], p[_F_PLATELET] * kill, dy)
