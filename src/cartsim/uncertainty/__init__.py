"""Parameter uncertainty: global (Sobol) sensitivity analysis of trial endpoints.

Public API: ``run_sensitivity`` (and its ``SensitivityResult``), ``build_problem`` and
``sobol_design``. The method, the range and sampling rules and how to read the figure are in
``docs/sensitivity.md``. Parameter uncertainty inside virtual trials is
``population.parameter_uncertainty``. This package consumes the simulation and the trial
endpoint definitions; nothing below it imports it.
"""

from cartsim.uncertainty.problem import SensitivityProblem, build_problem
from cartsim.uncertainty.run import SensitivityResult, run_sensitivity
from cartsim.uncertainty.sampling import sobol_design

__all__ = ["SensitivityProblem", "SensitivityResult", "build_problem", "run_sensitivity",
           "sobol_design"]
