"""Peak resident memory of a whole virtual trial against the number of patients (``make bench-memory``).

Each measurement is one call of ``run_trial`` on the default scenario (summaries only, no
trajectories, one worker: the chunks run in the trial process itself) in a fresh Python
process, whose peak resident set size (``resource.getrusage(...).ru_maxrss``) is reported with
the wall time and the size of the output folder, as a table and as a ratio against the
1e3-patient run of the same kind in the same benchmark. Two kinds of run:

- ``real``: the full pipeline with real integration, at a short horizon (``--horizon-days``,
  default 7 days), because a real patient costs about half a second here whatever the horizon
  (the untreated steady state dominates) and 1e5 real patients would take hours. Memory of the
  pipeline does not depend on the horizon except through chunk-sized arrays.
- ``replay``: the full pipeline (screening, randomisation, chunking, chunk files, streaming
  merge, endpoint summaries, report) with the integration replaced by replaying a real solved
  patient per arm at the scenario's full horizon: before the trial, one enrolled patient per
  arm is really simulated, and every chunk is then built from those rows, events and band
  counts, relabelled with its own patients. This measures what the pipeline keeps, never what
  a full run computes; its numbers are labelled ``replay`` everywhere.

Writes ``benchmarks/results/trial_memory.json`` and ``trial_memory.png``. Usage:

    python benchmarks/bench_trial_memory.py                     # real 1e3, replay 1e3/1e4/1e5
    python benchmarks/bench_trial_memory.py --real 100 1000 --replay 1000 10000
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from cartsim import __version__
from cartsim.io.scenario import Scenario, load_scenario
from cartsim.model.parameterise import typical_patient
from cartsim.parameters import Catalog, load_catalog
from cartsim.population import screen
from cartsim.simulation import study_grid
from cartsim.trials.chunk import ChunkResult, ChunkTask, run_chunk
from cartsim.trials.run import run_trial

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"
RESULTS = Path(__file__).parent / "results"
REFERENCE_PATIENTS = 1000


@dataclass(frozen=True)
class ReplayEngine:
    """An engine that builds each chunk from one really solved patient per arm.

    ``rows[a]``, ``events[a]`` and ``counts[a]`` are the row, event rows and band counts of the
    solved patient of arm ``a``; a replayed patient of arm ``a`` gets them under its own index.
    """

    rows: tuple[dict[str, object], ...]
    events: tuple[pd.DataFrame, ...]
    counts: tuple[np.ndarray, ...]

    def map(self, run, tasks):
        """Yield a replayed ChunkResult per task (``run`` is not called)."""
        for task in tasks:
            rows, events = [], []
            counts = np.zeros_like(self.counts[0])
            for vp, arm_ids in zip(task.patients, task.assignments, strict=True):
                for a in arm_ids:
                    rows.append({**self.rows[a], "patient": vp.index})
                    counts += self.counts[a]
            for a, template in enumerate(self.events):
                ids = [vp.index for vp, arm_ids in zip(task.patients, task.assignments, strict=True)
                       if a in arm_ids]
                if ids:
                    events.append(pd.concat([template] * len(ids), ignore_index=True)
                                  .assign(patient=np.repeat(ids, len(template))))
            yield ChunkResult(task.index, pd.DataFrame(rows), pd.concat(events, ignore_index=True),
                              counts, None)


def solved_template(scenario: Scenario, catalog: Catalog) -> ReplayEngine:
    """Really simulate the first enrolled patient in every arm at the scenario's horizon."""
    patient = screen(catalog, scenario.population, scenario.seed, 1).patients[0]
    t = study_grid(scenario.arms, typical_patient(catalog, scenario.population.disease,
                                                  scenario.population.covariates),
                   catalog, scenario.horizon_days)
    results = [run_chunk(ChunkTask(0, (patient,), ((a,),), scenario.arms, scenario.solver,
                                   scenario.seed, catalog, t, False))
               for a in range(len(scenario.arms))]
    for result in results:
        if (result.rows["status"] != "ok").any():
            raise RuntimeError("the replay template patient failed to integrate")
    return ReplayEngine(tuple(r.rows.iloc[0].to_dict() for r in results),
                        tuple(r.events for r in results), tuple(r.counts for r in results))


