"""Peak resident memory of a virtual trial against the number of patients (``make bench``).

Runs the default scenario's trial (summaries only, no trajectories) for increasing numbers of
patients, each in a fresh process, and reports the peak resident set size of the trial process
and of its workers. Memory must be bounded by the chunk size, not by the number of patients:
the slope in bytes per patient (from the parent's per-patient tables) is what remains, and it
projects the peak for sizes too slow to run here. Usage:

    python benchmarks/bench_trial_memory.py --patients 50 200 800 [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"
_CHILD = """
import resource, sys, time
from cartsim.trials.engines import LocalEngine
from cartsim.trials.run import run_trial
start = time.perf_counter()
run_trial(sys.argv[1], sys.argv[2], n_patients=int(sys.argv[3]), engine=LocalEngine(int(sys.argv[4])))
elapsed = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(own, workers, elapsed)
"""


def measure(patients: int, workers: int) -> dict[str, float]:
    """Peak RSS (MiB) of the trial process and its largest worker, and the wall time."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, "-c", _CHILD, SCENARIO, out, str(patients), str(workers)],
                              check=True, capture_output=True, text=True)
    own, child, elapsed = done.stdout.split()[-3:]
    return {"patients": patients, "parent_mib": int(own) / 1024, "worker_mib": int(child) / 1024,
            "seconds": float(elapsed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[40, 160])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    rows = [measure(n, args.workers) for n in args.patients]
    for row in rows:
        print(f"{row['patients']:>7} patients: parent {row['parent_mib']:7.1f} MiB, "
              f"largest worker {row['worker_mib']:7.1f} MiB, {row['seconds']:7.1f} s")
    small, large = rows[0], rows[-1]
    slope = (large["parent_mib"] - small["parent_mib"]) / max(1, large["patients"] - small["patients"])
    for n in (10_000, 100_000):
        projected = large["parent_mib"] + slope * (n - large["patients"])
        print(f"projected peak at {n:>7} patients: {projected:7.1f} MiB "
              f"({slope * 1024:.2f} KiB per patient above {large['patients']})")
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "trial_memory.json").write_text(json.dumps({"runs": rows, "mib_per_patient": slope}, indent=2))


if __name__ == "__main__":
    main()
