"""The plausible range of a parameter record for uncertainty analyses, and how to draw within it.

A record's range is its ``bounds``. For an ``assumed`` record the loader has already checked
that the bounds lie within the numbered assumption's range; the assumption's own range is not
used directly because one assumption can cover several records on different scales (A60 covers
``typical_edss`` and ``typical_sex_female`` with [0, 40]). Values are drawn uniformly, or
log-uniformly when the range is positive and spans more than a decade (``LOG_UNIFORM_SPAN``):
a uniform draw over 1e8 to 1e12 cells/L would put 99% of the draws in the top two decades.
This module describes ranges; it draws no random numbers and runs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.errors import ParameterError
from cartsim.parameters.catalog import Catalog
from cartsim.parameters.records import record_error

LOG_UNIFORM_SPAN = 10.0
"""A positive range wider than this ratio (upper / lower) is sampled log-uniformly."""


@dataclass(frozen=True)
class ParameterRange:
    """Where a parameter may lie, in its record unit, and whether it is sampled on a log scale.

    Examples
    --------
    >>> r = ParameterRange("ec50_x", 1e8, 1e12, log=True)
    >>> r.at([0.0, 0.5, 1.0]).tolist()
    [100000000.0, 10000000000.0, 1000000000000.0]
    """

    name: str
    lower: float
    upper: float
    log: bool

    def at(self, quantiles: np.ndarray | list[float]) -> np.ndarray:
        """The values at ``quantiles`` (in [0, 1]) of the uniform or log-uniform distribution.

        Examples
        --------
        >>> ParameterRange("f_x", 0.0, 2.0, log=False).at([0.25]).tolist()
        [0.5]
        """
        u = np.asarray(quantiles, dtype=np.float64)
        if self.log:
            return np.exp(np.log(self.lower) + u * (np.log(self.upper) - np.log(self.lower)))
        return self.lower + u * (self.upper - self.lower)


def parameter_range(catalog: Catalog, name: str) -> ParameterRange:
    """The range of record ``name``: its bounds, log-uniform when positive and wider than a decade.

    Raises a ParameterError for a derived record (its inputs vary instead) or bounds that leave
    nothing to vary.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> parameter_range(load_catalog(), "ec50_cart_activation").log
    True
    """
    record = catalog.record(name)
    if record.kind == "derived":
        raise ParameterError(f'parameter "{name}" is derived (formula "{record.formula}") and '
                             "cannot be varied on its own; vary the records its formula uses.")
    lower, upper = record.bounds
    if not upper > lower:
        raise record_error(record.file, name, "bounds", f"are [{lower:g}, {upper:g}], which leave "
                           "nothing to vary; give the record a range with lower < upper")
    return ParameterRange(name, float(lower), float(upper),
                          log=bool(lower > 0 and upper / lower > LOG_UNIFORM_SPAN))
