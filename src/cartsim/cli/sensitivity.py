"""``cartsim sensitivity``: a Sobol sensitivity analysis from a scenario file, with a progress bar.

Options given here override the scenario's ``[sensitivity]`` table and are checked by the same
parser (``io.scenario.parse_sensitivity``), so the messages and rules are the same. Evaluations
run on the engine that ``--engine``, ``--workers`` and ``--address`` name
(``trials.engines.make_engine``, as for ``cartsim trial``); the finished run gets its
``report.html`` (``report.sensitivity_report``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

from cartsim.errors import CartsimError

console = Console()
COMMAND_LINE = "command line"
"""The source named in messages about options given on the command line."""


def sensitivity(
    scenario: Path = typer.Argument(..., help="Scenario file (TOML)."),
    out: Path = typer.Option(Path("results/sensitivity"), "--out", help="Output folder."),
    arm: list[str] | None = typer.Option(None, "--arm", help="Arm to analyse (repeat; default: the first)."),
    endpoint: list[str] | None = typer.Option(None, "--endpoint", help="Endpoint (repeat)."),
    parameter: list[str] | None = typer.Option(
        None, "--parameter", help='Parameter record to vary (repeat); "assumed" = the default group.'),
    samples: int | None = typer.Option(None, "--samples", help="Base samples N, a power of 2."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the Sobol sequence."),
    horizon: float | None = typer.Option(None, "--horizon", help="Days simulated (default <= 365)."),
    engine: str = typer.Option("local", "--engine", help="Where evaluations run: local or dask."),
    address: str | None = typer.Option(None, "--address", help="Dask scheduler (default: a LocalCluster)."),
    workers: int = typer.Option(1, "--workers", help="Worker processes or Dask workers."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --out."),
) -> None:
    """Global sensitivity (Sobol S1 and ST) of endpoints of SCENARIO to catalogue parameters."""
    from cartsim.io.scenario import load_scenario, parse_sensitivity
    from cartsim.report.sensitivity_report import write_sensitivity_report
    from cartsim.trials.engines import make_engine
    from cartsim.uncertainty import run_sensitivity

    def fail(message: str) -> None:
        console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=2)

    given = {"arms": arm, "endpoints": endpoint, "parameters": parameter, "samples": samples,
             "seed": seed, "horizon_days": horizon}
    try:
        runner = make_engine(engine, workers, address)
        loaded = load_scenario(scenario)
        table = {**loaded.sensitivity.as_table(), **{k: v for k, v in given.items() if v not in (None, [])}}
        spec = parse_sensitivity(table, COMMAND_LINE, tuple(a.name for a in loaded.arms),
                                 loaded.horizon_days)
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task("evaluations", total=None)
            result = run_sensitivity(
                loaded, out, spec=spec, engine=runner, resume=resume,
                progress=lambda done, total: bar.update(task, completed=done, total=total))
        report = write_sensitivity_report(result.out)
    except CartsimError as error:
        fail(str(error))
    ranked = result.indices.dropna(subset=["ST"]).sort_values("ST", ascending=False)
    for (arm_name, name), group in result.indices.groupby(["arm", "endpoint"], sort=False):
        top = ranked[(ranked["arm"] == arm_name) & (ranked["endpoint"] == name)].head(3)
        lead = ", ".join(f"{r.parameter} {r.ST:.2f}±{r.ST_conf:.2f}" for r in top.itertuples())
        console.print(f"  {arm_name}: {name}: {lead or group['note'].iloc[0]}", highlight=False)
    console.print(f"{result.failures} evaluations failed to integrate. Results: "
                  f"{out}/sensitivity.parquet, sensitivity.json, samples.parquet; figure: "
                  f"{out}/sensitivity.png; report: {report}")
