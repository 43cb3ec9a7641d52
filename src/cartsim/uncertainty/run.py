"""Run a global sensitivity analysis: design, evaluate in resumable chunks, analyse, write.

``run_sensitivity`` reads the settings from the scenario's ``[sensitivity]`` table (or a
``SensitivitySpec`` passed in), builds the problem and the Sobol design, evaluates the design
in chunks on an engine (``trials.engines``) while writing each finished chunk, and then writes

    DIR/sensitivity.parquet   one row per arm, endpoint and parameter: S1, ST, intervals, notes
    DIR/sensitivity.json      the same indices with settings, parameter ranges and provenance
    DIR/samples.parquet       the design (parameter values) and every evaluated endpoint
    DIR/sensitivity.png       the ST/S1 bar figure

The HTML report is built from these files by ``report.sensitivity_report`` (the CLI does it;
this package sits below the reports and does not import them). An interrupted run continues
with ``resume=True``. The same scenario, settings and seed give the
same numbers whatever the engine, number of workers or chunk size.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cartsim import __version__
from cartsim.errors import CartsimError
from cartsim.io.provenance import Provenance
from cartsim.io.scenario import DEFAULT_SENSITIVITY_HORIZON, Scenario, SensitivitySpec, load_scenario
from cartsim.model.parameterise import typical_patient
from cartsim.parameters import Catalog, load_catalog
from cartsim.simulation import study_grid
from cartsim.trials.engines import DaskEngine, LocalEngine
from cartsim.uncertainty.analysis import sobol_indices
from cartsim.uncertainty.evaluate import EvaluationTask, evaluate_chunk
from cartsim.uncertainty.figures import plot_indices
from cartsim.uncertainty.problem import SensitivityProblem, build_problem
from cartsim.uncertainty.sampling import sobol_design
from cartsim.uncertainty.store import SampleStore

DEFAULT_CHUNK_SIZE = 32
"""Evaluations per chunk: about 10 s of work, so an interruption loses little and per-chunk
overhead (pickling the catalogue, one file) stays small."""


@dataclass(frozen=True)
class SensitivityResult:
    """What a finished sensitivity run wrote, and its indices."""

    out: Path
    indices: pd.DataFrame
    failures: int
    files: tuple[Path, ...]


def run_sensitivity(
    scenario: Scenario | str | Path,
    out: str | Path,
    *,
    spec: SensitivitySpec | None = None,
    engine: LocalEngine | DaskEngine | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    resume: bool = False,
    catalog: Catalog | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """Run the Sobol sensitivity analysis of ``scenario`` and write its results under ``out``.

    Parameters
    ----------
    scenario:
        A Scenario or the path of a scenario file.
    out:
        Output directory (created).
    spec:
        Arms, endpoints, parameters, samples, seed and horizon; by default the scenario's
        ``[sensitivity]`` table (see ``io.scenario.parse_sensitivity``).
    engine:
        ``LocalEngine(workers=N)`` (default, one process) or ``DaskEngine(address, workers)``.
    chunk_size:
        Evaluations per chunk on disk.
    resume:
        Continue an interrupted run in ``out`` (the same scenario and settings).
    catalog:
        The parameter catalogue; by default the bundled one.
    progress:
        Called as ``progress(evaluations_done, evaluations_total)`` after each chunk.

    Examples
    --------
    >>> from cartsim.io.scenario import SensitivitySpec
    >>> spec = SensitivitySpec(parameters=("k_cns_exit", "k_kill_cart"), samples=4,
    ...                        horizon_days=30.0)
    >>> result = run_sensitivity("scenarios/ms_cd19_vs_ocrelizumab.toml", "results/sa",
    ...                          spec=spec)  # doctest: +SKIP
    >>> sorted(result.indices.columns)[:2]  # doctest: +SKIP
    ['S1', 'S1_conf']
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if chunk_size < 1:
        raise CartsimError(f"chunk size must be at least 1, not {chunk_size}")
    spec = spec or scenario.sensitivity
    catalog = catalog or load_catalog()
    engine = engine or LocalEngine()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seed = scenario.seed if spec.seed is None else spec.seed
    horizon = spec.horizon_days or min(scenario.horizon_days, DEFAULT_SENSITIVITY_HORIZON)
    arms = (tuple(a for a in scenario.arms if a.name in spec.arms) if spec.arms
            else scenario.arms[:1])
    population = scenario.population
    problem = build_problem(catalog, population.disease, spec.parameters)
    design = sobol_design(problem, spec.samples, seed)
    t = study_grid(arms, typical_patient(catalog, population.disease, population.covariates),
                   catalog, horizon)
    settings = scenario.solver
    solver = {"backend": settings.backend, "rtol": settings.rtol, "atol": settings.atol}
    manifest = {"scenario_digest": scenario.digest, "seed": seed, "arms": [a.name for a in arms],
                "endpoints": list(spec.endpoints), "parameters": list(problem.names),
                "samples": spec.samples, "horizon_days": horizon, "chunk_size": chunk_size,
                "parameter_digest": catalog.digest(), "cartsim_version": __version__,
                "solver": solver}
    store = SampleStore(out)
    store.start(manifest, resume)
    done = store.done()
    n_chunks = math.ceil(len(design) / chunk_size)
    tasks = [EvaluationTask(c, design[c * chunk_size:(c + 1) * chunk_size], problem.names, arms,
                            population, catalog, settings, t, spec.endpoints)
             for c in range(n_chunks) if c not in done]
    finished = len(design) - sum(len(task.values) for task in tasks)
    if progress:
        progress(finished, len(design))
    for result in engine.map(evaluate_chunk, tasks):
        store.write(result)
        finished += len(result.failures)
        if progress:
            progress(finished, len(design))
    evaluated = store.results()
    names = [a.name for a in arms]
    indices = sobol_indices(problem, evaluated.outputs, evaluated.censored, names, spec.endpoints,
                            seed)
    provenance = Provenance(__version__, catalog.digest(), scenario.name, scenario.digest, seed,
                            solver)
    failures = sum(1 for f in evaluated.failures if f)
    units = {name: catalog.record(name).unit for name in problem.names}
    files = _write(out, indices, problem, units, design, evaluated.outputs, evaluated.failures,
                   names, spec.endpoints, manifest, provenance, failures)
    return SensitivityResult(out, indices, failures, files)


