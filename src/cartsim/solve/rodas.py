"""The compiled default backend: Rodas4, a stiffly accurate Rosenbrock method, in numba.

Rodas4 is the 6-stage, order-4(3) Rosenbrock method of Hairer & Wanner (Solving ODEs II,
1996; coefficients as in their RODAS code, METH = 1). Each step needs one Jacobian (by
forward differences, column by column) and one LU factorisation; it is L-stable, which suits
this model: blood-tissue exchange runs at tens per day while plasma cells live for years.
The integrator works on the scaled state z = y / scale, never steps across an event or output
time (the engine hands it one segment at a time), projects tiny negative overshoots back to
zero after each accepted step (every state is a non-negative amount) and returns a status
instead of NaNs. Everything here is plain numba, so a solver call pickles and runs in any
worker process. This module must not know what the states mean.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cartsim.model.rhs import rhs

SUCCESS, STEP_LIMIT, STEP_TOO_SMALL, NOT_FINITE = 0, 1, 2, 3

_GAMMA = 0.25
_A21 = 1.544
_A31, _A32 = 0.9466785280815826, 0.2557011698983284
_A41, _A42, _A43 = 3.314825187068521, 2.896124015972201, 0.9986419139977817
_A51, _A52, _A53, _A54 = 1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950
_C21 = -5.6688
_C31, _C32 = -2.430093356833875, -0.2063599157091915
_C41, _C42, _C43 = -0.1073529058151375, -9.594562251023355, -20.47028614809616
_C51, _C52, _C53, _C54 = 7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160
_C61, _C62, _C63, _C64, _C65 = (8.083246795921522, -7.981132988064893, -31.52159432874371,
                                16.31930543123136, -6.058818238834054)


@njit
def scaled_rhs(z, p, scale, work, out):
    """dz/dt for z = y / scale; ``work`` is scratch space for y."""
    for i in range(z.shape[0]):
        work[i] = z[i] * scale[i]
    rhs(work, p, out)
    for i in range(z.shape[0]):
        out[i] /= scale[i]


@njit
def _lu_factor(a, piv):
    n = a.shape[0]
    for k in range(n):
        best = k
        for i in range(k + 1, n):
            if abs(a[i, k]) > abs(a[best, k]):
                best = i
        piv[k] = best
        if best != k:
            for j in range(n):
                a[k, j], a[best, j] = a[best, j], a[k, j]
        pivot = a[k, k]
        if pivot == 0.0:
            return False
        for i in range(k + 1, n):
            a[i, k] /= pivot
            factor = a[i, k]
            if factor != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= factor * a[k, j]
    return True


@njit
def _lu_solve(lu, piv, b):
    n = lu.shape[0]
    for k in range(n):
        if piv[k] != k:
            b[k], b[piv[k]] = b[piv[k]], b[k]
    for i in range(n):
        for j in range(i):
            b[i] -= lu[i, j] * b[j]
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, n):
            b[i] -= lu[i, j] * b[j]
        b[i] /= lu[i, i]


@njit
def _jacobian(z, f0, p, scale, work, tmp, jac):
    n = z.shape[0]
    zp = z.copy()
    for j in range(n):
        delta = 1.4901161193847656e-08 * max(abs(z[j]), 1.0)
        zp[j] = z[j] + delta
        scaled_rhs(zp, p, scale, work, tmp)
        for i in range(n):
            jac[i, j] = (tmp[i] - f0[i]) / delta
        zp[j] = z[j]


@njit
def rodas_segment(z, p, scale, t0, t1, h, rtol, atol, max_steps):
    """Integrate z from t0 to exactly t1 in place.

    Returns (status, last accepted step size, number of steps). ``h`` is the first trial step.
    """
    n = z.shape[0]
    work = np.empty(n)
    f0 = np.empty(n)
    tmp = np.empty(n)
    jac = np.empty((n, n))
    lu = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    k1, k2, k3 = np.empty(n), np.empty(n), np.empty(n)
    k4, k5, err = np.empty(n), np.empty(n), np.empty(n)
    ytmp = np.empty(n)
    t = t0
    steps = 0
    h = min(h, t1 - t0)
    while t < t1:
        if steps >= max_steps:
            return STEP_LIMIT, h, steps
        if t + h > t1 or t + 1.01 * h >= t1:
            h = t1 - t
        if h < 1e-12 * max(1.0, abs(t)):
            return STEP_TOO_SMALL, h, steps
        scaled_rhs(z, p, scale, work, f0)
        _jacobian(z, f0, p, scale, work, tmp, jac)
        accepted = False
        while not accepted:
            steps += 1
            if steps > max_steps:
                return STEP_LIMIT, h, steps
            for i in range(n):
                for j in range(n):
                    lu[i, j] = -jac[i, j]
                lu[i, i] += 1.0 / (_GAMMA * h)
            if not _lu_factor(lu, piv):
                h *= 0.25
                continue
            for i in range(n):
                k1[i] = f0[i]
            _lu_solve(lu, piv, k1)
            for i in range(n):
                ytmp[i] = z[i] + _A21 * k1[i]
            scaled_rhs(ytmp, p, scale, work, k2)
            for i in range(n):
                k2[i] += _C21 * k1[i] / h
            _lu_solve(lu, piv, k2)
            for i in range(n):
                ytmp[i] = z[i] + _A31 * k1[i] + _A32 * k2[i]
            scaled_rhs(ytmp, p, scale, work, k3)
            for i in range(n):
                k3[i] += (_C31 * k1[i] + _C32 * k2[i]) / h
            _lu_solve(lu, piv, k3)
            for i in range(n):
                ytmp[i] = z[i] + _A41 * k1[i] + _A42 * k2[i] + _A43 * k3[i]
            scaled_rhs(ytmp, p, scale, work, k4)
            for i in range(n):
                k4[i] += (_C41 * k1[i] + _C42 * k2[i] + _C43 * k3[i]) / h
            _lu_solve(lu, piv, k4)
            for i in range(n):
                ytmp[i] = z[i] + _A51 * k1[i] + _A52 * k2[i] + _A53 * k3[i] + _A54 * k4[i]
            scaled_rhs(ytmp, p, scale, work, k5)
            for i in range(n):
                k5[i] += (_C51 * k1[i] + _C52 * k2[i] + _C53 * k3[i] + _C54 * k4[i]) / h
            _lu_solve(lu, piv, k5)
            for i in range(n):
                ytmp[i] += k5[i]
            scaled_rhs(ytmp, p, scale, work, err)
            for i in range(n):
                err[i] += (_C61 * k1[i] + _C62 * k2[i] + _C63 * k3[i] + _C64 * k4[i]
                           + _C65 * k5[i]) / h
            _lu_solve(lu, piv, err)
            total = 0.0
            finite = True
            for i in range(n):
                new = ytmp[i] + err[i]
                if not np.isfinite(new):
                    finite = False
                    break
                tol = atol + rtol * max(abs(z[i]), abs(new))
                total += (err[i] / tol) ** 2
            if not finite:
                h *= 0.25
                if h < 1e-12 * max(1.0, abs(t)):
                    return NOT_FINITE, h, steps
                continue
            norm = np.sqrt(total / n)
            factor = 6.0 if norm == 0.0 else min(6.0, max(0.2, 0.9 * norm ** -0.25))
            if norm <= 1.0:
                accepted = True
                t += h
                for i in range(n):
                    z[i] = max(0.0, ytmp[i] + err[i])
            elif h < 1e-12 * max(1.0, abs(t)):
                return STEP_TOO_SMALL, h, steps
            h *= factor
    return SUCCESS, h, steps
