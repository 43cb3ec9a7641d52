"""Virtual trials end to end: outputs, reproducibility across engines, resume, failures, CLI."""

from __future__ import annotations

import json
import shutil
import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import zarr
from typer.testing import CliRunner

from cartsim.cli.main import app
from cartsim.errors import CartsimError
from cartsim.io.scenario import load_scenario
from cartsim.trials.endpoints import DISTRIBUTIONS, PROPORTIONS, SERIES
from cartsim.trials.engines import DaskEngine, LocalEngine
from cartsim.trials.run import run_trial

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"


@pytest.fixture(scope="module")
def scenario():
    full = load_scenario(SCENARIO)
    return replace(full, horizon_days=60.0, arms=full.arms[:2])


@pytest.fixture(scope="module")
def serial(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    result = run_trial(scenario, out, n_patients=6, chunk_size=2, trajectories=True)
    return result, out


def _same_results(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(a / "patients.parquet"),
                                  pd.read_parquet(b / "patients.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(a / "events.parquet"),
                                  pd.read_parquet(b / "events.parquet"))
    first, second = (json.loads((d / "endpoints.json").read_text()) for d in (a, b))
    assert first["arms"] == second["arms"]


def test_trial_writes_every_output_in_the_stable_layout(serial, scenario):
    _, out = serial
    for name in ("patients.parquet", "events.parquet", "endpoints.json", "screening.json",
                 "report.html", "figures/bands.png", "figures/relapse_free.png"):
        assert (out / name).is_file(), name
    endpoints = json.loads((out / "endpoints.json").read_text())
    assert set(endpoints) >= {"scenario", "seed", "cartsim_version", "arms"}
    assert list(endpoints["arms"]) == [a.name for a in scenario.arms]
    arms = endpoints["arms"]
    assert sum(a["n_patients"] for a in arms.values()) == 6
    for arm in arms.values():
        assert set(arm["endpoints"]) == set(DISTRIBUTIONS) | set(PROPORTIONS)
        for name in PROPORTIONS:
            block = arm["endpoints"][name]
            assert block is None or (set(block) == {"value", "ci95", "n"}
                                     and block["ci95"][0] <= block["value"] <= block["ci95"][1])
    car_t, antibody = arms.values()
    assert set(car_t["endpoints"]["cart_peak_blood_per_ul"]) == {"mean", "sd", "median", "p25", "p75", "n"}
    assert antibody["endpoints"]["cart_peak_blood_per_ul"] is None
    assert car_t["endpoints"]["b_cell_repletion_day_after_last_dose"] is None
    rows = pd.read_parquet(out / "patients.parquet")
    assert (rows["status"] == "ok").all()
    assert rows["patient"].is_monotonic_increasing


def test_trajectories_are_chunked_by_patient(serial, scenario):
    _, out = serial
    root = zarr.open_group(str(out / "trajectories.zarr"), mode="r")
    assert list(root.attrs["series"]) == list(SERIES)
    blood = root["bcell_blood_per_ul"]
    assert blood.shape[:2] == (6, 2)
    assert blood.chunks[0] == 2
    rows = pd.read_parquet(out / "patients.parquet")
    given = np.isfinite(blood[:, :, -1])
    assert given.sum() == len(rows)   # parallel design: one arm per patient, the other NaN


def test_workers_and_chunking_do_not_change_the_numbers(serial, scenario, tmp_path):
    _, out = serial
    run_trial(scenario, tmp_path, n_patients=6, chunk_size=4, engine=LocalEngine(workers=2))
    _same_results(out, tmp_path)


def test_dask_local_cluster_matches_the_serial_run(serial, scenario, tmp_path):
    _, out = serial
    run_trial(scenario, tmp_path, n_patients=6, chunk_size=2, engine=DaskEngine(workers=2))
    _same_results(out, tmp_path)


def test_a_dask_local_cluster_starts_while_the_default_dashboard_port_is_taken():
    # Port 8787 held by another cluster made LocalCluster warn, which the test settings turn
    # into an error; the engine's scheduler now serves HTTP on a free local port instead.
    with socket.socket() as holder:
        try:
            holder.bind(("0.0.0.0", 8787))
            holder.listen()
        except OSError:
            pass                                   # another cluster holds it: the same case
        assert sorted(DaskEngine(workers=1).map(abs, [-1, -2])) == [1, 2]


def test_an_interrupted_run_resumes_without_rerunning_finished_chunks(serial, scenario, tmp_path):
    _, out = serial
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    for name in ("patients.parquet", "events.parquet", "endpoints.json", "report.html"):
        (copy / name).unlink()
    for file in (copy / "chunks").glob("000001.*"):
        file.unlink()
    kept = (copy / "chunks" / "000000.rows.parquet").stat().st_mtime_ns
    with pytest.raises(CartsimError, match="pass --resume"):
        run_trial(scenario, copy, n_patients=6, chunk_size=2)
    run_trial(scenario, copy, n_patients=6, chunk_size=2, resume=True, trajectories=True)
    assert (copy / "chunks" / "000000.rows.parquet").stat().st_mtime_ns == kept
    _same_results(out, copy)
    with pytest.raises(CartsimError, match="seed changed"):
        run_trial(scenario, copy, n_patients=6, chunk_size=2, resume=True, seed=99)


def test_a_failing_patient_is_retried_and_reported(scenario, tmp_path):
    """Every attempt of the ladder is bounded by the same step count; all four are named.

    30 steps integrate the untreated arm's 60 days (about 15) at the first try, never the
    antibody arm's (about 150)."""
    arms = {arm.name: arm for arm in load_scenario(SCENARIO).arms}
    stingy = replace(scenario.solver, max_steps=30)
    both = replace(scenario, arms=(arms["Ocrelizumab"], arms["Untreated"]), design="crossover")
    result = run_trial(both, tmp_path, n_patients=1, settings=stingy)
    rows = pd.read_parquet(tmp_path / "patients.parquet").set_index("arm")
    assert rows.loc["Untreated", ["status", "attempts"]].tolist() == ["ok", 1]
    assert rows.loc["Ocrelizumab", ["status", "attempts"]].tolist() == ["failed", 4]
    assert rows.loc["Ocrelizumab", "reason"].count("step limit 30 reached at day") == 4
    assert result.failures == 1


def test_crossover_gives_every_patient_every_arm(scenario, tmp_path):
    run_trial(replace(scenario, design="crossover"), tmp_path, n_patients=2)
    rows = pd.read_parquet(tmp_path / "patients.parquet")
    assert rows.groupby("patient")["arm"].apply(list).tolist() == [[a.name for a in scenario.arms]] * 2


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "spark"], '--engine "spark" is not known; use local or dask'),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--address", "tcp://x:1"], "--address needs --engine dask"),
    (["--patients", "0"], "the number of patients must be at least 1"),
])
def test_cli_trial_rejects_bad_options_in_one_sentence(args, message, tmp_path):
    outcome = CliRunner().invoke(app, ["trial", SCENARIO, "--out", str(tmp_path), *args])
    assert outcome.exit_code == 2
    assert message in " ".join(outcome.output.split())
