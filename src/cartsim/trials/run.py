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

An interrupted run continues with ``resume=True``; finished chunks are not run again. Same
scenario and seed give the same numbers whatever the engine, number of workers or chunks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from cartsim import __version__
from cartsim.errors import CartsimError
from cartsim.io.scenario import Scenario, load_scenario
from cartsim.model.parameterise import typical_patient
from cartsim.parameters import Catalog, load_catalog
from cartsim.population import Screening, screen, screen_cohorts
from cartsim.report.trial_report import write_trial_report
from cartsim.simulation import study_grid
from cartsim.solve.settings import SolverSettings
from cartsim.trials.chunk import ChunkTask, run_chunk
from cartsim.trials.engines import DaskEngine, LocalEngine
from cartsim.trials.randomise import assign_arms
from cartsim.trials.store import ChunkStore, create_trajectories, write_trajectories
from cartsim.trials.summaries import arm_summary

DEFAULT_CHUNK_SIZE = 25
"""Patients per chunk: small enough that a chunk finishes in seconds and an interruption loses
little, large enough that per-chunk overhead (pickling the catalogue, writing four files) is
negligible next to the integration."""


@dataclass(frozen=True)
class TrialResult:
    """What a finished trial wrote, and its per-arm endpoints."""

    out: Path
    endpoints: dict[str, object]
    screening: Screening
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
        cohorts = [(arm.name, scenario.population_of(k)) for k, arm in enumerate(scenario.arms)]
        screening, assignments = screen_cohorts(catalog, cohorts, seed, n_patients)
    else:
        screening = screen(catalog, population, seed, population.n_patients)
        assignments = assign_arms(screening.enrolled, len(scenario.arms), scenario.design, seed)
    enrolled = screening.patients
    t = study_grid(scenario.arms, typical_patient(catalog, population.disease, population.covariates),
                   catalog, scenario.horizon_days)
    manifest = {"scenario_digest": scenario.digest, "seed": seed, "n_patients": len(enrolled),
                "chunk_size": chunk_size,
                "design": "cohorts" if scenario.has_cohorts else scenario.design,
                "parameter_digest": catalog.digest(), "cartsim_version": __version__,
                "solver": {"backend": settings.backend, "rtol": settings.rtol, "atol": settings.atol}}
    store = ChunkStore(out)
    store.start(manifest, resume)
    if trajectories:
        create_trajectories(out, len(enrolled), [a.name for a in scenario.arms], t, chunk_size)
    done = store.done()
    tasks = [
        ChunkTask(index=c, patients=tuple(enrolled[c * chunk_size:(c + 1) * chunk_size]),
                  assignments=tuple(assignments[c * chunk_size:(c + 1) * chunk_size]),
                  arms=scenario.arms, settings=settings, seed=seed, catalog=catalog, t=t,
                  keep_trajectories=trajectories)
        for c in range(math.ceil(len(enrolled) / chunk_size)) if c not in done
    ]
    finished = sum(min(chunk_size, len(enrolled) - c * chunk_size) for c in done)
    if progress:
        progress(finished, len(enrolled))
    for result in engine.map(run_chunk, tasks):
        if trajectories and result.trajectories is not None:
            write_trajectories(out, result.index * chunk_size, result.trajectories)
        store.write(result)
        finished += len(set(result.rows["patient"])) if len(result.rows) else 0
        if progress:
            progress(finished, len(enrolled))
    return _finish(scenario, out, store, screening, seed, manifest)


def _finish(scenario: Scenario, out: Path, store: ChunkStore, screening: Screening, seed: int,
            manifest: dict[str, object]) -> TrialResult:
    arm_order = {a.name: i for i, a in enumerate(scenario.arms)}
    rows = store.rows()
    rows = rows.sort_values(["patient", "arm"], key=lambda s: s.map(arm_order) if s.name == "arm" else s,
                            kind="stable", ignore_index=True)
    rows.to_parquet(out / "patients.parquet", index=False)
    events = store.events().sort_values(["patient", "arm", "day", "event"], kind="stable",
                                        ignore_index=True)
    events.to_parquet(out / "events.parquet", index=False)
    ok = rows[rows["status"] == "ok"]
    endpoints = {
        "scenario": scenario.name,
        "seed": seed,
        "cartsim_version": __version__,
        "arms": {
            arm.name: {"n_patients": int((rows["arm"] == arm.name).sum()),
                       "endpoints": arm_summary(ok[ok["arm"] == arm.name])}
            for arm in scenario.arms
        },
        "provenance": manifest,
    }
    (out / "endpoints.json").write_text(json.dumps(endpoints, indent=2, allow_nan=False))
    (out / "screening.json").write_text(json.dumps(screening.as_dict(), indent=2))
    write_trial_report(out, scenario, rows, events, store.counts(), endpoints, screening)
    return TrialResult(out, endpoints, screening, int((rows["status"] != "ok").sum()))

