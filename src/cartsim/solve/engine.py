"""The engine: piecewise integration of one patient between dosing events.

A ``Problem`` holds everything numeric: initial state, parameter vector, state scales, the
output times and the events (time, state index, amount added). ``integrate`` walks the sorted
union of output and event times, lets the chosen backend integrate each segment on the scaled
state, adds the event amounts at their times (so the right-hand side never branches on time)
and records the state at every output time after that time's events. It reports a status per
patient instead of NaNs. This module knows nothing about what the states mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.errors import SolverError
from cartsim.solve.radau import radau_segment
from cartsim.solve.rodas import NOT_FINITE, STEP_LIMIT, STEP_TOO_SMALL, SUCCESS, rodas_segment
from cartsim.solve.settings import BACKENDS, SolverSettings

STATUS_TEXT = {
    SUCCESS: "success",
    STEP_LIMIT: "step limit reached (raise solver.max_steps or loosen solver.rtol)",
    STEP_TOO_SMALL: "step size underflow (the problem may be ill-posed; check parameter overrides)",
    NOT_FINITE: "non-finite state (a parameter makes the model blow up)",
}


@dataclass(frozen=True)
class Problem:
    """One patient's integration problem.

    ``event_times``, ``event_states`` and ``event_amounts`` are parallel arrays: at each time
    the amount is added to that state (in the state's own unit).
    """

    y0: np.ndarray
    parameters: np.ndarray
    scale: np.ndarray
    t_out: np.ndarray
    event_times: np.ndarray
    event_states: np.ndarray
    event_amounts: np.ndarray


@dataclass(frozen=True)
class Trajectory:
    """States at the output times (rows) with the solver's status and step count."""

    t: np.ndarray
    y: np.ndarray
    status: int
    steps: int

    @property
    def message(self) -> str:
        return STATUS_TEXT[self.status]


def integrate(problem: Problem, settings: SolverSettings) -> Trajectory:
    """Integrate ``problem`` with ``settings``; states before the first time are ``y0``.

    Examples
    --------
    A problem with no events stays where it starts if ``y0`` is a steady state; see the tests.
    """
    if settings.backend not in BACKENDS:
        raise SolverError(f'unknown solver backend "{settings.backend}"; valid: {BACKENDS}')
    scale = problem.scale
    z = problem.y0 / scale
    t_out = np.asarray(problem.t_out, dtype=float)
    stops = np.union1d(t_out, problem.event_times)
    out = np.empty((t_out.size, z.size))
    t = stops[0]
    h = 0.01
    steps = 0
    status = SUCCESS
    j = 0
    for stop in stops:
        if stop > t:
            if settings.backend == "rodas":
                status, h, n = rodas_segment(z, problem.parameters, scale, t, stop, h,
                                             settings.rtol, settings.atol, settings.max_steps)
                steps += n
            else:
                status = radau_segment(z, problem.parameters, scale, t, stop,
                                       settings.rtol, settings.atol)
            if status != SUCCESS:
                out[j:] = np.nan
                return Trajectory(t_out, out * scale, status, steps)
            t = stop
        at_stop = problem.event_times == stop
        for state, amount in zip(problem.event_states[at_stop], problem.event_amounts[at_stop],
                                 strict=True):
            z[state] += amount / scale[state]
        if j < t_out.size and t_out[j] == stop:
            out[j] = z
            j += 1
    return Trajectory(t_out, out * scale, status, steps)
