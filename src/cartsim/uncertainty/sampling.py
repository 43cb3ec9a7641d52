"""The sample design of a Sobol analysis: Saltelli's scheme on a scrambled Sobol sequence (SALib).

``sobol_design`` returns ``n (D + 2)`` rows of parameter values for ``D`` parameters and ``n``
base samples (first-order and total indices, no second order), in blocks of ``D + 2``
consecutive rows: A, the D matrices AB_j, then B. The sequence is scrambled with the given seed,
so the same seed gives the same design. This module draws the design; it runs nothing.
"""

from __future__ import annotations

import numpy as np
from SALib.sample import sobol

from cartsim.uncertainty.problem import SensitivityProblem


def sobol_design(problem: SensitivityProblem, n: int, seed: int) -> np.ndarray:
    """Parameter values (rows: samples, columns: ``problem.names``) for ``n`` base samples.

    ``n`` must be a power of 2 (the scenario parser checks it).

    Examples
    --------
    >>> from cartsim.parameters.ranges import ParameterRange
    >>> p = SensitivityProblem((ParameterRange("a", 0.0, 1.0, False),
    ...                         ParameterRange("b", 0.0, 1.0, False)))
    >>> sobol_design(p, 4, seed=1).shape
    (16, 2)
    """
    quantiles = sobol.sample(problem.salib(), n, calc_second_order=False, scramble=True, seed=seed)
    return problem.values(quantiles)
