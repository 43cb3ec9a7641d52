"""Integration with retries: a failed patient is tried again before it is reported.

A stiff model with sampled parameters occasionally defeats one solver setting. ``integrate_with_retries``
runs the requested settings, then (on failure) the same backend at a tenfold tighter relative
tolerance with ten times the step budget, then the SciPy Radau reference backend with its
default step budget. It returns
the first success, or the last failure with every attempt named, so that a trial reports a
status and a reason per patient instead of a silent NaN. It knows nothing about the model.
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
    """The settings tried in order: as given, tighter, then the reference backend.

    Examples
    --------
    >>> [s.backend for s in retry_settings(SolverSettings())]
    ['ndf', 'ndf', 'radau']
    """
    tighter = replace(settings, rtol=settings.rtol / 10.0, max_steps=settings.max_steps * 10)
    reference = SolverSettings(backend="radau", rtol=settings.rtol, atol=settings.atol)
    return (settings, tighter) if settings.backend == "radau" else (settings, tighter, reference)


def integrate_with_retries(problem: Problem, settings: SolverSettings) -> Attempted:
    """Integrate ``problem``, retrying with :func:`retry_settings` until one succeeds."""
    attempts: list[str] = []
    trajectory = None
    for attempt in retry_settings(settings):
        trajectory = integrate(problem, attempt)
        attempts.append(f"{attempt.backend} rtol={attempt.rtol:g}: {trajectory.message}")
        if trajectory.status == 0:
            break
    assert trajectory is not None
    return Attempted(trajectory, tuple(attempts))
