"""The parameter catalogue: every number of the model as a record with unit, source and bounds."""

from cartsim.parameters.catalog import Catalog, load_catalog
from cartsim.parameters.records import ParameterRecord

__all__ = ["Catalog", "ParameterRecord", "load_catalog"]
