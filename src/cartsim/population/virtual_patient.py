"""A virtual patient: sampled covariates plus individual parameter values, reproducible by index.

``sample_patient`` draws patient ``index`` of a population from its own stream
``numpy.random.default_rng([seed, index])``: covariates first (``covariates``), then the
random effects of the varying parameters (``variability``). Apply the parameter values with
``catalog.with_values(vp.parameter_values)``, which re-derives derived records. This module
must not apply eligibility criteria (that is ``screening``) or simulate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from cartsim.io.scenario import PopulationSpec
from cartsim.model.patient import Patient
from cartsim.parameters.catalog import Catalog
from cartsim.population.covariates import draw_covariates, make_patients
from cartsim.population.streams import check_seed, patient_draws
from cartsim.population.variability import VariabilityModel, variability_model


@dataclass(frozen=True)
class VirtualPatient:
    """Patient ``index`` of a virtual population: covariates and parameter values.

    ``parameter_values`` maps record names to values in record units, for
    ``Catalog.with_values``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> vp = sample_patient(load_catalog(), PopulationSpec("rrms"), seed=1, index=4)
    >>> vp.index, vp.patient.disease, "cl_ofatumumab" in vp.parameter_values
    (4, 'rrms', True)
    """

    index: int
    patient: Patient
    parameter_values: Mapping[str, float] = field(hash=False)


def sample_patient(catalog: Catalog, population: PopulationSpec, seed: int, index: int
                   ) -> VirtualPatient:
    """Draw patient ``index`` of ``population`` from stream ``[seed, index]``.

    The same seed and index give the same patient, whatever else is sampled and in what order;
    covariates the population fixes (``population.covariates``) take their fixed values.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> c = load_catalog()
    >>> sample_patient(c, PopulationSpec("sle"), 3, 10) == sample_patient(c, PopulationSpec("sle"), 3, 10)
    True
    """
    check_seed(seed, index)
    return sample_patients(catalog, population, seed, [index])[0]


def sample_patients(catalog: Catalog, population: PopulationSpec, seed: int,
                    indices: Sequence[int]) -> list[VirtualPatient]:
    """Draw patients ``indices`` of ``population``, each from its own stream ``[seed, index]``.

    Patient ``i`` is the same as ``sample_patient(catalog, population, seed, i)``, so a trial
    can keep only the enrolled indices and draw each chunk's patients when the chunk runs.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> c = load_catalog()
    >>> rrms = PopulationSpec("rrms")
    >>> sample_patients(c, rrms, 3, [7])[0] == sample_patient(c, rrms, 3, 7)
    True
    """
    indices = [int(i) for i in indices]
    variability = variability_model(catalog)
    uniforms, normals = patient_draws(seed, indices, len(variability.parameters))
    patients = make_patients(population.disease, draw_covariates(catalog, population, uniforms),
                             range(len(indices)))
    return virtual_patients(indices, patients, variability, normals)


def virtual_patients(indices: Sequence[int], patients: Sequence[Patient],
                     variability: VariabilityModel, normals: np.ndarray) -> list[VirtualPatient]:
    """Virtual patients from indices, covariates and rows of random-effect ``normals``.

    ``normals`` holds each patient's standard normals (``streams.patient_draws``), one row per
    patient, in the order of ``variability.parameters``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> model = variability_model(load_catalog())
    >>> (vp,) = virtual_patients([5], [None], model, np.zeros((1, len(model.parameters))))
    >>> vp.index, vp.parameter_values["cl_ofatumumab"] == load_catalog().value("cl_ofatumumab")
    (5, True)
    """
    names = [p.name for p in variability.parameters]
    table = variability.table(normals)
    return [VirtualPatient(index, patient, MappingProxyType(dict(zip(names, row.tolist(),
                                                                      strict=True))))
            for index, patient, row in zip(indices, patients, table, strict=True)]
