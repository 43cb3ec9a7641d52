"""The science the model must get right: invariants and the direction of every therapy effect.

Each test names the mechanism it protects. Simulations use the typical patient of the scenario
and are shared through module-scoped fixtures, because one scenario takes seconds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cartsim.io.scenario import load_scenario
from cartsim.parameters import load_catalog
from cartsim.simulation import simulate
from cartsim.therapies.lymphodepletion import lymphodepletion_preset
from cartsim.therapies.regimens import Arm, CarT, NoTherapy

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"


def _car_t(target: str, lymphodepletion: str = "flu_cy") -> CarT:
    return CarT(target, 1e6, "cells/kg", "4-1BB", "autologous", lymphodepletion_preset(lymphodepletion))


@pytest.fixture(scope="module")
def demo():
    return simulate(SCENARIO)


@pytest.fixture(scope="module")
def products():
    scenario = load_scenario(SCENARIO)
    arms = (Arm("CD19", _car_t("CD19")), Arm("BCMA", _car_t("BCMA")),
            Arm("CD19 without lymphodepletion", _car_t("CD19", "none")))
    return simulate(replace(scenario, arms=arms, horizon_days=180.0))


def test_untreated_steady_state_holds(demo):
    untreated = demo.sel(arm="Untreated")
    for name in ("bcell_blood_per_ul", "bcell_pct_baseline_lymph_node", "igg_pct_baseline",
                 "nfl_pg_per_ml", "tcell_blood_per_ul", "il6_pg_per_ml"):
        values = untreated[name].values
        assert np.allclose(values, values[0], rtol=1e-6), name
    assert float(untreated.bcell_blood_per_ul[0]) == pytest.approx(194.0, rel=1e-6)


def test_states_stay_non_negative(demo):
    for name, variable in demo.data_vars.items():
        assert float(variable.min()) >= 0.0, name


def test_car_t_depletes_lymph_node_and_cns_more_deeply_than_ocrelizumab(demo):
    def deepest(arm, compartment):
        return float(demo[f"bcell_pct_baseline_{compartment}"].sel(arm=arm).min())

    for compartment in ("lymph_node", "cns"):
        assert deepest("CD19 CAR-T", compartment) < deepest("Ocrelizumab", compartment)


def test_ocrelizumab_spares_cd20_negative_plasmablasts_and_plasma_cells(demo):
    ocrelizumab = demo.sel(arm="Ocrelizumab")
    assert float(ocrelizumab.bcell_pct_baseline_blood.min()) < 10.0
    assert float(ocrelizumab.plasma_cell_pct_baseline_bone_marrow.min()) > 80.0


def test_cd19_spares_long_lived_plasma_cells_while_bcma_depletes_them(products):
    plasma = products.plasma_cell_pct_baseline_bone_marrow
    cd19, bcma = float(plasma.sel(arm="CD19").min()), float(plasma.sel(arm="BCMA").min())
    assert cd19 > 80.0
    assert bcma < 50.0
    assert bcma < 0.5 * cd19


def test_lymphodepletion_raises_car_t_expansion(products):
    peak = products.cart_blood_per_ul.max(dim="time")
    assert float(peak.sel(arm="CD19")) > 2.0 * float(peak.sel(arm="CD19 without lymphodepletion"))


def test_larger_target_burden_raises_peak_il6():
    scenario = load_scenario("scenarios/oncology_b_all.toml")
    arms = (Arm("CD19 CAR-T", _car_t("CD19", "flu_cy_oncology")),)
    peaks = []
    for blasts in (5.0, 60.0):
        population = replace(scenario.population, covariates={"marrow_blast_pct": blasts})
        ds = simulate(replace(scenario, population=population, arms=arms, horizon_days=60.0))
        peaks.append(float(ds.il6_pg_per_ml.max()))
    ms = simulate(replace(load_scenario(SCENARIO), arms=arms, horizon_days=60.0))
    assert float(ms.il6_pg_per_ml.max()) < peaks[0] < peaks[1]


def test_shifting_a_regimen_shifts_the_response():
    scenario = load_scenario(SCENARIO)
    early = _car_t("CD19")
    late = replace(early, infusion_day=30.0)
    ds = simulate(replace(scenario, arms=(Arm("day 0", early), Arm("day 30", late)),
                          horizon_days=120.0))
    peak_day = ds.cart_blood_per_ul.idxmax(dim="time")
    assert float(peak_day.sel(arm="day 30") - peak_day.sel(arm="day 0")) == pytest.approx(30.0, abs=1.0)


def test_a_dose_changes_the_outcome():
    scenario = load_scenario(SCENARIO)
    ds = simulate(replace(scenario, arms=(Arm("CAR-T", _car_t("CD19")), Arm("none", NoTherapy())),
                          horizon_days=60.0))
    nadir = ds.bcell_blood_per_ul.min(dim="time")
    assert float(nadir.sel(arm="CAR-T")) < 0.1 * float(nadir.sel(arm="none"))


def test_every_parameter_the_model_reads_is_in_the_catalogue():
    from cartsim.model.layout import CATALOG_PARAMETERS

    catalog = load_catalog()
    missing = [name for name, _ in CATALOG_PARAMETERS if name not in catalog.records]
    assert not missing
    catalog.vector(CATALOG_PARAMETERS)  # raises if a unit does not convert
