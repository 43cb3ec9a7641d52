"""``cartsim grade crs|icans FILE.csv``: grade clinical observations by the ASTCT consensus.

Reads a CSV table of observations, adds a ``grade`` column and writes the same rows as CSV to
stdout or to ``--out``. Bad input prints one sentence (file, line, column, what would be valid)
to stderr and exits with status 2, never a traceback. A thin front over ``cartsim.safety``:
nothing here grades or checks anything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.text import Text

from cartsim.errors import CartsimError
from cartsim.safety import grade_crs_table, grade_icans_table, read_observations

grade_app = typer.Typer(help="Grade CRS or ICANS observations (ASTCT consensus).",
                        no_args_is_help=True)
_errors = Console(stderr=True)

_TABLE = typer.Argument(..., help="CSV table of observations, one row per patient-day.")
_OUT = typer.Option(None, "--out", help="Write the graded CSV here instead of to stdout.")


@grade_app.command("crs")
def crs(table: Path = _TABLE, out: Path | None = _OUT) -> None:
    """Grade CRS from temperature_c, hypotension, oxygen and the optional fever_masked."""
    _grade(table, out, grade_crs_table)


@grade_app.command("icans")
def icans(table: Path = _TABLE, out: Path | None = _OUT) -> None:
    """Grade ICANS in adults from ice_score, consciousness, seizure, motor_weakness, cerebral_edema."""
    _grade(table, out, grade_icans_table)


def _grade(table: Path, out: Path | None,
           grade: Callable[[pd.DataFrame, str], pd.DataFrame]) -> None:
    try:
        graded = grade(read_observations(table), str(table))
    except CartsimError as error:
        _fail(str(error))
    text = graded.to_csv(index=False)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"{out}: cannot be written ({exc.strerror}); give a path in a folder that exists "
              "and can be written to.")


def _fail(message: str) -> None:
    """Print one sentence to stderr (cell text is never read as markup) and exit with 2."""
    _errors.print(Text("error: ", style="red") + Text(message), soft_wrap=True, highlight=False)
    raise typer.Exit(code=2)
