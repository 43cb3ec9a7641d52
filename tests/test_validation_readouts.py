"""Readouts recover known kinetics from synthetic series, and cohort summaries are right."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cartsim.parameters import load_catalog
from cartsim.therapies.management import ManagementDose
from cartsim.validation.readouts import READOUTS, PatientSeries
from cartsim.validation.runner import summarise

T = np.arange(-5.0, 366.0)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def stein_like(rho: float = 0.9, peak: float = 10.0, alpha: float = 0.16, beta: float = 0.0032,
               fb: float = 0.0079) -> np.ndarray:
    """Blood CAR-T: trough 1 on day 1, growth at rho to the peak, then Stein's bi-exponential."""
    cart = np.where(T < 1, 5.0, np.exp(rho * (T - 1)))
    top = math.exp(rho * (peak - 1))
    after = peak < T
    dt = T[after] - peak
    cart[after] = top * (fb * np.exp(-beta * dt) + (1 - fb) * np.exp(-alpha * dt))
    return cart


def read(name: str, arm: dict[str, np.ndarray], catalog, reference=None, **options) -> float:
    return READOUTS[name].function(PatientSeries(T, arm, reference, catalog), **options)


def test_cart_kinetics_are_recovered(catalog) -> None:
    arm = {"cart_blood_per_ul": stein_like()}
    assert read("cart_peak_day", arm, catalog) == 10.0
    assert read("cart_fold_expansion", arm, catalog) == pytest.approx(math.exp(0.9 * 9))
    assert read("cart_doubling_time", arm, catalog) == pytest.approx(math.log(2) / 0.9)
    assert read("cart_initial_half_life", arm, catalog) == pytest.approx(math.log(2) / 0.16, rel=0.1)
    assert read("cart_terminal_half_life", arm, catalog) == pytest.approx(math.log(2) / 0.0032, rel=0.01)


def test_b_cell_return_and_its_naive_share(catalog) -> None:
    blood = np.where((T > 3) & (T < 100), 0.1, 50.0)
    arm = {"bcell_blood_per_ul": blood, "bcell_pre_b_blood": np.zeros_like(T),
           "bcell_transitional_blood": 0.5 * blood, "bcell_naive_blood": 0.3 * blood,
           "bcell_memory_blood": 0.2 * blood}
    assert read("b_cell_reappearance_day", arm, catalog) == 100.0
    assert read("naive_share_after_reappearance", arm, catalog, days_after=30.0) == pytest.approx(80.0)
    assert read("b_cells_undetectable_on_day", arm, catalog, day=14.0) == 1.0
    assert read("b_cells_undetectable_on_day", arm, catalog, day=200.0) == 0.0
    assert read("maximum_between", arm, catalog, observable="bcell_blood_per_ul",
                from_day=7.0, to_day=56.0) == 0.1
    assert math.isnan(read("value_on_day", arm, catalog, observable="bcell_blood_per_ul", day=999.0))


def test_tocilizumab_given_reads_the_management_doses(catalog) -> None:
    def given(*drugs: str) -> float:
        doses = tuple(ManagementDose(4.1, drug, 10.0, 3, "") for drug in drugs)
        series = PatientSeries(T, {}, None, catalog, doses)
        return READOUTS["tocilizumab_given"].function(series)

    assert given() == 0.0
    assert given("dexamethasone") == 0.0
    assert given("dexamethasone", "tocilizumab") == 1.0
    assert PatientSeries(T, {}, None, catalog, (ManagementDose(4.1, "tocilizumab", 560.0, 3, ""),)
                         ).first_management_dose == 4.1


def test_lymph_node_depletion_uses_the_assumed_residual(catalog) -> None:
    limit = catalog.value("residual_pct_lymph_node_depleted")
    deep = {"bcell_pct_baseline_lymph_node": np.where(T > 10, limit, 100.0)}
    shallow = {"bcell_pct_baseline_lymph_node": np.where(T > 10, 2 * limit, 100.0)}
    assert read("lymph_node_complete_depletion", deep, catalog) == 1.0
    assert read("lymph_node_complete_depletion", shallow, catalog) == 0.0


def test_relapse_rate_ratio_counts_from_day_0(catalog) -> None:
    arm = {"expected_relapses": np.maximum(T, 0) * 0.001 + 7.0}
    reference = {"expected_relapses": np.maximum(T, 0) * 0.004}
    assert read("relapse_rate_ratio", arm, catalog, reference) == pytest.approx(0.25)


def test_summaries() -> None:
    values = np.array([10.0, 20.0, 30.0, np.nan])
    assert summarise("mean", values)[0] == 20.0 and summarise("mean", values)[2] == 3
    assert summarise("median", values)[1] == pytest.approx((11.0, 29.0))
    assert summarise("value", np.array([4.0]))[0] == 4.0
    assert math.isnan(summarise("mean", np.array([np.nan]))[0])
