"""Solver benchmark: patients per second per core for each backend, and each compiled backend's
ratio to SciPy BDF.

Integrates every arm of the default scenario (typical patient, 730 days, daily output) with
each backend in one process, after a warm-up call that compiles the numba code, and reports
patients per second per core as the median over repeats with the spread (min-max), and the
ratio of the medians of each compiled backend (``ndf``, the default, and ``rodas``) over
``bdf``, measured in the same run. One arm of one patient is one integration, timed with its
per-problem set-up (the Jacobian pattern probe for ``rodas``). Backends are interleaved round
by round so that a change in machine load hits them alike. Each result also gives the work
(steps, rejected steps, right-hand-side calls, Jacobians, LU factorisations) and the largest
relative deviation from a ``rodas`` run at rtol 1e-10 (over states above 1e-3 of their
scale), so that speed is not bought with accuracy. BLAS threads are pinned to one so that
"per core" holds for SciPy too. The process's peak resident memory is reported at the end.
Writes a JSON record and a bar figure under ``benchmarks/results/``.

Run with ``make bench`` or ``python benchmarks/bench_solvers.py --help``.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from cartsim import __version__  # noqa: E402
from cartsim.io.scenario import load_scenario  # noqa: E402
from cartsim.model.parameterise import typical_patient  # noqa: E402
from cartsim.parameters import load_catalog  # noqa: E402
from cartsim.simulation import arm_problems as build_arm_problems  # noqa: E402
from cartsim.simulation import study_grid  # noqa: E402
from cartsim.solve.engine import COMPILED, Problem, Trajectory, integrate  # noqa: E402
from cartsim.solve.settings import SolverSettings  # noqa: E402
from cartsim.solve.sparsity import forget_probes, jacobian_sparsity  # noqa: E402

DEFAULT_SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"
RESULTS = Path(__file__).parent / "results"


def arm_problems(path: str) -> dict[str, Problem]:
    """The integration problem of every arm of the scenario at ``path``, for its typical patient.

    Built as ``cartsim.simulation.run_arms`` builds them (one daily grid from the
    earliest conditioning day to the horizon).
    """
    scenario = load_scenario(path)
    catalog = load_catalog()
    population = scenario.population
    patient = typical_patient(catalog, population.disease, population.covariates)
    t_out = study_grid(scenario.arms, patient, catalog, scenario.horizon_days)
    _, problems = build_arm_problems(scenario.arms, patient, catalog, t_out)
    return {arm.name: problem for arm, (_, problem) in zip(scenario.arms, problems, strict=True)}


def _timed(problem: Problem, settings: SolverSettings) -> tuple[float, Trajectory]:
    forget_probes()
    start = time.perf_counter()
    trajectory = integrate(problem, settings)
    elapsed = time.perf_counter() - start
    if trajectory.status != 0:
        raise RuntimeError(f"{settings.backend} failed: {trajectory.message}")
    return elapsed, trajectory


def _work(trajectory: Trajectory) -> dict[str, int]:
    return {"steps": trajectory.steps, "rejected": trajectory.rejected,
            "rhs_calls": trajectory.rhs_calls, "jacobians": trajectory.jacobians,
            "factorisations": trajectory.factorisations}


def _deviation(trajectory: Trajectory, reference: np.ndarray, scale: np.ndarray) -> float:
    """Largest relative deviation from ``reference`` over states above 1e-3 of their scale."""
    z, z_ref = trajectory.y / scale, reference / scale
    mask = np.abs(z_ref) > 1e-3
    return float(np.max(np.abs(z - z_ref)[mask] / np.abs(z_ref)[mask]))


def run(path: str, repeats: dict[str, int], rounds: int) -> dict:
    """Time every backend in ``repeats`` on every arm; ``repeats`` per round, ``rounds`` rounds."""
    compile_start = time.perf_counter()
    problems = arm_problems(path)
    settings = {backend: SolverSettings(backend=backend) for backend in repeats}
    for problem in problems.values():
        for backend in repeats:
            integrate(problem, settings[backend])
    setup_s = time.perf_counter() - compile_start
    tight = SolverSettings("rodas", rtol=1e-10, atol=1e-13)
    reference = {arm: integrate(problem, tight).y for arm, problem in problems.items()}

    times: dict[str, dict[str, list[float]]] = {b: {a: [] for a in problems} for b in repeats}
    work: dict[str, dict[str, dict[str, int]]] = {b: {} for b in repeats}
    for _ in range(rounds):
        for arm, problem in problems.items():
            for backend, count in repeats.items():
                for _ in range(count):
                    elapsed, trajectory = _timed(problem, settings[backend])
                    times[backend][arm].append(elapsed)
                work[backend][arm] = {**_work(trajectory),
                                      "max_deviation": _deviation(trajectory, reference[arm],
                                                                  problem.scale)}

    report: dict = {
        "scenario": path,
        "cartsim_version": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "setup_and_compile_s": setup_s,
        "settings": {b: asdict(s) for b, s in settings.items()},
        "jacobian_groups": {arm: jacobian_sparsity(p.parameters, p.scale).groups
                            for arm, p in problems.items()},
        "backends": {},
    }
    for backend in repeats:
        per_arm = {}
        for arm in problems:
            rates = [1.0 / t for t in times[backend][arm]]
            per_arm[arm] = {"median_per_s": statistics.median(rates), "min_per_s": min(rates),
                            "max_per_s": max(rates), "runs": len(rates),
                            **work[backend][arm]}
        all_arms = [sum(times[backend][arm][k] for arm in problems)
                    for k in range(len(next(iter(times[backend].values()))))]
        report["backends"][backend] = {
            "arms": per_arm,
            "all_arms_median_per_s": statistics.median(1.0 / t for t in all_arms),
        }
    report["ratios_over_bdf"] = {}
    if "bdf" in repeats:
        bdf = report["backends"]["bdf"]
        for backend in (b for b in COMPILED if b in repeats):
            fast = report["backends"][backend]
            ratios = {arm: fast["arms"][arm]["median_per_s"] / bdf["arms"][arm]["median_per_s"]
                      for arm in problems}
            ratios["all arms"] = fast["all_arms_median_per_s"] / bdf["all_arms_median_per_s"]
            report["ratios_over_bdf"][backend] = ratios
    report["default_backend"] = SolverSettings().backend
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return report


def _print(report: dict) -> None:
    print(f"cartsim {report['cartsim_version']}, {report['scenario']}, "
          f"load average {report['load_average'][0]:.2f} on {report['cpu_count']} CPUs")
    print(f"{'backend':8} {'arm':14} {'patients/s':>11} {'min-max':>17} {'steps':>6} "
          f"{'rejected':>8} {'rhs calls':>9} {'jacobians':>9} {'LU':>5} {'max dev':>8}")
    for backend, result in report["backends"].items():
        for arm, r in result["arms"].items():
            print(f"{backend:8} {arm:14} {r['median_per_s']:11.2f} "
                  f"{r['min_per_s']:8.2f}-{r['max_per_s']:<8.2f} {r['steps']:6d} "
                  f"{r['rejected']:8d} {r['rhs_calls']:9d} {r['jacobians']:9d} "
                  f"{r['factorisations']:5d} {r['max_deviation']:8.1e}")
        print(f"{backend:8} {'all arms':14} {result['all_arms_median_per_s']:11.2f}")
    for backend, ratios in report["ratios_over_bdf"].items():
        default = " (default)" if backend == report["default_backend"] else ""
        listed = ", ".join(f"{arm} {r:.1f}" for arm, r in ratios.items())
        print(f"{backend}{default} / bdf (same run, medians): {listed}")
    print(f"peak resident memory: {report['peak_rss_mib']:.0f} MiB")


def _figure(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    backends = list(report["backends"])
    arms = list(next(iter(report["backends"].values()))["arms"])
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(backends)
    for k, backend in enumerate(backends):
        result = report["backends"][backend]["arms"]
        median = np.array([result[a]["median_per_s"] for a in arms])
        low = median - np.array([result[a]["min_per_s"] for a in arms])
        high = np.array([result[a]["max_per_s"] for a in arms]) - median
        x = np.arange(len(arms)) + (k - (len(backends) - 1) / 2) * width
        ax.bar(x, median, width, yerr=[low, high], capsize=3, label=backend)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(arms)), arms)
    ax.set_ylabel("patients per second per core (one arm, 730 days)")
    default = report["default_backend"]
    ratio = report["ratios_over_bdf"].get(default, {}).get("all arms")
    title = "Solver backends, median and min-max"
    ax.set_title(title + (f"; {default} / bdf = {ratio:.1f} over all arms" if ratio else ""))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO)
    parser.add_argument("--ndf", type=int, default=10, help="ndf runs per arm per round")
    parser.add_argument("--rodas", type=int, default=3, help="rodas runs per arm per round")
    parser.add_argument("--bdf", type=int, default=1, help="bdf runs per arm per round")
    parser.add_argument("--radau", type=int, default=0, help="radau runs per arm per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    repeats = {b: n for b, n in (("ndf", args.ndf), ("rodas", args.rodas), ("bdf", args.bdf),
                                 ("radau", args.radau)) if n > 0}
    report = run(args.scenario, repeats, args.rounds)
    _print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "solvers.json").write_text(json.dumps(report, indent=2) + "\n")
    _figure(report, args.out / "solvers.png")
    print(f"wrote {args.out / 'solvers.json'} and {args.out / 'solvers.png'}")


if __name__ == "__main__":
    main()
