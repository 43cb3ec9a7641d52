"""Calibration specs (``validation/calibration/*.toml``): which cases fit which parameters.

A spec names its target cases, the free parameters (assumed records, or records calibrated
before, that keep an assumption: its range is the search interval), the search scale, the
optimiser and its budget. ``calibration_targets`` tells the scorecard which cases were used for
fitting, so that they are kept apart from the cases the model is judged on;
``check_calibrated_records`` is the catalogue conformance check of ``kind = "calibrated"``
records. This module reads and checks files; running the fit is ``calibration``'s job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cartsim.errors import ValidationError, did_you_mean, one_of
from cartsim.parameters import Catalog
from cartsim.parameters.toml_file import read_tables

CALIBRATION_DIR = Path(__file__).with_name("calibration")
PACKAGE_ROOT = Path(__file__).parents[1]
"""Calibrated records name their spec relative to the cartsim package directory."""
OPTIMISERS = ("bounded_scalar", "least_squares")
SCALES = ("log", "linear")
_FIELDS = ("description", "cases", "parameters", "scale", "optimiser", "max_evaluations",
           "x_tolerance")


@dataclass(frozen=True)
class CalibrationSpec:
    """One calibration: target cases, free parameters, scale, optimiser and budget.

    Examples
    --------
    >>> spec = load_spec(CALIBRATION_DIR / "sle_b_cell_reappearance.toml")
    >>> spec.parameters, spec.optimiser
    (('k_exhaustion_cart',), 'bounded_scalar')
    """

    path: Path
    description: str
    cases: tuple[str, ...]
    parameters: tuple[str, ...]
    scale: str
    optimiser: str
    max_evaluations: int
    x_tolerance: float

    @property
    def relative_path(self) -> str:
        """The spec's path relative to the cartsim package, as calibrated records name it."""
        return self.path.resolve().relative_to(PACKAGE_ROOT.resolve()).as_posix()


def load_spec(path: Path) -> CalibrationSpec:
    """Read and check the calibration spec at ``path``."""
    table = read_tables(path, "calibration", "setting under [calibration]")

    def fail(field: str, problem: str) -> ValidationError:
        return ValidationError(f'{path}: [calibration] field "{field}" {problem}.')

    for field in table:
        if field not in _FIELDS:
            raise fail(field, f"is not a calibration field{did_you_mean(field, _FIELDS)}; valid "
                       f"fields are {one_of(_FIELDS)}")
    names = {}
    for field in ("cases", "parameters"):
        value = table.get(field)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise fail(field, f'must be a non-empty list of names such as ["x"], not {value!r}')
        names[field] = tuple(value)
    choices = {}
    for field, allowed in (("scale", SCALES), ("optimiser", OPTIMISERS)):
        value = table.get(field)
        if value not in allowed:
            raise fail(field, f"is {value!r}{did_you_mean(str(value), allowed)}, but must be "
                       f"{one_of(allowed)}")
        choices[field] = value
    if choices["optimiser"] == "bounded_scalar" and len(names["parameters"]) != 1:
        raise fail("parameters", 'must name exactly one parameter for optimiser "bounded_scalar"; '
                   'use "least_squares" for more')
    budget = table.get("max_evaluations")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise fail("max_evaluations", f"must be a whole number of at least 1, not {budget!r}")
    tolerance = table.get("x_tolerance")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) \
            or not math.isfinite(tolerance) or tolerance <= 0:
        raise fail("x_tolerance", f"must be a number above 0, not {tolerance!r}")
    description = table.get("description")
    if not isinstance(description, str) or not description.strip():
        raise fail("description", "must be non-empty text")
    return CalibrationSpec(path, description, names["cases"], names["parameters"],
                           choices["scale"], choices["optimiser"], budget, float(tolerance))


def load_specs(directory: Path = CALIBRATION_DIR) -> dict[str, CalibrationSpec]:
    """Every calibration spec of ``directory`` by file stem."""
    return {path.stem: load_spec(path) for path in sorted(directory.glob("*.toml"))}


def calibration_targets(directory: Path = CALIBRATION_DIR) -> frozenset[str]:
    """The names of every case that some calibration spec fits against."""
    return frozenset(case for spec in load_specs(directory).values() for case in spec.cases)


def check_calibrated_records(catalog: Catalog, case_names: Mapping[str, object]) -> list[str]:
    """Problems of the calibrated records of ``catalog``: each must name an existing spec that
    lists it as a parameter, and target cases that the spec fits and that exist.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> check_calibrated_records(load_catalog(), {"sle_cd19_b_cell_reappearance": None})
    []
    """
    problems = []
    for name, record in sorted(catalog.records.items()):
        if record.kind != "calibrated":
            continue
        path = PACKAGE_ROOT / str(record.calibration)
        if not path.is_file():
            problems.append(f"{name}: calibration spec {record.calibration} does not exist")
            continue
        spec = load_spec(path)
        if name not in spec.parameters:
            problems.append(f"{name}: {record.calibration} does not list it as a parameter")
        for target in str(record.target).split(","):
            target = target.strip()
            if target not in case_names or target not in spec.cases:
                problems.append(f"{name}: target {target!r} is not a case fitted by {record.calibration}")
    return problems
