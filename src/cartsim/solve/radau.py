"""The reference backend: SciPy's Radau IIA (order 5), integrating the same RHS segment by segment.

Slow but independent of our own integrator: tests compare the compiled backend against it at
rtol 1e-10. This module must not know what the states mean.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from cartsim.solve.rodas import NOT_FINITE, STEP_LIMIT, SUCCESS, scaled_rhs


def radau_segment(
    z: np.ndarray, p: np.ndarray, scale: np.ndarray, t0: float, t1: float,
    rtol: float, atol: float,
) -> int:
    """Integrate z from t0 to t1 in place with SciPy Radau; returns a status code."""
    work = np.empty_like(z)

    def f(_t: float, state: np.ndarray) -> np.ndarray:
        out = np.empty_like(state)
        scaled_rhs(state, p, scale, work, out)
        return out

    result = solve_ivp(f, (t0, t1), z, method="Radau", rtol=rtol, atol=atol, t_eval=[t1])
    if not result.success:
        return STEP_LIMIT
    end = result.y[:, -1]
    if not np.all(np.isfinite(end)):
        return NOT_FINITE
    z[:] = end
    return SUCCESS
