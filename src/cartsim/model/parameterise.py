"""From catalogue and patient to the parameter vector and a first guess of the state.

``typical_patient`` fills covariates from the catalogue's ``typical_*`` records;
``parameter_vector`` converts the catalogue entries of the layout into model units and fills the
patient-specific entries: body weight, the disease course's untreated relapse and lesion rates
and NfL, the malignant burden. Product- and antibody-specific entries start at their "nothing
given" values (no CAR target, 4-1BB multipliers of 1, no rejection; the antibody PK entries hold
ocrelizumab's values, inert while no antibody is in the body) and are set by
``therapies.compile``. Production and the untreated normalisers are placeholders here; the
untreated steady state (``solve.steady_state``) fixes them. This module declares the mapping;
it integrates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cartsim.errors import CartsimError, did_you_mean, one_of
from cartsim.model.compartments import BONE_MARROW, LYMPH_NODE
from cartsim.model.layout import CATALOG_PARAMETERS, N_PARAMETERS, P
from cartsim.model.patient import COVARIATES, DISEASES, MS_COURSES, Patient
from cartsim.model.states import (
    MALIGNANT,
    N_STATES,
    NEUTROPHIL_CHAIN,
    PLATELET_CHAIN,
    PROGENITOR,
    TCELL,
)
from cartsim.parameters.catalog import Catalog

_TYPICAL = {
    "age": ("typical_age", "year"),
    "sex": ("typical_sex_female", ""),
    "weight_kg": ("typical_weight", "kg"),
    "height_cm": ("typical_height", "cm"),
    "edss": ("typical_edss", ""),
    "disease_duration_years": ("typical_disease_duration", "year"),
    "relapses_prior_year": ("typical_relapses_prior_year", ""),
    "n_prior_therapies": ("typical_n_prior_therapies", ""),
    "prior_anti_cd20": ("typical_prior_anti_cd20", ""),
}
REFERENCE_PRODUCTION = 1e9
"""Pre-B production (cells/day) the steady-state search starts from before scaling it to the
patient's blood B-cell count; of the order of the marrow output of 5-10% of the peripheral
B-cell pool a day (clinical_facts T6-11), so that the search starts near the answer."""

_RELAPSE = {"rrms": "k_relapse_rrms", "spms": "k_relapse_spms", "ppms": "k_relapse_ppms",
            "nmosd": "k_relapse_nmosd", "sle": "k_relapse_sle"}
_LESION = {"rrms": "k_lesion_rrms", "spms": "k_lesion_spms", "ppms": "k_lesion_ppms",
           "nmosd": "k_lesion_nmosd"}
_ANTIBODY_DEFAULTS = {"ab_vc": "v_central_ocrelizumab", "ab_vp": "v_peripheral_ocrelizumab",
                      "ab_q": "q_ocrelizumab", "ab_cl": "cl_ocrelizumab",
                      "ab_k_cl_decay": "k_cl_decay_ocrelizumab", "ab_ka": "k_absorption_ofatumumab"}


def typical_patient(catalog: Catalog, disease: str, overrides: Mapping[str, float]) -> Patient:
    """The typical patient of ``disease`` with some covariates overridden.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> typical_patient(load_catalog(), "rrms", {"age": 30}).age
    30.0
    """
    if disease not in DISEASES:
        raise CartsimError(f'unknown disease "{disease}"{did_you_mean(disease, DISEASES)}; '
                           f"valid: {one_of(DISEASES)}")
    unknown = set(overrides) - set(COVARIATES)
    if unknown:
        name = sorted(unknown)[0]
        raise CartsimError(f'unknown covariate "{name}"{did_you_mean(name, COVARIATES)}')
    values = {name: catalog.value(record, unit) for name, (record, unit) in _TYPICAL.items()}
    values["bcell_blood_per_ul"] = catalog.value(
        "typical_bcell_blood_ms" if disease in MS_COURSES else "typical_bcell_blood_healthy",
        "cell/uL",
    )
    values["marrow_blast_pct"] = (
        catalog.value("typical_marrow_blast_pct", "percent") if disease == "b_all" else 0.0
    )
    values["tumour_burden_cells"] = (
        catalog.value("typical_tumour_burden_cells", "cell") if disease == "lbcl" else 0.0
    )
    values.update({name: float(value) for name, value in overrides.items()})
    return Patient(disease=disease, **values)


def malignant_burden(catalog: Catalog, patient: Patient) -> float:
    """Untreated malignant CD19+ cells of the patient (0 outside B-ALL and LBCL)."""
    if patient.disease == "b_all":
        per_kg = catalog.value("n_marrow_nucleated_per_kg", "cell/kg")
        return patient.marrow_blast_pct / 100.0 * per_kg * patient.weight_kg
    if patient.disease == "lbcl":
        return patient.tumour_burden_cells
    return 0.0


def parameter_vector(catalog: Catalog, patient: Patient) -> np.ndarray:
    """The model's parameter vector for ``patient`` with no therapy given."""
    p = np.zeros(N_PARAMETERS)
    p[: len(CATALOG_PARAMETERS)] = catalog.vector(CATALOG_PARAMETERS)
    p[P["weight_kg"]] = patient.weight_kg
    for name in ("f_costim_prolif", "f_costim_mem_death", "f_costim_exhaustion"):
        p[P[name]] = 1.0
    for entry, record in _ANTIBODY_DEFAULTS.items():
        p[P[entry]] = catalog.value(record)
    disease = patient.disease
    p[P["k_relapse_base"]] = catalog.value(_RELAPSE[disease], "1/day") if disease in _RELAPSE else 0.0
    p[P["k_lesion_base"]] = catalog.value(_LESION[disease], "1/day") if disease in _LESION else 0.0
    in_cns = disease in MS_COURSES or disease == "nmosd"
    p[P["nfl_serum_disease"]] = catalog.value(
        "nfl_serum_rrms" if in_cns else "nfl_serum_healthy", "pg/mL"
    )
    p[P["malignant_capacity"]] = malignant_burden(catalog, patient)
    p[P["f_malignant_traffic"]] = 1.0 if disease == "b_all" else 0.0
    p[P["prod_preb"]] = REFERENCE_PRODUCTION
    for name in ("bcell_periph_ref", "norm_bcell_activity", "norm_bcell_activity_cns",
                 "norm_igg_source", "norm_auto_source", "norm_cns_source"):
        p[P[name]] = 1.0
    return p


def initial_guess(catalog: Catalog, patient: Patient, p: np.ndarray) -> np.ndarray:
    """A rough untreated state from which the steady-state solver starts."""
    y = np.zeros(N_STATES)
    volumes = np.array([p[P[f"v_{c}"]] for c in ("blood", "lymph_node", "spleen",
                                                  "bone_marrow", "cns")])
    partition = np.array([1.0, p[P["kp_tcell_lymph_node"]], p[P["kp_tcell_spleen"]],
                          p[P["kp_tcell_bone_marrow"]], 0.001])
    share = partition * volumes / np.sum(partition * volumes)
    y[TCELL] = share * p[P["n_capacity_tcell"]]
    y[PROGENITOR] = 1.0
    y[NEUTROPHIL_CHAIN] = 1.0
    y[PLATELET_CHAIN] = 1.0
    burden = p[P["malignant_capacity"]]
    y[MALIGNANT[BONE_MARROW if patient.disease == "b_all" else LYMPH_NODE]] = burden
    return y
