"""Solver settings: which backend integrates, and how accurately.

``rodas`` is the compiled default (Rodas4, a stiffly accurate Rosenbrock method of order 4,
numba); ``radau`` is SciPy's Radau IIA, the pure reference; ``bdf`` is SciPy's variable-order
BDF, kept as a comparator for speed. Tolerances are relative and absolute on the scaled
state (each state divided by its reference scale, see ``model.states``). ``max_steps`` bounds
the steps of one arm (step attempts, rejected ones included, for ``rodas``).
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
    'rodas'
    """

    backend: str = "rodas"
    rtol: float = 1e-6
    atol: float = 1e-9
    max_steps: int = 200_000
