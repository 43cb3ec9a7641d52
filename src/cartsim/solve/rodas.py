"""The compiled default backend: Rodas4, a stiffly accurate Rosenbrock method, in numba.

Rodas4 is the 6-stage, order-4(3) Rosenbrock method of Hairer & Wanner (Solving ODEs II, 1996,
section IV.7; coefficients as in their RODAS code, METH = 1). It is L-stable, which suits this
model: blood-tissue exchange runs at tens per day while plasma cells live for years.

One call integrates a whole patient arm. It stops exactly at each event time, adds the event
amounts there and restarts with a fresh starting step (Hairer & Wanner's estimate), but steps
freely across output times: outputs come from RODAS's continuous extension (order 3, exact at
both ends of a step), and outputs at an event time are recorded after that time's events.

Per step: one right-hand-side call at the step's start, the Jacobian there by grouped forward
differences (``sparsity``: 39 calls for most arms, 79 with CAR-T, instead of 104), one sparse
LU factorisation of I / (gamma h) - J (``linalg``) and five more calls for the stages. A
rejected step keeps the Jacobian (same point) and only refactorises. The Jacobian is not kept
across accepted steps: Rodas4's order conditions assume the exact Jacobian at the step's
start; one that is a step old (an O(h) error) drops the method to order 2 and its embedded
estimate does not see it, since both solutions share the same matrix. Only Rosenbrock-W
methods, whose order conditions hold for any matrix, may reuse it. The Jacobian is therefore
most of the cost (over 90 % of the calls in a CAR-T arm). Step sizes follow Hairer's RODAS
controller with Gustafsson's predictive rule (factor between 1/6 and 5, safety 0.9, no growth
right after a rejection).

The integrator works on the scaled state z = y / scale, projects tiny negative overshoots back
to zero after each accepted step (and in the dense output; every state is a non-negative
amount) and returns a status instead of NaNs. Everything here is plain numba on arrays, so a
solver call pickles and runs in any worker process. This module must not know what the
states mean.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.solve.linalg import lu_factor, lu_pack, lu_solve, row_permutation
from cartsim.solve.scaled import NOT_FINITE, STEP_LIMIT, STEP_TOO_SMALL, SUCCESS, scaled_rhs
from cartsim.solve.sparsity import grouped_jacobian
from cartsim.solve.stepping import (
    ACCEPTED,
    FACTORISATIONS,
    FILLED,
    JACOBIANS,
    REJECTED,
    RHS_CALLS,
    all_finite,
    h_min,
    initial_step,
    lu_workspace,
    reach,
    segment_end,
)

_GAMMA = 0.25
_A21 = 1.544
_A31, _A32 = 0.9466785280815826, 0.2557011698983284
_A41, _A42, _A43 = 3.314825187068521, 2.896124015972201, 0.9986419139977817
_A51, _A52, _A53, _A54 = 1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950
_ALPHA = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [_A21, 0.0, 0.0, 0.0, 0.0],
    [_A31, _A32, 0.0, 0.0, 0.0],
    [_A41, _A42, _A43, 0.0, 0.0],
    [_A51, _A52, _A53, _A54, 0.0],
    [_A51, _A52, _A53, _A54, 1.0],
])
"""Stage abscissae: stage s evaluates f at z + sum_j ALPHA[s, j] k_j (the last two at t + h)."""
_C = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [-5.6688, 0.0, 0.0, 0.0, 0.0],
    [-2.430093356833875, -0.2063599157091915, 0.0, 0.0, 0.0],
    [-0.1073529058151375, -9.594562251023355, -20.47028614809616, 0.0, 0.0],
    [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160, 0.0],
    [8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136,
     -6.058818238834054],
])
"""Stage couplings: (I / (gamma h) - J) k_s = f(stage s) + sum_j C[s, j] k_j / h."""
_D = np.array([
    [10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823,
     1.025137723295662],
    [-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386,
     -6.594389125716872],
])
"""Continuous extension: y(t + s h) = y0 (1 - s) + s (y1 + (1 - s) (D[0] k + s D[1] k))."""

_SAFE = 0.9
_FAC_SHRINK = 5.0
_FAC_GROW = 1.0 / 6.0


@njit
def rodas_solve(z, p, scale, t_out, event_times, event_states, event_amounts, rtol, atol,
                max_steps, structure, out, stats):
    """Integrate one arm: z (scaled, modified in place) from the first time to ``t_out[-1]``.

    ``event_times`` must be sorted; ``structure`` is ``JacobianSparsity.arrays()``. ``out``
    receives z at each output time; ``stats`` (int64, length 6) the counts named by
    ``ACCEPTED`` ... ``FILLED`` (rows of ``out`` written); ``max_steps`` bounds step attempts.
    Returns the status code and the time reached (where it stopped, on failure); on failure
    the rows after ``stats[FILLED]`` are left untouched.
    """
    col_ptr, row_idx, group_ptr, group_cols, order, position = structure
    n = z.shape[0]
    n_out = t_out.shape[0]
    n_events = event_times.shape[0]
    n_groups = group_ptr.shape[0] - 1
    work, f0, f1, z1, delta = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    ytmp, zp, dense = np.empty(n), z.copy(), np.empty((2, n))
    k = np.empty((6, n))
    (jac, lu, piv, cols, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag, lu_work,
     row_of) = lu_workspace(n)
    for i in range(stats.shape[0]):
        stats[i] = 0

    t = t_out[0] if n_events == 0 else min(t_out[0], event_times[0])
    t_end = t_out[n_out - 1]
    e = 0
    j = 0
    attempts = 0
    while True:
        e, j = reach(t, z, scale, event_times, event_states, event_amounts, e, t_out, out, j, stats)
        if t >= t_end:
            return SUCCESS, t
        seg_end = segment_end(event_times, e, t_end)
        h = 0.0
        first = True
        last_rejected = False
        h_acc = 0.0
        err_acc = 0.0
        while t < seg_end:
            scaled_rhs(z, p, scale, work, f0)
            stats[RHS_CALLS] += 1
            if not all_finite(f0):
                return NOT_FINITE, t
            if first:
                h = initial_step(z, f0, p, scale, rtol, atol, seg_end - t, 4, work, z1, f1)
                stats[RHS_CALLS] += 1
            if t + 1.01 * h >= seg_end:
                h = seg_end - t
            for i in range(n):
                zp[i] = z[i]
            grouped_jacobian(z, f0, p, scale, col_ptr, row_idx, group_ptr, group_cols, zp, delta,
                             work, f1, jac)
            stats[RHS_CALLS] += n_groups
            stats[JACOBIANS] += 1
            while True:
                if attempts >= max_steps:
                    return STEP_LIMIT, t
                attempts += 1
                if h < h_min(t):
                    return STEP_TOO_SMALL, t
                stats[FACTORISATIONS] += 1
                if not lu_factor(jac, 1.0 / (_GAMMA * h), col_ptr, row_idx, position, lu, piv, cols):
                    stats[REJECTED] += 1
                    h *= 0.25
                    continue
                lu_pack(lu, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag)
                row_permutation(order, piv, row_of)
                for s in range(6):
                    stage = k[s]
                    if s == 0:
                        for i in range(n):
                            stage[i] = f0[i]
                    else:
                        for i in range(n):
                            acc = z[i]
                            for q in range(s):
                                acc += _ALPHA[s, q] * k[q, i]
                            ytmp[i] = acc
                        scaled_rhs(ytmp, p, scale, work, stage)
                        for i in range(n):
                            acc = 0.0
                            for q in range(s):
                                acc += _C[s, q] * k[q, i]
                            stage[i] += acc / h
                    lu_solve(row_of, order, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag,
                             lu_work, stage)
                stats[RHS_CALLS] += 5

                total = 0.0
                finite = True
                for i in range(n):
                    new = ytmp[i] + k[5, i]
                    if not np.isfinite(new):
                        finite = False
                        break
                    tol = atol + rtol * max(abs(z[i]), abs(new))
                    total += (k[5, i] / tol) ** 2
                if not finite:
                    stats[REJECTED] += 1
                    last_rejected = True
                    h *= 0.25
                    if h < h_min(t):
                        return NOT_FINITE, t
                    continue
                norm = np.sqrt(total / n)
                fac = max(_FAC_GROW, min(_FAC_SHRINK, norm ** 0.25 / _SAFE))
                if norm > 1.0:
                    stats[REJECTED] += 1
                    last_rejected = True
                    h = h / fac if not first else 0.1 * h
                    continue
                if not first:
                    pred = (h_acc / h) * (norm * norm / err_acc) ** 0.25 / _SAFE
                    fac = max(fac, max(_FAC_GROW, min(_FAC_SHRINK, pred)))
                h_new = h / fac
                if last_rejected:
                    h_new = min(h_new, h)
                first = False
                last_rejected = False
                h_acc = h
                err_acc = max(0.01, norm)
                stats[ACCEPTED] += 1

                t_new = seg_end if t + h >= seg_end else t + h
                for i in range(n):
                    z1[i] = max(0.0, ytmp[i] + k[5, i])
                if j < n_out and t_out[j] < seg_end and t_out[j] <= t_new:
                    for r in range(2):
                        for i in range(n):
                            acc = 0.0
                            for q in range(5):
                                acc += _D[r, q] * k[q, i]
                            dense[r, i] = acc
                    while j < n_out and t_out[j] < seg_end and t_out[j] <= t_new:
                        theta = (t_out[j] - t) / h
                        for i in range(n):
                            value = z[i] * (1.0 - theta) + theta * (
                                z1[i] + (1.0 - theta) * (dense[0, i] + theta * dense[1, i]))
                            out[j, i] = max(0.0, value)
                        j += 1
                        stats[FILLED] = j
                for i in range(n):
                    z[i] = z1[i]
                t = t_new
                h = h_new
                break
