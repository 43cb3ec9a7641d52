"""Quantile functions that turn uniform draws into covariate values, vectorised over patients.

Every covariate of a virtual patient is drawn by inverse transform: the patient's random stream
gives uniforms in (0, 1) and a quantile function here maps them onto the distribution. One
uniform (two for a hurdle count) per covariate keeps each covariate's draw independent of the
others, so overriding or re-parameterising one covariate leaves every other draw unchanged.
This module knows distributions only; it must not read the catalogue or know about diseases.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from cartsim.errors import CartsimError

_POISSON_MAX = 1000
"""Highest count the Poisson quantile function steps through (far above any covariate count)."""


def normal(u: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Quantiles ``u`` of a normal distribution.

    Examples
    --------
    >>> float(normal(np.array([0.5]), 170.0, 7.0)[0])
    170.0
    """
    return mean + sd * special.ndtri(u)


def truncated_normal(u: np.ndarray, mean: float, sd: float, lower: float, upper: float
                     ) -> np.ndarray:
    """Quantiles ``u`` of a normal(``mean``, ``sd``) truncated to [``lower``, ``upper``].

    ``mean`` and ``sd`` are those of the parent normal, so the truncated mean and SD differ a
    little from them when a limit lies within about two SDs.

    Examples
    --------
    >>> x = truncated_normal(np.array([0.0, 0.5, 1.0]), 38.0, 9.0, 18.0, 55.0)
    >>> [round(float(v), 1) for v in x]
    [18.0, 37.8, 55.0]
    """
    if not sd > 0 or not lower < upper:
        raise CartsimError(f"a truncated normal needs sd > 0 and lower < upper, not sd = {sd:g}, "
                           f"limits [{lower:g}, {upper:g}]")
    low = special.ndtr((lower - mean) / sd)
    return np.clip(mean + sd * special.ndtri(low + u * _mass(mean, sd, lower, upper)), lower, upper)


def truncated_normal_cdf(x: np.ndarray | float, mean: float, sd: float, lower: float,
                         upper: float) -> np.ndarray:
    """Cumulative probability of ``x`` under the truncated normal of ``truncated_normal``.

    Examples
    --------
    >>> round(float(truncated_normal_cdf(37.8, 38.0, 9.0, 18.0, 55.0)), 2)
    0.5
    """
    low = special.ndtr((lower - mean) / sd)
    return np.clip((special.ndtr((np.asarray(x) - mean) / sd) - low)
                   / _mass(mean, sd, lower, upper), 0.0, 1.0)


def lognormal_from_moments(mean: float, sd: float) -> tuple[float, float]:
    """The (log-median, log-SD) of the lognormal with arithmetic ``mean`` and ``sd``.

    Examples
    --------
    >>> mu, sigma = lognormal_from_moments(1.0, math.sqrt(math.e - 1.0))
    >>> round(mu, 6), round(sigma, 6)
    (-0.5, 1.0)
    """
    if not mean > 0 or not sd > 0:
        raise CartsimError(f"a lognormal needs mean > 0 and sd > 0, not mean = {mean:g}, "
                           f"sd = {sd:g}")
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def lognormal(u: np.ndarray, log_median: float, log_sd: float) -> np.ndarray:
    """Quantiles ``u`` of exp(normal(``log_median``, ``log_sd``)).

    Examples
    --------
    >>> float(lognormal(np.array([0.5]), math.log(194.0), 0.394)[0])
    194.0...
    """
    return np.exp(log_median + log_sd * special.ndtri(u))


