"""Global sensitivity analysis: problem and range rules, seeded design, a tiny real run, resume, CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cartsim.cli.main import app
from cartsim.errors import CartsimError, ParameterError, ScenarioError
from cartsim.io.scenario import SensitivitySpec, load_scenario, parse_scenario, parse_sensitivity
from cartsim.parameters import load_catalog
from cartsim.parameters.ranges import ParameterRange, parameter_range
from cartsim.population.parameter_uncertainty import default_uncertain_parameters
from cartsim.report.sensitivity_report import write_sensitivity_report
from cartsim.trials.engines import DaskEngine, LocalEngine
from cartsim.uncertainty import build_problem, run_sensitivity, sobol_design
from cartsim.uncertainty.analysis import rank_parameters, resolved_ranks

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"
INERT = "v_peripheral_rituximab"
"""Rituximab's peripheral volume: no rituximab is given in the CD19 CAR-T arm, so it cannot act."""
DRIVER = "ec50_cart_activation"
"""Target density for half-maximal CAR-T expansion: over four decades it sets the CAR-T peak."""
TINY = SensitivitySpec(parameters=(INERT, DRIVER), samples=4, horizon_days=30.0,
                       endpoints=("cart_peak_blood_per_ul", "igg_nadir_pct_of_baseline"))


class RecordingEngine:
    """Runs chunks in this process and remembers which chunk indices it was given."""

    def __init__(self) -> None:
        self.indices: list[int] = []

    def map(self, run, tasks):
        for task in tasks:
            self.indices.append(task.index)
            yield run(task)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    return run_sensitivity(SCENARIO, out, spec=TINY, chunk_size=5), out


def test_default_group_is_the_assumed_records_that_move_a_patient_of_the_disease():
    catalog = load_catalog()
    names = default_uncertain_parameters(catalog, "rrms")
    assert all(catalog.record(n).kind == "assumed" for n in names)
    assert "k_lesion_rrms" in names and "k_lesion_spms" not in names
    assert not {catalog.submodel(n) for n in names} & {"population", "safety"}
    assert set(build_problem(catalog, "rrms", ["assumed"]).names) == set(names)


def test_named_parameters_are_added_to_the_group_once():
    catalog = load_catalog()
    problem = build_problem(catalog, "rrms", ["assumed", "k_expansion_net_cart", "k_cns_exit"])
    assert problem.names.count("k_cns_exit") == 1 and problem.names[-1] == "k_expansion_net_cart"


def test_ranges_are_record_bounds_log_uniform_when_positive_and_wider_than_a_decade():
    catalog = load_catalog()
    wide = parameter_range(catalog, "ec50_cart_activation")
    assert (wide.lower, wide.upper, wide.log) == (1e8, 1e12, True)
    assert wide.at([0.5])[0] == pytest.approx(1e10)
    narrow = parameter_range(catalog, "k_auto_memory_renewal")   # [0.03, 0.2]: under a decade
    assert not narrow.log and narrow.at([0.5])[0] == pytest.approx(0.115)
    assert not parameter_range(catalog, "f_reset").log            # [0, 1] includes zero


def test_a_derived_or_fixed_width_parameter_cannot_vary():
    catalog = load_catalog()
    derived = next(n for n, r in catalog.records.items() if r.kind == "derived")
    with pytest.raises(ParameterError, match="derived"):
        parameter_range(catalog, derived)
    record = catalog.record("k_cns_exit")
    pinned = replace(catalog, records=MappingProxyType(
        {**catalog.records, "k_cns_exit": replace(record, bounds=(record.value, record.value))}))
    with pytest.raises(ParameterError, match="leave nothing to vary"):
        parameter_range(pinned, "k_cns_exit")
    with pytest.raises(CartsimError, match="at least 2 parameters"):
        build_problem(catalog, "rrms", ["k_cns_exit"])


