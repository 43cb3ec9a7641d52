"""Run validation cases: simulate each protocol, apply the readout, summarise, compare.

``run_case`` turns one case into a ``CaseResult``: the per-patient readout values, the simulated
statistic (the typical patient's value, or the cohort's mean, median or proportion) with its
interval (for a mean or median the 5th-95th percentile of patients, for a proportion its Wilson
95% interval), the acceptance band of the fact and the verdict. A case passes when the simulated
statistic lies in the band; the interval is shown so that a reader can see how far a miss is
from the simulation's own spread. ``validate`` runs a selection of cases, sharing protocol runs.
This module orchestrates; it defines no band rule and no readout.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from cartsim import __version__
from cartsim.io.provenance import Provenance
from cartsim.parameters import Catalog, load_catalog
from cartsim.trials.summaries import proportion
from cartsim.validation.acceptance import Band, acceptance_band
from cartsim.validation.calibration_specs import calibration_targets
from cartsim.validation.cases import Case, load_cases, select_cases
from cartsim.validation.facts import load_facts
from cartsim.validation.protocol import ProtocolCache, ProtocolRun
from cartsim.validation.readouts import READOUTS

PATIENT_INTERVAL = (5.0, 95.0)
"""Percentiles of the patients' values shown as the interval of a cohort mean or median."""


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case. ``role`` is validation, calibration or input_check."""

    case: Case
    role: str
    band: Band
    values: np.ndarray
    simulated: float
    interval: tuple[float, float]
    n: int
    failures: tuple[str, ...]
    passed: bool
    provenance: Provenance


def case_values(case: Case, run: ProtocolRun) -> np.ndarray:
    """The readout of ``case`` for every patient of ``run`` (NaN where it is not defined)."""
    readout = READOUTS[case.readout]
    values = []
    for patient in run.series:
        series = patient[case.arm]
        if case.reference_arm is not None:
            series = replace(series, reference=patient[case.reference_arm].arm)
        values.append(readout.function(series, **case.options))
    return np.asarray(values, dtype=float)


def summarise(statistic: str, values: np.ndarray) -> tuple[float, tuple[float, float], int]:
    """The simulated statistic of ``values``, its interval and the number of defined values.

    Examples
    --------
    >>> summarise("proportion", np.array([1.0, 1.0, 0.0, 1.0]))[0]
    75.0
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, (math.nan, math.nan), 0
    if statistic == "proportion":
        block = proportion(finite)
        return block["value"], tuple(block["ci95"]), int(finite.size)
    low, high = (float(v) for v in np.percentile(finite, PATIENT_INTERVAL))
    centre = {"value": finite[0], "mean": finite.mean(), "median": np.median(finite)}[statistic]
    return float(centre), (low, high), int(finite.size)


def run_case(case: Case, cache: ProtocolCache, role: str) -> CaseResult:
    """Simulate (or reuse) the protocol of ``case`` and compare its readout with the fact."""
    run = cache.get(case.scenario, case.patients)
    values = case_values(case, run)
    simulated, interval, n = summarise(case.statistic, values)
    band = acceptance_band(case.fact, cache.catalog)
    if case.one_sided:
        band = band.keep_side(case.one_sided)
    solver = case.scenario.solver
    provenance = Provenance(__version__, cache.catalog.digest(), case.scenario.name,
                            case.scenario.digest, case.scenario.seed,
                            {"backend": solver.backend, "rtol": solver.rtol, "atol": solver.atol})
    return CaseResult(case, role, band, values, simulated, interval, n, run.failures,
                      band.contains(simulated), provenance)


def validate(names: Sequence[str] | None = None, *, catalog: Catalog | None = None,
             progress: Callable[[Case], None] | None = None) -> list[CaseResult]:
    """Run the validation cases ``names`` (all by default) and return their results.

    Parameters
    ----------
    names:
        Case names; a misspelt one raises a ValidationError with a suggestion.
    catalog:
        The parameter catalogue; by default the bundled one.
    progress:
        Called with each case before it runs.

    Examples
    --------
    >>> results = validate(["ahsct_b_cells_normal_by_6_months"])  # doctest: +SKIP
    >>> results[0].role, results[0].case.fact.evidence  # doctest: +SKIP
    ('validation', 'T5-15')
    """
    catalog = catalog or load_catalog()
    cases = select_cases(load_cases(catalog, load_facts(catalog)), list(names) if names else None)
    targets = calibration_targets()
    cache = ProtocolCache(catalog)
    results = []
    for case in cases:
        if progress:
            progress(case)
        role = "calibration" if case.name in targets else case.kind
        results.append(run_case(case, cache, role))
    return results
