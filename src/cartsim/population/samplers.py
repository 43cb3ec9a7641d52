"""Covariate samplers: one distribution family each, with its parameters named as catalogue records.

A sampler is a frozen description (``TruncatedNormal("age_mean_rrms", ...)``) that turns a block
of uniforms, one row per patient, into covariate values, reading its parameters from the
catalogue in the units it expects and the covariates drawn before it (height needs sex, weight
needs height). The per-disease choice of samplers is ``covariate_models``; the quantile
functions are ``distributions``. This module must not know diseases, seeds or eligibility.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Protocol

import numpy as np
from scipy import special

from cartsim.errors import CartsimError
from cartsim.parameters.catalog import Catalog
from cartsim.population import distributions as dist
from cartsim.units import ureg

Drawn = Mapping[str, np.ndarray]
EDSS_STEPS = np.array([0.0, *np.arange(1.0, 10.0, 0.5)])
"""The scores the EDSS can take: 0, 1.0, 1.5, ..., 9.5 (10 is death and is never sampled)."""


class Sampler(Protocol):
    """What every covariate sampler offers: how many uniforms it uses and how to draw."""

    slots: int

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Covariate values (in ``unit``) for uniforms ``u`` of shape (patients, slots)."""
        ...


@dataclass(frozen=True)
class Fixed:
    """A covariate that does not apply to the disease; every patient gets ``value`` (0).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> Fixed().draw(np.zeros((2, 0)), load_catalog(), "", {}).tolist()
    [0.0, 0.0]
    """

    value: float = 0.0
    slots = 0

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """``value`` for every row of ``u``."""
        return np.full(len(u), self.value)


@dataclass(frozen=True)
class Bernoulli:
    """1 with probability ``p`` (a record), else 0: sex (1 = female).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> Bernoulli("f_female_rrms").draw(np.array([[0.1], [0.9]]), load_catalog(), "", {}).tolist()
    [1.0, 0.0]
    """

    p: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """1.0 where the uniform lies below p."""
        return (u[:, 0] < catalog.value(self.p, "")).astype(float)


@dataclass(frozen=True)
class TruncatedNormal:
    """Normal(``mean``, ``sd``) truncated to [``lower``, ``upper``]: age within trial limits.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> age = TruncatedNormal("age_mean_rrms", "age_sd_rrms", "age_min_rrms", "age_max_rrms")
    >>> age.draw(np.array([[0.0], [1.0]]), load_catalog(), "year", {}).tolist()
    [18.0, 55.0]
    """

    mean: str
    sd: str
    lower: str
    upper: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Inverse-transform draws from the truncated normal."""
        return dist.truncated_normal(u[:, 0], *self.parameters(catalog, unit))

    def parameters(self, catalog: Catalog, unit: str) -> tuple[float, float, float, float]:
        """(mean, sd, lower, upper) in ``unit``."""
        return tuple(catalog.value(n, unit) for n in (self.mean, self.sd, self.lower, self.upper))


@dataclass(frozen=True)
class EdssScore:
    """A truncated normal rounded to the steps of the EDSS; ``lower``/``upper`` default to 0/9.5.

    A draw that would round to 0.5 becomes 1.0, because the scale has no 0.5 step.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> edss = EdssScore("edss_mean_spms", "edss_sd_spms", "edss_min_spms", "edss_max_spms")
    >>> edss.draw(np.array([[0.0], [0.5], [1.0]]), load_catalog(), "", {}).tolist()
    [3.0, 5.0, 6.5]
    """

    mean: str
    sd: str
    lower: str | None = None
    upper: str | None = None
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Draws on the EDSS steps within the limits."""
        lower = catalog.value(self.lower, "") if self.lower else EDSS_STEPS[0]
        upper = catalog.value(self.upper, "") if self.upper else EDSS_STEPS[-1]
        x = dist.truncated_normal(u[:, 0], catalog.value(self.mean, ""),
                                  catalog.value(self.sd, ""), lower, upper)
        steps = EDSS_STEPS[(lower <= EDSS_STEPS) & (upper >= EDSS_STEPS)]
        return steps[np.abs(x[:, None] - steps[None, :]).argmin(axis=1)]


