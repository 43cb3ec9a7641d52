"""``cartsim validate`` and ``cartsim calibrate``: thin fronts over ``cartsim.validation``.

``validate`` runs the validation cases, prints the scorecard and writes ``report.html`` and
``scorecard.json``; it exits 0 when the run completed, failing cases included (they are
information), unless ``--strict`` asks for status 1 when a validation case fails. ``calibrate``
runs calibration specs and rewrites the fitted catalogue records, unless a fit leaves a target
outside its band (``--force``) or ``--dry-run`` is given. User errors exit with 2.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cartsim.errors import CartsimError

console = Console()


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    raise typer.Exit(code=2)


def validate(
    case: list[str] | None = typer.Option(None, "--case", help="Run only this case (repeatable)."),
    out: Path = typer.Option(Path("validation"), "--out", help="Folder for report.html and scorecard.json."),
    strict: bool = typer.Option(False, "--strict", help="Exit with status 1 if a validation case fails."),
    list_cases: bool = typer.Option(False, "--list", help="List the cases and exit."),
) -> None:
    """Compare the model with published clinical evidence; print the scorecard, write the report."""
    from cartsim.parameters import load_catalog
    from cartsim.report.scorecard import scorecard_table
    from cartsim.report.validation_report import write_validation_report
    from cartsim.validation import validate as run
    from cartsim.validation.cases import load_cases
    from cartsim.validation.facts import load_facts

    try:
        if list_cases:
            catalog = load_catalog()
            for name, c in load_cases(catalog, load_facts(catalog)).items():
                console.print(f"{name}: {c.title} ({c.fact.evidence}, {c.fact.source})", highlight=False)
            return
        with console.status("Running validation cases ...") as status:
            results = run(case, progress=lambda c: status.update(f"Running {c.name} ..."))
        report = write_validation_report(results, out)
    except CartsimError as error:
        _fail(str(error))
    for table in scorecard_table(results):
        console.print(table)
    judged = [r for r in results if r.role == "validation"]
    failed = [r for r in judged if not r.passed]
    console.print(f"{len(judged) - len(failed)} of {len(judged)} validation cases pass. "
                  f"Report: {report}; scorecard: {out / 'scorecard.json'}", highlight=False)
    if strict and failed:
        raise typer.Exit(code=1)


def calibrate(
    spec: list[str] | None = typer.Argument(None, help="Calibration spec names (default: all)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Fit and print; do not rewrite the catalogue."),
    force: bool = typer.Option(False, "--force",
                               help="Record a fit even if a target stays outside its band."),
) -> None:
    """Fit assumed parameters to their calibration cases and record them as calibrated."""
    from cartsim.errors import did_you_mean
    from cartsim.parameters import load_catalog
    from cartsim.validation import calibrate as fit
    from cartsim.validation import write_calibrated_records
    from cartsim.validation.calibration_specs import load_specs

    try:
        specs = load_specs()
        unknown = [s for s in spec or [] if s not in specs]
        if unknown:
            _fail(f'there is no calibration spec "{unknown[0]}"{did_you_mean(unknown[0], specs)}; '
                  f"the specs are {', '.join(specs)}")
        for name in spec or list(specs):
            catalog = load_catalog()
            with console.status(f"Calibrating {name} ...") as status:
                def show(values: dict[str, float], objective: float, name: str = name) -> None:
                    status.update(f"Calibrating {name}: {values} -> {objective:.3g}")

                result = fit(specs[name], catalog=catalog, progress=show)
            console.print(f"{name}: {result.evaluations} evaluations, converged={result.converged} "
                          f"({result.message}); objective {result.objective:.4g}", highlight=False)
            for parameter, value in result.fitted.items():
                console.print(f"  {parameter}: {result.start[parameter]:.4g} -> {value:.4g}", highlight=False)
            for case_name, value in result.simulated.items():
                console.print(f"  {case_name}: typical patient {value:.4g}", highlight=False)
            if not result.within_bands and not force:
                console.print("  not recorded: the fitted typical patient stays outside the band of "
                              "a target case (--force records it anyway)", highlight=False)
            elif not dry_run:
                files = write_calibrated_records(result, catalog)
                console.print(f"  written: {', '.join(str(f) for f in files)}", highlight=False)
    except CartsimError as error:
        _fail(str(error))
