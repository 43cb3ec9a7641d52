"""The Jacobian's sparsity pattern, column groups for compressed finite differences, and the
grouped finite-difference Jacobian itself.

A forward-difference Jacobian needs one right-hand-side call per column (104 here). Columns
that share no row can be perturbed together and told apart afterwards (Curtis, Powell & Reid,
1974), so the Jacobian costs one call per *group*.

The structural pattern is found numerically for each problem: the right-hand side is
evaluated at 14 random states from a fixed seed, every column is perturbed by a large amount
(z_j -> 2 z_j + 1, so that no coupling hides below rounding), and any output that changes at
all marks an entry; non-finite outputs mark entries too, so the pattern errs towards a
superset, which costs speed and never accuracy. The probe states span eleven decades around
the state scale in three families (everything depleted, everything abundant, mixed), a fourth
with everything all but absent (so that a sum over many depleted states lies below a reference
pool of order one, as in the untreated search before the normalisers are set) and two near
baseline, so both sides of every ``max(0, ...)`` switch are visited (the B-cell
repletion feedback acts only below the reference pool, homeostatic CAR-T expansion only below
the T-cell capacity). Probing uses the problem's own parameters because a parameter that is
zero switches couplings off (the CAR-T arms need about 1,860 entries, the others about 1,080).
A coupling missed by the probe would leak its column's change into another column's entry;
a test checks the grouped Jacobian against the column-by-column one along every example
scenario.

Columns are coloured greedily, largest column first. No grouping can use fewer calls than the
densest row has entries (IL-6 depends on 61 states in the CAR-T arms, pre-B production on 49
through the repletion feedback): the CAR-T arms need 79 groups, the others 39, against 104
columns.

The ``ndf`` backend computes few Jacobians (one per several dozen steps), so a per-problem
probe would cost it more than it saves; it perturbs every column on its own
(``column_by_column``), which is exact whatever the pattern, and needs only an elimination
order for its LU. That order comes from the model's structural pattern, probed once per
process at random positive parameters from a fixed seed (every coupling switched on, so the
pattern holds those of all problems; it holds every entry of the example scenarios' patterns
and about 300 more). The order depends on the model alone, so results are identical in every
process; a coupling the probe missed would only cost fill-in, never accuracy, because the LU
pivots on the values. This module knows nothing about what the states mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit

from cartsim.solve.linalg import minimum_degree_order
from cartsim.solve.scaled import scaled_rhs

_SQRT_EPS = 1.4901161193847656e-08
_PROBE_DECADES = ((-8.0, -2.0),) * 4 + ((-1.0, 3.0),) * 4 + ((-8.0, 3.0),) * 4 + ((-14.0, -10.0),) * 2
_NEAR_BASELINE = 2
_SEED = 20240611


@dataclass(frozen=True)
class JacobianSparsity:
    """A structural Jacobian pattern, its column groups and an elimination order.

    ``col_ptr``/``row_idx`` hold the pattern by column (CSC); ``group_ptr``/``group_cols`` list
    the columns of each group; ``order`` is the LU elimination order (``order[new] = old``)
    and ``position`` its inverse. ``pattern`` is the dense boolean pattern (row, column).
    """

    pattern: np.ndarray
    col_ptr: np.ndarray
    row_idx: np.ndarray
    group_ptr: np.ndarray
    group_cols: np.ndarray
    order: np.ndarray
    position: np.ndarray

    @property
    def groups(self) -> int:
        return self.group_ptr.size - 1

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The integer arrays ``rodas_solve`` takes, in its order."""
        return (self.col_ptr, self.row_idx, self.group_ptr, self.group_cols, self.order,
                self.position)


@njit
def _mark_dependencies(z, p, scale, pattern):
    n = z.shape[0]
    work, f0, f = np.empty(n), np.empty(n), np.empty(n)
    scaled_rhs(z, p, scale, work, f0)
    zp = z.copy()
    for j in range(n):
        zp[j] = 2.0 * z[j] + 1.0
        scaled_rhs(zp, p, scale, work, f)
        for i in range(n):
            if f[i] != f0[i] or not np.isfinite(f[i]) or not np.isfinite(f0[i]):
                pattern[i, j] = True
        zp[j] = z[j]


