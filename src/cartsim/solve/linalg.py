"""Sparse-aware LU of the iteration matrix I / (gamma h) - J, for the compiled backends.

The Jacobian of this model has 700-1,900 nonzeros out of 12,996 (n = 114). Eliminated in the
natural state order its factors fill half the matrix; after a minimum-degree ordering of the
symmetrised pattern (chosen once per pattern, ``minimum_degree_order``) they hold 1,000-3,500
entries. ``lu_factor`` is the full factorisation: dense storage and ordinary row partial
pivoting (the LAPACK getrf algorithm, so it is as stable as a dense LU: the scaled Jacobian
has off-diagonal entries far larger than its diagonal, and a static diagonal pivot order fails
on it), touching only the nonzeros of each pivot row and column; ``lu_pack`` packs its factors
into compressed rows.

A backend that refactorises the same Jacobian with a new shift (the NDF, whenever its step
size moves) keeps what the full factorisation found: ``lu_symbolic`` derives, once per
Jacobian, the nonzero structure of L and U for that pivot sequence (symbolic factorisation,
row by row), and ``lu_refactor`` then recomputes only the values in that structure, row by
row with a dense work row (as KLU's refactorisation, Davis & Palamadai Natarajan, ACM TOMS 37,
2010), without zeroing, scanning or packing the dense array. It keeps the pivot order, so it
checks each multiplier against a threshold (threshold partial pivoting, Duff, Erisman & Reid,
Direct Methods for Sparse Matrices, 1986, section 5.4) and reports failure, after which the
caller factorises afresh with pivoting. ``lu_solve`` reads the packed factors with one
combined row permutation. Plain numba on arrays; this module knows nothing about the model.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MAX_MULTIPLIER = 10.0
"""A refactorisation fails when a multiplier exceeds this (the pivot has become smaller than a
tenth of an entry below it: threshold pivoting with u = 0.1, Duff, Erisman & Reid's advice)."""


def minimum_degree_order(pattern: np.ndarray) -> np.ndarray:
    """A minimum-degree elimination order of the symmetrised ``pattern`` (ties: lowest index).

    Examples
    --------
    >>> arrow = np.eye(4, dtype=bool); arrow[0, :] = arrow[:, 0] = True
    >>> minimum_degree_order(arrow).tolist()  # the hub waits until it has few neighbours left
    [1, 2, 0, 3]
    """
    n = pattern.shape[0]
    graph = pattern | pattern.T
    np.fill_diagonal(graph, False)
    alive = np.ones(n, dtype=bool)
    order = []
    for _ in range(n):
        degree = np.where(alive, (graph & alive).sum(axis=1), n + 1)
        v = int(np.argmin(degree))
        order.append(v)
        neighbours = np.flatnonzero(graph[v] & alive)
        graph[np.ix_(neighbours, neighbours)] = True
        graph[neighbours, neighbours] = False
        alive[v] = False
    return np.array(order, dtype=np.int64)


@njit
def lu_factor(jac, shift, col_ptr, row_idx, position, a, piv, cols):
    """Factor P_r (shift I - jac)[order, order] = L U in place in ``a`` (row partial pivoting).

    ``jac`` is dense in the natural order with nonzeros only where ``col_ptr``/``row_idx`` (the
    pattern by column) say; ``position[old] = new`` is the inverse of the elimination order.
    ``piv[k]`` is the row swapped with row k at step k; ``cols`` is integer scratch of length
    n. Returns False if the matrix is singular.
    """
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            a[i, j] = 0.0
        a[i, i] = shift
    for j in range(n):
        for r in range(col_ptr[j], col_ptr[j + 1]):
            i = row_idx[r]
            a[position[i], position[j]] -= jac[i, j]
    for k in range(n):
        best = k
        big = abs(a[k, k])
        for i in range(k + 1, n):
            v = abs(a[i, k])
            if v > big:
                big = v
                best = i
        piv[k] = best
        if big == 0.0:
            return False
        if best != k:
            for j in range(n):
                a[k, j], a[best, j] = a[best, j], a[k, j]
        m = 0
        for j in range(k + 1, n):
            if a[k, j] != 0.0:
                cols[m] = j
                m += 1
        pivot = a[k, k]
        for i in range(k + 1, n):
            if a[i, k] != 0.0:
                factor = a[i, k] / pivot
                a[i, k] = factor
                for q in range(m):
                    j = cols[q]
                    a[i, j] -= factor * a[k, j]
    return True


@njit
def lu_pack(a, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag):
    """Pack the factors of ``lu_factor`` into compressed rows (strict L, strict U, 1/diag).

    The index and value arrays need room for n (n - 1) / 2 entries each.
    """
    n = a.shape[0]
    nl = 0
    nu = 0
    for i in range(n):
        l_ptr[i] = nl
        u_ptr[i] = nu
        for j in range(i):
            if a[i, j] != 0.0:
                l_idx[nl] = j
                l_val[nl] = a[i, j]
                nl += 1
        inv_diag[i] = 1.0 / a[i, i]
        for j in range(i + 1, n):
            if a[i, j] != 0.0:
                u_idx[nu] = j
                u_val[nu] = a[i, j]
                nu += 1
    l_ptr[n] = nl
    u_ptr[n] = nu


@njit
def row_permutation(order, piv, row_of):
    """``row_of[i]``: the row of the original matrix that row i of the factors comes from, for
    the elimination ``order`` and the row swaps ``piv`` of ``lu_factor``."""
    n = order.shape[0]
    for k in range(n):
        row_of[k] = order[k]
    for k in range(n):
        if piv[k] != k:
            row_of[k], row_of[piv[k]] = row_of[piv[k]], row_of[k]


@njit
def lu_symbolic(jac, position, row_of, a_ptr, a_col, l_ptr, l_idx, u_ptr, u_idx, mark):
    """The structure of the factors of shift I - ``jac`` for the row order ``row_of``.

    ``a_ptr``/``a_col`` receive, per factor row, the original columns of its nonzeros (those of
    ``jac`` and the diagonal); ``l_ptr``/``l_idx`` and ``u_ptr``/``u_idx`` the columns of the
    strict L and U rows (in elimination order, increasing). ``mark`` is boolean scratch of
    length n. Row i of the factors holds every column reached from the row's own nonzeros
    through the U rows of the L columns before it.
    """
    n = jac.shape[0]
    na = 0
    nl = 0
    nu = 0
    for i in range(n):
        r = row_of[i]
        a_ptr[i] = na
        l_ptr[i] = nl
        u_ptr[i] = nu
        for k in range(n):
            mark[k] = False
        for c in range(n):
            if jac[r, c] != 0.0 or c == r:
                a_col[na] = c
                na += 1
                mark[position[c]] = True
        for k in range(i):
            if mark[k]:
                l_idx[nl] = k
                nl += 1
                for q in range(u_ptr[k], u_ptr[k + 1]):
                    mark[u_idx[q]] = True
        for j in range(i + 1, n):
            if mark[j]:
                u_idx[nu] = j
                nu += 1
    a_ptr[n] = na
    l_ptr[n] = nl
    u_ptr[n] = nu


@njit
def lu_refactor(jac, shift, position, row_of, a_ptr, a_col, l_ptr, l_idx, l_val, u_ptr, u_idx,
                u_val, inv_diag, w):
    """Recompute the factors of shift I - ``jac`` in the structure of ``lu_symbolic``.

    Same row order and structure, new values (a new ``shift``, the same Jacobian pattern).
    ``w`` is scratch of length n. Returns False when a multiplier exceeds the threshold or a
    pivot is zero or not finite; the factors are then unusable and the caller must factorise
    with pivoting.
    """
    n = jac.shape[0]
    for i in range(n):
        r = row_of[i]
        for q in range(l_ptr[i], l_ptr[i + 1]):
            w[l_idx[q]] = 0.0
        for q in range(u_ptr[i], u_ptr[i + 1]):
            w[u_idx[q]] = 0.0
        w[i] = 0.0
        for q in range(a_ptr[i], a_ptr[i + 1]):
            c = a_col[q]
            w[position[c]] -= jac[r, c]
        w[position[r]] += shift
        for q in range(l_ptr[i], l_ptr[i + 1]):
            k = l_idx[q]
            factor = w[k] * inv_diag[k]
            if not abs(factor) <= _MAX_MULTIPLIER:
                return False
            l_val[q] = factor
            for s in range(u_ptr[k], u_ptr[k + 1]):
                w[u_idx[s]] -= factor * u_val[s]
        pivot = w[i]
        if pivot == 0.0 or not np.isfinite(pivot):
            return False
        inv_diag[i] = 1.0 / pivot
        for q in range(u_ptr[i], u_ptr[i + 1]):
            u_val[q] = w[u_idx[q]]
    return True


@njit
def lu_solve(row_of, order, l_ptr, l_idx, l_val, u_ptr, u_idx, u_val, inv_diag, work, b):
    """Solve (shift I - jac) x = b in place with the packed factors; ``work`` is scratch.

    ``row_of`` is the factors' row order (``row_permutation``), ``order`` the elimination
    order of the columns.
    """
    n = b.shape[0]
    for i in range(n):
        work[i] = b[row_of[i]]
    for i in range(n):
        s = work[i]
        for q in range(l_ptr[i], l_ptr[i + 1]):
            s -= l_val[q] * work[l_idx[q]]
        work[i] = s
    for i in range(n - 1, -1, -1):
        s = work[i]
        for q in range(u_ptr[i], u_ptr[i + 1]):
            s -= u_val[q] * work[u_idx[q]]
        work[i] = s * inv_diag[i]
    for i in range(n):
        b[order[i]] = work[i]
