"""Integration with retries: a failed patient is tried again, at a bounded cost, before it is
reported.

A stiff model with sampled parameters occasionally defeats one solver setting. ``integrate_with_retries``
runs the requested settings, then (on failure) the same backend at a tenfold tighter relative
tolerance, then (after the default ``ndf``) the compiled Rodas4 backend at the requested
tolerance, and last the SciPy Radau reference backend. Rodas4 is a one-step method that
projects small negative overshoots back to zero after every step: it integrates the swept
patients whose NDF iterates stray below zero, where the model's right-hand side is not defined
(aHSCT arms with T cells depleted to 1e-8 of baseline), in a tenth of Radau's time. Every
attempt gets the same step bound (``SolverSettings.max_steps``, a count, so the outcome is the
same on every machine), which bounds the cost of a patient-arm by the number of attempts times
the cost of that many steps. It returns the first success, or the last failure with every
attempt named (each with why and on which day it stopped), so that a trial reports a status and
a reason per patient instead of a silent NaN. It knows nothing about the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cartsim.solve.engine import Problem, Trajectory, integrate
from cartsim.solve.settings import SolverSettings


@dataclass(frozen=True)
class Attempted:
    """The trajectory of the last attempt and a description of every attempt made."""

    trajectory: Trajectory
    attempts: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.trajectory.status == 0


def retry_settings(settings: SolverSettings) -> tuple[SolverSettings, ...]:
    """The settings tried in order: as given, tighter, Rodas4 (after ``ndf``), then Radau.

    Every attempt keeps the given ``max_steps`` and ``atol``.

    Examples
    --------
    >>> [(s.backend, s.rtol) for s in retry_settings(SolverSettings())]
    [('ndf', 1e-06), ('ndf', 1e-07), ('rodas', 1e-06), ('radau', 1e-06)]
    """
    tighter = replace(settings, rtol=settings.rtol / 10.0)
    others = ("rodas", "radau") if settings.backend == "ndf" else ("radau",)
    return (settings, tighter, *(replace(settings, backend=backend) for backend in others
                                 if backend != settings.backend))


def integrate_with_retries(problem: Problem, settings: SolverSettings) -> Attempted:
    """Integrate ``problem``, retrying with :func:`retry_settings` until one succeeds.

    Examples
    --------
    >>> attempted = integrate_with_retries(problem, SolverSettings(max_steps=3))  # doctest: +SKIP
    >>> attempted.attempts[0]  # doctest: +SKIP
    'ndf rtol=1e-06: step limit 3 reached at day -5 (raise solver.max_steps or loosen solver.rtol)'
    """
    attempts: list[str] = []
    trajectory = None
    for attempt in retry_settings(settings):
        trajectory = integrate(problem, attempt)
        attempts.append(f"{attempt.backend} rtol={attempt.rtol:g}: {trajectory.message}")
        if trajectory.status == 0:
            break
    assert trajectory is not None
    return Attempted(trajectory, tuple(attempts))
