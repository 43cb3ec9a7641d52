"""Calibration: fit parameters the literature does not give to named cases, then record them.

``calibrate`` runs one spec (``calibration_specs``): the free parameters are searched within the
ranges of their numbered assumptions (on a log or linear scale) by SciPy - ``minimize_scalar``
with the bounded method for one parameter, ``least_squares`` (trust-region reflective) for
more - minimising the squared distances of the simulated values from the published values, each
in units of the half-width of the case's acceptance band. The fit uses the typical patient of
each case's protocol (a cohort would multiply the cost by its size); the optimisers are
deterministic, so the same spec, catalogue and model give the same fit. A readout that is not
defined within the horizon (no B-cell return yet) counts as the horizon for day readouts.
A fit whose typical patient stays outside a target's band (a residual beyond one half-width) is
reported with ``within_bands = False``; the command line then does not record it.
``write_calibrated_records`` rewrites each fitted record in its catalogue file as
``kind = "calibrated"`` with the spec file and target cases. This module runs simulations and
writes catalogue files; it decides no band and no readout.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize

from cartsim.errors import ValidationError
from cartsim.parameters import Catalog, load_catalog
from cartsim.parameters.records import ParameterRecord
from cartsim.validation.acceptance import acceptance_band
from cartsim.validation.calibration_specs import CalibrationSpec
from cartsim.validation.cases import Case, load_cases, select_cases
from cartsim.validation.facts import load_facts
from cartsim.validation.protocol import simulate_protocol
from cartsim.validation.readouts import READOUTS
from cartsim.validation.runner import case_values

MISSING_PENALTY = 10.0
"""Residual, in band half-widths, of a case whose readout is undefined and not a day."""


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted values, where the search started, and how it went."""

    spec: CalibrationSpec
    start: dict[str, float]
    fitted: dict[str, float]
    simulated: dict[str, float]
    objective: float
    evaluations: int
    converged: bool
    message: str
    within_bands: bool


def _search_range(record: ParameterRecord, catalog: Catalog) -> tuple[float, float]:
    if record.kind not in ("assumed", "calibrated") or record.assumption is None:
        raise ValidationError(f'calibration parameter "{record.name}" is a {record.kind} record '
                              "without an assumption; only assumed records (with an assumption "
                              "range) may be fitted, never a literature value")
    assumption = catalog.assumptions[record.assumption]
    if assumption.unit != record.unit:
        raise ValidationError(f'calibration parameter "{record.name}" is in "{record.unit}" but '
                              f'{assumption.key} is in "{assumption.unit}"; make them agree')
    return assumption.range


def _residual(case: Case, catalog: Catalog) -> tuple[float, float]:
    """The typical patient's readout of ``case`` and its distance from the fact in half-bands."""
    fact = case.fact
    if fact.value is None:
        raise ValidationError(f'case "{case.name}" compares with a bound, which has no value to '
                              "fit to; calibrate against cases with a published value")
    run = simulate_protocol(case.scenario, "typical", case.arms, catalog)
    value = float(case_values(case, run)[0]) if run.series else math.nan
    band = acceptance_band(fact, catalog)
    half = (band.high - band.low) / 2
    if math.isfinite(value):
        return value, (value - fact.value) / half
    if READOUTS[case.readout].unit_for(case.options) == "day":
        return value, (case.scenario.horizon_days - fact.value) / half
    return value, MISSING_PENALTY


