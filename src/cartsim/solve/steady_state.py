"""The untreated steady state of a patient, and the patient-specific entries it fixes.

Every simulation starts from the untreated steady state, so an arm without therapy stays flat
(a test checks it). The state is found by integrating the untreated model for a few years and
polishing with a root finder on the scaled state (plasma cells live for years, so integration
alone converges slowly). B-cell production is then scaled so that the blood CD19+ B-cell count
equals the patient's; the lineage is homogeneous of degree one in production, so every B-cell
state scales with it. Last, the normalisers of relative quantities (IgG, autoantibody,
intrathecal IgG, disease activity, the repletion feedback's reference) are set to their values
in this state, which makes those quantities exactly 1 at baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import root

from cartsim.errors import SolverError
from cartsim.model.bcells import peripheral_bcells
from cartsim.model.bcells_layout import (
    AUTO,
    MEMORY,
    NONAUTO,
    PLASMA_CELL,
    PLASMABLAST,
)
from cartsim.model.compartments import CNS
from cartsim.model.disease import relative_activity
from cartsim.model.immunoglobulins import secreting_cells
from cartsim.model.layout import P
from cartsim.model.observables import blood_bcells_per_ul
from cartsim.model.states import (
    AB_CENTRAL,
    AB_CLT,
    AB_DEPOT,
    AB_PERIPHERAL,
    AUTOAB,
    BCELL,
    CART_EFF,
    CART_EXH,
    CART_MEM,
    DEXAMETHASONE,
    DEXAMETHASONE_EFFECT_SITE,
    DRUG,
    IGG,
    IGG_CNS,
    LESIONS,
    NFL,
    RELAPSES,
    SCALE_FLOOR,
    TCELL,
    TOCILIZUMAB,
    VECTOR,
)
from cartsim.solve.engine import Problem, integrate
from cartsim.solve.scaled import SUCCESS, scaled_rhs
from cartsim.solve.settings import SolverSettings

_B_LINEAGE = BCELL.ravel()
_ABSENT_UNTREATED = np.concatenate(
    [
        CART_EFF,
        CART_MEM,
        CART_EXH,
        DRUG,
        [VECTOR, AB_DEPOT, AB_CENTRAL, AB_PERIPHERAL, AB_CLT, RELAPSES, LESIONS, TOCILIZUMAB,
         DEXAMETHASONE, DEXAMETHASONE_EFFECT_SITE],
    ]
)
"""States that are exactly zero without therapy."""
_STEADY = np.setdiff1d(np.arange(SCALE_FLOOR.size), _ABSENT_UNTREATED)
"""States the root finder solves for. The states absent without therapy are held at zero: they
feed nothing back there, and a root finder that tried negative drug amounts would meet the
poles of their Emax terms (round-off from the settling integration sent it there)."""


@dataclass(frozen=True)
class Baseline:
    """A patient's parameter vector with its patient-specific entries fixed, and its state."""

    parameters: np.ndarray
    state: np.ndarray


def _polish(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    y = y.copy()
    y[_ABSENT_UNTREATED] = 0.0
    scale = np.maximum(np.abs(y), SCALE_FLOOR)
    z = y / scale
    work, out = np.empty_like(z), np.empty_like(z)

    def residual(free: np.ndarray) -> np.ndarray:
        z[_STEADY] = free
        scaled_rhs(z, p, scale, work, out)
        return out[_STEADY]

    solution = root(residual, z[_STEADY].copy(), method="hybr", options={"xtol": 1e-12})
    z[_STEADY] = solution.x
    worst = float(np.max(np.abs(residual(solution.x)) / np.maximum(np.abs(solution.x), 1.0)))
    if worst > 1e-8:
        raise SolverError(
            f"the untreated steady state was not found (residual {worst:.2g}); check parameter overrides"
        )
    return np.maximum(z * scale, 0.0)


def _settle(y: np.ndarray, p: np.ndarray, days: float) -> np.ndarray:
    scale = np.maximum(np.abs(y), SCALE_FLOOR)
    problem = Problem(y, p, scale, np.array([0.0, days]), np.array([]), np.array([], dtype=np.int64),
                      np.array([]))
    # Rodas (one-step, exact Jacobian every step): the root polish below needs an accurate start,
    # and the multistep default stopped short of it for lymphoma patients.
    settings = SolverSettings(backend="rodas", rtol=1e-6, atol=1e-9, max_steps=100_000)
    trajectory = integrate(problem, settings)
    if trajectory.status != SUCCESS:
        raise SolverError("the untreated model could not be integrated towards steady state")
    return trajectory.y[-1]


def untreated_baseline(p: np.ndarray, guess: np.ndarray, bcell_blood_per_ul: float) -> Baseline:
    """Find the untreated steady state and fix production and the normalisers.

    Examples
    --------
    See ``cartsim.simulation.patient_baseline`` for the usual entry point.
    """
    p = p.copy()
    y = _polish(_settle(guess, p, 3000.0), p)
    factor = bcell_blood_per_ul / float(blood_bcells_per_ul(y, p))
    p[P["prod_preb"]] *= factor
    y[_B_LINEAGE] *= factor
    y = _polish(y, p)
    p[P["bcell_periph_ref"]] = peripheral_bcells(y)
    periph = sum(y[BCELL[s, AUTO, c]] for s in (MEMORY, PLASMABLAST) for c in range(4))
    cns = sum(y[BCELL[s, AUTO, CNS]] for s in (MEMORY, PLASMABLAST, PLASMA_CELL))
    p[P["norm_bcell_activity"]] = periph
    p[P["norm_bcell_activity_cns"]] = cns
    auto = sum(secreting_cells(y, p, AUTO, c) for c in range(4))
    nonauto = sum(secreting_cells(y, p, NONAUTO, c) for c in range(4))
    p[P["norm_igg_source"]] = auto + nonauto
    p[P["norm_auto_source"]] = auto
    p[P["norm_cns_source"]] = secreting_cells(y, p, AUTO, CNS) + secreting_cells(y, p, NONAUTO, CNS)
    y[IGG] = y[AUTOAB] = y[IGG_CNS] = 1.0
    normal_t = float(np.sum(y[TCELL]))
    lesion_rel = relative_activity(y, p, normal_t, p[P["f_lesion_bcell_driven"]])
    y[NFL] = p[P["nfl_serum_healthy"]] + (p[P["nfl_serum_disease"]] - p[P["nfl_serum_healthy"]]) * lesion_rel
    return Baseline(parameters=p, state=y)
