"""Inter-individual variability (IIV) of model parameters: which parameters vary, how much, together.

A parameter varies between patients when its catalogue record carries a published
``variability`` (distribution and omega2, e.g. Stein 2019, Yu 2022), or when it is one of the
few influential parameters in ``ASSUMED_IIV``, whose variance is the assumed record
``omega2_<name>``. Published correlations of random effects are declared in ``CORRELATIONS``
(the coefficient is a catalogue record). A patient's parameter value is the catalogue value
moved by a correlated normal random effect on the log (lognormal), logit (logitnormal) or
natural (normal) scale, then clipped to the record's bounds. This module builds and applies
that model; it must not draw covariates or know about diseases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from scipy import special

from cartsim.errors import CartsimError
from cartsim.parameters.catalog import Catalog

ASSUMED_IIV: MappingProxyType[str, str] = MappingProxyType({
    "ec50_cart_activation": "lognormal",
    "k_kill_cart": "lognormal",
    "q_il6_cart": "lognormal",
    "f_reset": "logitnormal",
})
"""Parameters with an assumed IIV (distribution by name); the variance is record omega2_<name>."""


@dataclass(frozen=True)
class Correlation:
    """A published correlation between the random effects of two parameters.

    Examples
    --------
    >>> Correlation("k_absorption_ofatumumab", "cl_ofatumumab", "rho_iiv_ka_cl_ofatumumab").record
    'rho_iiv_ka_cl_ofatumumab'
    """

    first: str
    second: str
    record: str


CORRELATIONS: tuple[Correlation, ...] = (
    Correlation("k_absorption_ofatumumab", "cl_ofatumumab", "rho_iiv_ka_cl_ofatumumab"),
)
"""The off-diagonal entries of the IIV correlation matrix; every other pair is uncorrelated."""


@dataclass(frozen=True)
class VaryingParameter:
    """One parameter with IIV: distribution, variance and where the variance comes from.

    Examples
    --------
    >>> VaryingParameter("k_kill_cart", "lognormal", 0.25, "A145").origin
    'A145'
    """

    name: str
    distribution: str
    omega2: float
    origin: str


@dataclass(frozen=True)
class VariabilityModel:
    """The IIV of one catalogue: varying parameters, their values, bounds and joint spread.

    ``typical`` holds the catalogue values, ``lower``/``upper`` the record bounds and
    ``cholesky`` the lower Cholesky factor of the covariance of the random effects, all in
    the order of ``parameters``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> model = variability_model(load_catalog())
    >>> values = model.values(np.zeros(len(model.parameters)))
    >>> values["k_kill_cart"] == load_catalog().value("k_kill_cart")
    True
    """

    parameters: tuple[VaryingParameter, ...]
    typical: np.ndarray = field(compare=False, repr=False)
    lower: np.ndarray = field(compare=False, repr=False)
    upper: np.ndarray = field(compare=False, repr=False)
    cholesky: np.ndarray = field(compare=False, repr=False)

    def values(self, normals: np.ndarray) -> dict[str, float]:
        """Parameter values (record units) for one patient's standard ``normals``."""
        row = self.table(np.asarray(normals)[None, :])[0]
        return dict(zip((p.name for p in self.parameters), row.tolist(), strict=True))

    def table(self, normals: np.ndarray) -> np.ndarray:
        """Parameter values, one row per row of standard ``normals`` (patients x parameters)."""
        # Elementwise products summed along a contiguous axis: unlike a BLAS product, the sum
        # order per patient does not depend on how many patients are in the batch.
        eta = (normals[:, None, :] * self.cholesky[None, :, :]).sum(axis=2)
        kind = np.array([p.distribution for p in self.parameters])
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            value = np.select(
                [kind == "lognormal", kind == "logitnormal"],
                [self.typical * np.exp(eta), special.expit(special.logit(self.typical) + eta)],
                self.typical + eta)
        return np.clip(value, self.lower, self.upper)


def variability_model(catalog: Catalog) -> VariabilityModel:
    """Collect the varying parameters of ``catalog`` (sorted by name) and their covariance.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> "cl_ofatumumab" in [p.name for p in variability_model(load_catalog()).parameters]
    True
    """
    parameters = sorted(_published(catalog) + _assumed(catalog), key=lambda p: p.name)
    names = [p.name for p in parameters]
    for parameter in parameters:
        _check_typical(catalog, parameter)
    sd = np.sqrt([p.omega2 for p in parameters])
    correlation = np.eye(len(parameters))
    for pair in CORRELATIONS:
        for name in (pair.first, pair.second):
            if name not in names:
                raise CartsimError(f'correlation "{pair.record}" links "{name}", which has no '
                                   "inter-individual variability in the catalogue")
        i, j = names.index(pair.first), names.index(pair.second)
        correlation[i, j] = correlation[j, i] = catalog.value(pair.record, "")
    try:
        cholesky = np.linalg.cholesky(correlation * np.outer(sd, sd))
    except np.linalg.LinAlgError:
        raise CartsimError("the inter-individual correlations in CORRELATIONS do not form a "
                           "positive-definite matrix; check the rho_iiv_* records") from None
    records = [catalog.record(name) for name in names]
    return VariabilityModel(tuple(parameters), np.array([r.value for r in records]),
                            np.array([r.bounds[0] for r in records]),
                            np.array([r.bounds[1] for r in records]), cholesky)


def _published(catalog: Catalog) -> list[VaryingParameter]:
    found = []
    for name, record in catalog.records.items():
        if record.variability is None:
            continue
        if name in ASSUMED_IIV:
            raise CartsimError(f'"{name}" has a published variability in {record.file} and an '
                               "assumed one in ASSUMED_IIV; keep one of them")
        variability = record.variability
        found.append(VaryingParameter(name, str(variability["distribution"]),
                                      float(variability["omega2"]),
                                      str(variability.get("source", record.source or ""))))
    return found


def _assumed(catalog: Catalog) -> list[VaryingParameter]:
    found = []
    for name, distribution in ASSUMED_IIV.items():
        variance = catalog.record(f"omega2_{name}")
        found.append(VaryingParameter(name, distribution, variance.value,
                                      variance.assumption or variance.source or ""))
    return found


def _check_typical(catalog: Catalog, parameter: VaryingParameter) -> None:
    value = catalog.value(parameter.name)
    fine = {"lognormal": value > 0, "logitnormal": 0 < value < 1, "normal": True}
    if not fine.get(parameter.distribution, False):
        raise CartsimError(f'"{parameter.name}" = {value:g} cannot vary as '
                           f'"{parameter.distribution}": a lognormal needs a value above 0 and a '
                           "logitnormal a value between 0 and 1")
