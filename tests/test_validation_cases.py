"""Every validation case runs to a result against the current model (make validate runs the
scorecard; this checks that no case crashes or has an undefined band). Marked validation."""

from __future__ import annotations

import math

import pytest

from cartsim.validation import validate


@pytest.mark.validation
def test_every_case_runs_to_a_verdict() -> None:
    results = validate()
    assert len(results) >= 20
    for result in results:
        assert result.n >= 1 or not math.isfinite(result.simulated), result.case.name
        assert result.band.low <= result.band.high, result.case.name
        assert result.role in ("validation", "calibration", "input_check")
