"""``cartsim validate``: one fast real case end to end (scorecard, report.html, scorecard.json),
and one-sentence errors for unknown cases and calibration specs."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cartsim.cli.main import app

runner = CliRunner()
FAST_CASE = "anti_cd20_csf_serum_ratio"


def test_validate_one_case_writes_scorecard_and_report(tmp_path) -> None:
    result = runner.invoke(app, ["validate", "--case", FAST_CASE, "--out", str(tmp_path), "--strict"])
    assert result.exit_code == 0, result.stdout
    assert "Input checks" in result.stdout and "0 of 0 validation cases pass" in result.stdout
    records = json.loads((tmp_path / "scorecard.json").read_text())
    assert [r["case"] for r in records] == [FAST_CASE]
    assert records[0]["role"] == "input_check" and records[0]["evidence"] == "T4-30"
    assert records[0]["provenance"]["scenario_digest"]
    page = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in page and "csf_mab_exposure2018" in page
    assert (tmp_path / "figures" / f"{FAST_CASE}.png").is_file()


def test_unknown_case_is_one_sentence_with_a_suggestion(tmp_path) -> None:
    result = runner.invoke(app, ["validate", "--case", "zuma1_crs_grade3plu", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert 'did you mean "zuma1_crs_grade3plus"?' in result.stdout
    assert "Traceback" not in result.stdout


def test_list_names_every_case() -> None:
    result = runner.invoke(app, ["validate", "--list"])
    assert result.exit_code == 0 and "sle_cd19_b_cell_reappearance" in result.stdout


def test_unknown_calibration_spec_is_one_sentence() -> None:
    result = runner.invoke(app, ["calibrate", "sle_b_cell_reappearence", "--dry-run"])
    assert result.exit_code == 2
    assert 'did you mean "sle_b_cell_reappearance"?' in result.stdout
