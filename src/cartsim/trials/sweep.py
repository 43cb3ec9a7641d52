"""A robustness sweep: patients whose parameters span the catalogue bounds, run as a trial runs.

Swept patient ``i`` is the scenario's typical patient with every model parameter that is not
derived drawn within its record's bounds by the rule of ``parameters.ranges`` (log-uniform for a
positive range wider than a decade, uniform otherwise), from the
stream ``numpy.random.default_rng([seed, i])``, so the sweep visits corners no published patient
reaches. Every swept patient gets every arm of the scenario (the arms share the patient's
untreated steady state), in chunks on an engine, written to ``DIR/chunks/`` as they finish
(resumable like a trial) and merged into ``DIR/patients.parquet``. ``sweep_outcomes`` then
classifies every patient-arm as ``first_try``, ``retried`` (integrated after failed attempts) or
``failed``, and checks that nothing failed silently. This module draws parameters and reads
results; the integration is the trial's ``run_chunk``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from cartsim import __version__
from cartsim.errors import CartsimError
from cartsim.io.scenario import Scenario
from cartsim.model.layout import CATALOG_PARAMETERS
from cartsim.model.parameterise import typical_patient
from cartsim.parameters import Catalog
from cartsim.parameters.ranges import parameter_range
from cartsim.parameters.records import ParameterRecord
from cartsim.population import VirtualPatient
from cartsim.simulation import study_grid
from cartsim.solve.retry import retry_settings
from cartsim.trials.chunk import ChunkTask, run_chunk
from cartsim.trials.engines import DaskEngine, LocalEngine
from cartsim.trials.store import ChunkStore

ALWAYS_DEFINED = ("b_cell_nadir_blood_per_ul", "b_cell_depletion_pct_lymph_node",
                  "b_cell_depletion_pct_cns", "igg_nadir_pct_of_baseline", "nfl_change_pct",
                  "annualized_relapse_rate")
"""Endpoints every integrated patient-arm has: a NaN in one of them is a silent failure."""


def swept_values(catalog: Catalog, seed: int, index: int) -> dict[str, float]:
    """Values of swept patient ``index``: each non-derived model parameter across its bounds.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> values = swept_values(load_catalog(), 7, 0)
    >>> values == swept_values(load_catalog(), 7, 0)
    True
    """
    ranges = [parameter_range(catalog, name) for name, _ in CATALOG_PARAMETERS
              if _varies(catalog.record(name))]
    quantiles = np.random.default_rng([seed, index]).random(len(ranges))
    return {r.name: float(r.at(q)) for r, q in zip(ranges, quantiles, strict=True)}


def _varies(record: ParameterRecord) -> bool:
    """True for a record with a range to sweep: not derived, with bounds lower < upper."""
    return (record.kind != "derived" and record.bounds is not None
            and record.bounds[1] > record.bounds[0])


def run_sweep(scenario: Scenario, catalog: Catalog, out: Path, n_patients: int, *, seed: int = 7,
              engine: LocalEngine | DaskEngine | None = None, chunk_size: int = 10,
              resume: bool = False, progress: Callable[[int, int], None] | None = None) -> Path:
    """Run ``n_patients`` swept patients through every arm of ``scenario``; return patients.parquet.

    Examples
    --------
    >>> from cartsim.io.scenario import load_scenario
    >>> from cartsim.parameters import load_catalog
    >>> path = run_sweep(load_scenario("scenarios/ms_cd19_vs_ocrelizumab.toml"), load_catalog(),
    ...                  Path("results/sweep"), 4)  # doctest: +SKIP
    """
    if n_patients < 1 or chunk_size < 1:
        raise CartsimError(f"a sweep needs at least 1 patient and a chunk size of at least 1, "
                           f"not {n_patients} and {chunk_size}")
    engine = engine or LocalEngine()
    population = scenario.population
    patient = typical_patient(catalog, population.disease, population.covariates)
    t = study_grid(scenario.arms, patient, catalog, scenario.horizon_days)
    out.mkdir(parents=True, exist_ok=True)
    store = ChunkStore(out)
    store.start({"sweep_of": scenario.digest, "seed": seed, "n_patients": n_patients,
                 "chunk_size": chunk_size, "parameter_digest": catalog.digest(),
                 "cartsim_version": __version__}, resume)
    done = store.done()
    every_arm = tuple(range(len(scenario.arms)))

    def tasks() -> Iterator[ChunkTask]:
        for c in range(math.ceil(n_patients / chunk_size)):
            if c in done:
                continue
            indices = range(c * chunk_size, min((c + 1) * chunk_size, n_patients))
            patients = tuple(VirtualPatient(i, patient, MappingProxyType(swept_values(catalog, seed, i)))
                             for i in indices)
            yield ChunkTask(c, patients, (every_arm,) * len(patients), scenario.arms,
                            scenario.solver, seed, catalog, t, False)

    finished = sum(min(chunk_size, n_patients - c * chunk_size) for c in done)
    for result in engine.map(run_chunk, tasks()):
        store.write(result)
        finished += len(set(result.rows["patient"]))
        if progress:
            progress(finished, n_patients)
    path = out / "patients.parquet"
    store.merge(".rows.parquet", path, lambda rows: rows)
    return path


@dataclass(frozen=True)
class SweepOutcomes:
    """Per-arm counts of a sweep and every way it could have failed silently."""

    counts: pd.DataFrame
    rescued_by: pd.DataFrame
    unreported: list[str]


def sweep_outcomes(patients: Path, scenario: Scenario, n_patients: int) -> SweepOutcomes:
    """Classify every patient-arm of a sweep and list what is missing or failed silently.

    ``counts``: per arm, patient-arms integrated at the first try, retried (integrated after
    failed attempts), failed (with a reason). ``rescued_by``: per arm, how many were integrated
    by each retry setting. ``unreported``: one sentence per problem (a patient-arm missing, a
    status other than ok/failed, a failure without a reason, a NaN endpoint of an integrated
    patient-arm); empty when every failure is reported.
    """
    rows = pd.read_parquet(patients, columns=["patient", "arm", "status", "reason", "attempts",
                                              *ALWAYS_DEFINED])
    arms = [a.name for a in scenario.arms]
    outcome = np.select([(rows["status"] == "ok") & (rows["attempts"] == 1),
                         rows["status"] == "ok", rows["status"] == "failed"],
                        ["first_try", "retried", "failed"], "unknown")
    counts = (pd.crosstab(rows["arm"], pd.Series(outcome, name="outcome"))
              .reindex(index=arms, columns=["first_try", "retried", "failed"], fill_value=0))
    settings = retry_settings(scenario.solver)
    labels = [f"attempt {k + 1}: {s.backend} rtol={s.rtol:g}" for k, s in enumerate(settings)]
    retried = rows[outcome == "retried"]
    rescued_by = (pd.crosstab(retried["arm"], retried["attempts"].map(lambda k: labels[k - 1]))
                  .reindex(index=arms, columns=labels[1:], fill_value=0))
    unreported = []
    expected = n_patients * len(arms)
    if len(rows) != expected or rows[["patient", "arm"]].duplicated().any():
        unreported.append(f"{len(rows)} patient-arm rows (unique: "
                          f"{len(rows[['patient', 'arm']].drop_duplicates())}), not {expected}")
    unknown = rows[outcome == "unknown"]
    unreported += [f"patient {p} {a}: status {s!r}" for p, a, s in
                   unknown[["patient", "arm", "status"]].itertuples(index=False)]
    silent = rows[(outcome == "failed") & (rows["reason"].fillna("").str.strip() == "")]
    unreported += [f"patient {p} {a}: failed without a reason" for p, a in
                   silent[["patient", "arm"]].itertuples(index=False)]
    integrated = rows[outcome != "failed"]
    for name in ALWAYS_DEFINED:
        for p, a in integrated[~np.isfinite(integrated[name])][["patient", "arm"]].itertuples(index=False):
            unreported.append(f"patient {p} {a}: {name} is NaN although integrated")
    return SweepOutcomes(counts, rescued_by, unreported)