@dataclass(frozen=True)
class LogNormalMoments:
    """Lognormal with arithmetic ``mean`` and ``sd`` as printed: weight-like positive quantities.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> bmi = LogNormalMoments("bmi_mean_rrms", "bmi_sd_rrms")
    >>> round(float(bmi.draw(np.array([[0.5]]), load_catalog(), "kg/m**2", {})[0]), 1)
    25.5
    """

    mean: str
    sd: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Inverse-transform lognormal draws."""
        log_median, log_sd = dist.lognormal_from_moments(catalog.value(self.mean, unit),
                                                         catalog.value(self.sd, unit))
        return dist.lognormal(u[:, 0], log_median, log_sd)


@dataclass(frozen=True)
class LogNormalMedian:
    """Lognormal with ``median`` and SD of the log ``log_sd``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> bcells = LogNormalMedian("bcell_blood_median_sle", "bcell_blood_log_sd_sle")
    >>> round(float(bcells.draw(np.array([[0.5]]), load_catalog(), "cell/uL", {})[0]), 1)
    110.0
    """

    median: str
    log_sd: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Inverse-transform lognormal draws."""
        return dist.lognormal(u[:, 0], math.log(catalog.value(self.median, unit)),
                              catalog.value(self.log_sd, ""))


@dataclass(frozen=True)
class HeightBySex:
    """Normal height with sex-specific mean and SD (needs ``sex`` drawn first).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> h = HeightBySex("height_mean_female", "height_sd_female", "height_mean_male",
    ...                 "height_sd_male")
    >>> h.draw(np.array([[0.5], [0.5]]), load_catalog(), "cm", {"sex": np.array([1.0, 0.0])})
    array([164., 177.])
    """

    mean_female: str
    sd_female: str
    mean_male: str
    sd_male: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Normal draws, the female or male parameters by each patient's sex."""
        female = drawn["sex"] == 1.0
        mean = np.where(female, catalog.value(self.mean_female, unit),
                        catalog.value(self.mean_male, unit))
        sd = np.where(female, catalog.value(self.sd_female, unit),
                      catalog.value(self.sd_male, unit))
        return dist.normal(u[:, 0], mean, sd)


@dataclass(frozen=True)
class WeightFromBmi:
    """Weight = BMI x height^2 with a lognormal BMI (needs ``height_cm`` drawn first).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> w = WeightFromBmi(LogNormalMedian("bmi_median_lbcl", "bmi_log_sd_lbcl"))
    >>> w.draw(np.array([[0.5]]), load_catalog(), "kg", {"height_cm": np.array([200.0])})
    array([102.4])
    """

    bmi: LogNormalMoments | LogNormalMedian
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Weights in ``unit`` from sampled BMIs and the drawn heights."""
        bmi = self.bmi.draw(u, catalog, "kg/m**2", drawn)
        return bmi * (drawn["height_cm"] / 100.0) ** 2 * _factor("kg", unit)


@dataclass(frozen=True)
class CorrelatedWithAge:
    """A truncated normal whose draw is correlated ``rho`` with the age quantile (Gaussian copula).

    The latent normal is rho x z_age + sqrt(1 - rho^2) x z, where z_age is the final age
    (an override included) as a normal quantile under ``age``'s distribution, so a fixed age
    shifts the covariate the way a sampled one would. Needs ``age`` drawn first.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> age = TruncatedNormal("age_median_b_all", "age_sd_b_all", "age_min_b_all", "age_max_b_all")
    >>> h = CorrelatedWithAge(TruncatedNormal("height_mean_b_all", "height_sd_b_all",
    ...                       "height_min_b_all", "height_max_b_all"), "rho_age_height_b_all", age)
    >>> x = h.draw(np.array([[0.5], [0.5]]), load_catalog(), "cm", {"age": np.array([5.0, 18.0])})
    >>> bool(x[0] < x[1])
    True
    """

    base: TruncatedNormal
    rho: str
    age: TruncatedNormal
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Draws of ``base`` at the correlated uniforms."""
        q = dist.truncated_normal_cdf(drawn["age"], *self.age.parameters(catalog, "year"))
        z_age = special.ndtri(np.clip(q, 1e-12, 1.0 - 1e-12))
        rho = catalog.value(self.rho, "")
        z = rho * z_age + math.sqrt(1.0 - rho * rho) * special.ndtri(u[:, 0])
        return self.base.draw(special.ndtr(z)[:, None], catalog, unit, drawn)


