"""The sensitivity problem: which parameters vary, over which ranges, on which scale.

``build_problem`` expands the group name ``"assumed"`` into the assumed records that can move a
patient's dynamics (``population.parameter_uncertainty``), adds any records named explicitly
and takes each one's range from ``parameters.ranges``. SALib samples the unit hypercube and
``SensitivityProblem.values`` maps quantiles to record values (uniform or log-uniform), so the
sampling rule lives in one place for sensitivity analyses and trial parameter uncertainty. This
module declares the problem; it samples and runs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cartsim.errors import CartsimError
from cartsim.io.scenario import ASSUMED_GROUP
from cartsim.parameters.catalog import Catalog
from cartsim.parameters.ranges import ParameterRange, parameter_range
from cartsim.population.parameter_uncertainty import default_uncertain_parameters


@dataclass(frozen=True)
class SensitivityProblem:
    """The varying parameters, in order, with their ranges.

    Examples
    --------
    >>> p = SensitivityProblem((ParameterRange("a", 0.0, 2.0, False),
    ...                         ParameterRange("b", 1.0, 100.0, True)))
    >>> p.values(np.array([[0.5, 0.5]])).round(12).tolist()
    [[1.0, 10.0]]
    """

    ranges: tuple[ParameterRange, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in column order."""
        return tuple(r.name for r in self.ranges)

    def salib(self) -> dict[str, object]:
        """The SALib problem on the unit hypercube (quantiles, mapped by ``values``)."""
        return {"num_vars": len(self.ranges), "names": list(self.names),
                "bounds": [[0.0, 1.0]] * len(self.ranges)}

    def values(self, quantiles: np.ndarray) -> np.ndarray:
        """Record values for rows of quantiles (samples x parameters)."""
        return np.column_stack([r.at(quantiles[:, j]) for j, r in enumerate(self.ranges)])


def build_problem(catalog: Catalog, disease: str, parameters: Sequence[str]) -> SensitivityProblem:
    """The problem for ``parameters`` (record names, or ``"assumed"`` for the default group).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> build_problem(load_catalog(), "rrms", ["k_cns_exit", "f_reset"]).names
    ('k_cns_exit', 'f_reset')
    """
    names: list[str] = []
    for item in parameters:
        group = default_uncertain_parameters(catalog, disease) if item == ASSUMED_GROUP else (item,)
        names += [name for name in group if name not in names]
    if len(names) < 2:
        raise CartsimError(f"a sensitivity analysis needs at least 2 parameters, not {len(names)} "
                           f"({', '.join(names) or 'none'}); name more, or include \"assumed\"")
    return SensitivityProblem(tuple(parameter_range(catalog, name) for name in names))
