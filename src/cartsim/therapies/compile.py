"""Compile an arm's therapy into product-specific parameters and dosing events.

The result is data the engine applies: the parameter vector with the entries that depend on
the product or antibody (CAR target weights, costimulation multipliers, rejection, antibody PK)
and parallel arrays of (day, state, amount). CAR-T cells enter blood split into effector and
memory phenotypes; an in vivo vector enters blood as vector genomes; drugs enter as mg (mg/m2
times body-surface area, mg/kg times weight); antibodies enter the central compartment (IV) or
the depot times bioavailability (SC), and the first dose seeds the time-dependent clearance;
the aHSCT graft restores part of the progenitor pool. Nothing here integrates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.errors import CartsimError
from cartsim.model.bcells_layout import SUBSETS
from cartsim.model.layout import P
from cartsim.model.patient import Patient
from cartsim.model.states import (
    AB_CENTRAL,
    AB_CLT,
    AB_DEPOT,
    CART_EFF,
    CART_MEM,
    DRUG,
    DRUG_NAMES,
    PROGENITOR,
    VECTOR,
)
from cartsim.parameters.catalog import Catalog
from cartsim.therapies.lymphodepletion import lymphodepletion_preset
from cartsim.therapies.regimens import Ahsct, AntiCD20, CarT, DrugDose, NoTherapy, Therapy
from cartsim.therapies.schedules import SC, course_doses

_BLOOD = 0
_ANTIGENS = {"CD19": ("cd19",), "CD20": ("cd20",), "BCMA": ("bcma",), "CD19+BCMA": ("cd19", "bcma")}
_AB_PK = {
    "ocrelizumab": {"ab_vc": "v_central_ocrelizumab", "ab_vp": "v_peripheral_ocrelizumab",
                    "ab_q": "q_ocrelizumab", "ab_cl": "cl_ocrelizumab",
                    "ab_k_cl_decay": "k_cl_decay_ocrelizumab"},
    "ofatumumab": {"ab_vc": "v_central_ofatumumab", "ab_vp": "v_peripheral_ofatumumab",
                   "ab_q": "q_ofatumumab", "ab_cl": "cl_ofatumumab",
                   "ab_ka": "k_absorption_ofatumumab"},
    "rituximab": {"ab_vc": "v_central_rituximab", "ab_vp": "v_peripheral_rituximab",
                  "ab_q": "q_rituximab", "ab_cl": "cl_rituximab"},
}


@dataclass(frozen=True)
class CompiledArm:
    """Parameters and events of one arm for one patient."""

    parameters: np.ndarray
    event_times: np.ndarray
    event_states: np.ndarray
    event_amounts: np.ndarray
    last_dose_day: float | None = None
    """Day of the last antibody dose within the horizon (antibody arms only)."""

    @property
    def first_day(self) -> float:
        """The earliest event day (0 when there is none)."""
        return float(min(0.0, self.event_times.min(initial=0.0)))


def antigen_weight(catalog: Catalog, target: str, cell: str) -> float:
    """Weight of ``cell`` (a B subset or ``malignant``) as a target of a CAR against ``target``.

    A dual CAR kills a cell that carries either antigen: w = 1 - prod(1 - w_antigen).
    """
    missed = 1.0
    for antigen in _ANTIGENS[target]:
        missed *= 1.0 - catalog.value(f"f_{antigen}_{cell}")
    return 1.0 - missed


def _drug_events(doses: tuple[DrugDose, ...], patient: Patient, offset: float) -> list:
    events = []
    for dose in doses:
        body = patient.bsa_m2 if dose.unit == "mg/m2" else patient.weight_kg
        events.append((offset + dose.day, DRUG[DRUG_NAMES.index(dose.drug)], dose.amount * body))
    return events


def _car_t(therapy: CarT, patient: Patient, catalog: Catalog, p: np.ndarray) -> list:
    for subset in SUBSETS:
        p[P[f"w_target_{subset}"]] = antigen_weight(catalog, therapy.target, subset)
    p[P["w_target_malignant"]] = antigen_weight(catalog, therapy.target, "malignant")
    if therapy.costimulation == "CD28":
        p[P["f_costim_prolif"]] = catalog.value("f_costim_cd28_prolif")
        p[P["f_costim_mem_death"]] = catalog.value("f_costim_cd28_mem_death")
        p[P["f_costim_exhaustion"]] = catalog.value("f_costim_cd28_exhaustion")
    if therapy.source == "allogeneic":
        p[P["k_rejection"]] = catalog.value("k_rejection_allogeneic", "1/day")
    amount = therapy.dose * (patient.weight_kg if therapy.dose_unit.endswith("/kg") else 1.0)
    day = therapy.infusion_day
    events = _drug_events(therapy.lymphodepletion, patient, day)
    if therapy.source == "in_vivo":
        return [*events, (day, VECTOR, amount)]
    memory = catalog.value("f_mem_product")
    return [*events, (day, CART_EFF[_BLOOD], amount * (1.0 - memory)),
            (day, CART_MEM[_BLOOD], amount * memory)]


def _anti_cd20(therapy: AntiCD20, horizon: float, catalog: Catalog, p: np.ndarray) -> list:
    for entry, record in _AB_PK[therapy.drug].items():
        p[P[entry]] = catalog.value(record)
    events = []
    course = 0
    while therapy.n_courses is None or course < therapy.n_courses:
        doses = [(therapy.start_day + d, mg, route) for d, mg, route in course_doses(therapy.drug, course)]
        if doses[0][0] > horizon:
            break
        for day, mg, route in doses:
            if route == SC:
                events.append((day, AB_DEPOT, mg * catalog.value("f_bioavailability_ofatumumab")))
            else:
                events.append((day, AB_CENTRAL, mg))
        course += 1
    if therapy.drug == "ocrelizumab":
        events.append((therapy.start_day, AB_CLT, catalog.value("cl_time_dependent_ocrelizumab")))
    return events


def compile_arm(therapy: Therapy, patient: Patient, catalog: Catalog, base: np.ndarray,
                horizon: float) -> CompiledArm:
    """Compile ``therapy`` for ``patient`` on top of the patient's parameter vector ``base``.

    Examples
    --------
    See ``cartsim.simulation.simulate``; an untreated arm compiles to no events.
    """
    p = base.copy()
    match therapy:
        case CarT():
            events = _car_t(therapy, patient, catalog, p)
        case AntiCD20():
            events = _anti_cd20(therapy, horizon, catalog, p)
        case Ahsct():
            doses = lymphodepletion_preset(therapy.conditioning)
            events = [*_drug_events(doses, patient, therapy.graft_day),
                      (therapy.graft_day, PROGENITOR, catalog.value("f_graft_progenitor"))]
        case NoTherapy():
            events = []
        case _:
            raise CartsimError(f"cannot compile therapy {therapy!r}")
    events = [e for e in events if e[0] <= horizon]
    times = np.array([e[0] for e in events], dtype=float)
    states = np.array([e[1] for e in events], dtype=np.int64)
    amounts = np.array([e[2] for e in events], dtype=float)
    doses = times[np.isin(states, (AB_CENTRAL, AB_DEPOT))]
    last_dose = float(doses.max()) if isinstance(therapy, AntiCD20) and doses.size else None
    return CompiledArm(p, times, states, amounts, last_dose)
