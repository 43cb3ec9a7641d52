"""Evaluate a chunk of the sample design: simulate the typical patient and compute endpoints.

``evaluate_chunk`` is what a worker (local or Dask, through ``trials.engines``) executes. For
each row of parameter values it applies them with ``Catalog.with_values`` (derived records are
re-derived), builds the typical patient of the scenario's disease from that catalogue (so
assumed covariate records act too), integrates the chosen arms with ``simulation.run_arms`` and
computes the endpoints with ``trials.endpoints.arm_endpoints``. A row that cannot be integrated
gives NaN endpoints and its reason. B-cell reappearance not reached by the horizon, after blood
B cells fell below the detection limit, is censored at the horizon (and flagged), because a
later reappearance is a real and often the most informative outcome; it stays NaN when B cells
never fell below the limit. Rows are independent, so results do not depend on chunking or
workers. This module computes; it writes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cartsim.errors import CartsimError
from cartsim.io.scenario import PopulationSpec
from cartsim.model.parameterise import typical_patient
from cartsim.parameters.catalog import Catalog
from cartsim.simulation import run_arms
from cartsim.solve.settings import SolverSettings
from cartsim.therapies.regimens import Arm, CarT
from cartsim.trials.endpoints import B_CELL_DETECTION_LIMIT_PER_UL, SERIES, arm_endpoints

NO_RELAPSES = np.empty(0)
"""Sensitivity endpoints are deterministic; the sampled relapse count is not among them."""
CENSORED_AT_HORIZON = "b_cell_reappearance_day"
"""The time-to-event endpoint that is censored at the horizon (see the module docstring)."""


@dataclass(frozen=True)
class EvaluationTask:
    """Rows ``start .. start + len(values)`` of the design, and what is needed to evaluate them."""

    index: int
    values: np.ndarray
    names: tuple[str, ...]
    arms: tuple[Arm, ...]
    population: PopulationSpec
    catalog: Catalog
    settings: SolverSettings
    t: np.ndarray
    endpoints: tuple[str, ...]


@dataclass(frozen=True)
class EvaluationResult:
    """Endpoints (rows x arms x endpoints), censoring flags of the same shape, failure reasons.

    ``failures`` holds one entry per row: empty when every arm was integrated.
    """

    index: int
    outputs: np.ndarray
    censored: np.ndarray
    failures: tuple[str, ...]


def evaluate_chunk(task: EvaluationTask) -> EvaluationResult:
    """Evaluate every row of ``task`` (see the module docstring).

    Examples
    --------
    >>> result = evaluate_chunk(task)  # doctest: +SKIP
    >>> result.outputs.shape == (len(task.values), len(task.arms), len(task.endpoints))  # doctest: +SKIP
    True
    """
    shape = (len(task.values), len(task.arms), len(task.endpoints))
    outputs = np.full(shape, np.nan)
    censored = np.zeros(shape, dtype=bool)
    failures: list[str] = []
    for row, values in enumerate(task.values):
        failures.append(_evaluate_row(task, values, outputs[row], censored[row]))
    return EvaluationResult(task.index, outputs, censored, tuple(failures))


def _evaluate_row(task: EvaluationTask, values: np.ndarray, outputs: np.ndarray,
                  censored: np.ndarray) -> str:
    try:
        catalog = task.catalog.with_values(dict(zip(task.names, values.tolist(), strict=True)))
        patient = typical_patient(catalog, task.population.disease, task.population.covariates)
        runs = run_arms(task.arms, patient, catalog, task.t, task.settings, observables=SERIES)
    except CartsimError as error:
        return str(error)
    reasons = []
    for a, (arm, run) in enumerate(zip(task.arms, runs, strict=True)):
        if not run.ok:
            reasons.append(f'arm "{arm.name}": ' + "; ".join(run.attempts))
            continue
        ends = arm_endpoints(run.t, run.observables, NO_RELAPSES, run.last_dose_day,
                             isinstance(arm.therapy, CarT))
        if (math.isnan(ends[CENSORED_AT_HORIZON])
                and ends["b_cell_nadir_blood_per_ul"] < B_CELL_DETECTION_LIMIT_PER_UL):
            ends[CENSORED_AT_HORIZON] = float(run.t[-1])
            censored[a] = [name == CENSORED_AT_HORIZON for name in task.endpoints]
        outputs[a] = [ends[name] for name in task.endpoints]
    return "; ".join(reasons)
