"""The figure set of a single-patient simulation: one PNG per topic, arms overlaid.

``plot_simulation`` draws the trajectories Dataset returned by ``simulate`` (dims ``arm``,
``time``) with matplotlib's Agg renderer, without pyplot, so it holds no global figure state
and needs no display. Each arm keeps one colour in every figure. This module only draws
finished trajectories: it must not run simulations or compute new quantities beyond masking
and clipping values for display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogFormatter

from cartsim.model.bcells_layout import SUBSETS
from cartsim.model.compartments import COMPARTMENTS

COMPARTMENT_LABELS = {
    "blood": "Blood",
    "lymph_node": "Lymph node",
    "spleen": "Spleen",
    "bone_marrow": "Bone marrow",
    "cns": "CNS",
}
SUBSET_LABELS = {
    "pre_b": "Pre-B",
    "transitional": "Transitional",
    "naive": "Naive",
    "memory": "Memory",
    "plasmablast": "Plasmablast",
    "plasma_cell": "Plasma cell",
}

X_LABEL = "Days after infusion"
DPI = 150

# Lowest % of baseline drawn on log axes: 0.01 % is four orders of magnitude of depletion,
# beyond what tissue biopsies or flow cytometry can resolve, and it keeps a complete
# depletion (exact zero) visible as a flat line at the floor instead of a gap.
PCT_BASELINE_FLOOR = 0.01

# Lowest value shown on log axes of cell concentrations (cells/µL) and cell numbers (cells):
# 1e-3 cells/µL is about five cells in the whole blood volume and one cell is one cell;
# decaying curves run off the axis below these instead of stretching it over 30 decades.
LOWEST_SHOWN_PER_UL = 1e-3
LOWEST_SHOWN_CELLS = 1.0

# Window of the acute IL-6 / CRP panels: CAR-T expansion, CRS and ICANS fall within the
# first weeks after infusion, and a two-year axis would compress them into a spike.
ACUTE_WINDOW_DAYS = 60.0

_STYLE = {
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.fontsize": 10,
    "lines.linewidth": 1.7,
}


def arm_colours(arms: Iterable[str]) -> dict[str, tuple[float, float, float, float]]:
    """Give each arm a fixed colour from the ``tab10`` palette, in the order the arms come.

    Examples
    --------
    >>> list(arm_colours(["cd19_cart", "ocrelizumab"]))
    ['cd19_cart', 'ocrelizumab']
    """
    palette = mpl.colormaps["tab10"]
    return {str(arm): palette(i % palette.N) for i, arm in enumerate(arms)}


def _readable(value: float) -> str:
    """Plain numbers from 0.001 up to 100 000, powers of ten outside (tick labels)."""
    if 1e-3 <= value < 1e5:
        return f"{value:g}"
    exponent = int(np.floor(np.log10(value)))
    mantissa = value / 10.0**exponent
    if np.isclose(mantissa, 1.0):
        return f"$10^{{{exponent}}}$"
    return f"${mantissa:.0f}\\times10^{{{exponent}}}$"


class _LogLabels(LogFormatter):
    """Matplotlib's choice of which log ticks to label, written as plain readable numbers."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return _readable(x) if super().__call__(x, pos) else ""


