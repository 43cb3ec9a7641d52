"""The model's right-hand side on the scaled state z = y / scale, and the solver status codes.

Every backend integrates z, whose entries are of order one at baseline, so that one relative
and one absolute tolerance fit all states. This module must not know what the states mean.
"""

from __future__ import annotations

from numba import njit

from cartsim.model.rhs import rhs

SUCCESS, STEP_LIMIT, STEP_TOO_SMALL, NOT_FINITE, SINGULAR = 0, 1, 2, 3, 4


@njit
def scaled_rhs(z, p, scale, work, out):
    """dz/dt for z = y / scale; ``work`` is scratch space for y."""
    for i in range(z.shape[0]):
        work[i] = z[i] * scale[i]
    rhs(work, p, out)
    for i in range(z.shape[0]):
        out[i] /= scale[i]
