"""The engine: integration of one patient arm between dosing events, with a status.

A ``Problem`` holds everything numeric: initial state, parameter vector, state scales, the
output times and the events (time, state index, amount added). ``integrate`` hands the whole
problem to the chosen backend, which integrates the scaled state z = y / scale from event to
event (never across one), adds the event amounts at their times (so the right-hand side never
branches on time), and records the state at every output time, after that time's events;
outputs between events come from the backend's continuous extension, so output times do not
stop the integrator. A failure is reported as a status with a sentence that says what stopped
the integration and on which day; the rows after the failure are NaN and the rows before it
are the solution. This module knows nothing about what the states mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.errors import SolverError
from cartsim.solve.ndf import ndf_solve
from cartsim.solve.rodas import rodas_solve
from cartsim.solve.scaled import NOT_FINITE, SINGULAR, STEP_LIMIT, STEP_TOO_SMALL, SUCCESS
from cartsim.solve.scipy_backends import scipy_solve
from cartsim.solve.settings import BACKENDS, SolverSettings
from cartsim.solve.sparsity import column_by_column, jacobian_sparsity
from cartsim.solve.stepping import ACCEPTED, FACTORISATIONS, JACOBIANS, REJECTED, RHS_CALLS

__all__ = ["NOT_FINITE", "SINGULAR", "STEP_LIMIT", "STEP_TOO_SMALL", "SUCCESS", "Problem",
           "Trajectory", "integrate", "status_message"]

COMPILED = {"ndf": ndf_solve, "rodas": rodas_solve}
"""The compiled backends, which share one calling convention."""

STATUS_TEXT = {
    STEP_LIMIT: "step limit {max_steps} reached at day {day} (raise solver.max_steps or loosen "
                "solver.rtol)",
    STEP_TOO_SMALL: "step size underflow at day {day} (the problem may be ill-posed; check "
                    "parameter overrides)",
    NOT_FINITE: "non-finite right-hand side at day {day} (a parameter makes the model blow up, "
                "or a state near zero went negative)",
    SINGULAR: "singular iteration matrix at day {day}",
}
"""Why an integration stopped, by status; ``{day}`` is where and ``{max_steps}`` the bound."""


def status_message(status: int, day: float, max_steps: int) -> str:
    """One sentence for a solver ``status`` reached at ``day`` under a bound of ``max_steps``.

    Examples
    --------
    >>> status_message(STEP_LIMIT, 41.25, 20000)
    'step limit 20000 reached at day 41.25 (raise solver.max_steps or loosen solver.rtol)'
    >>> status_message(SUCCESS, 730.0, 20000)
    'success'
    """
    if status == SUCCESS:
        return "success"
    return STATUS_TEXT[status].format(day=f"{day:.6g}", max_steps=max_steps)


@dataclass(frozen=True)
class Problem:
    """One patient's integration problem.

    ``event_times``, ``event_states`` and ``event_amounts`` are parallel arrays: at each time
    the amount is added to that state (in the state's own unit). ``t_out`` is increasing.
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
    """States at the output times (rows) with the solver's status and work counts.

    ``steps`` counts accepted steps; ``rejected`` the rejected ones (the compiled backends
    only: SciPy does not report them). ``rhs_calls`` includes the calls spent on Jacobians for
    ``ndf`` and ``rodas``; for the SciPy backends it is SciPy's ``nfev``, which leaves out the calls of its
    finite-difference Jacobians (``jacobians`` times 104, or times the column groups with a
    sparsity pattern). ``message`` says what stopped a failed integration and on which day.
    """

    t: np.ndarray
    y: np.ndarray
    status: int
    steps: int
    rejected: int = 0
    rhs_calls: int = 0
    jacobians: int = 0
    factorisations: int = 0
    message: str = "success"


def integrate(problem: Problem, settings: SolverSettings) -> Trajectory:
    """Integrate ``problem`` with ``settings``; states before the first time are ``y0``.

    Examples
    --------
    A CAR-T infusion into blood at day 0, on a daily grid, from a patient's baseline:

    >>> problem = Problem(baseline.state, baseline.parameters, scale, np.arange(0.0, 31.0),
    ...                   np.array([0.0]), np.array([CART_EFF[0]]), np.array([5e7]))  # doctest: +SKIP
    >>> trajectory = integrate(problem, SolverSettings())  # doctest: +SKIP
    >>> trajectory.status, trajectory.y.shape  # doctest: +SKIP
    (0, (31, 104))
    """
    if settings.backend not in BACKENDS:
        raise SolverError(f'unknown solver backend "{settings.backend}"; valid: {BACKENDS}')
    # Fresh writeable float arrays: numba compiles per array type, and a read-only or
    # non-contiguous input would cost a second compilation of the whole model.
    scale = np.array(problem.scale, dtype=float)
    p = np.array(problem.parameters, dtype=float)
    z = np.array(problem.y0, dtype=float) / scale
    t_out = np.array(problem.t_out, dtype=float)
    out = np.full((t_out.size, z.size), np.nan)
    if t_out.size == 0:
        return Trajectory(t_out, out, SUCCESS, 0)
    order = np.argsort(np.asarray(problem.event_times, dtype=float), kind="stable")
    event_times = np.array(problem.event_times, dtype=float)[order]
    event_states = np.array(problem.event_states, dtype=np.int64)[order]
    event_amounts = np.array(problem.event_amounts, dtype=float)[order]
    if settings.backend in COMPILED:
        sparsity = (column_by_column(z.size, p.size) if settings.backend == "ndf"
                    else jacobian_sparsity(p, scale))
        stats = np.zeros(6, dtype=np.int64)
        status, reached = COMPILED[settings.backend](
            z, p, scale, t_out, event_times, event_states, event_amounts, settings.rtol,
            settings.atol, settings.max_steps, sparsity.arrays(), out, stats)
        return Trajectory(t_out, out * scale, int(status), int(stats[ACCEPTED]),
                          int(stats[REJECTED]), int(stats[RHS_CALLS]), int(stats[JACOBIANS]),
                          int(stats[FACTORISATIONS]),
                          status_message(int(status), float(reached), settings.max_steps))
    pattern = jacobian_sparsity(p, scale).pattern if settings.backend == "radau" else None
    status, reached, counts = scipy_solve(
        settings.backend, z, p, scale, t_out, event_times, event_states, event_amounts,
        settings.rtol, settings.atol, settings.max_steps, pattern, out)
    return Trajectory(t_out, out * scale, status, counts["accepted"], 0, counts["rhs_calls"],
                      counts["jacobians"], counts["factorisations"],
                      status_message(status, float(reached), settings.max_steps))