class _Painter:
    """Draws the arms of one Dataset onto axes with shared colours and display rules."""

    def __init__(self, ds: xr.Dataset) -> None:
        self.ds = ds
        self.time = ds["time"].to_numpy()
        self.arms = [str(arm) for arm in ds["arm"].to_numpy()]
        self.colours = arm_colours(self.arms)

    def figure(
        self,
        nrows: int,
        ncols: int,
        size: tuple[float, float],
        title: str,
        *,
        sharex: bool = True,
    ) -> tuple[Figure, np.ndarray]:
        """A new Agg figure with a grid of axes, by default sharing the time axis."""
        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=sharex)
        fig.suptitle(title, fontsize=13, fontweight="bold")
        for ax in axes[-1] if sharex else axes.flat:
            ax.set_xlabel(X_LABEL)
        fig.align_ylabels(axes[:, 0])
        return fig, axes

    def lines(
        self,
        ax: Axes,
        variable: str,
        title: str,
        *,
        log: bool = False,
        floor: float | None = None,
        lowest: float | None = None,
        window: float | None = None,
        reference: float | None = None,
    ) -> None:
        """Plot ``variable`` for every arm.

        On log axes non-positive values are masked; ``floor`` clips values up to it (drawn
        as a flat line), ``lowest`` only cuts the axis there when the data go further down.
        """
        plotted_positive = False
        smallest = np.inf
        for arm in self.arms:
            values = self.ds[variable].sel(arm=arm).to_numpy().astype(float)
            if floor is not None:
                values = np.maximum(values, floor)
            if log:
                values = np.where(values > 0, values, np.nan)
                finite = values[np.isfinite(values)]
                if finite.size:
                    plotted_positive = True
                    smallest = min(smallest, float(finite.min()))
            ax.plot(self.time, values, color=self.colours[arm], label=arm)
        ax.set_title(title)
        ax.set_xlim(self.time[0], min(self.time[-1], window or self.time[-1]))
        if reference is not None:
            ax.axhline(reference, color="0.45", linestyle=":", linewidth=1.0)
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(_LogLabels())
            ax.yaxis.set_minor_formatter(_LogLabels(labelOnlyBase=False))
            if floor is not None:
                ax.set_ylim(bottom=floor * 0.7)
            elif lowest is not None and smallest < lowest:
                ax.set_ylim(bottom=lowest)
            if not plotted_positive:
                ax.set_ylim(1e-2, 1e2)
                ax.text(
                    0.5,
                    0.5,
                    "zero in every arm",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    color="0.4",
                )
        else:
            ax.set_ylim(bottom=0)

    def save(self, fig: Figure, path: Path) -> Path:
        """Add the arm legend below the panels and write the PNG."""
        handles = [Line2D([], [], color=self.colours[arm], label=arm) for arm in self.arms]
        fig.legend(
            handles=handles, loc="outside lower center", ncols=min(len(handles), 5), frameon=False
        )
        fig.savefig(path, dpi=DPI)
        return path


def _cart(p: _Painter) -> Figure:
    fig, axes = p.figure(1, 2, (11, 4.3), "CAR-T cells")
    p.lines(
        axes[0, 0], "cart_blood_per_ul", "Blood (cells/µL)", log=True, lowest=LOWEST_SHOWN_PER_UL
    )
    p.lines(
        axes[0, 1],
        "cart_csf_per_ul",
        "Cerebrospinal fluid (cells/µL)",
        log=True,
        lowest=LOWEST_SHOWN_PER_UL,
    )
    return fig


def _bcells_compartments(p: _Painter) -> Figure:
    fig, axes = p.figure(1, len(COMPARTMENTS), (18, 4.3), "B cells by compartment")
    for ax, compartment in zip(axes[0], COMPARTMENTS, strict=True):
        p.lines(
            ax,
            f"bcell_pct_baseline_{compartment}",
            f"{COMPARTMENT_LABELS[compartment]} (% of baseline)",
            log=True,
            floor=PCT_BASELINE_FLOOR,
            reference=100.0,
        )
    return fig


def _bcells_subsets(p: _Painter) -> Figure:
    fig, axes = p.figure(
        len(SUBSETS), len(COMPARTMENTS), (18, 16), "B-lineage subsets by compartment (cells)"
    )
    for row, subset in enumerate(SUBSETS):
        for col, compartment in enumerate(COMPARTMENTS):
            ax = axes[row, col]
            title = COMPARTMENT_LABELS[compartment] if row == 0 else ""
            p.lines(ax, f"bcell_{subset}_{compartment}", title, log=True, lowest=LOWEST_SHOWN_CELLS)
        axes[row, 0].set_ylabel(f"{SUBSET_LABELS[subset]} (cells)", fontweight="bold")
    return fig


def _plasma_cells(p: _Painter) -> Figure:
    fig, axes = p.figure(1, 2, (11, 4.3), "Plasma cells")
    p.lines(
        axes[0, 0],
        "plasma_cell_pct_baseline_bone_marrow",
        "Bone marrow (% of baseline)",
        reference=100.0,
    )
    p.lines(axes[0, 1], "plasma_cell_pct_baseline_cns", "CNS (% of baseline)", reference=100.0)
    return fig


