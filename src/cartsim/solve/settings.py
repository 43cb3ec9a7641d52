"""Solver settings: which backend integrates, and how accurately.

``rodas`` is the compiled default (a Rosenbrock method of order 4, numba, stiff-capable);
``radau`` is SciPy's Radau IIA, the pure reference. Tolerances are relative and absolute on
the scaled state (each state divided by its reference scale, see ``model.states``).
"""

from __future__ import annotations

from dataclasses import dataclass

BACKENDS = ("rodas", "radau")


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
