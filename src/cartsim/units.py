"""The one pint unit registry of cartsim.

Every unit string in the parameter catalogue, the state register and scenario files is parsed
here. Cells and vector genomes are counted quantities with dimensions of their own, so that a
rate in cells/day can never be added to a concentration in mg/L by mistake. This module must
not import anything else from cartsim.
"""

from __future__ import annotations

import pint

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("cell = [cell] = cells")
ureg.define("vector_genome = [vector] = vg")

Quantity = ureg.Quantity

MODEL_TIME_UNIT = "day"
"""Time inside the model is always in days; conversions happen once, at the boundary."""


def parse_quantity(text: str) -> pint.Quantity:
    """Parse a quantity such as ``"1e6 cells/kg"`` with the cartsim registry.

    Examples
    --------
    >>> parse_quantity("1e8 cells").to("cell").magnitude
    100000000.0
    """
    return ureg.Quantity(text)
