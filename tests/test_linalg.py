"""The sparse LU of the compiled backends: the full factorisation with pivoting, the symbolic
structure it leaves, and the refactorisation that reuses both for a new shift."""

from __future__ import annotations

import numpy as np
import pytest

from cartsim.solve.linalg import (
    lu_factor,
    lu_pack,
    lu_refactor,
    lu_solve,
    lu_symbolic,
    minimum_degree_order,
    row_permutation,
)
from cartsim.solve.stepping import lu_workspace


def _sparse_jacobian(n: int, seed: int) -> np.ndarray:
    """A random sparse matrix whose off-diagonal entries dwarf its diagonal, as the model's
    scaled Jacobian does, so that elimination in the natural order needs row exchanges."""
    rng = np.random.default_rng(seed)
    jac = np.where(rng.random((n, n)) < 0.15, rng.normal(0.0, 50.0, (n, n)), 0.0)
    jac[np.arange(n), np.arange(n)] = rng.normal(0.0, 0.1, n)
    return jac


class Factors:
    """Workspace and structure of one matrix, with the steps the NDF takes."""

    def __init__(self, jac: np.ndarray):
        n = jac.shape[0]
        self.jac = jac
        self.order = minimum_degree_order(jac != 0.0)
        self.position = np.argsort(self.order).astype(np.int64)
        (_, self.dense, self.piv, self.cols, self.l_ptr, self.l_idx, self.l_val, self.u_ptr,
         self.u_idx, self.u_val, self.inv_diag, self.work, self.row_of) = lu_workspace(n)
        self.col_ptr = np.arange(0, n * n + 1, n, dtype=np.int64)
        self.row_idx = np.tile(np.arange(n, dtype=np.int64), n)
        self.a_ptr, self.a_col = np.empty(n + 1, np.int64), np.empty(n * n, np.int64)
        self.mark = np.empty(n, np.bool_)

    def full(self, shift: float) -> bool:
        """Factorise with pivoting, derive the structure and fill it (as the NDF does)."""
        assert lu_factor(self.jac, shift, self.col_ptr, self.row_idx, self.position, self.dense,
                         self.piv, self.cols)
        row_permutation(self.order, self.piv, self.row_of)
        lu_symbolic(self.jac, self.position, self.row_of, self.a_ptr, self.a_col, self.l_ptr,
                    self.l_idx, self.u_ptr, self.u_idx, self.mark)
        return self.refactor(shift)

    def refactor(self, shift: float) -> bool:
        return lu_refactor(self.jac, shift, self.position, self.row_of, self.a_ptr, self.a_col,
                           self.l_ptr, self.l_idx, self.l_val, self.u_ptr, self.u_idx,
                           self.u_val, self.inv_diag, self.work)

    def solve(self, b: np.ndarray) -> np.ndarray:
        x = b.copy()
        lu_solve(self.row_of, self.order, self.l_ptr, self.l_idx, self.l_val, self.u_ptr,
                 self.u_idx, self.u_val, self.inv_diag, self.work, x)
        return x


@pytest.mark.parametrize("seed", range(5))
def test_a_refactorisation_solves_as_a_dense_solver_does(seed):
    """Factorised with pivoting at one shift, refactorised at shifts 30 % and 3 times away:
    each solve matches LAPACK to 1e-10 of the solution (the condition numbers are about 1e4)."""
    n = 40
    jac = _sparse_jacobian(n, seed)
    factors = Factors(jac)
    b = np.random.default_rng(seed + 100).normal(size=n)
    assert factors.full(2.0)
    for shift in (2.0, 2.6, 6.0):
        if not factors.refactor(shift):
            assert factors.full(shift)
        expected = np.linalg.solve(shift * np.eye(n) - jac, b)
        assert np.allclose(factors.solve(b), expected, rtol=0.0, atol=1e-10 * np.abs(expected).max())


def test_the_structure_holds_every_nonzero_of_the_dense_factors():
    """The symbolic structure is a superset of the numerical factors' nonzeros (and the packed
    factors of the dense path give the same solution)."""
    jac = _sparse_jacobian(30, 7)
    factors = Factors(jac)
    assert factors.full(1.5)
    n = jac.shape[0]
    structure = np.zeros((n, n), dtype=bool)
    for i in range(n):
        structure[i, factors.l_idx[factors.l_ptr[i]:factors.l_ptr[i + 1]]] = True
        structure[i, factors.u_idx[factors.u_ptr[i]:factors.u_ptr[i + 1]]] = True
    nonzero = factors.dense != 0.0
    np.fill_diagonal(nonzero, False)
    assert not np.any(nonzero & ~structure)
    packed = Factors(jac)
    assert lu_factor(jac, 1.5, packed.col_ptr, packed.row_idx, packed.position, packed.dense,
                     packed.piv, packed.cols)
    lu_pack(packed.dense, packed.l_ptr, packed.l_idx, packed.l_val, packed.u_ptr, packed.u_idx,
            packed.u_val, packed.inv_diag)
    row_permutation(packed.order, packed.piv, packed.row_of)
    b = np.linspace(-1.0, 1.0, n)
    assert np.allclose(packed.solve(b), factors.solve(b), rtol=1e-12, atol=1e-12)


def test_a_refactorisation_refuses_a_pivot_order_that_no_longer_fits():
    """[[s, 1], [1, s]]: at s = 10 the diagonal pivots (multiplier 0.1); at s = 0.01 they
    would need a multiplier of 100, above the threshold of 10, so the refactorisation refuses
    and a fresh factorisation exchanges the rows."""
    factors = Factors(np.array([[0.0, -1.0], [-1.0, 0.0]]))
    assert factors.full(10.0)
    assert factors.row_of.tolist() == factors.order.tolist()
    assert not factors.refactor(0.01)
    assert factors.full(0.01)
    assert factors.row_of.tolist() == factors.order[::-1].tolist()
    b = np.array([1.0, 2.0])
    assert np.allclose(factors.solve(b), np.linalg.solve([[0.01, 1.0], [1.0, 0.01]], b))


def test_a_singular_matrix_is_refused():
    factors = Factors(np.array([[1.0, 0.0], [0.0, 0.0]]))
    assert factors.full(2.0)
    assert not factors.refactor(1.0)
