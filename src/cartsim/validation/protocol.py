"""Simulate a validation protocol: the typical patient or the virtual cohort of a scenario.

``simulate_protocol`` integrates the requested arms of a scenario for either the typical patient
of its disease (with the scenario's covariate overrides) or the virtual cohort the scenario
describes (``n_patients`` screened with its ``seed``, each with sampled covariates and
parameter variability, as in a virtual trial), and returns each patient's daily observables.
Patients whose integration fails are counted with their reason, never silently dropped. Results
are kept per (scenario, patients, arms) by ``ProtocolCache`` so that cases sharing a protocol
simulate it once. This module orchestrates existing layers; it computes no dynamics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cartsim.errors import CartsimError
from cartsim.io.scenario import Scenario
from cartsim.model.parameterise import typical_patient
from cartsim.model.patient import Patient
from cartsim.parameters import Catalog
from cartsim.population import screen
from cartsim.simulation import run_arms, study_grid
from cartsim.validation.readouts import PatientSeries


@dataclass(frozen=True)
class ProtocolRun:
    """Daily observables of every successfully integrated patient, and the failures."""

    scenario: Scenario
    patients: str
    series: tuple[dict[str, PatientSeries], ...]
    failures: tuple[str, ...]


def simulate_protocol(scenario: Scenario, patients: str, arms: Sequence[str], catalog: Catalog
                      ) -> ProtocolRun:
    """Integrate ``arms`` of ``scenario`` for the ``"typical"`` patient or the ``"cohort"``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> from cartsim.validation.cases import SCENARIO_DIR
    >>> from cartsim.io.scenario import load_scenario
    >>> s = load_scenario(SCENARIO_DIR / "ms_ahsct_cy_atg.toml")
    >>> run = simulate_protocol(s, "typical", ["aHSCT"], load_catalog())  # doctest: +SKIP
    >>> len(run.series)  # doctest: +SKIP
    1
    """
    chosen = tuple(a for a in scenario.arms if a.name in arms)
    population = scenario.population
    if patients == "typical":
        people: list[tuple[Patient, Catalog]] = [
            (typical_patient(catalog, population.disease, population.covariates), catalog)]
    else:
        enrolled = screen(catalog, population, scenario.seed, population.n_patients).patients
        people = [(vp.patient, catalog.with_values(vp.parameter_values)) for vp in enrolled]
    t = study_grid(chosen, people[0][0], catalog, scenario.horizon_days)
    series, failures = [], []
    for index, (patient, own) in enumerate(people):
        try:
            runs = run_arms(chosen, patient, own, t, scenario.solver)
        except CartsimError as error:
            failures.append(f"patient {index}: {error}")
            continue
        failed = [r for r in runs if not r.ok]
        if failed:
            failures.append(f"patient {index}, arm {failed[0].name}: {'; '.join(failed[0].attempts)}")
            continue
        series.append({r.name: PatientSeries(t, r.observables, None, own, r.doses)
                       for r in runs})
    return ProtocolRun(scenario, patients, tuple(series), tuple(failures))


@dataclass
class ProtocolCache:
    """Protocol runs already simulated in this session, by (scenario digest, patients, arms)."""

    catalog: Catalog
    runs: dict[tuple[str, str, tuple[str, ...]], ProtocolRun] = field(default_factory=dict)

    def get(self, scenario: Scenario, patients: str) -> ProtocolRun:
        """The run of every arm of ``scenario`` (so other cases can reuse it) for ``patients``."""
        names = tuple(a.name for a in scenario.arms)
        key = (scenario.digest, patients, names)
        if key not in self.runs:
            self.runs[key] = simulate_protocol(scenario, patients, names, self.catalog)
        return self.runs[key]
