"""Robustness sweep across the catalogue bounds (``make sweep``): does any patient fail silently?

Runs N swept patients (default 1e4; ``cartsim.trials.sweep``: every non-derived model parameter
drawn log-uniformly within its record's bounds) through every arm of the default scenario with
the trial machinery (chunks written as they finish, ``--resume`` to continue, ``--workers``
processes), then counts per arm the patient-arms integrated at the first try, retried, and
failed, which retry setting rescued the retried ones, and lists any unreported failure
(a missing row, a failure without a reason, a NaN endpoint of an integrated patient-arm).
Writes ``benchmarks/results/sweep.json`` and ``sweep.png``; the swept rows stay in
``--out``/patients.parquet. Exits with status 1 when any failure is unreported. Usage:

    python benchmarks/sweep.py --patients 10000 --workers 2 --out results/sweep [--resume]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

from cartsim import __version__
from cartsim.io.scenario import load_scenario
from cartsim.parameters import load_catalog
from cartsim.trials.engines import LocalEngine
from cartsim.trials.sweep import SweepOutcomes, run_sweep, sweep_outcomes

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"
RESULTS = Path(__file__).parent / "results"


def figure(outcomes: SweepOutcomes, n_patients: int, path: Path) -> None:
    """Per arm: first-try / retried / failed patient-arms, and which retry rescued them."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2))
    left, right = fig.subplots(1, 2)
    arms = list(outcomes.counts.index)
    bottom = [0] * len(arms)
    for column, colour in (("first_try", "#55a868"), ("retried", "#dd8452"), ("failed", "#c44e52")):
        values = outcomes.counts[column].tolist()
        left.bar(arms, values, bottom=bottom, color=colour, label=column.replace("_", " "))
        for x, (b, v) in enumerate(zip(bottom, values, strict=True)):
            if v:
                left.text(x, b + v / 2, str(v), ha="center", va="center", fontsize=8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    left.set_ylabel("patient-arms")
    left.set_title(f"{n_patients} swept patients x {len(arms)} arms")
    left.legend(fontsize=8)
    width = 0.8 / max(1, len(outcomes.rescued_by.columns))
    for k, column in enumerate(outcomes.rescued_by.columns):
        right.bar([x + k * width for x in range(len(arms))], outcomes.rescued_by[column], width,
                  label=column)
    right.set_xticks([x + 0.4 - width / 2 for x in range(len(arms))], arms)
    right.set_ylabel("patient-arms rescued")
    right.set_title("Retried patient-arms: the attempt that integrated them")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.tick_params(axis="x", rotation=15, labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk-size", type=int, default=10)
    parser.add_argument("--horizon-days", type=float, default=None,
                        help="override the scenario's horizon (default: the scenario's 730 days)")
    parser.add_argument("--out", type=Path, default=Path("results/sweep"))
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    if args.horizon_days is not None:
        scenario = replace(scenario, horizon_days=args.horizon_days)
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"{done}/{total} patients, {time.perf_counter() - start:.0f} s", flush=True)

    patients = run_sweep(scenario, load_catalog(), args.out, args.patients,
                         engine=LocalEngine(args.workers), chunk_size=args.chunk_size,
                         resume=args.resume, progress=progress)
    seconds = time.perf_counter() - start
    outcomes = sweep_outcomes(patients, scenario, args.patients)
    print(outcomes.counts.to_string())
    print(outcomes.rescued_by.to_string())
    print(f"{args.patients} patients x {len(scenario.arms)} arms in {seconds:.0f} s with "
          f"{args.workers} worker(s); unreported failures: {len(outcomes.unreported)}")
    for line in outcomes.unreported:
        print("  " + line)
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {"cartsim_version": __version__, "machine": platform.platform(), "scenario": SCENARIO,
              "horizon_days": scenario.horizon_days, "patients": args.patients,
              "workers": args.workers, "seconds_this_session": seconds, "resumed": args.resume,
              "counts": outcomes.counts.to_dict(orient="index"),
              "rescued_by": outcomes.rescued_by.to_dict(orient="index"),
              "unreported": outcomes.unreported}
    (RESULTS / "sweep.json").write_text(json.dumps(record, indent=2, default=int))
    figure(outcomes, args.patients, RESULTS / "sweep.png")
    print(f"wrote {RESULTS / 'sweep.json'} and {RESULTS / 'sweep.png'}")
    return 1 if outcomes.unreported else 0


if __name__ == "__main__":
    sys.exit(main())