def scaled_beta(u: np.ndarray, mean: float, sd: float, lower: float, upper: float
                ) -> np.ndarray:
    """Quantiles ``u`` of a beta distribution on [``lower``, ``upper``] with ``mean`` and ``sd``.

    Examples
    --------
    >>> x = scaled_beta(np.array([0.001, 0.999]), 65.0, 28.0, 5.0, 100.0)
    >>> bool(5.0 <= x.min() and x.max() <= 100.0)
    True
    """
    width = upper - lower
    m, s = (mean - lower) / width, sd / width
    if not (0.0 < m < 1.0 and 0.0 < s * s < m * (1.0 - m)):
        raise CartsimError(f"no beta distribution on [{lower:g}, {upper:g}] has mean {mean:g} and "
                           f"SD {sd:g}; the SD must be below sqrt((mean - lower) * (upper - mean))")
    size = m * (1.0 - m) / (s * s) - 1.0
    return lower + width * special.betaincinv(m * size, (1.0 - m) * size, u)


def poisson(u: np.ndarray, mean: float) -> np.ndarray:
    """Quantiles ``u`` of a Poisson distribution with ``mean``, as floats.

    Examples
    --------
    >>> poisson(np.array([0.1, 0.5, 0.99]), 1.0).tolist()
    [0.0, 1.0, 4.0]
    """
    if mean < 0:
        raise CartsimError(f"a Poisson count needs a mean of 0 or more, not {mean:g}")
    u = np.asarray(u, dtype=float)
    counts = np.zeros_like(u)
    term = math.exp(-mean)
    cdf = np.full_like(u, term)
    for k in range(1, _POISSON_MAX):
        above = u > cdf
        if not above.any():
            break
        counts += above
        term *= mean / k
        cdf = cdf + term
    return counts


def hurdle_poisson(u_any: np.ndarray, u_count: np.ndarray, p_any: float, mean_if_any: float
                   ) -> np.ndarray:
    """Counts that are 0 with probability 1 - ``p_any``, else 1 + Poisson(``mean_if_any`` - 1).

    Examples
    --------
    >>> hurdle_poisson(np.array([0.2, 0.95]), np.array([0.5, 0.5]), 0.9, 1.4).tolist()
    [1.0, 0.0]
    """
    if not 0.0 <= p_any <= 1.0 or mean_if_any < 1.0:
        raise CartsimError(f"a hurdle count needs 0 <= p_any <= 1 and a mean of at least 1 among "
                           f"non-zero counts, not p_any = {p_any:g}, mean = {mean_if_any:g}")
    return np.where(u_any < p_any, 1.0 + poisson(u_count, mean_if_any - 1.0), 0.0)


def hurdle_from_moments(mean: float, sd: float) -> tuple[float, float]:
    """The (p_any, mean_if_any) of the hurdle count with this ``mean`` and ``sd``.

    Solves the two moment equations of ``hurdle_poisson`` (a quadratic in the Poisson mean). A
    printed SD smaller than any hurdle count allows (every patient has at least one event and
    the rest is tighter than Poisson) gives p_any = 1 and keeps the mean.

    Examples
    --------
    >>> [round(v, 3) for v in hurdle_from_moments(1.2, 0.7)]
    [0.889, 1.349]
    >>> hurdle_from_moments(1.4, 0.6)
    (1.0, 1.4)
    """
    if not mean > 0 or sd < 0:
        raise CartsimError(f"a count needs mean > 0 and sd >= 0, not mean = {mean:g}, sd = {sd:g}")
    ratio = (sd * sd + mean * mean) / mean
    if ratio < 1.0:
        raise CartsimError(f"no count distribution has mean {mean:g} and SD {sd:g} (a count's "
                           "second moment is at least its mean)")
    b, c = 3.0 - ratio, 1.0 - ratio
    lam = (-b + math.sqrt(b * b - 4.0 * c)) / 2.0
    p_any = mean / (1.0 + lam)
    if p_any > 1.0:
        return 1.0, mean
    return p_any, 1.0 + lam


def _mass(mean: float, sd: float, lower: float, upper: float) -> float:
    mass = float(special.ndtr((upper - mean) / sd) - special.ndtr((lower - mean) / sd))
    if mass <= 1e-12:
        raise CartsimError(f"a normal({mean:g}, {sd:g}) puts no probability within "
                           f"[{lower:g}, {upper:g}]")
    return mass