@dataclass(frozen=True)
class DiseaseDuration:
    """Lognormal duration capped at age minus ``onset_min`` (or at age when None).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> d = DiseaseDuration(LogNormalMoments("disease_duration_mean_spms",
    ...                                      "disease_duration_sd_spms"), "age_onset_min_autoimmune")
    >>> d.draw(np.array([[0.99]]), load_catalog(), "year", {"age": np.array([25.0])}).tolist()
    [15.0]
    """

    spread: LogNormalMoments
    onset_min: str | None = None
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Durations no longer than the patient's life since the youngest onset age."""
        onset = catalog.value(self.onset_min, unit) if self.onset_min else 0.0
        cap = np.maximum(drawn["age"] * _factor("year", unit) - onset, 0.0)
        return np.minimum(self.spread.draw(u, catalog, unit, drawn), cap)


@dataclass(frozen=True)
class Poisson:
    """Poisson count with ``mean``: relapses where only a rate is known.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> Poisson("relapses_mean_sle").draw(np.array([[0.5], [0.95]]), load_catalog(), "", {}).tolist()
    [0.0, 2.0]
    """

    mean: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Poisson quantiles."""
        return dist.poisson(u[:, 0], catalog.value(self.mean, ""))


@dataclass(frozen=True)
class HurdleCount:
    """0 with probability 1 - ``p_any``, else 1 + Poisson(``mean_if_any`` - 1): prior therapies.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> n = HurdleCount("f_prior_therapy_rrms", "n_prior_therapies_if_any_rrms")
    >>> n.draw(np.array([[0.9, 0.5], [0.1, 0.5]]), load_catalog(), "", {}).tolist()
    [0.0, 1.0]
    """

    p_any: str
    mean_if_any: str
    slots = 2

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Hurdle counts."""
        return dist.hurdle_poisson(u[:, 0], u[:, 1], catalog.value(self.p_any, ""),
                                   catalog.value(self.mean_if_any, ""))


