"""A sweep across the catalogue bounds: every patient-arm is integrated or reported, never NaN.

The slow test runs ``CARTSIM_SWEEP_N`` swept patients (default 3; ``benchmarks/sweep.py`` runs
1e4 and draws the figure) through every arm of the default scenario with the trial machinery.
The fast tests check that the outcome check itself catches each kind of silent failure.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from cartsim.io.scenario import load_scenario
from cartsim.parameters import load_catalog
from cartsim.trials.sweep import ALWAYS_DEFINED, run_sweep, sweep_outcomes, swept_values

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"


@pytest.mark.slow
def test_sweep_across_catalogue_bounds_has_no_unreported_failure(tmp_path):
    n = int(os.environ.get("CARTSIM_SWEEP_N", "3"))
    scenario = load_scenario(SCENARIO)
    patients = run_sweep(scenario, load_catalog(), tmp_path, n, chunk_size=2)
    outcomes = sweep_outcomes(patients, scenario, n)
    assert outcomes.unreported == []
    assert int(outcomes.counts.to_numpy().sum()) == n * len(scenario.arms)
    rows = pd.read_parquet(patients)
    failed = rows[rows["status"] == "failed"]
    assert failed["reason"].str.len().gt(0).all()
    print(f"{n} swept patients:\n{outcomes.counts}\n{outcomes.rescued_by}")


def test_swept_values_span_the_bounds_and_depend_only_on_seed_and_index():
    catalog = load_catalog()
    values = swept_values(catalog, 7, 3)
    assert values == swept_values(catalog, 7, 3) != swept_values(catalog, 7, 4)
    for name, value in values.items():
        low, high = catalog.record(name).bounds
        assert low <= value <= high, name


def _rows(n: int, arms: list[str]) -> pd.DataFrame:
    rows = pd.DataFrame([{"patient": p, "arm": a, "status": "ok", "reason": "", "attempts": 1}
                         for p in range(n) for a in arms])
    for name in ALWAYS_DEFINED:
        rows[name] = 1.0
    return rows


@pytest.mark.parametrize(("damage", "message"), [
    (lambda r: r.drop(index=0), "rows"),
    (lambda r: r.assign(status=np.where(r.index == 1, "lost", r["status"])), "status 'lost'"),
    (lambda r: r.assign(status=np.where(r.index == 2, "failed", r["status"])), "without a reason"),
    (lambda r: r.assign(nfl_change_pct=np.where(r.index == 3, np.nan, 1.0)), "nfl_change_pct is NaN"),
])
def test_the_outcome_check_catches_every_silent_failure(damage, message, tmp_path):
    scenario = load_scenario(SCENARIO)
    arms = [a.name for a in scenario.arms]
    path = tmp_path / "patients.parquet"
    _rows(2, arms).to_parquet(path)
    assert sweep_outcomes(path, scenario, 2).unreported == []
    damage(_rows(2, arms)).to_parquet(path)
    unreported = sweep_outcomes(path, scenario, 2).unreported
    assert len(unreported) == 1 and message in unreported[0]


def test_outcomes_count_retries_by_the_attempt_that_rescued_them(tmp_path):
    scenario = load_scenario(SCENARIO)
    arms = [a.name for a in scenario.arms]
    rows = _rows(3, arms)
    rows.loc[0, ["attempts", "reason"]] = [3, "ndf rtol=1e-06: step limit; ndf rtol=1e-07: step limit"]
    rows.loc[1, ["status", "attempts", "reason"]] = ["failed", 3, "every attempt: step limit"]
    rows.to_parquet(tmp_path / "patients.parquet")
    outcomes = sweep_outcomes(tmp_path / "patients.parquet", scenario, 3)
    assert outcomes.unreported == []
    assert outcomes.counts.loc[arms[0]].tolist() == [2, 1, 0]
    assert outcomes.counts.loc[arms[1]].tolist() == [2, 0, 1]
    assert outcomes.rescued_by.loc[arms[0]].tolist() == [0, 1, 0]