def child(kind: str, patients: int, horizon_days: float) -> None:
    """Run one trial in this process and print its measurements as JSON (the last line)."""
    scenario = load_scenario(SCENARIO)
    catalog = load_catalog()
    if kind == "real":
        scenario = replace(scenario, horizon_days=horizon_days)
        engine = None
    else:
        engine = solved_template(scenario, catalog)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = run_trial(scenario, out, n_patients=patients, catalog=catalog, engine=engine)
        seconds = time.perf_counter() - start
        disk = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"kind": kind, "patients": patients,
                      "horizon_days": horizon_days if kind == "real" else scenario.horizon_days,
                      "peak_mib": peak / 1024, "peak_before_trial_mib": before / 1024,
                      "seconds": seconds, "output_mib": disk / 2**20,
                      "failures": result.failures}))


def measure(kind: str, patients: int, horizon_days: float) -> dict[str, object]:
    """Run ``child`` in a fresh process and return its measurements."""
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(patients),
                           "--horizon-days", str(horizon_days)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def figure(runs: list[dict[str, object]], path: Path) -> None:
    """Peak resident memory against patients, one line per kind of run."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    for kind, marker in (("real", "o"), ("replay", "s")):
        mine = sorted((r for r in runs if r["kind"] == kind), key=lambda r: r["patients"])
        if mine:
            ax.plot([r["patients"] for r in mine], [r["peak_mib"] for r in mine], marker=marker,
                    label=(f"real integration, {mine[0]['horizon_days']:g}-day horizon"
                           if kind == "real" else "replayed solved patients, full horizon"))
    ax.axhline(2048, color="grey", linestyle="--", linewidth=1, label="2 GiB budget")
    ax.set_xscale("log")
    ax.set_ylim(0, None)
    ax.set_xlabel("patients in the trial")
    ax.set_ylabel("peak resident memory, MiB")
    ax.set_title("Whole run_trial, one worker, summaries only")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=int, nargs="*", default=[REFERENCE_PATIENTS],
                        help="patient counts of real short-horizon runs")
    parser.add_argument("--replay", type=int, nargs="*", default=[1000, 10_000, 100_000],
                        help="patient counts of replayed full-horizon runs")
    parser.add_argument("--horizon-days", type=float, default=7.0,
                        help="horizon of the real runs (days)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATIENTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.horizon_days)
        return
    runs = [measure(kind, n, args.horizon_days)
            for kind, sizes in (("real", args.real), ("replay", args.replay)) for n in sizes]
    print(f"{'kind':>7} {'patients':>9} {'horizon':>8} {'peak MiB':>9} {'x 1e3 run':>9} "
          f"{'seconds':>8} {'output MiB':>10} {'failures':>8}")
    for run in runs:
        reference = next((r for r in runs if r["kind"] == run["kind"]
                          and r["patients"] == REFERENCE_PATIENTS), None)
        run["ratio_to_1e3"] = run["peak_mib"] / reference["peak_mib"] if reference else None
        ratio = f"{run['ratio_to_1e3']:9.2f}" if reference else f"{'-':>9}"
        print(f"{run['kind']:>7} {run['patients']:>9} {run['horizon_days']:>7g}d "
              f"{run['peak_mib']:9.1f} {ratio} {run['seconds']:8.1f} {run['output_mib']:10.1f} "
              f"{run['failures']:>8}")
    print("real: full pipeline with real integration at a short horizon; replay: full pipeline "
          "with each patient-arm replayed from one really solved patient (not a full run).")
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {"cartsim_version": __version__, "machine": platform.platform(),
              "python": platform.python_version(), "scenario": SCENARIO, "workers": 1,
              "runs": runs}
    (RESULTS / "trial_memory.json").write_text(json.dumps(record, indent=2))
    figure(runs, RESULTS / "trial_memory.png")
    print(f"wrote {RESULTS / 'trial_memory.json'} and {RESULTS / 'trial_memory.png'}")


if __name__ == "__main__":
    main()
