"""Parameter uncertainty for virtual patients: each patient's own draw of the assumed model parameters.

Without it, every virtual patient shares the catalogue's values of the assumed parameters and
differs only by covariates and inter-individual variability (IIV). With it, patient ``i`` of a
study with seed ``s`` also draws every uncertain parameter from its range
(``parameters.ranges``) on its own stream ``[s, i, PARAMETER_STREAM]``, so the draw does not
depend on chunking or workers. The draw moves the typical value; the patient's IIV random
effects (the same normals as without uncertainty) are then applied around the drawn value.
One draw per patient (rather than per replicate of the whole trial) makes endpoint spreads
the total of parameter uncertainty and between-patient variability, without separating them.
This module draws and applies values; it must not simulate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType

import numpy as np

from cartsim.model.patient import DISEASES
from cartsim.parameters.catalog import Catalog
from cartsim.parameters.ranges import ParameterRange
from cartsim.population.streams import patient_draws
from cartsim.population.variability import variability_model
from cartsim.population.virtual_patient import VirtualPatient

PARAMETER_STREAM = 3
"""Stream number of a patient's parameter-uncertainty draws (0: population, 1-2: trials)."""

NOT_PATIENT_DYNAMICS = ("population", "safety")
"""Catalogue files whose assumed records describe how patients are sampled (covariate
distributions, IIV variances) or how signs are graded, not the dynamics of one patient."""


def default_uncertain_parameters(catalog: Catalog, disease: str) -> tuple[str, ...]:
    """The assumed records that can move the dynamics of a ``disease`` patient, sorted by name.

    That is every ``assumed`` record outside the files in ``NOT_PATIENT_DYNAMICS``, less the
    records named for another disease (``k_lesion_spms`` for an RRMS study).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> names = default_uncertain_parameters(load_catalog(), "rrms")
    >>> "k_lesion_rrms" in names, "k_lesion_spms" in names, "typical_edss" in names
    (True, False, False)
    """
    others = tuple(f"_{d}" for d in DISEASES if d != disease)
    return tuple(sorted(
        name for name, record in catalog.records.items()
        if record.kind == "assumed" and catalog.submodel(name) not in NOT_PATIENT_DYNAMICS
        and not name.endswith(others)))


def uncertainty_draw(ranges: Sequence[ParameterRange], seed: int, index: int) -> dict[str, float]:
    """Patient ``index``'s values of the uncertain parameters, from stream ``[seed, index, 3]``.

    Examples
    --------
    >>> r = [ParameterRange("f_x", 0.0, 1.0, log=False)]
    >>> uncertainty_draw(r, 1, 0) == uncertainty_draw(r, 1, 0) != uncertainty_draw(r, 1, 1)
    True
    """
    quantiles = np.random.default_rng([seed, index, PARAMETER_STREAM]).random(len(ranges))
    return {r.name: float(r.at(q)) for r, q in zip(ranges, quantiles, strict=True)}


def with_parameter_uncertainty(vp: VirtualPatient, catalog: Catalog,
                               ranges: Sequence[ParameterRange], seed: int) -> VirtualPatient:
    """``vp`` with its drawn uncertain parameters and its IIV applied around the drawn values.

    Examples
    --------
    >>> from cartsim.io.scenario import PopulationSpec
    >>> from cartsim.parameters import load_catalog
    >>> from cartsim.parameters.ranges import parameter_range
    >>> from cartsim.population import sample_patient
    >>> c = load_catalog()
    >>> vp = sample_patient(c, PopulationSpec("rrms"), seed=1, index=0)
    >>> ranged = with_parameter_uncertainty(vp, c, [parameter_range(c, "k_cns_exit")], 1)
    >>> 0.02 <= ranged.parameter_values["k_cns_exit"] <= 0.5
    True
    """
    drawn = uncertainty_draw(ranges, seed, vp.index)
    variability = variability_model(catalog.with_values(drawn))
    _, normals = patient_draws(seed, [vp.index], len(variability.parameters))
    values = {**drawn, **variability.values(normals[0])}
    return replace(vp, parameter_values=MappingProxyType(values))
