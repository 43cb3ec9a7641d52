"""Results writing with provenance, the per-arm summary and the figure set.

A synthetic Dataset shaped exactly like the output of ``simulate`` (dims arm, time) is built
from analytic curves, so every summary value is known in closed form.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from rich.console import Console
from rich.table import Table

from cartsim.errors import CartsimError
from cartsim.io.provenance import Provenance
from cartsim.io.results import read_results, write_results
from cartsim.report.figures import FIGURES, plot_simulation
from cartsim.report.summary import format_summary, summarise

ARMS = ("cd19_cart", "ocrelizumab", "untreated")
TIME = np.arange(0.0, 731.0)  # days 0..730, daily
HORIZON_YEARS = 730.0 / 365.25
COMPARTMENTS = ("blood", "lymph_node", "spleen", "bone_marrow", "cns")
SUBSETS = ("pre_b", "transitional", "naive", "memory", "plasmablast", "plasma_cell")
B_CELLS_0 = 200.0  # cells/µL in blood, untreated

PROVENANCE = Provenance(
    cartsim_version="0.1.0",
    parameter_digest="sha256:0f1e2d",
    scenario_name="synthetic",
    scenario_digest="sha256:a1b2c3",
    seed=20240917,
    solver={"backend": "rodas", "rtol": 1e-6, "atol": 1e-9},
    created_utc="2026-01-01T00:00:00Z",
)


def _cart_blood() -> np.ndarray:
    """Gamma-shaped expansion peaking at exactly 50 cells/µL on day 10."""
    return 50.0 * (TIME / 10.0) * np.exp(1.0 - TIME / 10.0)


def _bcells_cart() -> np.ndarray:
    """Falls below 1 cell/µL on day 5, nadir on day 30, back above 1 cell/µL on day 110."""
    fall = B_CELLS_0 * np.exp(-1.2 * TIME)
    nadir = B_CELLS_0 * math.exp(-1.2 * 30.0)
    regrowth = math.log(1.0 / nadir) / (109.5 - 30.0)  # crosses 1 cell/µL at day 109.5
    rise = np.minimum(nadir * np.exp(regrowth * (TIME - 30.0)), B_CELLS_0)
    return np.where(TIME <= 30.0, fall, rise)


def _arm_curves(arm: str) -> dict[str, tuple[np.ndarray, str, str]]:
    """Every variable of one arm: values, units and long name."""
    flat = np.ones_like(TIME)
    dip = 1.0 - np.exp(-TIME / 20.0) * (TIME / 20.0)  # 1 at day 0, minimum 1 - 1/e on day 20
    if arm == "cd19_cart":
        cart, bcell, pct_min, pc_min, il6_peak = _cart_blood(), _bcells_cart(), 0.5, 20.0, 80.0
    elif arm == "ocrelizumab":
        cart = np.zeros_like(TIME)
        bcell = 5.0 + (B_CELLS_0 - 5.0) * np.exp(-TIME)
        pct_min, pc_min, il6_peak = 40.0, 0.0, 4.0
    else:
        cart, bcell, pct_min, pc_min, il6_peak = (
            np.zeros_like(TIME),
            B_CELLS_0 * flat,
            100.0,
            0.0,
            2.0,
        )
    pct = 100.0 - (100.0 - pct_min) * np.minimum(TIME / 30.0, 1.0)
    curves: dict[str, tuple[np.ndarray, str, str]] = {
        "cart_blood_per_ul": (cart, "cell/uL", "CAR-T cells in blood"),
        "cart_csf_per_ul": (0.1 * cart, "cell/uL", "CAR-T cells in cerebrospinal fluid"),
        "bcell_blood_per_ul": (bcell, "cell/uL", "CD19+ B cells in blood"),
        "plasma_cell_pct_baseline_bone_marrow": (
            100.0 - pc_min * math.e * (1.0 - dip),
            "percent",
            "Bone-marrow plasma cells",
        ),
        "plasma_cell_pct_baseline_cns": (100.0 * flat, "percent", "CNS plasma cells"),
        "il6_pg_per_ml": (
            2.0 + (il6_peak - 2.0) * np.exp(-(((TIME - 7.0) / 3.0) ** 2)),
            "pg/mL",
            "Serum IL-6",
        ),
        "crp_mg_per_l": (
            1.0 + 0.5 * il6_peak * np.exp(-(((TIME - 8.0) / 3.0) ** 2)),
            "mg/L",
            "C-reactive protein",
        ),
        "bbb_index": (flat, "dimensionless", "Blood-brain barrier permeability index"),
        "igg_g_per_l": (10.0 * dip, "g/L", "Serum IgG"),
        "igg_pct_baseline": (100.0 * dip, "percent", "Serum IgG vs baseline"),
        "autoantibody_pct_baseline": (100.0 * dip, "percent", "Autoantibody vs baseline"),
        "intrathecal_igg_pct_baseline": (
            100.0 - 0.01 * TIME,
            "percent",
            "Intrathecal IgG vs baseline",
        ),
        "relapse_hazard_per_year": (0.5 * flat, "1/year", "Relapse hazard"),
        "lesion_rate_per_year": (1.0 * flat, "1/year", "New lesion rate"),
        "nfl_pg_per_ml": (10.0 * flat, "pg/mL", "Serum neurofilament light"),
        "expected_relapses": (
            0.5 * TIME / 365.25,
            "dimensionless",
            "Expected cumulative relapses since day 0",
        ),
        "anti_cd20_serum_ug_per_ml": (
            flat * (arm == "ocrelizumab"),
            "ug/mL",
            "Serum anti-CD20 antibody",
        ),
        "tcell_blood_per_ul": (1000.0 * flat, "cell/uL", "T cells in blood"),
        "malignant_cells_total": (0.0 * flat, "cell", "Malignant cells"),
    }
    for compartment in COMPARTMENTS:
        curves[f"cart_total_{compartment}"] = (1e6 * cart, "cell", f"CAR-T cells in {compartment}")
        curves[f"bcell_pct_baseline_{compartment}"] = (
            pct,
            "percent",
            f"B cells in {compartment} vs baseline",
        )
        for subset in SUBSETS:
            scale = 0.0 if (subset == "pre_b" and compartment == "cns") else 1e7
            curves[f"bcell_{subset}_{compartment}"] = (
                scale * pct / 100.0,
                "cell",
                f"{subset} B cells in {compartment}",
            )
    return curves


def make_dataset() -> xr.Dataset:
    """A Dataset shaped like ``simulate`` output for the three arms of :data:`ARMS`."""
    per_arm = {arm: _arm_curves(arm) for arm in ARMS}
    data_vars = {}
    for name, (_, units, long_name) in per_arm[ARMS[0]].items():
        stacked = np.stack([per_arm[arm][name][0].astype(np.float64) for arm in ARMS])
        data_vars[name] = (("arm", "time"), stacked, {"units": units, "long_name": long_name})
    return xr.Dataset(
        data_vars,
        coords={
            "arm": list(ARMS),
            "time": ("time", TIME, {"units": "day", "long_name": "Days after infusion"}),
        },
        attrs=PROVENANCE.as_attrs(),
    )


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return make_dataset()


@pytest.fixture(scope="module")
def summary(ds: xr.Dataset) -> pd.DataFrame:
    return summarise(ds)


def test_provenance_attrs_are_flat_and_round_trip() -> None:
    attrs = PROVENANCE.as_attrs()
    assert all(isinstance(value, str | int | float) for value in attrs.values())
    assert json.loads(str(attrs["solver"])) == {"backend": "rodas", "rtol": 1e-6, "atol": 1e-9}
    assert Provenance.from_attrs(attrs) == PROVENANCE


def test_provenance_requires_solver_settings() -> None:
    with pytest.raises(CartsimError, match="rtol, atol"):
        Provenance("0.1.0", "p", "s", "d", 1, {"backend": "rodas"})


def test_write_read_round_trip_keeps_values_units_and_provenance(
    ds: xr.Dataset, tmp_path: Path
) -> None:
    paths = write_results(ds, tmp_path)
    assert [p.name for p in paths] == ["trajectories.nc", "summary.csv", "provenance.json"]
    assert all(p.stat().st_size > 0 for p in paths)

    back = read_results(tmp_path)
    assert list(back["arm"].to_numpy()) == list(ARMS)
    np.testing.assert_array_equal(back["time"].to_numpy(), TIME)
    assert set(back.data_vars) == set(ds.data_vars)
    for name, variable in ds.data_vars.items():
        assert back[name].dtype == np.float64
        np.testing.assert_array_equal(back[name].to_numpy(), variable.to_numpy())
        assert back[name].attrs["units"] == variable.attrs["units"]
        assert back[name].attrs["long_name"] == variable.attrs["long_name"]
    assert Provenance.from_attrs(back.attrs) == PROVENANCE
    xr.testing.assert_equal(read_results(tmp_path / "trajectories.nc"), back)

    record = json.loads((tmp_path / "provenance.json").read_text(encoding="utf-8"))
    assert record["seed"] == PROVENANCE.seed
    assert record["solver"] == {"backend": "rodas", "rtol": 1e-6, "atol": 1e-9}

    table = pd.read_csv(tmp_path / "summary.csv", index_col="arm")
    pd.testing.assert_frame_equal(table, summarise(ds), check_names=False)


def test_write_refuses_a_variable_without_units(ds: xr.Dataset, tmp_path: Path) -> None:
    bad = ds.copy()
    bad["il6_pg_per_ml"] = bad["il6_pg_per_ml"].copy()
    bad["il6_pg_per_ml"].attrs = {"long_name": "Serum IL-6"}
    with pytest.raises(CartsimError, match="'il6_pg_per_ml' has no units"):
        write_results(bad, tmp_path)


def test_write_refuses_a_dataset_without_provenance(ds: xr.Dataset, tmp_path: Path) -> None:
    with pytest.raises(CartsimError, match="no provenance attribute"):
        write_results(ds.drop_attrs(deep=False), tmp_path)


def test_read_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CartsimError, match=r"trajectories\.nc does not exist"):
        read_results(tmp_path)


def test_summary_has_one_row_per_arm(summary: pd.DataFrame) -> None:
    assert list(summary.index) == list(ARMS)
    assert summary.index.name == "arm"
    assert summary.dtypes.eq(np.float64).all()


def test_summary_cart_peak(summary: pd.DataFrame) -> None:
    assert summary.loc["cd19_cart", "cart_peak_blood_per_ul"] == pytest.approx(50.0)
    assert summary.loc["cd19_cart", "cart_peak_day"] == 10.0
    assert summary.loc["ocrelizumab", "cart_peak_blood_per_ul"] == 0.0
    assert math.isnan(summary.loc["ocrelizumab", "cart_peak_day"])
    assert math.isnan(summary.loc["untreated", "cart_peak_day"])


def test_summary_b_cell_reappearance(summary: pd.DataFrame) -> None:
    assert summary.loc["cd19_cart", "b_cell_reappearance_day"] == 110.0
    assert summary.loc["cd19_cart", "b_cell_nadir_blood_per_ul"] == pytest.approx(
        B_CELLS_0 * math.exp(-36.0)
    )
    assert math.isnan(summary.loc["ocrelizumab", "b_cell_reappearance_day"])  # never below 1
    assert math.isnan(summary.loc["untreated", "b_cell_reappearance_day"])


def test_summary_b_cell_that_never_returns_has_no_reappearance(ds: xr.Dataset) -> None:
    gone = ds.copy(deep=True)
    gone["bcell_blood_per_ul"].loc[{"arm": "cd19_cart", "time": slice(30.0, None)}] = 0.0
    assert math.isnan(summarise(gone).loc["cd19_cart", "b_cell_reappearance_day"])


def test_summary_depletion_and_biomarkers(summary: pd.DataFrame) -> None:
    cart = summary.loc["cd19_cart"]
    for compartment in ("lymph_node", "cns", "bone_marrow"):
        assert cart[f"b_cell_depletion_pct_{compartment}"] == pytest.approx(99.5)
        assert summary.loc["ocrelizumab", f"b_cell_depletion_pct_{compartment}"] == (
            pytest.approx(60.0)
        )
        assert summary.loc["untreated", f"b_cell_depletion_pct_{compartment}"] == 0.0
    assert cart["plasma_cell_depletion_pct_bone_marrow"] == pytest.approx(20.0)
    assert cart["il6_peak_pg_per_ml"] == pytest.approx(80.0)
    assert cart["igg_nadir_pct_of_baseline"] == pytest.approx(100.0 * (1.0 - 1.0 / math.e))
    assert cart["intrathecal_igg_change_pct"] == pytest.approx(-7.3)
    assert summary["annualized_relapse_rate"].to_numpy() == pytest.approx([0.5, 0.5, 0.5])


def test_format_summary_rounds_and_shows_nan_as_dash(summary: pd.DataFrame) -> None:
    table = format_summary(summary)
    assert isinstance(table, Table)
    assert [column.header for column in table.columns] == ["Quantity", "Unit", *ARMS]
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    rows = {
        cells[0]: cells[1:]
        for line in text.splitlines()
        if len(cells := [cell.strip() for cell in line.split("│")[1:-1]]) == 5
    }
    assert rows["Day of CAR-T peak"] == ["day", "10", "-", "-"]
    assert rows["B-cell nadir in blood"] == ["cells/µL", "<0.01", "5.00", "200.00"]
    assert rows["Intrathecal IgG change at end"][1] == "-7.3"
    assert "B-cell reappearance in blood" in text
    assert "nan" not in text.lower()


def test_every_figure_is_written(ds: xr.Dataset, tmp_path: Path) -> None:
    paths = plot_simulation(ds, tmp_path / "figures")
    assert [p.name for p in paths] == [name for name, _ in FIGURES]
    assert len(paths) == 8
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path.name
        assert path.stat().st_size > 10_000, path.name


def test_figures_cope_with_no_cart_in_any_arm(ds: xr.Dataset, tmp_path: Path) -> None:
    no_cart = ds.sel(arm=["ocrelizumab", "untreated"])
    paths = plot_simulation(no_cart, tmp_path)
    assert all(path.stat().st_size > 0 for path in paths)
