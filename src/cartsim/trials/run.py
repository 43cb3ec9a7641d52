"""Run a virtual trial: screen, randomise, simulate in chunks, summarise, report.

``run_trial`` screens virtual patients against the scenario's eligibility criteria, assigns
arms (permuted blocks for a parallel design; every arm for a crossover "digital twin" design),
cuts the enrolled patients into chunks, runs the chunks on an engine with a progress bar while
writing each finished chunk to disk, and, once all are done, writes

    DIR/patients.parquet   one row per patient and arm: covariates, endpoints, status
    DIR/events.parquet     relapses, B-cell reappearance, CRS/ICANS episodes (day, grade)
    DIR/endpoints.json     per-arm endpoint summaries (stable layout, see ``summaries``)
    DIR/screening.json     the screening log
    DIR/report.html        figures and tables

With parameter uncertainty (``[trial] parameter_uncertainty = true`` or the argument), each
enrolled patient also draws the assumed model parameters from their ranges on its own stream
(``population.parameter_uncertainty``), so spreads include both sources of variation.
An interrupted run continues with ``resume=True``; finished chunks are not run again. Same
scenario and seed give the same numbers whatever the engine, number of workers or chunks.

Memory is bounded by the chunk size, not by the number of patients: screening keeps only the
enrolled indices, chunks are built (patients drawn, arms assigned) only as the engine takes
them, finished chunks go to disk, the Parquet tables are merged a chunk at a time, and the
summaries and the report read only the columns they need from the merged files. What still
grows with the number of patients is a few numbers per patient: the enrolled index, and the
one endpoint column (plus arm and status) that a summary reads at a time, because exact
quantiles need every value (8 bytes per patient, under a megabyte at 1e5 patients).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from cartsim import __version__
from cartsim.errors import CartsimError
from cartsim.io.scenario import Scenario, load_scenario
from cartsim.model.parameterise import typical_patient
from cartsim.parameters import Catalog, load_catalog
from cartsim.parameters.ranges import parameter_range
from cartsim.population import CohortScreening, Screening, VirtualPatient, screen, screen_cohorts
from cartsim.population.parameter_uncertainty import (
    default_uncertain_parameters,
    with_parameter_uncertainty,
)
from cartsim.report.trial_report import write_trial_report
from cartsim.simulation import study_grid
from cartsim.solve.settings import SolverSettings
from cartsim.trials.chunk import ChunkTask, run_chunk
from cartsim.trials.engines import DaskEngine, LocalEngine
from cartsim.trials.randomise import assign_arms
from cartsim.trials.store import ChunkStore, create_trajectories, write_trajectories
from cartsim.trials.summaries import trial_failures, trial_summaries

DEFAULT_CHUNK_SIZE = 25
"""Patients per chunk: small enough that a chunk finishes in seconds and an interruption loses
little, large enough that per-chunk overhead (pickling the catalogue, writing four files) is
negligible next to the integration."""


@dataclass(frozen=True)
class TrialResult:
    """What a finished trial wrote, and its per-arm endpoints."""

    out: Path
    endpoints: dict[str, object]
    screening: Screening | CohortScreening
    failures: int


def run_trial(
    scenario: Scenario | str | Path,
    out: str | Path,
    *,
    n_patients: int | None = None,
    seed: int | None = None,
    settings: SolverSettings | None = None,
    engine: LocalEngine | DaskEngine | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    resume: bool = False,
    trajectories: bool = False,
    parameter_uncertainty: bool | None = None,
    catalog: Catalog | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TrialResult:
    """Run the virtual trial of ``scenario`` and write its results under ``out``.

    Parameters
    ----------
    scenario:
        A Scenario or the path of a scenario file.
    out:
        Output directory (created).
    n_patients, seed, settings:
        Override the scenario's number of enrolled patients, seed and solver settings.
    engine:
        ``LocalEngine(workers=N)`` (default, one process) or ``DaskEngine(address, workers)``.
    chunk_size:
        Patients per chunk.
    resume:
        Continue an interrupted run in ``out`` (the same scenario, seed and size).
    trajectories:
        Also write daily endpoint series to ``out/trajectories.zarr``.
    parameter_uncertainty:
        Give each patient its own draw of the assumed model parameters; by default the
        scenario's ``[trial] parameter_uncertainty``.
    catalog:
        The parameter catalogue; by default the bundled one.
    progress:
        Called as ``progress(patients_done, patients_total)`` after each chunk.

    Examples
    --------
    >>> result = run_trial("scenarios/ms_cd19_vs_ocrelizumab.toml", "results/trial",
    ...                    n_patients=8)  # doctest: +SKIP
    >>> result.endpoints["arms"]["CD19 CAR-T"]["n_patients"]  # doctest: +SKIP
    2
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if chunk_size < 1:
        raise CartsimError(f"chunk size must be at least 1, not {chunk_size}")
    population = scenario.population
    if n_patients is not None:
        if n_patients < 1:
            raise CartsimError(f"the number of patients must be at least 1, not {n_patients}")
        population = replace(population, n_patients=n_patients)
    seed = scenario.seed if seed is None else seed
    settings = settings or scenario.solver
    catalog = catalog or load_catalog()
    engine = engine or LocalEngine()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    if scenario.has_cohorts:
        screening = screen_cohorts(
            catalog, [(arm.name, scenario.population_of(k)) for k, arm in enumerate(scenario.arms)],
            seed, n_patients)
        arms_between = screening.arms_between
    else:
        screening = screen(catalog, population, seed, population.n_patients)

        def arms_between(start: int, stop: int) -> tuple[tuple[int, ...], ...]:
            return tuple(assign_arms(stop, len(scenario.arms), scenario.design, seed, start=start))
    n = screening.enrolled
    if parameter_uncertainty is None:
        parameter_uncertainty = scenario.parameter_uncertainty
    ranges = ([parameter_range(catalog, name)
               for name in default_uncertain_parameters(catalog, population.disease)]
              if parameter_uncertainty else [])

    def enrolled(start: int, stop: int) -> tuple[VirtualPatient, ...]:
        patients = screening.patients_between(start, stop)
        if not ranges:
            return patients
        return tuple(with_parameter_uncertainty(vp, catalog, ranges, seed) for vp in patients)
    t = study_grid(scenario.arms, typical_patient(catalog, population.disease, population.covariates),
                   catalog, scenario.horizon_days)
    manifest = {"scenario_digest": scenario.digest, "seed": seed, "n_patients": n,
                "chunk_size": chunk_size,
                "design": "cohorts" if scenario.has_cohorts else scenario.design,
                "parameter_uncertainty": parameter_uncertainty,
                "parameter_digest": catalog.digest(), "cartsim_version": __version__,
                "solver": {"backend": settings.backend, "rtol": settings.rtol, "atol": settings.atol}}
    store = ChunkStore(out)
    store.start(manifest, resume)
    if trajectories:
        create_trajectories(out, n, [a.name for a in scenario.arms], t, chunk_size)
    done = store.done()

    def tasks() -> Iterator[ChunkTask]:
        for c in range(math.ceil(n / chunk_size)):
            if c in done:
                continue
            start, stop = c * chunk_size, min((c + 1) * chunk_size, n)
            yield ChunkTask(index=c, patients=enrolled(start, stop),
                            assignments=arms_between(start, stop),
                            arms=scenario.arms, settings=settings, seed=seed, catalog=catalog, t=t,
                            keep_trajectories=trajectories)

    finished = sum(min(chunk_size, n - c * chunk_size) for c in done)
    if progress:
        progress(finished, n)
    for result in engine.map(run_chunk, tasks()):
        if trajectories and result.trajectories is not None:
            write_trajectories(out, result.index * chunk_size, result.trajectories)
        store.write(result)
        finished += len(set(result.rows["patient"])) if len(result.rows) else 0
        if progress:
            progress(finished, n)
    return _finish(scenario, out, store, screening, seed, manifest)


def _finish(scenario: Scenario, out: Path, store: ChunkStore, screening: Screening | CohortScreening,
            seed: int,
            manifest: dict[str, object]) -> TrialResult:
    arm_order = {a.name: i for i, a in enumerate(scenario.arms)}
    patients, events = out / "patients.parquet", out / "events.parquet"
    store.merge(".rows.parquet", patients, lambda rows: rows.sort_values(
        ["patient", "arm"], key=lambda s: s.map(arm_order) if s.name == "arm" else s, kind="stable",
        ignore_index=True))
    store.merge(".events.parquet", events, lambda table: table.sort_values(
        ["patient", "arm", "day", "event"], kind="stable", ignore_index=True))
    endpoints = {
        "scenario": scenario.name,
        "seed": seed,
        "cartsim_version": __version__,
        "arms": trial_summaries(patients, [arm.name for arm in scenario.arms]),
        "provenance": manifest,
    }
    (out / "endpoints.json").write_text(json.dumps(endpoints, indent=2, allow_nan=False))
    (out / "screening.json").write_text(json.dumps(screening.as_dict(), indent=2))
    write_trial_report(out, scenario, store.counts(), endpoints, screening)
    return TrialResult(out, endpoints, screening, trial_failures(patients))