def probe_pattern(p: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The boolean Jacobian pattern (row i depends on state j) of the scaled right-hand side.

    Deterministic: the random probe states come from a fixed seed.

    Examples
    --------
    >>> pattern = probe_pattern(baseline.parameters, scale)  # doctest: +SKIP
    >>> int(pattern.sum())  # doctest: +SKIP
    1080
    """
    n = scale.size
    rng = np.random.default_rng(_SEED)
    pattern = np.zeros((n, n), dtype=np.bool_)
    for low, high in _PROBE_DECADES:
        _mark_dependencies(10.0 ** rng.uniform(low, high, n), p, scale, pattern)
    for _ in range(_NEAR_BASELINE):
        _mark_dependencies(rng.uniform(0.0, 2.0, n), p, scale, pattern)
    return pattern


def column_groups(pattern: np.ndarray) -> np.ndarray:
    """A group number per column such that no two columns of a group share a row.

    Greedy colouring in order of decreasing column count (largest first).

    Examples
    --------
    >>> column_groups(np.eye(3, dtype=bool)).tolist()
    [0, 0, 0]
    """
    n = pattern.shape[1]
    as_int = pattern.astype(np.int64)
    conflict = (as_int.T @ as_int) > 0
    group = np.full(n, -1, dtype=np.int64)
    for j in np.argsort(-pattern.sum(axis=0), kind="stable"):
        taken = np.zeros(n + 1, dtype=bool)
        taken[group[conflict[j] & (group >= 0)]] = True
        group[j] = int(np.argmin(taken))
    return group


def sparsity_from_pattern(pattern: np.ndarray) -> JacobianSparsity:
    """Pack ``pattern`` and its column groups into the arrays the compiled Jacobian reads."""
    group = column_groups(pattern)
    counts = pattern.sum(axis=0)
    col_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    row_idx = np.concatenate([np.flatnonzero(pattern[:, j]) for j in range(pattern.shape[1])]
                             ).astype(np.int64)
    group_cols = np.argsort(group, kind="stable").astype(np.int64)
    group_ptr = np.concatenate([[0], np.cumsum(np.bincount(group))]).astype(np.int64)
    order = minimum_degree_order(pattern)
    position = np.argsort(order).astype(np.int64)
    return JacobianSparsity(pattern, col_ptr, row_idx, group_ptr, group_cols, order, position)


@lru_cache(maxsize=64)
def _probed(p_bytes: bytes, scale_bytes: bytes) -> bytes:
    # Writeable copies: numba would compile the whole model again for read-only arrays.
    p, scale = np.frombuffer(p_bytes).copy(), np.frombuffer(scale_bytes).copy()
    return probe_pattern(p, scale).tobytes()


@lru_cache(maxsize=64)
def _laid_out(pattern_bytes: bytes) -> JacobianSparsity:
    pattern = np.frombuffer(pattern_bytes, dtype=np.bool_)
    n = int(np.sqrt(pattern.size))
    return sparsity_from_pattern(pattern.reshape(n, n).copy())


def forget_probes() -> None:
    """Forget the probed patterns, so that the next call of each problem probes again.

    For benchmarks, which time an integration with its per-problem set-up as a trial meets it
    (a new patient is a new problem; its pattern's groups and ordering are usually known).
    """
    _probed.cache_clear()


def jacobian_sparsity(p: np.ndarray, scale: np.ndarray) -> JacobianSparsity:
    """The sparsity of the model's Jacobian for parameters ``p`` and state scale ``scale``.

    The pattern is probed for each problem (about 1,500 right-hand-side calls, a few
    milliseconds): what a probe can see depends on the parameter values (a term can swamp
    another below rounding), so a pattern shared between patients would make a patient's
    result depend on which patient a process met first; probing per problem keeps results
    identical however patients are spread over workers. Groups and ordering depend on the
    pattern only and are computed once per distinct pattern. The last 64 of each are kept.
    """
    p = np.ascontiguousarray(p, dtype=float)
    scale = np.ascontiguousarray(scale, dtype=float)
    return _laid_out(_probed(p.tobytes(), scale.tobytes()))


@lru_cache(maxsize=4)
def structural_pattern(n_states: int, n_parameters: int) -> np.ndarray:
    """The model's pattern with every coupling switched on, the same in every process.

    ``probe_pattern`` at parameters drawn from 10^U(-1, 1) with a fixed seed and unit scales:
    every parameter nonzero, so no coupling is switched off by a zero parameter.

    Examples
    --------
    >>> int(structural_pattern(104, len(LAYOUT)).sum())  # doctest: +SKIP
    2194
    """
    rng = np.random.default_rng(_SEED)
    return probe_pattern(10.0 ** rng.uniform(-1.0, 1.0, n_parameters), np.ones(n_states))


@lru_cache(maxsize=4)
def column_by_column(n_states: int, n_parameters: int) -> JacobianSparsity:
    """Every entry in the pattern, one column per group, and the model's elimination order.

    The order is a minimum-degree order of ``structural_pattern``. Computed once per process
    and model size.

    Examples
    --------
    >>> sparsity = column_by_column(104, len(LAYOUT))  # doctest: +SKIP
    >>> sparsity.groups, int(sparsity.pattern.sum())  # doctest: +SKIP
    (104, 10816)
    """
    order = minimum_degree_order(structural_pattern(n_states, n_parameters))
    columns = np.arange(n_states, dtype=np.int64)
    return JacobianSparsity(
        pattern=np.ones((n_states, n_states), dtype=np.bool_),
        col_ptr=np.arange(0, n_states * n_states + 1, n_states, dtype=np.int64),
        row_idx=np.tile(columns, n_states),
        group_ptr=np.arange(n_states + 1, dtype=np.int64),
        group_cols=columns,
        order=order,
        position=np.argsort(order).astype(np.int64),
    )


@njit
def grouped_jacobian(z, f0, p, scale, col_ptr, row_idx, group_ptr, group_cols, zp, delta, work,
                     f, jac):
    """Forward-difference Jacobian of the scaled RHS at ``z`` (where it is ``f0``), into ``jac``.

    Entries outside the pattern are left as they are (the caller keeps them zero). One
    right-hand-side call per group. ``zp`` must equal ``z`` on entry and does on exit.
    """
    for g in range(group_ptr.shape[0] - 1):
        for q in range(group_ptr[g], group_ptr[g + 1]):
            j = group_cols[q]
            step = _SQRT_EPS * max(abs(z[j]), 1.0)
            zp[j] = z[j] + step
            delta[j] = zp[j] - z[j]
        scaled_rhs(zp, p, scale, work, f)
        for q in range(group_ptr[g], group_ptr[g + 1]):
            j = group_cols[q]
            for r in range(col_ptr[j], col_ptr[j + 1]):
                i = row_idx[r]
                jac[i, j] = (f[i] - f0[i]) / delta[j]
            zp[j] = z[j]
