"""The ``cartsim`` command line: a thin front over the public API.

Commands: ``simulate`` (every arm of a scenario for the typical patient, with trajectories,
figures and a summary), ``trial`` (a virtual trial, see ``cli.trial``), ``sensitivity`` (Sobol
indices of endpoints, see ``cli.sensitivity``), ``validate`` / ``calibrate`` (published-evidence
comparisons and calibration, see ``cli.validate``), ``params list`` /
``params show`` (catalogue records with their sources) and ``cite`` (the references a scenario
uses). User errors print one sentence and exit with status 2; nothing here computes anything the
API does not.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cartsim.cli.grade import grade_app
from cartsim.cli.sensitivity import sensitivity
from cartsim.cli.trial import trial
from cartsim.cli.validate import calibrate, validate
from cartsim.errors import CartsimError

app = typer.Typer(help="cartsim: a mechanistic simulator of CAR-T therapy in multiple sclerosis.",
                  no_args_is_help=True, add_completion=False)
params_app = typer.Typer(help="Browse the cited parameter catalogue.", no_args_is_help=True)
app.add_typer(params_app, name="params")
app.add_typer(grade_app, name="grade")
app.command()(trial)
app.command()(sensitivity)
app.command()(validate)
app.command()(calibrate)
console = Console()


def _fail(error: CartsimError) -> None:
    console.print(f"[red]error:[/red] {error}", soft_wrap=True, highlight=False)
    raise typer.Exit(code=2)


@app.command()
def simulate(
    scenario: Path = typer.Argument(..., help="Scenario file (TOML)."),
    out: Path = typer.Option(Path("results"), "--out", help="Output folder."),
    backend: str | None = typer.Option(None, help="Solver backend: ndf (default), rodas, radau or bdf."),
) -> None:
    """Simulate every arm of SCENARIO for the typical patient; write trajectories and figures."""
    from dataclasses import replace

    from cartsim.io.results import write_results
    from cartsim.io.scenario import load_scenario
    from cartsim.report.figures import plot_simulation
    from cartsim.report.summary import format_summary, management_lines, summarise
    from cartsim.simulation import simulate as run

    try:
        loaded = load_scenario(scenario)
        settings = replace(loaded.solver, backend=backend) if backend else loaded.solver
        with console.status(f"Simulating {len(loaded.arms)} arms of {loaded.name} ..."):
            ds = run(loaded, settings=settings)
        files = write_results(ds, out)
        figures = plot_simulation(ds, out / "figures")
    except CartsimError as error:
        _fail(error)
    console.print(format_summary(summarise(ds)))
    managed = management_lines(ds)
    console.print("CRS/ICANS management by each arm's policy (typical patient): "
                  + ("; ".join(managed) if managed else "no dose was needed"), highlight=False)
    console.print(f"Trajectories and summary: {', '.join(str(f) for f in files)}")
    console.print(f"Figures ({len(figures)}): {out / 'figures'} (start with overview.png)")


@params_app.command("list")
def params_list(
    submodel: str | None = typer.Option(None, help="Only the records of this catalogue file."),
) -> None:
    """List every parameter with its value, unit, kind and source."""
    from cartsim.parameters import load_catalog

    catalog = load_catalog()
    table = Table("name", "value", "unit", "kind", "source / assumption / formula", box=None)
    for name, record in sorted(catalog.records.items()):
        if submodel and catalog.submodel(name) != submodel:
            continue
        origin = record.source or record.assumption or record.formula or ""
        table.add_row(name, f"{record.value:.4g}", record.unit or "-", record.kind, origin)
    console.print(table)


@params_app.command("show")
def params_show(name: str = typer.Argument(..., help="Parameter name.")) -> None:
    """Show one parameter record in full, with its references and assumption."""
    from cartsim.parameters import load_catalog

    catalog = load_catalog()
    try:
        record = catalog.record(name)
    except CartsimError as error:
        _fail(error)
    console.print(record.describe(), highlight=False)
    if record.assumption:
        assumption = catalog.assumptions[record.assumption]
        console.print(f"\n{assumption.key}: {assumption.title}. {assumption.statement} "
                      f"{assumption.reasoning} Range {assumption.range} {assumption.unit}".rstrip(),
                      highlight=False)
    for reference in catalog.references_for([name]):
        console.print(f"[{reference.key}] {reference.citation()}", highlight=False, markup=False)


@app.command()
def cite(scenario: Path = typer.Argument(..., help="Scenario file (TOML).")) -> None:
    """Print the references of every parameter and regimen a scenario uses."""
    from cartsim.citations import scenario_references
    from cartsim.io.scenario import load_scenario
    from cartsim.parameters import load_catalog

    try:
        loaded = load_scenario(scenario)
    except CartsimError as error:
        _fail(error)
    console.print(f"To cite cartsim, see CITATION.cff. Sources used by {loaded.name}:\n")
    for reference in scenario_references(loaded, load_catalog()):
        console.print(f"[{reference.key}] {reference.citation()}", highlight=False, markup=False)
