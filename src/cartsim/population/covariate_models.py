"""Which distribution each covariate follows in each disease: the covariate model, declared as data.

``COVARIATE_MODELS[disease]`` lists every covariate of ``cartsim.model.patient.COVARIATES``
once, in the order they are drawn (a covariate may read those before it: height reads sex,
weight reads height, B cells read weight and age). Each entry names the catalogue records that
hold the distribution's parameters (``catalog/population.toml``); their sources are in
``docs/population.md``. This module only declares; it must not draw or read the catalogue.
"""

from __future__ import annotations

from types import MappingProxyType

from cartsim.model.patient import MS_COURSES
from cartsim.population.samplers import (
    BcellsWithCovariates,
    Bernoulli,
    CorrelatedWithAge,
    DiseaseDuration,
    EdssScore,
    Fixed,
    HeightBySex,
    HurdleCount,
    HurdleCountMoments,
    LogNormalMedian,
    LogNormalMoments,
    Poisson,
    PriorAntiCd20,
    Sampler,
    ScaledBeta,
    TruncatedNormal,
    WeightFromBmi,
)

Model = tuple[tuple[str, Sampler], ...]

_HEIGHT = HeightBySex("height_mean_female", "height_sd_female", "height_mean_male",
                      "height_sd_male")
_MS_BCELLS = BcellsWithCovariates("typical_bcell_blood_ms", "bcell_blood_log_sd_ms",
                                  "e_weight_bcell_blood", "e_age_bcell_blood",
                                  "bcell_reference_weight", "bcell_reference_age")
_RELAPSES = {
    "rrms": HurdleCountMoments("relapses_mean_rrms", "relapses_sd_rrms"),
    "spms": Poisson("relapses_mean_spms"),
    "ppms": Poisson("relapses_mean_ppms"),
    "nmosd": HurdleCountMoments("relapses_mean_nmosd", "relapses_sd_nmosd"),
    "sle": Poisson("relapses_mean_sle"),
}
_EDSS_LIMITS = {"rrms": (None, "edss_max_rrms"), "spms": ("edss_min_spms", "edss_max_spms"),
                "ppms": ("edss_min_ppms", "edss_max_ppms"), "nmosd": (None, "edss_max_nmosd")}


def _age(d: str) -> TruncatedNormal:
    location = f"age_median_{d}" if d in ("b_all", "lbcl") else f"age_mean_{d}"
    return TruncatedNormal(location, f"age_sd_{d}", f"age_min_{d}", f"age_max_{d}")


def _therapies(d: str) -> Model:
    return (("n_prior_therapies", HurdleCount(f"f_prior_therapy_{d}", f"n_prior_therapies_if_any_{d}")),
            ("prior_anti_cd20", PriorAntiCd20(f"f_prior_anti_cd20_{d}", f"f_prior_therapy_{d}")))


def _autoimmune(d: str, bmi: LogNormalMoments, bcells: Sampler) -> Model:
    edss: Sampler = EdssScore(f"edss_mean_{d}", f"edss_sd_{d}", *_EDSS_LIMITS[d]) \
        if d in _EDSS_LIMITS else Fixed()
    return (
        ("sex", Bernoulli(f"f_female_{d}")),
        ("age", _age(d)),
        ("height_cm", _HEIGHT),
        ("weight_kg", WeightFromBmi(bmi)),
        ("edss", edss),
        ("disease_duration_years", DiseaseDuration(
            LogNormalMoments(f"disease_duration_mean_{d}", f"disease_duration_sd_{d}"),
            "age_onset_min_autoimmune")),
        ("relapses_prior_year", _RELAPSES[d]),
        *_therapies(d),
        ("bcell_blood_per_ul", bcells),
        ("marrow_blast_pct", Fixed()),
        ("tumour_burden_cells", Fixed()),
    )


def _b_all() -> Model:
    age = _age("b_all")
    height = TruncatedNormal("height_mean_b_all", "height_sd_b_all", "height_min_b_all",
                             "height_max_b_all")
    return (
        ("sex", Bernoulli("f_female_b_all")),
        ("age", age),
        ("height_cm", CorrelatedWithAge(height, "rho_age_height_b_all", age)),
        ("weight_kg", WeightFromBmi(LogNormalMedian("bmi_median_b_all", "bmi_log_sd_b_all"))),
        ("edss", Fixed()),
        ("disease_duration_years", DiseaseDuration(
            LogNormalMoments("disease_duration_mean_b_all", "disease_duration_sd_b_all"))),
        ("relapses_prior_year", Fixed()),
        *_therapies("b_all"),
        ("bcell_blood_per_ul", LogNormalMedian("bcell_blood_median_b_all", "bcell_blood_log_sd_b_all")),
        ("marrow_blast_pct", ScaledBeta("blast_mean_b_all", "blast_sd_b_all", "blast_min_b_all")),
        ("tumour_burden_cells", Fixed()),
    )


def _lbcl() -> Model:
    return (
        ("sex", Bernoulli("f_female_lbcl")),
        ("age", _age("lbcl")),
        ("height_cm", _HEIGHT),
        ("weight_kg", WeightFromBmi(LogNormalMedian("bmi_median_lbcl", "bmi_log_sd_lbcl"))),
        ("edss", Fixed()),
        ("disease_duration_years", DiseaseDuration(
            LogNormalMoments("disease_duration_mean_lbcl", "disease_duration_sd_lbcl"))),
        ("relapses_prior_year", Fixed()),
        *_therapies("lbcl"),
        ("bcell_blood_per_ul", LogNormalMedian("bcell_blood_median_lbcl", "bcell_blood_log_sd_lbcl")),
        ("marrow_blast_pct", Fixed()),
        ("tumour_burden_cells", LogNormalMedian("typical_tumour_burden_cells",
                                                "tumour_burden_log_sd_lbcl")),
    )


COVARIATE_MODELS: MappingProxyType[str, Model] = MappingProxyType({
    **{d: _autoimmune(d, LogNormalMoments(f"bmi_mean_{d}", f"bmi_sd_{d}"), _MS_BCELLS)
       for d in MS_COURSES},
    "nmosd": _autoimmune("nmosd", LogNormalMoments("bmi_mean_rrms", "bmi_sd_rrms"),
                         LogNormalMoments("typical_bcell_blood_healthy", "bcell_blood_sd_healthy")),
    "sle": _autoimmune("sle", LogNormalMoments("bmi_mean_sle", "bmi_sd_sle"),
                       LogNormalMedian("bcell_blood_median_sle", "bcell_blood_log_sd_sle")),
    "b_all": _b_all(),
    "lbcl": _lbcl(),
})
"""Covariate model per disease: (covariate, sampler) pairs in drawing order."""
