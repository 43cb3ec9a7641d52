"""Solver settings: which backend integrates, and how accurately.

``ndf`` is the compiled default (variable-order NDF/BDF with Jacobian and LU reuse, numba);
``rodas`` the compiled Rodas4 (a stiffly accurate Rosenbrock method of order 4, numba), more
accurate per step and slower; ``radau`` is SciPy's Radau IIA, the pure reference; ``bdf`` is
SciPy's variable-order BDF, kept as a comparator for speed. Tolerances are relative and
absolute on the scaled state (each state divided by its reference scale, see
``model.states``). ``max_steps`` bounds the cost of one attempt at one arm: the step attempts
(rejected ones included) of the compiled backends, the ``step()`` calls of the SciPy ones. It
is a count, not a wall-clock time, so that whether an attempt succeeds is the same on every
machine; every attempt of the retry ladder (``solve.retry``) gets the same bound. The default,
20,000, is eight times the most steps any of 1,000 swept patient-arms needed (2,504; typical
arms take 600-1,400) at 730 days.
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
    max_steps: int = 20_000
