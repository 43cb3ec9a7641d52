"""Acceptance bands: the interval a simulated quantity must fall in, derived from a fact's spread.

Every band is a 95% statement about the *published central value* (a mean, median, typical value
or proportion), not about one patient: the simulated quantity it is compared with is itself a
central value (the typical patient, or a cohort's mean, median or proportion), so the question is
whether the published central value could be the simulated one given the sampling error of the
study. A prediction interval for one new patient would be wider by a factor of about sqrt(n + 1)
and would let almost anything pass for large studies. The rules, by spread kind:

- ``sd``: mean +/- t(0.975, n - 1) SD / sqrt(n), the t interval of the mean.
- ``iqr``: median +/- 1.96 x 1.2533 x (IQR / 1.35) / sqrt(n): the IQR of a normal sample is 1.35
  SD, and the standard error of a median is 1.2533 times that of a mean.
- ``range``: as ``iqr`` with the SD estimated from the median and range by Hozo 2005 (the
  formula for n <= 15, range / 4 for 15 < n <= 70, range / 6 above).
- ``ci``, ``interval``: the published interval itself.
- ``proportion``: the Wilson score interval of k events in n (trials.summaries.proportion).
- ``omega2``: typical value x exp(+/- 1.96 sqrt(omega2 / n)), the interval of the geometric mean
  of n log-normal individuals with log-scale variance omega2.
- ``rate_ratio``: ratio x exp(+/- 1.96 sqrt(1 / events + 1 / reference_events)), events = rate x
  n x follow-up years (a Poisson count), the usual interval of a rate ratio.
- ``bound``: the half-line above or below the limit.
- ``none``: value x (1 +/- f_tolerance_without_spread), assumption A200.

This module computes intervals only; it reads catalogue records named by facts and nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from cartsim.parameters import Catalog
from cartsim.trials.summaries import proportion
from cartsim.validation.facts import Fact

CONFIDENCE = 0.95
"""Coverage of every two-sided band."""
Z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))
MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)
"""Standard error of a normal sample's median over that of its mean (1.2533)."""
IQR_PER_SD = 2 * float(stats.norm.ppf(0.75))
"""Width of a normal distribution's interquartile range in SDs (1.349)."""


@dataclass(frozen=True)
class Band:
    """The closed interval [low, high] a simulated value must fall in, and how it was derived.

    Examples
    --------
    >>> b = Band(70.3, 149.7, "95% CI of the mean")
    >>> b.contains(110.0), b.contains(150.0)
    (True, False)
    """

    low: float
    high: float
    rule: str

    def contains(self, value: float) -> bool:
        """Whether ``value`` is finite and within the band, edges included."""
        return math.isfinite(value) and self.low <= value <= self.high

    def keep_side(self, side: str) -> Band:
        """The band with only its ``"upper"`` or its ``"lower"`` edge."""
        if side == "upper":
            return Band(-math.inf, self.high, self.rule + "; upper edge only")
        return Band(self.low, math.inf, self.rule + "; lower edge only")

    def describe(self) -> str:
        """The band as text: ``[a, b]``, ``<= b`` or ``>= a``."""
        if math.isinf(self.low):
            return f"≤ {self.high:.3g}"
        if math.isinf(self.high):
            return f"≥ {self.low:.3g}"
        return f"[{self.low:.3g}, {self.high:.3g}]"


def acceptance_band(fact: Fact, catalog: Catalog) -> Band:
    """The acceptance band of ``fact`` (see the module docstring for the rules).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> from cartsim.validation.facts import load_facts
    >>> catalog = load_catalog()
    >>> band = acceptance_band(load_facts(catalog)["mackensen2022_b_cell_reappearance"], catalog)
    >>> round(band.low, 1), round(band.high, 1)
    (70.3, 149.7)
    """
    spread, kind = fact.spread, fact.spread["kind"]
    value, n = fact.value, fact.n
    if kind == "sd":
        half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * float(spread["value"]) / math.sqrt(n)
        return Band(value - half, value + half, f"{CONFIDENCE:.0%} t interval of the mean (SD, n={n})")
    if kind in ("iqr", "range"):
        low, high = float(spread["low"]), float(spread["high"])
        sd = (high - low) / IQR_PER_SD if kind == "iqr" else hozo_sd(value, low, high, n)
        half = Z * MEDIAN_EFFICIENCY * sd / math.sqrt(n)
        return Band(value - half, value + half,
                    f"{CONFIDENCE:.0%} interval of the median ({kind.upper()}, n={n})")
    if kind in ("ci", "interval"):
        what = "published 95% CI" if kind == "ci" else "published range of the typical value"
        return Band(float(spread["low"]), float(spread["high"]), what)
    if kind == "proportion":
        events = int(spread["events"])
        wilson = proportion(np.array([1.0] * events + [0.0] * (n - events)))
        low, high = wilson["ci95"]
        return Band(low, high, f"Wilson {CONFIDENCE:.0%} interval of {events}/{n}")
    if kind == "omega2":
        factor = math.exp(Z * math.sqrt(float(spread["value"]) / n))
        return Band(value / factor, value * factor,
                    f"{CONFIDENCE:.0%} interval of a log-normal typical value (omega2, n={n})")
    if kind == "rate_ratio":
        years = _number(spread["followup"], catalog)
        events = float(spread["rate"]) * n * years
        reference = float(spread["reference_rate"]) * float(spread["reference_n"]) * years
        factor = math.exp(Z * math.sqrt(1 / events + 1 / reference))
        return Band(value / factor, value * factor,
                    f"{CONFIDENCE:.0%} interval of a Poisson rate ratio ({years:g} years each)")
    if kind == "bound":
        limit = _number(spread["limit"], catalog)
        if spread["side"] == "above":
            return Band(limit, math.inf, "published statement read as a lower limit")
        return Band(-math.inf, limit, "published statement read as an upper limit")
    tolerance = catalog.value("f_tolerance_without_spread")
    return Band(value * (1 - tolerance), value * (1 + tolerance),
                f"±{tolerance:.0%} around a value printed without spread (A200)")


def hozo_sd(median: float, low: float, high: float, n: int) -> float:
    """SD of a sample estimated from its median, range and size (Hozo 2005).

    Examples
    --------
    >>> round(hozo_sd(10.0, 2.0, 30.0, 40), 2)
    7.0
    """
    if n <= 15:
        return math.sqrt(((low - 2 * median + high) ** 2 / 4 + (high - low) ** 2) / 12)
    return (high - low) / (4 if n <= 70 else 6)


def _number(value: object, catalog: Catalog) -> float:
    return catalog.value(value) if isinstance(value, str) else float(value)