@dataclass(frozen=True)
class HurdleCountMoments:
    """The hurdle count whose mean and SD are the printed ``mean`` and ``sd``: prior relapses.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> r = HurdleCountMoments("relapses_mean_rrms", "relapses_sd_rrms")
    >>> r.draw(np.array([[0.95, 0.5], [0.1, 0.9]]), load_catalog(), "", {}).tolist()
    [0.0, 2.0]
    """

    mean: str
    sd: str
    slots = 2

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Hurdle counts with the printed moments."""
        p_any, mean_if_any = dist.hurdle_from_moments(catalog.value(self.mean, ""),
                                                      catalog.value(self.sd, ""))
        return dist.hurdle_poisson(u[:, 0], u[:, 1], p_any, mean_if_any)


@dataclass(frozen=True)
class PriorAntiCd20:
    """1 with probability ``share`` / ``share_treated`` among patients with prior therapies.

    The marginal share of prior anti-CD20 is then ``share``, and nobody without prior
    therapy has had it (needs ``n_prior_therapies`` drawn first).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> p = PriorAntiCd20("f_prior_anti_cd20_nmosd", "f_prior_therapy_nmosd")
    >>> p.draw(np.array([[0.05], [0.05]]), load_catalog(), "",
    ...        {"n_prior_therapies": np.array([1.0, 0.0])}).tolist()
    [1.0, 0.0]
    """

    share: str
    share_treated: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """0/1 draws conditional on any prior therapy."""
        share, treated = catalog.value(self.share, ""), catalog.value(self.share_treated, "")
        if share > treated:
            raise CartsimError(f'"{self.share}" ({share:g}) exceeds "{self.share_treated}" '
                               f"({treated:g}): more patients cannot have had anti-CD20 than "
                               "have had any prior therapy")
        p = share / treated if treated > 0 else 0.0
        return ((drawn["n_prior_therapies"] >= 1.0) & (u[:, 0] < p)).astype(float)


@dataclass(frozen=True)
class BcellsWithCovariates:
    """Lognormal B cells with power effects of weight and age (ofatumumab population model).

    B = median x (weight / reference_weight)^weight_power x (age / reference_age)^age_power
    x exp(log_sd x z); needs ``age`` and ``weight_kg`` drawn first.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> b = BcellsWithCovariates("typical_bcell_blood_ms", "bcell_blood_log_sd_ms",
    ...     "e_weight_bcell_blood", "e_age_bcell_blood", "bcell_reference_weight",
    ...     "bcell_reference_age")
    >>> b.draw(np.array([[0.5]]), load_catalog(), "cell/uL",
    ...        {"weight_kg": np.array([70.0]), "age": np.array([38.0])}).tolist()
    [194.0]
    """

    median: str
    log_sd: str
    weight_power: str
    age_power: str
    reference_weight: str
    reference_age: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """B-cell counts in ``unit`` for the drawn weights and ages."""
        weight = drawn["weight_kg"] / catalog.value(self.reference_weight, "kg")
        age = drawn["age"] / catalog.value(self.reference_age, "year")
        typical = (catalog.value(self.median, unit) * weight ** catalog.value(self.weight_power, "")
                   * age ** catalog.value(self.age_power, ""))
        return typical * np.exp(catalog.value(self.log_sd, "") * special.ndtri(u[:, 0]))


@dataclass(frozen=True)
class ScaledBeta:
    """Beta on [``lower``, 100] with printed ``mean`` and ``sd``: a percentage such as blasts.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> blasts = ScaledBeta("blast_mean_b_all", "blast_sd_b_all", "blast_min_b_all")
    >>> blasts.draw(np.array([[0.0], [1.0]]), load_catalog(), "percent", {}).tolist()
    [5.0, 100.0]
    """

    mean: str
    sd: str
    lower: str
    slots = 1

    def draw(self, u: np.ndarray, catalog: Catalog, unit: str, drawn: Drawn) -> np.ndarray:
        """Beta quantiles on [lower, 100%] in ``unit``."""
        full = 100.0 * _factor("percent", unit)
        return dist.scaled_beta(u[:, 0], catalog.value(self.mean, unit),
                                catalog.value(self.sd, unit), catalog.value(self.lower, unit), full)


def record_names(sampler: object) -> Iterator[str]:
    """The catalogue records a sampler reads, nested samplers included.

    Examples
    --------
    >>> list(record_names(WeightFromBmi(LogNormalMoments("bmi_mean_rrms", "bmi_sd_rrms"))))
    ['bmi_mean_rrms', 'bmi_sd_rrms']
    """
    for f in fields(sampler):
        value = getattr(sampler, f.name)
        if isinstance(value, str):
            yield value
        elif is_dataclass(value):
            yield from record_names(value)


@functools.lru_cache(maxsize=64)
def _factor(from_unit: str, to_unit: str) -> float:
    return 1.0 if from_unit == to_unit else float(ureg.Quantity(1.0, from_unit).to(to_unit).m)
