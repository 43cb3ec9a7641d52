"""Single-patient simulation: every arm of a scenario for one (typical or given) patient.

``simulate`` builds the patient (typical for the disease, with the scenario's covariate
overrides, or one passed in), finds the untreated steady state, compiles each arm into
parameters and events, integrates all arms on one daily time grid (from the earliest
conditioning day to the horizon) and returns a labelled xarray Dataset of observables with
units and provenance. CAR-T arms managed by the guidance (``managed``) also report the
tocilizumab and dexamethasone doses given, per day and in the ``management_doses`` attribute.
``run_arms`` is the shared core, also used per patient by virtual trials.
It is a thin orchestration of the layers below; it computes no dynamics.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from cartsim import __version__
from cartsim.errors import SolverError
from cartsim.io.provenance import Provenance
from cartsim.io.scenario import Scenario, load_scenario
from cartsim.managed import ManagementContext, integrate_managed
from cartsim.model.observables import OBSERVABLES, compute_observables
from cartsim.model.parameterise import initial_guess, parameter_vector, typical_patient
from cartsim.model.patient import Patient
from cartsim.model.states import SCALE_FLOOR
from cartsim.parameters import Catalog, load_catalog
from cartsim.solve.engine import Problem
from cartsim.solve.retry import integrate_with_retries
from cartsim.solve.settings import SolverSettings
from cartsim.solve.steady_state import Baseline, untreated_baseline
from cartsim.therapies.compile import CompiledArm, compile_arm
from cartsim.therapies.management import (
    DEXAMETHASONE,
    TOCILIZUMAB,
    ManagementDose,
    first_dose_time,
)
from cartsim.therapies.regimens import NO_MANAGEMENT, Arm, CarT


def patient_baseline(catalog: Catalog, patient: Patient) -> Baseline:
    """The untreated steady state and parameter vector of ``patient``."""
    p = parameter_vector(catalog, patient)
    return untreated_baseline(p, initial_guess(catalog, patient, p), patient.bcell_blood_per_ul)


@dataclass(frozen=True)
class ArmRun:
    """One arm integrated for one patient: observables on the daily grid, or the failure.

    ``observables`` maps names to arrays on ``t``; they are NaN when ``ok`` is false, and
    ``attempts`` says what was tried and why it failed. ``managed`` is true for a CAR-T arm
    whose CRS/ICANS is managed by the guidance; ``doses`` are the tocilizumab and
    dexamethasone given, ``management_rounds`` the re-integrations they took and
    ``management_complete`` false when the round limit cut management short.
    """

    name: str
    t: np.ndarray
    observables: Mapping[str, np.ndarray]
    attempts: tuple[str, ...]
    ok: bool
    last_dose_day: float | None
    managed: bool = False
    doses: tuple[ManagementDose, ...] = ()
    management_rounds: int = 0
    management_complete: bool = True

    @property
    def first_dose_time(self) -> float:
        """Time of the first management dose (fever is masked after it), ``inf`` without one."""
        return first_dose_time(self.doses)


def study_grid(arms: Sequence[Arm], patient: Patient, catalog: Catalog, horizon: float) -> np.ndarray:
    """The daily output grid of a study: from the earliest conditioning day of any arm to ``horizon``.

    Dosing days do not depend on the patient's parameters, so one grid serves every patient.
    """
    p = parameter_vector(catalog, patient)
    first = min(compile_arm(arm.therapy, patient, catalog, p, horizon).first_day for arm in arms)
    return np.arange(np.floor(first), np.floor(horizon) + 1.0)


def arm_problems(arms: Sequence[Arm], patient: Patient, catalog: Catalog, t_out: np.ndarray
                 ) -> tuple[Baseline, list[tuple[CompiledArm, Problem]]]:
    """The untreated baseline of ``patient`` and each arm's compiled therapy and integration problem.

    Every arm starts from the untreated steady state on the daily grid ``t_out`` (last day =
    horizon), with states scaled by their baseline values.
    """
    baseline = patient_baseline(catalog, patient)
    horizon = float(t_out[-1])
    scale = np.maximum(np.abs(baseline.state), SCALE_FLOOR)
    problems = []
    for arm in arms:
        compiled = compile_arm(arm.therapy, patient, catalog, baseline.parameters, horizon)
        problems.append((compiled, Problem(baseline.state, compiled.parameters, scale, t_out,
                                           compiled.event_times, compiled.event_states,
                                           compiled.event_amounts)))
    return baseline, problems


def run_arms(
    arms: Sequence[Arm],
    patient: Patient,
    catalog: Catalog,
    t_out: np.ndarray,
    settings: SolverSettings,
    *,
    observables: Sequence[str] | None = None,
) -> list[ArmRun]:
    """Integrate ``arms`` for ``patient`` from the untreated steady state, with retries.

    Outputs are on the daily grid ``t_out`` (see :func:`study_grid`), whose last day is the
    horizon; ``observables`` selects which observables to compute (all by default).
    """
    baseline, problems = arm_problems(arms, patient, catalog, t_out)
    runs = []
    for arm, (compiled, problem) in zip(arms, problems, strict=True):
        therapy = arm.therapy
        if isinstance(therapy, CarT) and therapy.management != NO_MANAGEMENT:
            context = ManagementContext.build(catalog, patient.weight_kg, therapy.infusion_day,
                                              baseline.state, therapy.management)
            managed = integrate_managed(problem, settings, context)
            attempted = managed.attempted
            management = {"managed": True, "doses": managed.doses,
                          "management_rounds": managed.rounds,
                          "management_complete": managed.complete}
        else:
            attempted, management = integrate_with_retries(problem, settings), {}
        values = compute_observables(attempted.trajectory.y, compiled.parameters,
                                     baseline.state, observables)
        runs.append(ArmRun(arm.name, t_out, values, attempted.attempts, attempted.ok,
                           compiled.last_dose_day, **management))
    return runs


def simulate(
    scenario: Scenario | str | Path,
    *,
    patient: Patient | None = None,
    catalog: Catalog | None = None,
    settings: SolverSettings | None = None,
) -> xr.Dataset:
    """Simulate every arm of ``scenario`` for one patient.

    Parameters
    ----------
    scenario:
        A Scenario or the path of a scenario file.
    patient:
        The patient; by default the typical patient of the scenario's disease with its
        covariate overrides.
    catalog:
        The parameter catalogue; by default the bundled one.
    settings:
        Solver settings; by default the scenario's.

    Examples
    --------
    >>> ds = simulate("scenarios/ms_cd19_vs_ocrelizumab.toml")  # doctest: +SKIP
    >>> float(ds.bcell_blood_per_ul.sel(arm="Untreated").isel(time=-1))  # doctest: +SKIP
    194.0
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    catalog = catalog or load_catalog()
    settings = settings or scenario.solver
    population = scenario.population
    patient = patient or typical_patient(catalog, population.disease, population.covariates)
    t_out = study_grid(scenario.arms, patient, catalog, scenario.horizon_days)
    runs = run_arms(scenario.arms, patient, catalog, t_out, settings)
    for run in runs:
        if not run.ok:
            raise SolverError(f'{scenario.source}: arm "{run.name}" could not be integrated: '
                              + "; ".join(run.attempts))
    data = {
        o.name: (("arm", "time"), np.vstack([run.observables[o.name] for run in runs]),
                 {"units": o.unit, "long_name": o.description})
        for o in OBSERVABLES
    }
    for drug in (TOCILIZUMAB, DEXAMETHASONE):
        data[f"{drug}_doses"] = (("arm", "time"), np.vstack([daily_dose_counts(run, drug)
                                                             for run in runs]),
                                 {"units": "1", "long_name": f"{drug} doses given that day "
                                  "to manage CRS/ICANS"})
    provenance = Provenance(
        cartsim_version=__version__,
        parameter_digest=catalog.digest(),
        scenario_name=scenario.name,
        scenario_digest=scenario.digest,
        seed=scenario.seed,
        solver={"backend": settings.backend, "rtol": settings.rtol, "atol": settings.atol},
    )
    coords = {"arm": [a.name for a in scenario.arms],
              "time": ("time", runs[0].t, {"units": "day", "long_name": "days after infusion"})}
    doses = [[run.name, d.time, d.drug, d.mg, d.reason] for run in runs for d in run.doses]
    return xr.Dataset(data, coords=coords,
                      attrs={**provenance.as_attrs(), MANAGEMENT_ATTR: json.dumps(doses)})


MANAGEMENT_ATTR = "management_doses"
"""Dataset attribute of ``simulate``: JSON list of [arm, time, drug, mg, reason], one per dose."""


def daily_dose_counts(run: ArmRun, drug: str) -> np.ndarray:
    """Doses of ``drug`` given on each day of ``run.t`` (a dose at 4.3 counts on day 4).

    Examples
    --------
    >>> run = ArmRun("a", np.arange(3.0), {}, (), True, None, True,
    ...              (ManagementDose(1.1, "tocilizumab", 560.0, 2, "CRS grade 2"),))
    >>> daily_dose_counts(run, "tocilizumab").tolist()
    [0.0, 1.0, 0.0]
    """
    days = np.floor([d.time for d in run.doses if d.drug == drug])
    return np.array([float(np.sum(days == day)) for day in run.t])
