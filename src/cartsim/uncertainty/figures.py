"""The Sobol bar figure: for each arm and endpoint, the most influential parameters by ST.

Each panel shows total (ST, dark) and first-order (S1, light) indices of the ``TOP``
parameters with the largest ST, largest at the top, with the bootstrap confidence intervals as
error bars; a panel without indices shows its note instead. ``indices_figure`` draws any
selection (the report draws one endpoint per figure), ``plot_indices`` saves all of them.
Drawn with matplotlib's Agg renderer without pyplot (no global state, no display). This module
draws a finished table; it computes no indices.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

TOP = 10
"""Parameters shown per panel."""
COLUMNS_OF_PANELS = 2
DPI = 150


def plot_indices(table: pd.DataFrame, path: Path) -> Path:
    """Draw the ST/S1 bars of every arm and endpoint in ``table`` to the PNG ``path``.

    Examples
    --------
    >>> plot_indices(sobol_table, Path("results/sensitivity/sensitivity.png"))  # doctest: +SKIP
    PosixPath('results/sensitivity/sensitivity.png')
    """
    figure = indices_figure(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path


def indices_figure(table: pd.DataFrame, columns: int = COLUMNS_OF_PANELS) -> Figure:
    """The ST/S1 bars of every arm and endpoint in ``table``, ``columns`` panels a row.

    Examples
    --------
    >>> indices_figure(sobol_table.query("endpoint == 'cart_peak_blood_per_ul'"), 1)  # doctest: +SKIP
    <Figure size 600x470 with 1 Axes>
    """
    groups = list(table.groupby(["arm", "endpoint"], sort=False))
    n_rows = math.ceil(len(groups) / columns)
    figure = Figure(figsize=(6.0 * columns, 0.35 * TOP * n_rows + 1.2 * n_rows))
    FigureCanvasAgg(figure)
    axes = figure.subplots(n_rows, columns, squeeze=False).ravel()
    for ax, ((arm, endpoint), group) in zip(axes, groups, strict=False):
        scale = " (log10)" if group["scale"].iloc[0] == "log10" else ""
        ax.set_title(f"{endpoint}{scale}\n({arm})", fontsize=9)
        ax.set_xlim(0.0, 1.05)
        ranked = group[np.isfinite(group["ST"])].sort_values("ST", ascending=False).head(TOP)
        if ranked.empty:
            ax.text(0.5, 0.5, str(group["note"].iloc[0]), ha="center", va="center", fontsize=8,
                    transform=ax.transAxes)
            ax.set_yticks([])
            continue
        y = np.arange(len(ranked))[::-1]
        ax.barh(y + 0.2, ranked["ST"].clip(lower=0.0), height=0.4, xerr=ranked["ST_conf"],
                color="#1f4e79", label="ST (total)", error_kw={"elinewidth": 0.8})
        ax.barh(y - 0.2, ranked["S1"].clip(lower=0.0), height=0.4, xerr=ranked["S1_conf"],
                color="#8fb8de", label="S1 (first order)", error_kw={"elinewidth": 0.8})
        ax.set_yticks(y, ranked["parameter"], fontsize=7)
        ax.set_xlabel("Sobol index", fontsize=8)
    for ax in axes[len(groups):]:
        ax.set_visible(False)
    handles, labels = next((ax.get_legend_handles_labels() for ax in axes
                            if ax.get_legend_handles_labels()[0]), ([], []))
    figure.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - 0.3 / figure.get_figheight()))
    if handles:
        figure.legend(handles, labels, loc="upper center", ncol=2, fontsize=8, frameon=False)
    return figure
