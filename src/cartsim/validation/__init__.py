"""Validation against published clinical evidence, and calibration of assumed parameters.

``validate`` runs the cases of ``cases.toml`` (published protocols re-created as scenarios under
``scenarios/``, compared with the facts of ``facts.toml`` inside bands from ``acceptance``);
``calibrate`` fits assumed parameters to named cases as described by ``calibration/*.toml``.
Layer 7: consumes simulation results, never the right-hand side. See docs/validation.md.
"""

from cartsim.validation.calibration import CalibrationResult, calibrate, write_calibrated_records
from cartsim.validation.runner import CaseResult, validate

__all__ = ["CalibrationResult", "CaseResult", "calibrate", "validate", "write_calibrated_records"]
