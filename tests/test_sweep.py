"""A sweep across the catalogue bounds: every patient is integrated or reported, never NaN.

Each swept patient draws every model parameter that is not derived log-uniformly (uniformly
when a bound is 0) within its record's bounds, so the sweep visits corners no published
patient reaches. It is slow (1e4 patients take hours on 2 cores): `make test-slow`, with
``CARTSIM_SWEEP_N`` to choose the size.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from cartsim.errors import CartsimError
from cartsim.io.scenario import load_scenario
from cartsim.model.layout import CATALOG_PARAMETERS
from cartsim.model.parameterise import typical_patient
from cartsim.parameters import load_catalog
from cartsim.simulation import run_arms, study_grid
from cartsim.trials.endpoints import SERIES

pytestmark = pytest.mark.slow


def _draw(catalog, rng):
    values = {}
    for name, _ in CATALOG_PARAMETERS:
        record = catalog.record(name)
        if record.kind == "derived" or record.bounds is None:
            continue
        low, high = record.bounds
        values[name] = (float(np.exp(rng.uniform(np.log(low), np.log(high)))) if low > 0
                        else float(rng.uniform(low, high)))
    return values


def test_sweep_across_catalogue_bounds_has_no_unreported_failure():
    n = int(os.environ.get("CARTSIM_SWEEP_N", "10000"))
    scenario = load_scenario("scenarios/ms_cd19_vs_ocrelizumab.toml")
    catalog = load_catalog()
    patient = typical_patient(catalog, "rrms", {})
    t = study_grid(scenario.arms, patient, catalog, scenario.horizon_days)
    failed = 0
    for i in range(n):
        swept = catalog.with_values(_draw(catalog, np.random.default_rng([7, i])))
        try:
            runs = run_arms(scenario.arms[:2], patient, swept, t, scenario.solver, observables=SERIES)
        except CartsimError as error:  # the steady state may fail: it must say why
            assert str(error), f"patient {i}: an error without a reason"
            failed += 1
            continue
        for run in runs:
            if run.ok:
                assert all(np.all(np.isfinite(v)) for v in run.observables.values()), f"patient {i}"
            else:
                assert run.attempts and all(":" in a for a in run.attempts)
                failed += 1
    print(f"{n} swept patients, {failed} reported failures")
