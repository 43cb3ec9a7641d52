"""The random stream of a virtual patient: ``numpy.random.default_rng([seed, index])``.

Patient ``index`` of a study with ``seed`` draws everything from its own stream, so the patient
is the same whatever the chunking, order or number of workers. The stream gives first a fixed
block of uniforms, ``SLOTS_PER_COVARIATE`` per covariate at the covariate's position in
``COVARIATES`` (so one covariate's draws never move another's), then standard normals for the
inter-individual variability of parameters. ``[seed, index]`` is the same stream as
``[seed, index, 0]``: stream 0 belongs to the population; other layers use other stream numbers
(``trials`` uses 1 for relapses, 2 for randomisation and 4 for infections; parameter
uncertainty uses 3). This module must not know distributions or the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cartsim.errors import CartsimError
from cartsim.model.patient import COVARIATES

SLOTS_PER_COVARIATE = 2
"""Uniforms reserved per covariate (a hurdle count uses two, every other sampler one or none)."""
N_UNIFORMS = SLOTS_PER_COVARIATE * len(COVARIATES)
"""Uniforms at the head of every patient's stream."""


def patient_draws(seed: int, indices: Sequence[int], n_normals: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Covariate uniforms (n, N_UNIFORMS) and the ``n_normals`` normals after them, per patient.

    Examples
    --------
    >>> u, z = patient_draws(7, [0, 1], 3)
    >>> u.shape == (2, N_UNIFORMS), z.shape
    (True, (2, 3))
    >>> bool((patient_draws(7, [1], 3)[0][0] == u[1]).all())
    True
    """
    uniforms = np.empty((len(indices), N_UNIFORMS))
    normals = np.empty((len(indices), n_normals))
    for row, index in enumerate(indices):
        rng = np.random.default_rng([seed, index])
        uniforms[row] = rng.random(N_UNIFORMS)
        normals[row] = rng.standard_normal(n_normals)
    # Generator.random draws from [0, 1); quantile functions need the open interval (0, 1).
    return np.maximum(uniforms, np.finfo(float).tiny), normals


def check_seed(seed: object, index: object) -> None:
    """Raise a CartsimError unless ``seed`` and ``index`` are integers of 0 or more.

    Examples
    --------
    >>> check_seed(1, 0) is None
    True
    """
    for name, value in (("seed", seed), ("patient index", index)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise CartsimError(f"the {name} must be an integer of 0 or more, not {value!r}")