def test_the_design_is_seeded_reproducible_and_within_the_ranges():
    problem = build_problem(load_catalog(), "rrms", ["k_cns_exit", DRIVER, "f_reset"])
    first, again = sobol_design(problem, 8, seed=3), sobol_design(problem, 8, seed=3)
    assert first.shape == (8 * (3 + 2), 3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, sobol_design(problem, 8, seed=4))
    for j, r in enumerate(problem.ranges):
        assert r.lower <= first[:, j].min() and first[:, j].max() <= r.upper


def test_a_tiny_real_run_gives_finite_indices_a_figure_and_provenance(tiny):
    result, out = tiny
    table = result.indices
    assert len(table) == 2 * 2 and result.failures == 0
    assert np.isfinite(table[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy()).all()
    assert (out / "sensitivity.png").stat().st_size > 10_000
    summary = json.loads((out / "sensitivity.json").read_text())
    assert summary["provenance"]["seed"] == load_scenario(SCENARIO).seed
    assert summary["parameters"][DRIVER]["scale"] == "log-uniform"
    assert "provenance" in pd.read_parquet(out / "sensitivity.parquet").attrs
    assert len(pd.read_parquet(out / "samples.parquet")) == 4 * (2 + 2)


def test_a_parameter_that_cannot_act_has_no_total_effect_and_the_driver_a_large_one(tiny):
    peak = tiny[0].indices.query("endpoint == 'cart_peak_blood_per_ul'").set_index("parameter")
    assert peak.loc[INERT, "ST"] == pytest.approx(0.0, abs=1e-9)
    assert peak.loc[DRIVER, "ST"] > 0.5


def test_resume_runs_only_the_unfinished_chunks_and_gives_the_same_indices(tiny):
    result, out = tiny
    with pytest.raises(CartsimError, match="already holds a run"):
        run_sensitivity(SCENARIO, out, spec=TINY, chunk_size=5)
    (out / "chunks" / "000002.done").unlink()
    engine = RecordingEngine()
    resumed = run_sensitivity(SCENARIO, out, spec=TINY, chunk_size=5, resume=True, engine=engine)
    assert engine.indices == [2]
    pd.testing.assert_frame_equal(resumed.indices, result.indices)
    with pytest.raises(CartsimError, match="chunk_size changed"):
        run_sensitivity(SCENARIO, out, spec=TINY, chunk_size=4, resume=True)


def test_sensitivity_table_in_a_scenario_file_is_checked_in_one_sentence():
    base = {"scenario": {"name": "s"}, "population": {"disease": "rrms"},
            "arm": [{"name": "CD19", "therapy": "car_t", "dose": "1e6 cells/kg"}]}
    spec = parse_scenario({**base, "sensitivity": {"samples": 8, "parameters": ["k_cns_exit"]}},
                          "s.toml").sensitivity
    assert (spec.samples, spec.parameters, spec.arms) == (8, ("k_cns_exit",), ())
    cases = [({"sample": 8}, 'sensitivity.sample: is not a known key (did you mean "samples"?)'),
             ({"samples": 12}, "must be a power of 2"),
             ({"arms": ["CD91"]}, 'sensitivity.arms[1]: "CD91" is not a known arm name (did you mean'),
             ({"endpoints": ["annualized_relapse_rate"]}, "is not a known endpoint for a sensitivity"),
             ({"parameters": ["k_cns_exitt"]}, '(did you mean "k_cns_exit"?)'),
             ({"horizon_days": 900}, "within the scenario horizon of 730 days")]
    for table, message in cases:
        with pytest.raises(ScenarioError) as error:
            parse_scenario({**base, "sensitivity": table}, "s.toml")
        assert message in str(error.value)
        assert str(error.value).startswith("s.toml: sensitivity.")
    with pytest.raises(ScenarioError, match=r"trial\.parameter_uncertainty: must be true or false"):
        parse_scenario({**base, "trial": {"parameter_uncertainty": "yes"}}, "s.toml")


def test_a_derived_parameter_is_refused_by_name():
    derived = next(n for n, r in load_catalog().records.items() if r.kind == "derived")
    with pytest.raises(ScenarioError, match="is derived from a formula"):
        parse_sensitivity({"parameters": [derived, "k_cns_exit"]}, "s.toml", ("A",), 365.0)


@pytest.mark.parametrize(("args", "message"), [
    (["--endpoint", "cart_peak"], 'command line: sensitivity.endpoints[1]: "cart_peak" is not'),
    (["--samples", "10"], "must be a power of 2"),
    (["--arm", "Ocrelizumub"], '(did you mean "Ocrelizumab"?)'),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--engine", "spark"], '--engine "spark" is not known; use local or dask'),
    (["--address", "tcp://x:1"], "--address needs --engine dask"),
])
def test_cli_sensitivity_rejects_bad_options_in_one_sentence(args, message, tmp_path):
    outcome = CliRunner().invoke(app, ["sensitivity", SCENARIO, "--out", str(tmp_path), *args])
    assert outcome.exit_code == 2
    assert message in " ".join(outcome.output.split())


def test_cli_sensitivity_runs_and_names_its_outputs(tmp_path):
    outcome = CliRunner().invoke(app, [
        "sensitivity", SCENARIO, "--out", str(tmp_path), "--parameter", INERT, "--parameter",
        DRIVER, "--endpoint", "cart_peak_blood_per_ul", "--samples", "4", "--horizon", "30"])
    assert outcome.exit_code == 0, outcome.output
    assert "CD19 CAR-T: cart_peak_blood_per_ul: ec50_cart_activation" in outcome.output
    assert (tmp_path / "sensitivity.png").is_file()
    assert f"report: {tmp_path / 'report.html'}" in " ".join(outcome.output.split())
    assert "<h2>cart_peak_blood_per_ul (CD19 CAR-T)</h2>" in (tmp_path / "report.html").read_text()


def test_worker_count_does_not_change_the_numbers(tiny, tmp_path):
    again = run_sensitivity(SCENARIO, tmp_path, spec=TINY, chunk_size=5,
                            engine=LocalEngine(workers=2))
    pd.testing.assert_frame_equal(again.indices, tiny[0].indices)


def test_parameter_ranges_map_quantiles_monotonically():
    r = ParameterRange("x", 2.0, 200.0, log=True)
    values = r.at(np.linspace(0.0, 1.0, 5))
    assert values[0] == pytest.approx(2.0) and values[-1] == pytest.approx(200.0)
    assert np.all(np.diff(values) > 0)


def test_analysis_drops_undefined_blocks_logs_wide_endpoints_and_notes_the_rest():
    from cartsim.uncertainty.analysis import sobol_indices

    problem = build_problem(load_catalog(), "rrms", ["k_cns_exit", DRIVER])
    x = sobol_design(problem, 16, seed=1)
    wide = x[:, 1]                                   # 1e8 .. 1e12: analysed as log10
    gappy = x[:, 0].copy()
    gappy[[0, 4, 9]] = np.nan                        # one evaluation in each of blocks 1 to 3
    flat = np.full(len(x), 5.0)
    outputs = np.stack([wide, gappy, flat, np.full(len(x), np.nan)], axis=1)[:, None, :]
    table = sobol_indices(problem, outputs, np.zeros_like(outputs, bool), ["arm"],
                          ["wide", "gappy", "flat", "undefined"], seed=1).set_index(
                              ["endpoint", "parameter"])
    assert table.loc[("wide", DRIVER), "scale"] == "log10"
    assert table.loc[("wide", DRIVER), "ST"] > 0.5 and table.loc[("wide", "k_cns_exit"), "ST"] == 0.0
    assert table.loc[("gappy", "k_cns_exit"), "n_used"] == 13
    assert table.loc[("gappy", "k_cns_exit"), "note"] == "3 of 16 base samples undefined, dropped"
    assert table.loc[("flat", DRIVER), "note"] == "does not vary"
    assert table.loc[("undefined", DRIVER), "note"] == "not defined for this arm"


def test_the_report_shows_every_endpoint_ranked_with_ranges_failures_and_provenance(tiny):
    result, out = tiny
    page = write_sensitivity_report(out).read_text()
    summary = json.loads((out / "sensitivity.json").read_text())
    for endpoint in TINY.endpoints:
        assert f"<h2>{endpoint} (CD19 CAR-T)</h2>" in page
        assert (out / "figures" / f"{endpoint}_CD19_CAR_T.png").stat().st_size > 5_000
    peak = page[page.index("<h2>cart_peak_blood_per_ul"):page.index("<h2>igg_nadir")]
    assert peak.index(f"<td>{DRIVER}</td>") < peak.index(f"<td>{INERT}</td>")  # sorted by ST
    logged = result.indices.query("endpoint == 'cart_peak_blood_per_ul'")["scale"].iloc[0]
    assert ("Analysed as log10" in peak) == (logged == "log10")
    assert peak.count('<img alt="') == 1 and "Defined in 4 of 4 base samples." in peak
    assert "Failed evaluations: 0 of 16" in page and "dropped whole" in page
    catalog = load_catalog()
    for name in (DRIVER, INERT):
        r = parameter_range(catalog, name)
        scale = "log-uniform" if r.log else "uniform"
        assert (f"<tr><td>{name}</td><td>{r.lower:.4g}</td><td>{r.upper:.4g}</td>"
                f"<td>{catalog.record(name).unit}</td><td>{scale}</td></tr>") in page
    for key in ("cartsim_version", "parameter_digest", "scenario_digest", "seed"):
        assert str(summary["provenance"][key]) in page
    assert "How to read the indices" in page and "too wide to rank" in page


def test_the_report_lists_failure_reasons_with_their_counts(tiny, tmp_path):
    _, out = tiny
    for name in ("sensitivity.json", "sensitivity.parquet", "samples.parquet"):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    samples = pd.read_parquet(tmp_path / "samples.parquet")
    samples.loc[[0, 3, 5], "failure"] = ["step size <too> small", "step size <too> small", "NaN"]
    samples.to_parquet(tmp_path / "samples.parquet")
    summary = json.loads((tmp_path / "sensitivity.json").read_text())
    summary["failed_evaluations"] = 3
    (tmp_path / "sensitivity.json").write_text(json.dumps(summary))
    page = write_sensitivity_report(tmp_path).read_text()
    assert "Failed evaluations: 3 of 16" in page
    assert '<td class="num">2</td><td>step size &lt;too&gt; small</td>' in page
    assert '<td class="num">1</td><td>NaN</td>' in page


def test_ranks_are_resolved_only_where_the_intervals_do_not_overlap():
    group = pd.DataFrame({"parameter": list("abcde"), "ST": [0.05, 0.9, 0.5, 0.45, np.nan],
                          "ST_conf": [0.1, 0.1, 0.1, 0.1, np.nan]})
    ranked = rank_parameters(group)
    assert ranked["parameter"].tolist() == list("bcdae")
    assert ranked["influential"].tolist() == [True, True, True, False, False]
    assert ranked["above_next"].tolist() == [True, False, True, False, False]
    assert resolved_ranks(ranked) == 1
    tight = rank_parameters(group.assign(ST_conf=0.01))
    assert resolved_ranks(tight) == 3                # b > c > d > a; e has no index


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_serial_indices_number_for_number(tiny, tmp_path):
    on_dask = run_sensitivity(SCENARIO, tmp_path, spec=TINY, chunk_size=5,
                              engine=DaskEngine(workers=2))
    pd.testing.assert_frame_equal(on_dask.indices, tiny[0].indices, check_exact=True)
    assert np.array_equal(pd.read_parquet(tmp_path / "samples.parquet").drop(columns="failure"),
                          pd.read_parquet(tiny[1] / "samples.parquet").drop(columns="failure"),
                          equal_nan=True)
