"""Tables of clinical observations: read a CSV, check every cell, grade every row.

``read_observations`` reads a CSV file into a table of text cells indexed by line number;
``grade_crs_table`` and ``grade_icans_table`` check the columns each grading needs and return
the same rows with a ``grade`` column added. The first bad cell (in reading order) raises one
InputTableError naming the file, the line, the column and what would be valid, with a "did you
mean" for a misspelt category. This module must not hold any grading rule; it only turns text
into the findings the grading functions take.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cartsim.errors import InputTableError, did_you_mean, one_of
from cartsim.safety.criteria import (
    CEREBRAL_EDEMA,
    CONSCIOUSNESS,
    HYPOTENSION,
    ICE_MAX,
    OXYGEN,
    SEIZURE,
    TEMPERATURE_RANGE_C,
)
from cartsim.safety.crs import grade_crs
from cartsim.safety.icans import grade_icans

TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
GRADE_COLUMN = "grade"


@dataclass(frozen=True)
class _Text:
    def parse(self, cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        return cells.to_numpy(), (cells == "").to_numpy()

    def problem(self, cell: str) -> str:
        return "is empty; give an identifier"


@dataclass(frozen=True)
class _Number:
    low: float | None = None
    high: float | None = None
    unit: str = ""
    whole: bool = False

    def parse(self, cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if self.low is not None:
            bad |= values < self.low
        if self.high is not None:
            bad |= values > self.high
        if self.whole:
            bad |= values != np.round(values)
        return values, bad

    def problem(self, cell: str) -> str:
        valid = self._valid()
        if cell == "":
            return f"is empty; give {valid}"
        value = pd.to_numeric(pd.Series([cell]), errors="coerce").iloc[0]
        if not np.isfinite(value):
            return f'is "{cell}", which is not a number; give {valid}'
        if self.whole and value != round(value):
            return f"is {cell}, which is not a whole number; give {valid}"
        return f"is {cell}, outside the possible range; give {valid}"

    def _valid(self) -> str:
        kind = "an integer" if self.whole else "a number"
        if self.low is None or self.high is None:
            return kind
        unit = f" {self.unit}" if self.unit else ""
        return f"{kind} from {self.low:g} to {self.high:g}{unit}"


@dataclass(frozen=True)
class _Category:
    choices: tuple[str, ...]

    def parse(self, cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        words = cells.str.lower()
        bad = ~words.isin(self.choices).to_numpy()
        levels = words.map({name: level for level, name in enumerate(self.choices)})
        return levels.fillna(0).to_numpy(dtype=np.int64), bad

    def problem(self, cell: str) -> str:
        if cell == "":
            return f"is empty; valid values are {one_of(self.choices)}"
        return (f'is "{cell}", which is not a valid value{did_you_mean(cell.lower(), self.choices)}'
                f"; valid values are {one_of(self.choices)}")


@dataclass(frozen=True)
class _Flag:
    def parse(self, cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        words = cells.str.lower()
        return words.isin(TRUE_WORDS).to_numpy(), (~words.isin(TRUE_WORDS + FALSE_WORDS)).to_numpy()

    def problem(self, cell: str) -> str:
        shown = "is empty" if cell == "" else f'is "{cell}", which is not true or false'
        return f"{shown}; write {one_of(TRUE_WORDS + FALSE_WORDS)}"


_Column = _Text | _Number | _Category | _Flag
_KEYS: dict[str, _Column] = {"patient": _Text(), "day": _Number()}
CRS_COLUMNS: dict[str, _Column] = {
    **_KEYS,
    "temperature_c": _Number(*TEMPERATURE_RANGE_C, unit="C"),
    "hypotension": _Category(HYPOTENSION),
    "oxygen": _Category(OXYGEN),
}
CRS_OPTIONAL: dict[str, _Column] = {"fever_masked": _Flag()}
ICANS_COLUMNS: dict[str, _Column] = {
    **_KEYS,
    "ice_score": _Number(0, ICE_MAX, whole=True),
    "consciousness": _Category(CONSCIOUSNESS),
    "seizure": _Category(SEIZURE),
    "motor_weakness": _Flag(),
    "cerebral_edema": _Category(CEREBRAL_EDEMA),
}


def read_observations(path: str | Path) -> pd.DataFrame:
    """Read a CSV table of observations as text cells, indexed by line number in the file.

    Blank lines are skipped; a line with more or fewer fields than the header is an error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "obs.csv")
    ...     _ = p.write_text("patient,day\\nP1,0\\n\\nP1,1\\n")
    ...     read_observations(p).index.tolist()
    [2, 4]
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InputTableError(source, "", "does not exist or is not a file; give the path of a "
                              "CSV table")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows, lines = [], []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if header is not None and len(row) != len(header):
                    raise InputTableError(source, f"line {reader.line_num}", f"has {len(row)} "
                                          f"fields but the header has {len(header)}; give one "
                                          "value per column (quote values that contain commas)")
                rows.append([cell.strip() for cell in row])
                lines.append(reader.line_num)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputTableError(source, "", f"cannot be read as a UTF-8 CSV table ({exc})") from None
    if not header:
        raise InputTableError(source, "", "is empty; a table needs a header line naming the "
                              "columns and one line per observation")
    return pd.DataFrame(rows, columns=[name.strip() for name in header],
                        index=pd.Index(lines, name="line"), dtype=str)


