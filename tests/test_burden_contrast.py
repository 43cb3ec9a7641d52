"""Validation: severe CRS follows the CD19 target burden (scenarios/burden_contrast.toml).

Published grade 3+ CRS after CD19 CAR-T: B-ALL 19-46%, LBCL 11-22%, SLE and MS none in the
small series so far (src/cartsim/safety/published_toxicity.toml). The test runs the scenario
on a small seeded cohort and checks the ordering B-ALL (70% blasts) >= LBCL and B-ALL (3%
blasts) > SLE and MS, and that the cancer rates fall in the published ranges.

Every arm is managed by the JULIET protocol (tocilizumab for severe CRS only), the management
under which the published cancer rates were measured (docs/safety.md "Target burden"). With 20
patients per arm severe CRS follows the burden (B-ALL 70% 90%, LBCL 35%, B-ALL 3%, SLE and MS
0%), but LBCL lies above its published range and B-ALL with 3% blasts is no higher than SLE and
MS. The test is therefore a strict expected failure: it documents the gap and fails loudly
(XPASS) once a model change makes the ordering hold, so that the marker is removed then, not
forgotten.
"""

from __future__ import annotations

import pytest

from cartsim.safety.published import published_rates
from cartsim.trials.run import run_trial

pytestmark = [pytest.mark.validation, pytest.mark.slow]


@pytest.mark.xfail(strict=True, reason="under the JULIET protocol severe CRS in LBCL lies above the "
                   "published range and B-ALL with 3% blasts equals SLE and MS (docs/safety.md)")
def test_severe_crs_follows_target_burden(tmp_path):
    result = run_trial("scenarios/burden_contrast.toml", tmp_path, n_patients=20)
    rate = {arm: block["endpoints"]["crs_grade3plus_pct"]["value"]
            for arm, block in result.endpoints["arms"].items()}
    assert rate["B-ALL, 70% blasts"] >= rate["LBCL"]
    for cancer in ("LBCL", "B-ALL, 3% blasts"):
        for autoimmune in ("SLE", "RRMS"):
            assert rate[cancer] > rate[autoimmune]
    published = {(r.population, r.endpoint): r for r in published_rates()}
    lbcl = published[("lbcl", "crs_grade3plus_pct")]
    assert lbcl.low <= rate["LBCL"] <= lbcl.high
