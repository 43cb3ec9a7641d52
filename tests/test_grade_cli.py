"""``cartsim grade crs|icans``: the example tables grade as the consensus says, output goes to
stdout or --out, and bad input gets one sentence naming the file, line, column and what would
be valid, with exit status 2 and no traceback."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cartsim.cli.main import app

EXAMPLES = Path(__file__).parents[1] / "examples" / "safety"
CRS_HEADER = "patient,day,temperature_c,hypotension,oxygen"
ICANS_HEADER = "patient,day,ice_score,consciousness,seizure,motor_weakness,cerebral_edema"

runner = CliRunner()


def grade(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["grade", *args])
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def failure(*args: str) -> str:
    """Run a command that must fail; return its one-line message."""
    code, out, err = grade(*args)
    assert code == 2, (out, err)
    assert out == ""
    assert "Traceback" not in err
    message = err.strip()
    assert message.startswith("error: ") and "\n" not in message
    return message


def test_crs_example_is_graded_on_stdout() -> None:
    code, out, _ = grade("crs", str(EXAMPLES / "crs_observations.csv"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == CRS_HEADER + ",fever_masked,grade"
    assert [int(line.rsplit(",", 1)[1]) for line in lines[1:]] == [0, 1, 2, 2, 0, 3, 4, 3]


def test_icans_example_is_graded_on_stdout() -> None:
    code, out, _ = grade("icans", str(EXAMPLES / "icans_observations.csv"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ICANS_HEADER + ",grade"
    assert [int(line.rsplit(",", 1)[1]) for line in lines[1:]] == [0, 1, 2, 3, 4, 3]


def test_out_writes_the_same_rows_with_a_grade_column(tmp_path: Path) -> None:
    source = EXAMPLES / "crs_observations.csv"
    target = tmp_path / "graded.csv"
    code, out, _ = grade("crs", str(source), "--out", str(target))
    assert code == 0 and out == ""
    graded = pd.read_csv(target, dtype=str, keep_default_na=False)
    original = pd.read_csv(source, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(graded.drop(columns="grade"), original)


def test_extra_columns_and_blank_lines_are_kept_and_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, f"{CRS_HEADER},note\nP1,1,38.2,none,none,first\n\nP1,2,38.0,Fluids,"
                           "none,second\n")
    code, out, _ = grade("crs", str(path))
    assert code == 0
    assert out.splitlines() == [f"{CRS_HEADER},note,grade", "P1,1,38.2,none,none,first,1",
                                "P1,2,38.0,Fluids,none,second,2"]


def test_misspelt_category_names_line_column_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, f"{CRS_HEADER}\nP1,1,38.5,none,none\nP1,2,38.5,fluid,none\n")
    assert failure("crs", str(path)) == (
        f'error: {path}: line 3, column "hypotension": is "fluid", which is not a valid value '
        '(did you mean "fluids"?); valid values are "none", "fluids", "one_vasopressor" or '
        '"multiple_vasopressors".')


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "patient,day,temprature_c,hypotension\nP1,1,38.5,none\n")
    message = failure("crs", str(path))
    assert f"{path}: line 1 (header): misses the column(s)" in message
    assert '"temperature_c" or "oxygen"' in message
    assert 'it has "temprature_c" instead' in message


@pytest.mark.parametrize(("row", "column", "says"), [
    ("P1,1,46.0,none,none", "temperature_c", "is 46.0, outside the possible range; give a "
                                             "number from 30 to 45 C"),
    ("P1,1,29.9,none,none", "temperature_c", "outside the possible range"),
    ("P1,1,hot,none,none", "temperature_c", 'is "hot", which is not a number'),
    ("P1,1,,none,none", "temperature_c", "is empty; give a number from 30 to 45 C"),
    ("P1,x,38.5,none,none", "day", 'is "x", which is not a number'),
    (",1,38.5,none,none", "patient", "is empty; give an identifier"),
    ("P1,1,38.5,none,low-flow", "oxygen", 'is "low-flow", which is not a valid value (did '
                                          'you mean "low_flow"?)'),
])
def test_impossible_crs_values(tmp_path: Path, row: str, column: str, says: str) -> None:
    path = write(tmp_path, f"{CRS_HEADER}\nP1,0,37.0,none,none\n{row}\n")
    message = failure("crs", str(path))
    assert f'{path}: line 3, column "{column}": ' in message
    assert says in message


def test_fever_masked_must_be_boolean(tmp_path: Path) -> None:
    path = write(tmp_path, f"{CRS_HEADER},fever_masked\nP1,1,37.5,fluids,none,maybe\n")
    message = failure("crs", str(path))
    assert 'line 2, column "fever_masked": is "maybe", which is not true or false' in message


@pytest.mark.parametrize(("row", "column", "says"), [
    ("P1,1,11,alert,none,false,none", "ice_score", "is 11, outside the possible range; give an "
                                                  "integer from 0 to 10"),
    ("P1,1,-1,alert,none,false,none", "ice_score", "outside the possible range"),
    ("P1,1,7.5,alert,none,false,none", "ice_score", "is 7.5, which is not a whole number"),
    ("P1,1,7,alert,none,maybe,none", "motor_weakness", 'is "maybe", which is not true or '
                                                      'false; write "true", "yes", "1", '
                                                      '"false", "no" or "0"'),
    ("P1,1,7,awake,none,false,none", "consciousness", 'is "awake", which is not a valid value'),
    ("P1,1,7,alert,prolongued,false,none", "seizure", '(did you mean "prolonged"?)'),
    ("P1,1,7,alert,none,false,diffuse edema", "cerebral_edema", 'valid values are "none", '
                                                               '"focal" or "diffuse"'),
])
def test_impossible_icans_values(tmp_path: Path, row: str, column: str, says: str) -> None:
    path = write(tmp_path, f"{ICANS_HEADER}\n{row}\n")
    message = failure("icans", str(path))
    assert f'{path}: line 2, column "{column}": ' in message
    assert says in message


def test_first_bad_cell_in_reading_order_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, f"{ICANS_HEADER}\nP1,1,7,alert,none,false,bad\nP1,2,99,x,none,no,none\n")
    assert 'line 2, column "cerebral_edema"' in failure("icans", str(path))


def test_unreadable_inputs(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert failure("crs", str(missing)) == (f"error: {missing}: does not exist or is not a file; "
                                            "give the path of a CSV table.")
    empty = write(tmp_path, "", "empty.csv")
    assert "is empty; a table needs a header line" in failure("crs", str(empty))
    ragged = write(tmp_path, f"{CRS_HEADER}\nP1,1,38.5,none,none,extra\n", "ragged.csv")
    assert (f"{ragged}: line 2: has 6 fields but the header has 5"
            in failure("crs", str(ragged)))
    graded = write(tmp_path, f"{CRS_HEADER},grade\nP1,1,38.5,none,none,1\n", "graded.csv")
    assert 'already has a "grade" column' in failure("crs", str(graded))


def test_unwritable_out_is_one_sentence(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "graded.csv"
    message = failure("crs", str(EXAMPLES / "crs_observations.csv"), "--out", str(target))
    assert f"{target}: cannot be written" in message
