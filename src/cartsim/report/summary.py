"""Per-arm summary of a single-patient simulation: peaks, nadirs, depletion depth, relapse rate.

``summarise`` reduces the trajectories Dataset returned by ``simulate`` (dims ``arm``,
``time``) to one row per arm, with the endpoint definitions of ``trials.endpoints`` (the
relapse rate here is the expected one, not sampled); ``format_summary`` renders that table for
the terminal. This module only reads finished trajectories: it must not run simulations or
change the Dataset.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from rich.table import Table

from cartsim.model.observables import DAYS_PER_YEAR
from cartsim.trials.endpoints import peak_day, reappearance_day


@dataclass(frozen=True)
class SummaryColumn:
    """One column of the summary table: name, terminal label, unit and decimals shown."""

    name: str
    label: str
    unit: str
    decimals: int
    signed: bool = False


COLUMNS: tuple[SummaryColumn, ...] = (
    SummaryColumn("cart_peak_blood_per_ul", "CAR-T peak in blood", "cells/µL", 1),
    SummaryColumn("cart_peak_day", "Day of CAR-T peak", "day", 0),
    SummaryColumn("b_cell_nadir_blood_per_ul", "B-cell nadir in blood", "cells/µL", 2),
    SummaryColumn("b_cell_depletion_pct_lymph_node", "B-cell depletion, lymph node", "%", 2),
    SummaryColumn("b_cell_depletion_pct_cns", "B-cell depletion, CNS", "%", 2),
    SummaryColumn("b_cell_depletion_pct_bone_marrow", "B-cell depletion, bone marrow", "%", 2),
    SummaryColumn(
        "plasma_cell_depletion_pct_bone_marrow", "Plasma-cell depletion, bone marrow", "%", 1
    ),
    SummaryColumn("il6_peak_pg_per_ml", "IL-6 peak", "pg/mL", 1),
    SummaryColumn("igg_nadir_pct_of_baseline", "Serum IgG nadir", "% of baseline", 1),
    SummaryColumn(
        "intrathecal_igg_change_pct", "Intrathecal IgG change at end", "%", 1, signed=True
    ),
    SummaryColumn("annualized_relapse_rate", "Annualised relapse rate", "1/year", 2),
    SummaryColumn("b_cell_reappearance_day", "B-cell reappearance in blood", "day", 0),
    SummaryColumn("tocilizumab_doses", "Tocilizumab doses (CRS/ICANS management)", "", 0),
    SummaryColumn("dexamethasone_doses", "Dexamethasone doses (10 mg each)", "", 0),
)
"""The summary columns in order. Units: cells/µL for ``*_per_ul``, days for ``*_day``,
percent for ``*_pct*`` (depletion = 100 - the minimum % of untreated baseline; intrathecal
change = last % of baseline - 100), pg/mL for IL-6, relapses per patient-year for the rate."""


def _arm_row(arm: xr.Dataset) -> dict[str, float]:
    """Summary values of one arm (a Dataset with the ``time`` dimension only)."""
    time = arm["time"].to_numpy()
    day0 = int(np.searchsorted(time, 0.0))
    horizon_years = (time[-1] - time[day0]) / DAYS_PER_YEAR

    def lowest(name: str) -> float:
        return float(arm[name].min())

    def highest(name: str) -> float:
        return float(arm[name].max())

    def last(name: str) -> float:
        return float(arm[name][-1])

    return {
        "cart_peak_blood_per_ul": highest("cart_blood_per_ul"),
        "cart_peak_day": peak_day(time, arm["cart_blood_per_ul"].to_numpy()),
        "b_cell_nadir_blood_per_ul": lowest("bcell_blood_per_ul"),
        "b_cell_depletion_pct_lymph_node": 100.0 - lowest("bcell_pct_baseline_lymph_node"),
        "b_cell_depletion_pct_cns": 100.0 - lowest("bcell_pct_baseline_cns"),
        "b_cell_depletion_pct_bone_marrow": 100.0 - lowest("bcell_pct_baseline_bone_marrow"),
        "plasma_cell_depletion_pct_bone_marrow": (
            100.0 - lowest("plasma_cell_pct_baseline_bone_marrow")
        ),
        "il6_peak_pg_per_ml": highest("il6_pg_per_ml"),
        "igg_nadir_pct_of_baseline": lowest("igg_pct_baseline"),
        "intrathecal_igg_change_pct": last("intrathecal_igg_pct_baseline") - 100.0,
        "annualized_relapse_rate": (last("expected_relapses")
                                    - float(arm["expected_relapses"][day0])) / horizon_years,
        "b_cell_reappearance_day": reappearance_day(time, arm["bcell_blood_per_ul"].to_numpy()),
        "tocilizumab_doses": _total(arm, "tocilizumab_doses"),
        "dexamethasone_doses": _total(arm, "dexamethasone_doses"),
    }


def _total(arm: xr.Dataset, name: str) -> float:
    """Sum of a per-day count over the arm, NaN in a Dataset written before it existed."""
    return float(arm[name].sum()) if name in arm else math.nan


def management_lines(ds: xr.Dataset) -> list[str]:
    """One line per arm with management doses: day, drug, amount and reason of each decision.

    Dexamethasone given every 6 h on one day for one reason is shown once with its count.

    Examples
    --------
    >>> ds = xr.Dataset(attrs={"management_doses": '[["CAR-T", 4.08, "tocilizumab", 560.0, '
    ...                        '"CRS grade 2"]]'})
    >>> management_lines(ds)
    ['CAR-T: day 4 tocilizumab 560 mg (CRS grade 2)']
    """
    grouped: dict[str, dict[tuple[int, str, float, str], int]] = {}
    for arm, time, drug, mg, reason in json.loads(str(ds.attrs.get("management_doses", "[]"))):
        key = (math.floor(time), drug, mg, reason)
        grouped.setdefault(arm, {})
        grouped[arm][key] = grouped[arm].get(key, 0) + 1
    return [f"{arm}: " + "; ".join(
        f"day {day} {drug} {f'{count} x ' if count > 1 else ''}{mg:g} mg ({reason})"
        for (day, drug, mg, reason), count in doses.items()) for arm, doses in grouped.items()]


def summarise(ds: xr.Dataset) -> pd.DataFrame:
    """Summarise simulated trajectories: one row per arm, the columns of :data:`COLUMNS`.

    Parameters
    ----------
    ds:
        Trajectories with dims ``arm`` and ``time`` (days, starting at the infusion).

    Returns
    -------
    pandas.DataFrame
        Index ``arm``; NaN where a quantity does not apply (no CAR-T peak in an antibody arm,
        no reappearance when B cells never fell below the detection limit or never returned).

    Examples
    --------
    >>> table = summarise(ds)  # doctest: +SKIP
    >>> table.loc["cd19_cart", "b_cell_reappearance_day"]  # doctest: +SKIP
    110.0
    """
    rows = {str(name): _arm_row(ds.sel(arm=name)) for name in ds["arm"].to_numpy()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=[c.name for c in COLUMNS])
    table.index.name = "arm"
    return table


def _format_value(value: float, column: SummaryColumn) -> str:
    """Round to the column's decimals; NaN becomes ``-``, a tiny positive value ``<0.01``."""
    if math.isnan(value):
        return "-"
    smallest = 10.0**-column.decimals
    if 0 < value < smallest / 2:
        return f"<{smallest:.{column.decimals}f}"
    sign = "+" if column.signed else ""
    return f"{value:{sign},.{column.decimals}f}"


def format_summary(df: pd.DataFrame) -> Table:
    """Render a :func:`summarise` table for the terminal: one row per quantity, one column per arm.

    Parameters
    ----------
    df:
        The output of :func:`summarise`.

    Returns
    -------
    rich.table.Table
        Values rounded per quantity; NaN shown as ``-``.

    Examples
    --------
    >>> from rich.console import Console
    >>> Console().print(format_summary(summarise(ds)))  # doctest: +SKIP
    """
    table = Table(title="Simulation summary", title_style="bold", header_style="bold")
    table.add_column("Quantity")
    table.add_column("Unit", style="dim")
    for arm in df.index:
        table.add_column(str(arm), justify="right")
    for column in COLUMNS:
        values = df[column.name].to_numpy(dtype=float)
        cells = [_format_value(float(v), column) for v in values]
        table.add_row(column.label, column.unit, *cells)
    return table