def _il6(p: _Painter) -> Figure:
    fig, axes = p.figure(1, 2, (11, 4.3), f"Inflammation, first {ACUTE_WINDOW_DAYS:.0f} days")
    p.lines(axes[0, 0], "il6_pg_per_ml", "Serum IL-6 (pg/mL)", log=True, window=ACUTE_WINDOW_DAYS)
    p.lines(axes[0, 1], "crp_mg_per_l", "C-reactive protein (mg/L)", window=ACUTE_WINDOW_DAYS)
    return fig


def _immunoglobulins(p: _Painter) -> Figure:
    fig, axes = p.figure(1, 3, (15, 4.3), "Immunoglobulins")
    p.lines(axes[0, 0], "igg_pct_baseline", "Serum IgG (% of baseline)", reference=100.0)
    p.lines(
        axes[0, 1], "autoantibody_pct_baseline", "Autoantibody (% of baseline)", reference=100.0
    )
    p.lines(
        axes[0, 2],
        "intrathecal_igg_pct_baseline",
        "Intrathecal IgG (% of baseline)",
        reference=100.0,
    )
    return fig


def _disease(p: _Painter) -> Figure:
    fig, axes = p.figure(1, 3, (15, 4.3), "Disease activity")
    p.lines(axes[0, 0], "relapse_hazard_per_year", "Relapse hazard (per year)")
    p.lines(axes[0, 1], "nfl_pg_per_ml", "Serum neurofilament light (pg/mL)")
    p.lines(axes[0, 2], "expected_relapses", "Expected cumulative relapses (count)")
    return fig


def _overview(p: _Painter) -> Figure:
    fig, axes = p.figure(2, 3, (15, 8.2), "Simulation overview", sharex=False)
    p.lines(
        axes[0, 0],
        "cart_blood_per_ul",
        "CAR-T cells in blood (cells/µL)",
        log=True,
        lowest=LOWEST_SHOWN_PER_UL,
    )
    p.lines(
        axes[0, 1],
        "bcell_blood_per_ul",
        "B cells in blood (cells/µL)",
        log=True,
        lowest=LOWEST_SHOWN_PER_UL,
    )
    p.lines(
        axes[0, 2],
        "bcell_pct_baseline_lymph_node",
        "B cells in lymph node (% of baseline)",
        log=True,
        floor=PCT_BASELINE_FLOOR,
        reference=100.0,
    )
    p.lines(
        axes[1, 0],
        "plasma_cell_pct_baseline_bone_marrow",
        "Plasma cells in bone marrow (% of baseline)",
        reference=100.0,
    )
    p.lines(
        axes[1, 1],
        "il6_pg_per_ml",
        f"Serum IL-6, first {ACUTE_WINDOW_DAYS:.0f} days (pg/mL)",
        log=True,
        window=ACUTE_WINDOW_DAYS,
    )
    p.lines(axes[1, 2], "relapse_hazard_per_year", "Relapse hazard (per year)")
    return fig


FIGURES: Sequence[tuple[str, Callable[[_Painter], Figure]]] = (
    ("cart.png", _cart),
    ("bcells_compartments.png", _bcells_compartments),
    ("bcells_subsets.png", _bcells_subsets),
    ("plasma_cells.png", _plasma_cells),
    ("il6.png", _il6),
    ("immunoglobulins.png", _immunoglobulins),
    ("disease.png", _disease),
    ("overview.png", _overview),
)
"""File names and builders of the figure set, in the order they are written."""


def plot_simulation(ds: xr.Dataset, out_dir: Path) -> list[Path]:
    """Draw the figure set of a simulation as 150-dpi PNGs, arms overlaid.

    Parameters
    ----------
    ds:
        Trajectories with dims ``arm`` and ``time`` (days after infusion), as from ``simulate``.
    out_dir:
        Folder to write into; created if missing.

    Returns
    -------
    list of Path
        The PNG files written, in the order of :data:`FIGURES`.

    Examples
    --------
    >>> paths = plot_simulation(simulate(scenario), Path("out"))  # doctest: +SKIP
    >>> paths[-1].name  # doctest: +SKIP
    'overview.png'
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    painter = _Painter(ds)
    with mpl.rc_context(_STYLE):
        return [painter.save(build(painter), out_dir / name) for name, build in FIGURES]