def calibrate(spec: CalibrationSpec, *, catalog: Catalog | None = None,
              progress: Callable[[dict[str, float], float], None] | None = None) -> CalibrationResult:
    """Fit the parameters of ``spec`` to its cases (see the module docstring).

    Examples
    --------
    >>> from cartsim.validation.calibration_specs import load_specs
    >>> result = calibrate(load_specs()["sle_b_cell_reappearance"])  # doctest: +SKIP
    >>> sorted(result.fitted)  # doctest: +SKIP
    ['k_exhaustion_cart']
    """
    catalog = catalog or load_catalog()
    cases = select_cases(load_cases(catalog, load_facts(catalog)), list(spec.cases))
    records = [catalog.record(name) for name in spec.parameters]
    ranges = np.array([_search_range(r, catalog) for r in records], dtype=float)
    to_x, from_x = ((np.log, np.exp) if spec.scale == "log" else (np.asarray, np.asarray))
    lower, upper = to_x(ranges[:, 0]), to_x(ranges[:, 1])
    trace: list[tuple[dict[str, float], dict[str, float], np.ndarray]] = []

    def residuals(x: np.ndarray) -> np.ndarray:
        values = {r.name: float(v) for r, v in zip(records, from_x(np.atleast_1d(x)), strict=True)}
        fitted = catalog.with_values(values)
        pairs = {case.name: _residual(case, fitted) for case in cases}
        out = np.array([p[1] for p in pairs.values()])
        trace.append((values, {k: p[0] for k, p in pairs.items()}, out))
        if progress:
            progress(values, float(out @ out))
        return out

    if spec.optimiser == "bounded_scalar":
        found = optimize.minimize_scalar(
            lambda x: float(np.sum(residuals(np.array([x])) ** 2)), bounds=(lower[0], upper[0]),
            method="bounded", options={"xatol": spec.x_tolerance, "maxiter": spec.max_evaluations})
        best, converged, message = np.array([found.x]), bool(found.success), str(found.message)
    else:
        start = np.clip(to_x(np.array([r.value for r in records])), lower, upper)
        found = optimize.least_squares(residuals, start, bounds=(lower, upper),
                                       max_nfev=spec.max_evaluations, xtol=spec.x_tolerance)
        best, converged, message = found.x, bool(found.success), str(found.message)
    residuals(best)
    values, simulated, out = trace[-1]
    return CalibrationResult(spec, {r.name: r.value for r in records}, values, simulated,
                             float(out @ out), len(trace) - 1, converged, message,
                             bool(np.all(np.abs(out) <= 1.0)))


def calibrated_line(record: ParameterRecord, value: float, spec: CalibrationSpec) -> str:
    """The catalogue line of ``record`` refitted to ``value`` by ``spec``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> from cartsim.validation.calibration_specs import load_specs
    >>> spec = load_specs()["sle_b_cell_reappearance"]
    >>> line = calibrated_line(load_catalog().record("k_exhaustion_cart"), 0.1, spec)
    >>> 'kind = "calibrated"' in line and "value = 0.1," in line
    True
    """
    fields = {"value": float(f"{value:.6g}"), "unit": record.unit, "description": record.description,
              "kind": "calibrated", "assumption": record.assumption,
              "calibration": spec.relative_path, "target": ", ".join(spec.cases),
              "bounds": list(record.bounds)}
    if record.variability:
        fields["variability"] = dict(record.variability)
    return f"{record.name} = {_inline(fields)}"


def write_calibrated_records(result: CalibrationResult, catalog: Catalog) -> list[Path]:
    """Rewrite each fitted record of ``result`` in its catalogue file; return the files."""
    written = []
    for name, value in result.fitted.items():
        record = catalog.record(name)
        path = Path(record.file)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{name} = {{")), None)
        if index is None:
            raise ValidationError(f'{path}: record "{name}" is not written as one inline table '
                                  f"line ({name} = {{ ... }}), so calibration cannot rewrite it")
        lines[index] = calibrated_line(record, value, result.spec) + "\n"
        path.write_text("".join(lines), encoding="utf-8")
        written.append(path)
    return written


def _inline(fields: dict[str, object]) -> str:
    def toml(value: object) -> str:
        if isinstance(value, dict):
            return _inline(value)
        if isinstance(value, list | tuple):
            return "[" + ", ".join(toml(v) for v in value) + "]"
        if isinstance(value, float):
            return repr(value)
        return json.dumps(value, ensure_ascii=False)

    return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in fields.items() if v is not None) + " }"