def _write(out: Path, indices: pd.DataFrame, problem: SensitivityProblem, units: dict[str, str],
           design: np.ndarray,
           outputs: np.ndarray, failures: tuple[str, ...], arms: list[str],
           endpoints: tuple[str, ...], manifest: dict[str, object], provenance: Provenance,
           n_failed: int) -> tuple[Path, ...]:
    stamp = json.dumps(provenance.as_json_dict(), sort_keys=True)
    indices.attrs["provenance"] = stamp
    indices.to_parquet(out / "sensitivity.parquet", index=False)
    samples = pd.DataFrame(design, columns=list(problem.names))
    for a, arm in enumerate(arms):
        for e, endpoint in enumerate(endpoints):
            samples[f"{arm}: {endpoint}"] = outputs[:, a, e]
    samples["failure"] = list(failures)
    samples.attrs["provenance"] = stamp
    samples.to_parquet(out / "samples.parquet", index=False)
    ranges = {r.name: {"lower": r.lower, "upper": r.upper, "unit": units[r.name],
                       "scale": "log-uniform" if r.log else "uniform"} for r in problem.ranges}
    records = indices.astype(object).where(indices.notna(), None).to_dict(orient="records")
    summary = {"settings": manifest, "parameters": ranges, "evaluations": len(design),
               "failed_evaluations": n_failed, "indices": records,
               "provenance": provenance.as_json_dict()}
    (out / "sensitivity.json").write_text(json.dumps(summary, indent=2, allow_nan=False))
    figure = plot_indices(indices, out / "sensitivity.png")
    return (out / "sensitivity.parquet", out / "sensitivity.json", out / "samples.parquet", figure)
