"""Single-patient simulation: every arm of a scenario for one (typical or given) patient.

``simulate`` builds the patient (typical for the disease, with the scenario's covariate
overrides, or one passed in), finds the untreated steady state, compiles each arm into
parameters and events, integrates all arms on one daily time grid (from the earliest
conditioning day to the horizon) and returns a labelled xarray Dataset of observables with
units and provenance. It is a thin orchestration of the layers below; it computes no dynamics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from cartsim import __version__
from cartsim.errors import SolverError
from cartsim.io.provenance import Provenance
from cartsim.io.scenario import Scenario, load_scenario
from cartsim.model.observables import OBSERVABLES, compute_observables
from cartsim.model.parameterise import initial_guess, parameter_vector, typical_patient
from cartsim.model.patient import Patient
from cartsim.model.states import SCALE_FLOOR
from cartsim.parameters import Catalog, load_catalog
from cartsim.solve.engine import Problem, integrate
from cartsim.solve.settings import SolverSettings
from cartsim.solve.steady_state import Baseline, untreated_baseline
from cartsim.therapies.compile import compile_arm


def patient_baseline(catalog: Catalog, patient: Patient) -> Baseline:
    """The untreated steady state and parameter vector of ``patient``."""
    p = parameter_vector(catalog, patient)
    return untreated_baseline(p, initial_guess(catalog, patient, p), patient.bcell_blood_per_ul)


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
    baseline = patient_baseline(catalog, patient)
    horizon = scenario.horizon_days
    compiled = [compile_arm(arm.therapy, patient, catalog, baseline.parameters, horizon)
                for arm in scenario.arms]
    start = np.floor(min(c.first_day for c in compiled))
    t_out = np.arange(start, np.floor(horizon) + 1.0)
    scale = np.maximum(np.abs(baseline.state), SCALE_FLOOR)
    series: dict[str, list[np.ndarray]] = {o.name: [] for o in OBSERVABLES}
    for arm, arm_compiled in zip(scenario.arms, compiled, strict=True):
        problem = Problem(baseline.state, arm_compiled.parameters, scale, t_out,
                          arm_compiled.event_times, arm_compiled.event_states,
                          arm_compiled.event_amounts)
        trajectory = integrate(problem, settings)
        if trajectory.status != 0:
            raise SolverError(f'{scenario.source}: arm "{arm.name}" could not be integrated: '
                              f"{trajectory.message}")
        for name, values in compute_observables(trajectory.y, arm_compiled.parameters,
                                                baseline.state).items():
            series[name].append(values)
    data = {
        o.name: (("arm", "time"), np.vstack(series[o.name]),
                 {"units": o.unit, "long_name": o.description})
        for o in OBSERVABLES
    }
    provenance = Provenance(
        cartsim_version=__version__,
        parameter_digest=catalog.digest(),
        scenario_name=scenario.name,
        scenario_digest=scenario.digest,
        seed=scenario.seed,
        solver={"backend": settings.backend, "rtol": settings.rtol, "atol": settings.atol},
    )
    coords = {"arm": [a.name for a in scenario.arms],
              "time": ("time", t_out, {"units": "day", "long_name": "days after infusion"})}
    return xr.Dataset(data, coords=coords, attrs=provenance.as_attrs())
