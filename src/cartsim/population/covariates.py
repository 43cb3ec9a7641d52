"""Drawing the covariates of virtual patients of one population, many patients at a time.

``draw_covariates`` applies the disease's covariate model (``covariate_models``) to the
patients' uniforms (``streams``), covariate by covariate in drawing order, and replaces each
covariate the scenario fixes (``PopulationSpec.covariates``) before later covariates read it;
``make_patients`` turns the result into ``Patient`` objects. This module must not evaluate
eligibility or touch parameter variability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cartsim.errors import CartsimError, did_you_mean, one_of
from cartsim.io.scenario import PopulationSpec
from cartsim.model.patient import COVARIATES, DISEASES, Patient
from cartsim.parameters.catalog import Catalog
from cartsim.population.covariate_models import COVARIATE_MODELS, Model
from cartsim.population.streams import SLOTS_PER_COVARIATE

_SLOT = {name: position * SLOTS_PER_COVARIATE for position, name in enumerate(COVARIATES)}


def covariate_model(population: PopulationSpec) -> Model:
    """The covariate model of the population's disease, after checking its overrides.

    Examples
    --------
    >>> [name for name, _ in covariate_model(PopulationSpec("rrms"))][:3]
    ['sex', 'age', 'height_cm']
    """
    if population.disease not in DISEASES:
        raise CartsimError(f'unknown disease "{population.disease}"'
                           f"{did_you_mean(population.disease, DISEASES)}; valid: {one_of(DISEASES)}")
    for name in population.covariates:
        if name not in COVARIATES:
            raise CartsimError(f'cannot fix unknown covariate "{name}"'
                               f"{did_you_mean(name, COVARIATES)}; covariates are "
                               f"{', '.join(COVARIATES)}")
    return COVARIATE_MODELS[population.disease]


def draw_covariates(catalog: Catalog, population: PopulationSpec, uniforms: np.ndarray
                    ) -> dict[str, np.ndarray]:
    """Covariate arrays (one value per row of ``uniforms``) in the units of ``COVARIATES``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> from cartsim.population.streams import patient_draws
    >>> values = draw_covariates(load_catalog(), PopulationSpec("rrms", covariates={"age": 30.0}),
    ...                          patient_draws(1, range(3), 0)[0])
    >>> values["age"].tolist()
    [30.0, 30.0, 30.0]
    """
    drawn: dict[str, np.ndarray] = {}
    for name, sampler in covariate_model(population):
        u = uniforms[:, _SLOT[name]:_SLOT[name] + sampler.slots]
        values = sampler.draw(u, catalog, COVARIATES[name][0], drawn)
        if name in population.covariates:
            values = np.full(len(uniforms), float(population.covariates[name]))
        drawn[name] = values
    return drawn


def make_patients(disease: str, drawn: Mapping[str, np.ndarray], rows: Sequence[int]
                  ) -> list[Patient]:
    """The Patients at ``rows`` of the drawn covariate arrays.

    Examples
    --------
    >>> p = make_patients("rrms", {name: np.array([1.0, 2.0]) for name in COVARIATES}, [1])[0]
    >>> p.disease, p.age
    ('rrms', 2.0)
    """
    return [Patient(disease=disease, **{name: float(drawn[name][row]) for name in COVARIATES})
            for row in rows]
