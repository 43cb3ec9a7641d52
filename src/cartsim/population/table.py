"""The covariate table of a set of virtual patients, one row per patient, for reports and checks.

This module only tabulates; it must not sample or filter patients.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cartsim.model.patient import COVARIATES
from cartsim.population.virtual_patient import VirtualPatient

COLUMNS = ("index", "disease", *COVARIATES, "bsa_m2")
"""Columns of ``covariate_table``: patient index, disease, every covariate, body-surface area."""


def covariate_table(patients: Iterable[VirtualPatient]) -> pd.DataFrame:
    """One row per virtual patient: index, disease, every covariate and bsa_m2.

    Examples
    --------
    >>> from cartsim.io.scenario import PopulationSpec
    >>> from cartsim.parameters import load_catalog
    >>> from cartsim.population import screen
    >>> table = covariate_table(screen(load_catalog(), PopulationSpec("ppms"), 1, 4).patients)
    >>> table.shape, list(table["index"])
    ((4, 15), [0, 1, 2, 3])
    """
    rows = [{"index": vp.index, "disease": vp.patient.disease,
             **{name: getattr(vp.patient, name) for name in COVARIATES},
             "bsa_m2": vp.patient.bsa_m2} for vp in patients]
    return pd.DataFrame(rows, columns=list(COLUMNS))
