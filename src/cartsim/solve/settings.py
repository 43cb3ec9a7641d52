"""Solver settings: which backend integrates, and how accurately.

``ndf`` is the compiled default (variable-order NDF/BDF with Jacobian and LU reuse, numba);
``rodas`` the compiled Rodas4 (a stiffly accurate Rosenbrock method of order 4, numba), more
accurate per step and slower; ``radau`` is SciPy's Radau IIA, the pure reference; ``bdf`` is
SciPy's variable-order BDF, kept as a comparator for speed. Tolerances are relative and
absolute on the scaled state (each state divided by its reference scale, see
``model.states``). ``max_steps`` bounds the steps of one arm (step attempts, rejected ones
included, for the compiled backends).
"""

from __future__ import annotations

from dataclasses import dataclass

BACKENDS = ("ndf", "rodas", "radau", "bdf")


@dataclass(frozen=True)
class SolverSettings:
    """How to integrate.

    Examples
    --------
    >>> SolverSettings().backend
    'ndf'
    """

    backend: str = "ndf"
    rtol: float = 1e-6
    atol: float = 1e-9
    max_steps: int = 200_000
