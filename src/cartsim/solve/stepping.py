"""Pieces both compiled backends share: the work-count slots, the smallest step, a finiteness
check, the starting step size, the event and output bookkeeping between steps and the
workspace of the sparse LU.

Plain numba on arrays; this module knows nothing about what the states mean.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.solve.scaled import scaled_rhs

ACCEPTED, REJECTED, RHS_CALLS, JACOBIANS, FACTORISATIONS, FILLED = range(6)
"""Positions in the ``stats`` array that the compiled backends fill."""


@njit
def h_min(t):
    """The smallest step allowed at time ``t``: a step below it is a step-size underflow."""
    return 1e-12 * max(1.0, abs(t))


@njit
def all_finite(v):
    """True if every entry of ``v`` is finite."""
    for i in range(v.shape[0]):  # noqa: SIM110 (numba compiles a plain loop fastest)
        if not np.isfinite(v[i]):
            return False
    return True


@njit
def initial_step(z, f0, p, scale, rtol, atol, span, order, work, z1, f1):
    """Hairer & Wanner's starting step for a method of ``order``: a first guess from |z|/|f|,
    refined by one Euler step (one right-hand-side call; ``work``, ``z1``, ``f1`` are scratch).

    Examples
    --------
    >>> h = initial_step(z, f0, p, scale, 1e-6, 1e-9, 30.0, 4, work, z1, f1)  # doctest: +SKIP
    """
    n = z.shape[0]
    dnf = 0.0
    dny = 0.0
    for i in range(n):
        sk = atol + rtol * abs(z[i])
        dnf += (f0[i] / sk) ** 2
        dny += (z[i] / sk) ** 2
    dnf = np.sqrt(dnf / n)
    dny = np.sqrt(dny / n)
    h = 1e-6 if dnf <= 1e-5 or dny <= 1e-5 else 0.01 * dny / dnf
    h = min(h, span)
    for i in range(n):
        z1[i] = z[i] + h * f0[i]
    scaled_rhs(z1, p, scale, work, f1)
    der2 = 0.0
    for i in range(n):
        sk = atol + rtol * abs(z[i])
        der2 += ((f1[i] - f0[i]) / sk) ** 2
    der2 = np.sqrt(der2 / n) / h
    der12 = max(der2, dnf)
    h1 = max(1e-6, h * 1e-3) if der12 <= 1e-15 else (0.01 / der12) ** (1.0 / (order + 1.0))
    h = min(100.0 * h, h1, span)
    return h if np.isfinite(h) and h > 0.0 else min(1e-6, span)


@njit
def reach(t, z, scale, event_times, event_states, event_amounts, e, t_out, out, j, stats):
    """Add the amounts of events ``e, e+1, ...`` due at or before ``t`` to the scaled state ``z``
    and record it in ``out`` at outputs ``j, j+1, ...`` due at or before ``t`` (after that
    time's events); return the next event and output positions.

    Examples
    --------
    >>> e, j = reach(t, z, scale, times, states, amounts, e, t_out, out, j, stats)  # doctest: +SKIP
    """
    while e < event_times.shape[0] and event_times[e] <= t:
        z[event_states[e]] += event_amounts[e] / scale[event_states[e]]
        e += 1
    while j < t_out.shape[0] and t_out[j] <= t:
        for i in range(z.shape[0]):
            out[j, i] = z[i]
        j += 1
        stats[FILLED] = j
    return e, j


@njit
def segment_end(event_times, e, t_end):
    """Where the integration segment that starts after event ``e - 1`` ends: event ``e`` or
    ``t_end``, whichever comes first."""
    return event_times[e] if e < event_times.shape[0] and event_times[e] < t_end else t_end


@njit
def lu_workspace(n):
    """Scratch arrays of the sparse LU of an ``n`` x ``n`` iteration matrix: the Jacobian, the
    dense factor, pivots, column marks, the packed L and U factors with the inverse diagonal,
    a solve buffer and the factors' row order."""
    size = n * (n - 1) // 2
    return (np.zeros((n, n)), np.empty((n, n)), np.empty(n, np.int64), np.empty(n, np.int64),
            np.empty(n + 1, np.int64), np.empty(size, np.int64), np.empty(size),
            np.empty(n + 1, np.int64), np.empty(size, np.int64), np.empty(size),
            np.empty(n), np.empty(n), np.empty(n, np.int64))
