"""Parameter uncertainty in virtual trials: per-patient draws, reproducible, wider spreads."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from cartsim.io.scenario import PopulationSpec, load_scenario
from cartsim.parameters import load_catalog
from cartsim.parameters.ranges import parameter_range
from cartsim.population import sample_patient
from cartsim.population.parameter_uncertainty import with_parameter_uncertainty
from cartsim.trials.run import run_trial

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"


def test_each_patient_draws_its_own_values_and_keeps_its_iiv():
    catalog = load_catalog()
    ranges = [parameter_range(catalog, "k_cns_exit")]
    patients = [sample_patient(catalog, PopulationSpec("rrms"), 1, i) for i in range(4)]
    ranged = [with_parameter_uncertainty(vp, catalog, ranges, 1) for vp in patients]
    exits = {vp.parameter_values["k_cns_exit"] for vp in ranged}
    assert len(exits) == 4 and all(0.02 <= x <= 0.5 for x in exits)
    for plain, drawn in zip(patients, ranged, strict=True):
        assert {k: drawn.parameter_values[k] for k in plain.parameter_values} == \
            dict(plain.parameter_values)          # IIV untouched when its typical value is not drawn
    assert with_parameter_uncertainty(patients[0], catalog, ranges, 1) == ranged[0]


def test_iiv_is_applied_around_the_drawn_typical_value():
    catalog = load_catalog()
    vp = sample_patient(catalog, PopulationSpec("rrms"), 1, 0)
    drawn = with_parameter_uncertainty(vp, catalog, [parameter_range(catalog, "k_kill_cart")], 1)
    ratio = vp.parameter_values["k_kill_cart"] / catalog.value("k_kill_cart")
    typical = drawn.parameter_values["k_kill_cart"] / ratio
    record = catalog.record("k_kill_cart")
    assert typical != pytest.approx(catalog.value("k_kill_cart"))
    assert record.bounds[0] <= typical <= record.bounds[1]


@pytest.fixture(scope="module")
def one_arm():
    full = load_scenario(SCENARIO)
    return replace(full, horizon_days=30.0, arms=full.arms[:1])


def test_trial_with_parameter_uncertainty_is_reproducible_and_spreads_wider(one_arm, tmp_path):
    ranged = run_trial(one_arm, tmp_path / "a", n_patients=6, chunk_size=3,
                       parameter_uncertainty=True)
    from_file = run_trial(replace(one_arm, parameter_uncertainty=True), tmp_path / "b",
                          n_patients=6, chunk_size=6)
    plain = run_trial(one_arm, tmp_path / "c", n_patients=6)
    rows = {name: pd.read_parquet(tmp_path / name / "patients.parquet") for name in "abc"}
    pd.testing.assert_frame_equal(rows["a"], rows["b"])
    assert json.loads((tmp_path / "b" / "run.json").read_text())["parameter_uncertainty"] is True
    for name, included in (("a", True), ("b", True), ("c", False)):
        page = (tmp_path / name / "report.html").read_text()
        endpoints = json.loads((tmp_path / name / "endpoints.json").read_text())
        assert endpoints["provenance"]["parameter_uncertainty"] is included
        assert ("include parameter uncertainty" in page) is included
        assert ("between-patient variability only" in page) is not included
        assert "&#x27;parameter_uncertainty&#x27;: " + str(included) in page   # the provenance
    assert ranged.failures == from_file.failures == plain.failures == 0
    # The IgG nadir is driven by assumed plasma-cell parameters without IIV (the default
    # sensitivity run ranks k_plasmablast_to_plasma_cell first), so only uncertainty widens it.
    wide, narrow = (rows[k]["igg_nadir_pct_of_baseline"].std() for k in ("a", "c"))
    assert wide > 1.5 * narrow
