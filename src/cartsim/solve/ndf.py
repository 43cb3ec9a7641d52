"""The compiled default backend: variable-order NDF/BDF with a modified Newton iteration that
keeps its Jacobian and LU factors for many steps, in numba.

The method is SciPy's ``BDF`` (orders 1-5 of the numerical differentiation formulas, NDF, of
Shampine & Reichelt, The MATLAB ODE suite, SIAM J. Sci. Comput. 18, 1997; quasi-constant step
size in the backward-difference form of Byrne & Hindmarsh, ACM TOMS 1, 1975), compiled: the
same coefficients, order and step-size selection, Newton convergence test and Jacobian
policy, so its behaviour is that of a code with years of use. The policy is the one that makes
LSODE, CVODE and SciPy's BDF fast on stiff problems: the Jacobian is recomputed only when
the Newton iteration fails to converge with a Jacobian that is not fresh, and the LU factors
of I - c J only when the step size or order changes (c = h / alpha_k) or after such a
failure. A step rejected for its error keeps the factors (the iteration still converges to
the right solution with a slightly wrong c, only more slowly). Across an event the Jacobian is
kept too (the first convergence failure replaces it).

One call integrates a whole patient arm, from event to event exactly as ``rodas``: it stops at
each event time, adds the event amounts, and restarts at order 1 with a fresh starting step
(Hairer & Wanner's estimate). Outputs inside a step come from the method's interpolating
polynomial through the last k + 1 solution points (k the current order), as SciPy's dense
output; outputs at an event time are recorded after that time's events. Negative outputs and
restart states are clipped to zero (every state is a non-negative amount); the solution
inside a segment is not, since that would break the difference table.

The Jacobian is the grouped forward difference of ``sparsity`` (one column per group). The
first factorisation of each Jacobian is the ordered, pivoting, sparse-aware LU of ``linalg``
(as in ``rodas``); it fixes the pivot order and the structure of the factors, and every later
factorisation of that Jacobian with a new c only recomputes the values in that structure
(``lu_refactor``), until a multiplier outgrows the threshold and a pivoting one is made
again (in the example arms: 4-16 pivoting factorisations of 9-140). Failures return a status
(step limit, step-size underflow, non-finite state), never NaN in place of a solution.
Everything here is plain numba on arrays, so a solver call pickles and runs in any worker
process. This module must not know what the states mean.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.solve.linalg import lu_factor, lu_refactor, lu_solve, lu_symbolic, row_permutation
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

_MAX_ORDER = 5
_NEWTON_MAXITER = 4
_MIN_FACTOR = 0.2
_MAX_FACTOR = 10.0
_MAX_GAMMA_CHANGE = 0.3
"""The LU of I - c J is kept while c stays within 30 % of the c it was made with (CVODE's dgmax)."""
_FIRST_STEP_FLOOR = 100.0
"""The first step is at least this many smallest steps: the order-1 starting-step estimate
(0.01 / |f'|)^(1/2) can fall below the underflow limit when a fast state starts far from its
quasi-steady state at tight tolerances, and the controller grows a small step quickly."""
_KAPPA = np.array([0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0])
"""NDF coefficients kappa_k (Shampine & Reichelt 1997, Table 1; zero at order 5, as SciPy)."""
_GAMMA = np.concatenate((np.zeros(1), np.cumsum(1.0 / np.arange(1, _MAX_ORDER + 1))))
_ALPHA = (1.0 - _KAPPA) * _GAMMA
_ERROR_CONST = _KAPPA * _GAMMA + 1.0 / np.arange(1, _MAX_ORDER + 2)


@njit
def _step_ratio_matrix(order, factor, r):
    """SciPy's ``compute_R``: the matrix that rescales the differences to a step ``factor`` times."""
    for j in range(order + 1):
        r[0, j] = 1.0
    for i in range(1, order + 1):
        r[i, 0] = 0.0
        for j in range(1, order + 1):
            r[i, j] = r[i - 1, j] * (i - 1 - factor * j) / i


@njit
def _change_differences(diffs, order, factor, r, u, tmp):
    """Rescale the backward differences in ``diffs`` to a step ``factor`` times the current one."""
    _step_ratio_matrix(order, factor, r)
    _step_ratio_matrix(order, 1.0, u)
    n = diffs.shape[1]
    for i in range(order + 1):
        for c in range(n):
            tmp[i, c] = 0.0
        for k in range(order + 1):
            ru = 0.0
            for m in range(order + 1):
                ru += r[k, m] * u[m, i]
            if ru != 0.0:
                for c in range(n):
                    tmp[i, c] += ru * diffs[k, c]
    for i in range(order + 1):
        for c in range(n):
            diffs[i, c] = tmp[i, c]


@njit
def _rms(v, weight):
    total = 0.0
    for i in range(v.shape[0]):
        total += (v[i] / weight[i]) ** 2
    return np.sqrt(total / v.shape[0])


@njit
def _newton(y_pred, c, c_lu, psi, weight, tol, p, scale, factors, work, f, f_pred, y, d, dy):
    """Solve the NDF system for y by modified Newton with the LU of I - c_lu J.

    Returns (converged, right-hand-side calls, non-finite). ``y`` and ``d`` (the correction
    from the prediction) hold the result; ``f_pred`` receives f at the prediction.
    """
    row_of, order, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag, lu_work = factors
    n = y.shape[0]
    for i in range(n):
        y[i] = y_pred[i]
        d[i] = 0.0
    norm_old = -1.0
    for k in range(_NEWTON_MAXITER):
        scaled_rhs(y, p, scale, work, f)
        if k == 0:
            for i in range(n):
                f_pred[i] = f[i]
        if not all_finite(f):
            return False, k + 1, True
        for i in range(n):
            dy[i] = (c * f[i] - psi[i] - d[i]) / c_lu
        lu_solve(row_of, order, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag, lu_work, dy)
        norm = _rms(dy, weight)
        rate = -1.0
        if norm_old > 0.0:
            rate = norm / norm_old
            if rate >= 1.0 or rate ** (_NEWTON_MAXITER - k) / (1.0 - rate) * norm > tol:
                return False, k + 1, False
        for i in range(n):
            y[i] += dy[i]
            d[i] += dy[i]
        if norm == 0.0 or (rate >= 0.0 and rate / (1.0 - rate) * norm < tol):
            return True, k + 1, False
        norm_old = norm
    return False, _NEWTON_MAXITER, False


@njit
def _jacobian(y, f0, p, scale, structure, yp, delta, work, f, jac, jac_ptr, jac_idx):
    """The finite-difference Jacobian at ``y`` (where the RHS is ``f0``) and its nonzeros.

    ``jac_ptr``/``jac_idx`` receive the rows of the nonzero entries by column, so that the LU
    reads only those. Returns the right-hand-side calls spent.
    """
    col_ptr, row_idx, group_ptr, group_cols = structure[0], structure[1], structure[2], structure[3]
    n = y.shape[0]
    for i in range(n):
        yp[i] = y[i]
    grouped_jacobian(y, f0, p, scale, col_ptr, row_idx, group_ptr, group_cols, yp, delta, work,
                     f, jac)
    count = 0
    for j in range(n):
        jac_ptr[j] = count
        for i in range(n):
            if jac[i, j] != 0.0:
                jac_idx[count] = i
                count += 1
    jac_ptr[n] = count
    return group_ptr.shape[0] - 1


@njit
def ndf_solve(z, p, scale, t_out, event_times, event_states, event_amounts, rtol, atol,
              max_steps, structure, out, stats):
    """Integrate one arm: z (scaled, modified in place) from the first time to ``t_out[-1]``.

    Same contract as ``rodas.rodas_solve``: ``event_times`` sorted; ``structure`` is
    ``JacobianSparsity.arrays()``; ``out`` receives z at each output time; ``stats`` (int64,
    length 6) the counts named in ``stepping``. ``max_steps`` bounds step attempts. Returns the
    status code and the time reached (where it stopped, on failure); on failure the rows after
    ``stats[FILLED]`` are left untouched.
    """
    elimination, position = structure[4], structure[5]
    n = z.shape[0]
    n_out = t_out.shape[0]
    n_events = event_times.shape[0]
    jac_ptr, jac_idx = np.zeros(n + 1, np.int64), np.empty(n * n, np.int64)
    work, f, f_pred, zp, delta = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    y_pred, y_new, d, dy = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    weight, psi, poly = np.empty(n), np.empty(n), np.empty(_MAX_ORDER)
    diffs = np.empty((_MAX_ORDER + 3, n))
    tmp = np.empty((_MAX_ORDER + 1, n))
    r, u = np.empty((_MAX_ORDER + 1, _MAX_ORDER + 1)), np.empty((_MAX_ORDER + 1, _MAX_ORDER + 1))
    (jac, lu, piv, cols, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag, lu_work,
     row_of) = lu_workspace(n)
    a_ptr, a_col, mark = np.empty(n + 1, np.int64), np.empty(n * n, np.int64), np.empty(n, np.bool_)
    factors = (row_of, elimination, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag, lu_work)
    newton_tol = max(10.0 * np.finfo(np.float64).eps / rtol, min(0.03, np.sqrt(rtol)))
    for i in range(stats.shape[0]):
        stats[i] = 0

    have_jac = False
    structured = False
    lu_valid = False
    c_lu = 0.0
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

        scaled_rhs(z, p, scale, work, f)
        if not all_finite(f):
            return NOT_FINITE, t
        h = initial_step(z, f, p, scale, rtol, atol, seg_end - t, 1, work, y_new, dy)
        h = min(max(h, _FIRST_STEP_FLOOR * h_min(t)), seg_end - t)
        stats[RHS_CALLS] += 2
        for i in range(n):
            diffs[0, i] = z[i]
            diffs[1, i] = f[i] * h
        order = 1
        n_equal = 0
        jac_current = False
        while t < seg_end:
            non_finite = False
            calls = 0
            error_norm = 0.0
            while True:
                if attempts >= max_steps:
                    return STEP_LIMIT, t
                if h < h_min(t):
                    return NOT_FINITE if non_finite else STEP_TOO_SMALL, t
                attempts += 1
                if t + 1.01 * h >= seg_end:
                    factor = (seg_end - t) / h
                    _change_differences(diffs, order, factor, r, u, tmp)
                    h = seg_end - t
                    n_equal = 0
                for i in range(n):
                    acc = 0.0
                    for k in range(order + 1):
                        acc += diffs[k, i]
                    y_pred[i] = acc
                    weight[i] = atol + rtol * abs(acc)
                    acc = 0.0
                    for k in range(1, order + 1):
                        acc += _GAMMA[k] * diffs[k, i]
                    psi[i] = acc / _ALPHA[order]
                c = h / _ALPHA[order]

                converged = False
                non_finite = False
                refresh = not have_jac
                while True:
                    if refresh:
                        if not have_jac:
                            scaled_rhs(y_pred, p, scale, work, f_pred)
                            stats[RHS_CALLS] += 1
                            if not all_finite(f_pred):
                                non_finite = True
                                break
                        stats[RHS_CALLS] += _jacobian(y_pred, f_pred, p, scale, structure, zp,
                                                      delta, work, f, jac, jac_ptr, jac_idx)
                        stats[JACOBIANS] += 1
                        have_jac = True
                        jac_current = True
                        structured = False
                        lu_valid = False
                        refresh = False
                    if not lu_valid or abs(c / c_lu - 1.0) > _MAX_GAMMA_CHANGE:
                        stats[FACTORISATIONS] += 1
                        if not (structured and lu_refactor(
                                jac, 1.0 / c, position, row_of, a_ptr, a_col, l_ptr, l_idx,
                                l_val, u_ptr, u_idx, u_val, inv_diag, lu_work)):
                            if not lu_factor(jac, 1.0 / c, jac_ptr, jac_idx, position, lu, piv,
                                             cols):
                                break
                            row_permutation(elimination, piv, row_of)
                            lu_symbolic(jac, position, row_of, a_ptr, a_col, l_ptr, l_idx,
                                        u_ptr, u_idx, mark)
                            structured = lu_refactor(
                                jac, 1.0 / c, position, row_of, a_ptr, a_col, l_ptr, l_idx,
                                l_val, u_ptr, u_idx, u_val, inv_diag, lu_work)
                            if not structured:
                                break
                        c_lu = c
                        lu_valid = True
                    converged, calls, non_finite = _newton(
                        y_pred, c, c_lu, psi, weight, newton_tol, p, scale, factors, work, f,
                        f_pred, y_new, d, dy)
                    stats[RHS_CALLS] += calls
                    if converged or jac_current or non_finite:
                        break
                    refresh = True

                if not converged:
                    stats[REJECTED] += 1
                    h *= 0.5
                    _change_differences(diffs, order, 0.5, r, u, tmp)
                    n_equal = 0
                    lu_valid = False
                    continue
                safety = 0.9 * (2 * _NEWTON_MAXITER + 1) / (2 * _NEWTON_MAXITER + calls)
                for i in range(n):
                    weight[i] = atol + rtol * abs(y_new[i])
                error_norm = _ERROR_CONST[order] * _rms(d, weight)
                if error_norm <= 1.0:
                    break
                stats[REJECTED] += 1
                factor = _MIN_FACTOR
                if np.isfinite(error_norm):
                    factor = max(_MIN_FACTOR, safety * error_norm ** (-1.0 / (order + 1)))
                h *= factor
                _change_differences(diffs, order, factor, r, u, tmp)
                n_equal = 0

            stats[ACCEPTED] += 1
            jac_current = False
            n_equal += 1
            t_new = seg_end if t + h >= seg_end else t + h
            for i in range(n):
                diffs[order + 2, i] = d[i] - diffs[order + 1, i]
                diffs[order + 1, i] = d[i]
            for k in range(order, -1, -1):
                for i in range(n):
                    diffs[k, i] += diffs[k + 1, i]
            while j < n_out and t_out[j] < seg_end and t_out[j] <= t_new:
                acc = 1.0
                for k in range(order):
                    acc *= (t_out[j] - (t_new - h * k)) / (h * (k + 1))
                    poly[k] = acc
                for i in range(n):
                    value = diffs[0, i]
                    for k in range(order):
                        value += diffs[k + 1, i] * poly[k]
                    out[j, i] = max(0.0, value)
                j += 1
                stats[FILLED] = j
            t = t_new
            if n_equal < order + 1:
                continue

            lower = np.inf
            if order > 1:
                lower = _ERROR_CONST[order - 1] * _rms(diffs[order], weight)
            higher = np.inf
            if order < _MAX_ORDER:
                higher = _ERROR_CONST[order + 1] * _rms(diffs[order + 2], weight)
            best = error_norm ** (-1.0 / (order + 1))
            change = 0
            if lower ** (-1.0 / order) > best:
                best = lower ** (-1.0 / order)
                change = -1
            if higher ** (-1.0 / (order + 2)) > best:
                best = higher ** (-1.0 / (order + 2))
                change = 1
            order += change
            factor = min(_MAX_FACTOR, safety * best)
            h *= factor
            _change_differences(diffs, order, factor, r, u, tmp)
            n_equal = 0

        for i in range(n):
            z[i] = max(0.0, diffs[0, i])
