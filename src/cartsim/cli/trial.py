"""``cartsim trial``: run a virtual trial from a scenario file, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

from cartsim.errors import CartsimError
from cartsim.trials.run import DEFAULT_CHUNK_SIZE

console = Console()


def trial(
    scenario: Path = typer.Argument(..., help="Scenario file (TOML)."),
    out: Path = typer.Option(Path("results/trial"), "--out", help="Output folder."),
    patients: int | None = typer.Option(None, "--patients", help="Enrolled patients (default: scenario)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the scenario's)."),
    backend: str | None = typer.Option(None, "--backend", help="Solver backend (default ndf)."),
    engine: str = typer.Option("local", "--engine", help="Where chunks run: local or dask."),
    address: str | None = typer.Option(None, "--address", help="Dask scheduler (default: a LocalCluster)."),
    workers: int = typer.Option(1, "--workers", help="Worker processes or Dask workers."),
    chunk_size: int = typer.Option(DEFAULT_CHUNK_SIZE, "--chunk-size", help="Patients per chunk on disk."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --out."),
    trajectories: bool = typer.Option(False, "--trajectories", help="Write trajectories.zarr too."),
    parameter_uncertainty: bool | None = typer.Option(
        None, "--parameter-uncertainty/--no-parameter-uncertainty",
        help="Each patient also draws the assumed parameters from their ranges (default: scenario)."),
) -> None:
    """Run the virtual trial of SCENARIO: screen, randomise, simulate, summarise, report."""
    from dataclasses import replace

    from cartsim.io.scenario import load_scenario
    from cartsim.solve.settings import BACKENDS
    from cartsim.trials.engines import make_engine
    from cartsim.trials.run import run_trial

    def fail(message: str) -> None:
        console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=2)

    if backend is not None and backend not in BACKENDS:
        fail(f'--backend "{backend}" is not known; use one of {", ".join(BACKENDS)}')
    try:
        runner = make_engine(engine, workers, address)
        loaded = load_scenario(scenario)
        settings = replace(loaded.solver, backend=backend) if backend else loaded.solver
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task("patients", total=None)
            result = run_trial(loaded, out, n_patients=patients, seed=seed, settings=settings,
                               engine=runner, chunk_size=chunk_size, resume=resume,
                               trajectories=trajectories, parameter_uncertainty=parameter_uncertainty,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    except CartsimError as error:
        fail(str(error))
    log = result.screening.as_dict()
    console.print(f"Screened {log['screened']}, enrolled {log['enrolled']}; "
                  f"{result.failures} patient-arms failed to integrate.")
    for arm, block in result.endpoints["arms"].items():
        ends = block["endpoints"]
        arr = ends["annualized_relapse_rate"]
        depl = ends["b_cell_depletion_pct_lymph_node"]
        line = f"  {arm} (n={block['n_patients']})"
        line += f": ARR mean {arr['mean']:.2f}" if arr else ""
        line += f", lymph-node B-cell depletion median {depl['median']:.1f}%" if depl else ""
        console.print(line, highlight=False)
    console.print(f"Results: {out}/patients.parquet, endpoints.json, events.parquet; "
                  f"report: {out}/report.html")