def grade_crs_table(frame: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """Check a CRS observation table and return it with a ``grade`` column (ASTCT consensus).

    Columns: patient, day, temperature_c (30-45 C), hypotension, oxygen and optionally
    fever_masked (true/false, default false); other columns are kept as they are.

    Examples
    --------
    >>> frame = pd.DataFrame({"patient": ["P1"], "day": ["2"], "temperature_c": ["38.6"],
    ...                       "hypotension": ["fluids"], "oxygen": ["none"]})
    >>> grade_crs_table(frame)["grade"].tolist()
    [2]
    """
    findings = _findings(frame, source, CRS_COLUMNS, CRS_OPTIONAL, "CRS")
    grades = grade_crs(findings["temperature_c"], findings["hypotension"], findings["oxygen"],
                       findings.get("fever_masked", False))
    return frame.assign(**{GRADE_COLUMN: grades})


def grade_icans_table(frame: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """Check an ICANS observation table and return it with a ``grade`` column (adults).

    Columns: patient, day, ice_score (integer 0-10), consciousness, seizure, motor_weakness
    (true/false) and cerebral_edema; other columns are kept as they are.

    Examples
    --------
    >>> frame = pd.DataFrame({"patient": ["P1"], "day": ["5"], "ice_score": ["6"],
    ...                       "consciousness": ["alert"], "seizure": ["none"],
    ...                       "motor_weakness": ["no"], "cerebral_edema": ["none"]})
    >>> grade_icans_table(frame)["grade"].tolist()
    [2]
    """
    findings = _findings(frame, source, ICANS_COLUMNS, {}, "ICANS")
    grades = grade_icans(findings["ice_score"], findings["consciousness"], findings["seizure"],
                         findings["motor_weakness"], findings["cerebral_edema"])
    return frame.assign(**{GRADE_COLUMN: grades})


def _findings(frame: pd.DataFrame, source: str, required: Mapping[str, _Column],
              optional: Mapping[str, _Column], kind: str) -> dict[str, np.ndarray]:
    header = "line 1 (header)" if frame.index.name == "line" else "columns"
    missing = [name for name in required if name not in frame.columns]
    if missing:
        extra = [name for name in frame.columns if name not in {**required, **optional}]
        found = f"; it has {one_of(map(str, extra))} instead" if extra else ""
        needs = one_of(required) + (f" (optionally {one_of(optional)})" if optional else "")
        raise InputTableError(source, header, f"misses the column(s) {one_of(missing)}; a "
                              f"{kind} table needs {needs}{found}")
    if GRADE_COLUMN in frame.columns:
        raise InputTableError(source, header, f'already has a "{GRADE_COLUMN}" column, which '
                              "grading would overwrite; remove or rename it")
    columns = {**required, **{n: c for n, c in optional.items() if n in frame.columns}}
    findings, first = {}, None
    for name, column in columns.items():
        cells = frame[name].astype(str).str.strip()
        values, bad = column.parse(cells)
        findings[name] = values
        if bad.any() and (first is None or np.argmax(bad) < first[0]):
            first = (int(np.argmax(bad)), name, column, cells.iloc[int(np.argmax(bad))])
    if first is not None:
        row, name, column, cell = first
        where = (f"line {frame.index[row]}" if frame.index.name == "line" else f"row {row + 1}")
        raise InputTableError(source, f'{where}, column "{name}"', column.problem(cell))
    return findings
