"""A patient: disease and covariates, the individual inputs of the model.

The model reads a Patient to set doses per kg or m2, baseline cell pools, tumour burden and the
disease-specific relapse and lesion rates. ``typical_patient`` fills every covariate from the
catalogue's ``typical_*`` records for the disease; scenario files may override any of them;
``cartsim.population`` samples them for virtual patients. This module declares covariates; it
must not sample populations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DISEASES = ("rrms", "spms", "ppms", "nmosd", "sle", "b_all", "lbcl")
MS_COURSES = ("rrms", "spms", "ppms")
ONCOLOGY = ("b_all", "lbcl")

COVARIATES: dict[str, tuple[str, str]] = {
    "age": ("year", "age at infusion"),
    "sex": ("", "0 = male, 1 = female"),
    "weight_kg": ("kg", "body weight"),
    "height_cm": ("cm", "height, used for body-surface area (Mosteller)"),
    "edss": ("", "Expanded Disability Status Scale, 0-10"),
    "disease_duration_years": ("year", "years since onset"),
    "relapses_prior_year": ("", "relapses in the 12 months before treatment"),
    "n_prior_therapies": ("", "prior disease-modifying therapies (lines of therapy in oncology)"),
    "prior_anti_cd20": ("", "1 if previously treated with an anti-CD20 antibody, else 0"),
    "bcell_blood_per_ul": ("cell/uL", "baseline blood CD19+ B cells"),
    "marrow_blast_pct": ("percent", "malignant blasts, % of marrow cells (b_all)"),
    "tumour_burden_cells": ("cell", "malignant CD19+ B cells in lymph nodes (lbcl)"),
}


@dataclass(frozen=True)
class Patient:
    """Disease and covariates of one patient.

    Examples
    --------
    >>> p = Patient(disease="rrms", age=35, sex=1, weight_kg=70, height_cm=170, edss=3.0,
    ...             disease_duration_years=8, relapses_prior_year=1, n_prior_therapies=1,
    ...             prior_anti_cd20=0, bcell_blood_per_ul=200, marrow_blast_pct=0,
    ...             tumour_burden_cells=0)
    >>> round(p.bsa_m2, 2)
    1.82
    """

    disease: str
    age: float
    sex: float
    weight_kg: float
    height_cm: float
    edss: float
    disease_duration_years: float
    relapses_prior_year: float
    n_prior_therapies: float
    prior_anti_cd20: float
    bcell_blood_per_ul: float
    marrow_blast_pct: float
    tumour_burden_cells: float

    @property
    def bsa_m2(self) -> float:
        """Body-surface area by the Mosteller formula, sqrt(height_cm * weight_kg / 3600)."""
        return math.sqrt(self.height_cm * self.weight_kg / 3600.0)
