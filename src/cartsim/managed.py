"""Integration with CRS/ICANS management: dose when the policy says so, then integrate on.

Dosing stays event data (the right-hand side never branches on time or state). One round:
integrate, grade every day through the sign link (``safety.guidance.daily_grades``), find the
first day at or after the last decision on which a guidance threshold is met, add that day's
doses as events, and integrate again from the state at that day's assessment (the trajectory
before it cannot change, because the doses come after it). Rounds end when no threshold is met
on a later day, or after ``MAX_MANAGEMENT_ROUNDS`` decision days, with the status saying so.
The rows before each restart come from the round before, so each day is integrated as few
times as possible; ``attempts`` lists the failed attempts of every round, then the last one.
This module orchestrates; it knows no threshold and no model equation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cartsim.model.observables import compute_observables
from cartsim.parameters.catalog import Catalog
from cartsim.safety.guidance import Guidance, daily_grades, first_decision
from cartsim.safety.signs import LinkThresholds
from cartsim.solve.engine import Problem, Trajectory
from cartsim.solve.retry import Attempted, integrate_with_retries
from cartsim.solve.settings import SolverSettings
from cartsim.therapies.management import (
    Decision,
    ManagementDose,
    dose_events,
    first_dose_time,
    management_doses,
)

MAX_MANAGEMENT_ROUNDS = 12
"""Most decision days (each one a re-integration from that day) per patient and arm. The
guidance allows four tocilizumab days; the rest covers dexamethasone days of a long ICANS.
A patient that needs more keeps the doses of the first 12 days and is flagged incomplete."""

_MARKERS = ("il6_signalling_pg_per_ml", "crp_mg_per_l", "bbb_index")


@dataclass(frozen=True)
class ManagedRun:
    """The managed integration: the final trajectory, the doses given and how it ended.

    ``rounds`` counts the re-integrations after the first; ``complete`` is false when
    ``MAX_MANAGEMENT_ROUNDS`` was reached while a threshold was still met on a later day.
    """

    attempted: Attempted
    doses: tuple[ManagementDose, ...]
    rounds: int
    complete: bool


@dataclass(frozen=True)
class ManagementContext:
    """What the rounds need besides the problem: the rules, the link, the patient, the start."""

    guidance: Guidance
    link: LinkThresholds
    catalog: Catalog
    weight_kg: float
    first_day: float
    baseline_state: np.ndarray

    @classmethod
    def build(cls, catalog: Catalog, weight_kg: float, first_day: float,
              baseline_state: np.ndarray, policy: str = "astct") -> ManagementContext:
        """The context for one patient and arm, the thresholds of ``policy`` read from
        ``catalog`` (``safety.guidance.POLICY_RECORDS``)."""
        return cls(Guidance.from_catalog(catalog, policy), LinkThresholds.from_catalog(catalog),
                   catalog, weight_kg, first_day, baseline_state)


def _grades(trajectory: Trajectory, problem: Problem, doses: tuple[ManagementDose, ...],
            context: ManagementContext) -> tuple[np.ndarray, np.ndarray]:
    markers = compute_observables(trajectory.y, problem.parameters, context.baseline_state,
                                  _MARKERS)
    return daily_grades(*(markers[m] for m in _MARKERS), trajectory.t, first_dose_time(doses),
                        context.link)


def _restart(problem: Problem, trajectory: Trajectory, day: float,
             doses: tuple[ManagementDose, ...]) -> Problem:
    """The problem from the assessment on ``day`` on, with the new ``doses`` as events."""
    row = int(np.searchsorted(trajectory.t, day))
    later = problem.event_times > day
    times, states, amounts = dose_events(doses)
    return replace(problem, y0=trajectory.y[row], t_out=problem.t_out[row:],
                   event_times=np.concatenate((problem.event_times[later], times)),
                   event_states=np.concatenate((problem.event_states[later], states)),
                   event_amounts=np.concatenate((problem.event_amounts[later], amounts)))


def _stitch(before: Trajectory, after: Trajectory) -> Trajectory:
    """Rows of ``before`` up to where ``after`` starts, then ``after``; work counts added."""
    keep = int(np.searchsorted(before.t, after.t[0]))
    return Trajectory(before.t, np.vstack((before.y[:keep], after.y)), after.status,
                      before.steps + after.steps, before.rejected + after.rejected,
                      before.rhs_calls + after.rhs_calls, before.jacobians + after.jacobians,
                      before.factorisations + after.factorisations)


def _with_failures(attempted: Attempted, failed: tuple[str, ...]) -> Attempted:
    """``attempted`` listing the failed attempts of every round before its own last attempt."""
    return replace(attempted, attempts=(*failed, attempted.attempts[-1]))


def integrate_managed(problem: Problem, settings: SolverSettings,
                      context: ManagementContext) -> ManagedRun:
    """Integrate ``problem`` with management by the guidance (see the module docstring).

    Examples
    --------
    >>> run = integrate_managed(problem, SolverSettings(), context)  # doctest: +SKIP
    >>> [(d.drug, round(d.time, 2), d.reason) for d in run.doses][:1]  # doctest: +SKIP
    [('tocilizumab', 4.08, 'CRS grade 2')]
    """
    attempted = integrate_with_retries(problem, settings)
    decisions: list[Decision] = []
    doses: tuple[ManagementDose, ...] = ()
    from_day, rounds, failed = context.first_day, 0, attempted.attempts[:-1]
    while attempted.ok:
        crs, icans = _grades(attempted.trajectory, problem, doses, context)
        due = first_decision(attempted.trajectory.t, crs, icans, decisions, context.guidance,
                             from_day)
        if not due:
            break
        if rounds == MAX_MANAGEMENT_ROUNDS:
            return ManagedRun(_with_failures(attempted, failed), doses, rounds, False)
        day = due[0].day
        new = tuple(dose for d in due
                    for dose in management_doses(d, context.weight_kg, context.catalog))
        restarted = integrate_with_retries(
            _restart(problem, attempted.trajectory, day, new), settings)
        failed += restarted.attempts[:-1]
        attempted = Attempted(_stitch(attempted.trajectory, restarted.trajectory),
                              restarted.attempts)
        decisions += due
        doses += new
        from_day, rounds = day + 1.0, rounds + 1
    return ManagedRun(_with_failures(attempted, failed), doses, rounds, True)
