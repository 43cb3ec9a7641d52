"""Virtual patients: reproducibility, covariate distributions, parameter variability, screening.

Moment checks compare a few thousand sampled patients with the distribution the catalogue
declares, within four standard errors (a false alarm about once in 16,000 checks), so the
tests are deterministic for their fixed seeds yet fail for a wrong family or parameter.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cartsim.errors import CartsimError
from cartsim.expressions import parse_expression
from cartsim.io.eligibility import parse_criteria
from cartsim.io.scenario import PopulationSpec
from cartsim.model.parameterise import typical_patient
from cartsim.model.patient import COVARIATES, DISEASES
from cartsim.parameters import Catalog, load_catalog
from cartsim.population import (
    MIN_SCREENING_LIMIT,
    covariate_table,
    sample_patient,
    screen,
)
from cartsim.population import distributions as dist
from cartsim.population.covariate_models import COVARIATE_MODELS
from cartsim.population.samplers import EDSS_STEPS, record_names
from cartsim.population.streams import SLOTS_PER_COVARIATE
from cartsim.population.variability import ASSUMED_IIV, CORRELATIONS, variability_model

N = 4000


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def tables(catalog: Catalog) -> dict:
    return {d: covariate_table(screen(catalog, PopulationSpec(d), 11, N).patients)
            for d in DISEASES}


@pytest.fixture(scope="module")
def rrms_patients(catalog: Catalog) -> tuple:
    return screen(catalog, PopulationSpec("rrms"), 5, N).patients


def _close(sample: np.ndarray, mean: float, sd: float) -> None:
    """The sample mean lies within four standard errors of ``mean``."""
    assert abs(np.mean(sample) - mean) < 4 * sd / math.sqrt(len(sample)), (np.mean(sample), mean)


def _close_sd(sample: np.ndarray, sd: float) -> None:
    """The sample SD lies within four standard errors of ``sd`` (normal-theory SE, +50%)."""
    assert abs(np.std(sample, ddof=1) - sd) < 6 * sd / math.sqrt(2 * len(sample)), \
        (np.std(sample, ddof=1), sd)


# Reproducibility -----------------------------------------------------------------------------

def test_patient_depends_only_on_seed_and_index(catalog: Catalog) -> None:
    spec = PopulationSpec("nmosd")
    forwards = [sample_patient(catalog, spec, 3, i) for i in (0, 7, 300)]
    backwards = [sample_patient(catalog, spec, 3, i) for i in (300, 7, 0)][::-1]
    screened = screen(catalog, spec, 3, 301).patients
    assert forwards == backwards
    assert [screened[i] for i in (0, 7, 300)] == forwards
    assert screen(catalog, spec, 3, 20).patients == screened[:20]


def test_different_seeds_give_different_patients(catalog: Catalog) -> None:
    a = covariate_table(screen(catalog, PopulationSpec("rrms"), 1, 50).patients)
    b = covariate_table(screen(catalog, PopulationSpec("rrms"), 2, 50).patients)
    assert (a["age"] != b["age"]).all() and (a["bcell_blood_per_ul"] != b["bcell_blood_per_ul"]).all()


def test_bad_seed_and_size_are_refused(catalog: Catalog) -> None:
    with pytest.raises(CartsimError, match="the seed must be an integer of 0 or more, not -1"):
        sample_patient(catalog, PopulationSpec("rrms"), -1, 0)
    with pytest.raises(CartsimError, match="patients to enrol must be an integer of 1 or more"):
        screen(catalog, PopulationSpec("rrms"), 1, 0)


# Covariate distributions ---------------------------------------------------------------------

def test_every_disease_declares_every_covariate_once_with_existing_records(catalog: Catalog) -> None:
    for disease in DISEASES:
        names = [name for name, _ in COVARIATE_MODELS[disease]]
        assert sorted(names) == sorted(COVARIATES), disease
        for _, sampler in COVARIATE_MODELS[disease]:
            assert sampler.slots <= SLOTS_PER_COVARIATE
            for record in record_names(sampler):
                catalog.record(record)


def test_every_population_record_is_used(catalog: Catalog) -> None:
    used = {r for model in COVARIATE_MODELS.values() for _, s in model for r in record_names(s)}
    used |= {f"omega2_{name}" for name in ASSUMED_IIV} | {c.record for c in CORRELATIONS}
    pending = list(used)
    while pending:
        formula = catalog.record(pending.pop()).formula
        for name in parse_expression(formula).names if formula else ():
            if name not in used:
                used.add(name)
                pending.append(name)
    population = {n for n in catalog.records if catalog.submodel(n) == "population"}
    assert population - used - {n for n in population if n.startswith("typical_")} == set()


def test_ages_follow_the_truncated_normal(catalog: Catalog, tables: dict) -> None:
    for disease in DISEASES:
        location = "median" if disease in ("b_all", "lbcl") else "mean"
        mean, sd, lo, hi = (catalog.value(f"age_{s}_{disease}", "year")
                            for s in (location, "sd", "min", "max"))
        expected = stats.truncnorm((lo - mean) / sd, (hi - mean) / sd, loc=mean, scale=sd)
        age = tables[disease]["age"].to_numpy()
        assert lo <= age.min() and age.max() <= hi
        _close(age, expected.mean(), expected.std())
        _close_sd(age, expected.std())


def test_sex_follows_the_printed_share_of_women(catalog: Catalog, tables: dict) -> None:
    for disease in DISEASES:
        p = catalog.value(f"f_female_{disease}")
        _close(tables[disease]["sex"].to_numpy(), p, math.sqrt(p * (1 - p)))


def test_bmi_is_lognormal_with_the_printed_mean_and_sd(catalog: Catalog, tables: dict) -> None:
    for disease in ("rrms", "spms", "ppms", "sle"):
        t = tables[disease]
        bmi = (t["weight_kg"] / (t["height_cm"] / 100) ** 2).to_numpy()
        mean, sd = catalog.value(f"bmi_mean_{disease}"), catalog.value(f"bmi_sd_{disease}")
        _close(bmi, mean, sd)
        _close_sd(bmi, sd)


def test_height_by_sex_follows_the_reference(catalog: Catalog, tables: dict) -> None:
    t = tables["rrms"]
    for sex, label in ((1.0, "female"), (0.0, "male")):
        height = t.loc[t["sex"] == sex, "height_cm"].to_numpy()
        sd = catalog.value(f"height_sd_{label}")
        _close(height, catalog.value(f"height_mean_{label}"), sd)
        _close_sd(height, sd)


def test_children_with_b_all_grow_with_age_and_keep_the_printed_weight(catalog: Catalog,
                                                                       tables: dict) -> None:
    t = tables["b_all"]
    assert t["height_cm"].between(catalog.value("height_min_b_all"),
                                  catalog.value("height_max_b_all")).all()
    assert np.corrcoef(t["age"], t["height_cm"])[0, 1] > 0.8
    assert abs(t["weight_kg"].median() / catalog.value("weight_median_b_all") - 1) < 0.05


def test_relapse_counts_match_their_sources(catalog: Catalog, tables: dict) -> None:
    for disease in ("rrms", "nmosd"):
        counts = tables[disease]["relapses_prior_year"].to_numpy()
        mean, sd = (catalog.value(f"relapses_{s}_{disease}") for s in ("mean", "sd"))
        p_any, mean_if_any = dist.hurdle_from_moments(mean, sd)
        _close(counts, mean, _hurdle_sd(p_any, mean_if_any))
    assert (tables["nmosd"]["relapses_prior_year"] >= 1).all()  # printed SD below any hurdle
    rate = catalog.value("relapses_mean_spms")
    _close(tables["spms"]["relapses_prior_year"].to_numpy(), rate, math.sqrt(rate))
    assert math.exp(-2 * rate) == pytest.approx(catalog.value("f_relapse_free_2y_spms"))


def _hurdle_sd(p_any: float, mean_if_any: float) -> float:
    lam = mean_if_any - 1.0
    return math.sqrt(p_any * (1 + 3 * lam + lam * lam) - (p_any * mean_if_any) ** 2)


def test_hurdle_count_reproduces_printed_moments() -> None:
    p_any, mean_if_any = dist.hurdle_from_moments(1.2, 0.7)
    u = np.random.default_rng(0).random((200_000, 2))
    counts = dist.hurdle_poisson(u[:, 0], u[:, 1], p_any, mean_if_any)
    assert abs(counts.mean() - 1.2) < 0.01 and abs(counts.std() - 0.7) < 0.01


def test_poisson_quantiles_match_scipy() -> None:
    u = np.linspace(0.001, 0.999, 101)
    assert (dist.poisson(u, 2.4) == stats.poisson.ppf(u, 2.4)).all()


def test_prior_therapies_follow_the_hurdle_and_anti_cd20_share(catalog: Catalog,
                                                                tables: dict) -> None:
    for disease in DISEASES:
        t = tables[disease]
        q = catalog.value(f"f_prior_therapy_{disease}")
        m = catalog.value(f"n_prior_therapies_if_any_{disease}")
        _close(t["n_prior_therapies"].to_numpy(), q * m, _hurdle_sd(q, m) + 1e-12)
        p = catalog.value(f"f_prior_anti_cd20_{disease}")
        _close(t["prior_anti_cd20"].to_numpy(), p, math.sqrt(p * (1 - p)) + 1e-12)
        assert (t.loc[t["prior_anti_cd20"] == 1, "n_prior_therapies"] >= 1).all()


def test_ms_bcells_follow_the_ofatumumab_covariate_model(catalog: Catalog, tables: dict) -> None:
    t = tables["rrms"]
    residual = (np.log(t["bcell_blood_per_ul"])
                - catalog.value("e_weight_bcell_blood") * np.log(t["weight_kg"] / 70.0)
                - catalog.value("e_age_bcell_blood") * np.log(t["age"] / 38.0)).to_numpy()
    sd = catalog.value("bcell_blood_log_sd_ms")
    _close(residual, math.log(catalog.value("typical_bcell_blood_ms")), sd)
    _close_sd(residual, sd)


def test_durations_and_blasts_match_their_sources(catalog: Catalog, tables: dict) -> None:
    duration = tables["ppms"]["disease_duration_years"].to_numpy()
    mean, sd = catalog.value("disease_duration_mean_ppms"), catalog.value("disease_duration_sd_ppms")
    _close(duration, mean, sd)
    _close_sd(duration, sd)
    blasts = tables["b_all"]["marrow_blast_pct"].to_numpy()
    _close(blasts, catalog.value("blast_mean_b_all"), catalog.value("blast_sd_b_all"))
    _close_sd(blasts, catalog.value("blast_sd_b_all"))


def test_supports_are_respected(catalog: Catalog, tables: dict) -> None:
    for disease, t in tables.items():
        assert (t[["weight_kg", "height_cm", "bcell_blood_per_ul", "bsa_m2"]] > 0).all().all()
        for name in ("relapses_prior_year", "n_prior_therapies"):
            assert (t[name] >= 0).all() and (t[name] == t[name].round()).all(), (disease, name)
        assert t["sex"].isin([0.0, 1.0]).all() and t["prior_anti_cd20"].isin([0.0, 1.0]).all()
        assert t["marrow_blast_pct"].between(0, 100).all()
        assert t["edss"].isin(EDSS_STEPS).all()
        assert (t["disease_duration_years"] <= t["age"]).all()
        assert (t["tumour_burden_cells"] >= 0).all()
    for disease in ("rrms", "spms", "ppms"):
        lo = catalog.value(f"edss_min_{disease}") if disease != "rrms" else 0.0
        assert tables[disease]["edss"].between(lo, catalog.value(f"edss_max_{disease}")).all()
    assert (tables["b_all"]["marrow_blast_pct"] >= catalog.value("blast_min_b_all")).all()
    assert (tables["lbcl"]["tumour_burden_cells"] > 0).all()
    assert (tables["sle"]["edss"] == 0).all() and (tables["rrms"]["marrow_blast_pct"] == 0).all()


def test_overrides_fix_covariates_and_leave_the_others_alone(catalog: Catalog) -> None:
    free = covariate_table(screen(catalog, PopulationSpec("rrms"), 9, 200).patients)
    spec = PopulationSpec("rrms", covariates={"age": 30.0, "prior_anti_cd20": 1.0, "edss": 4.5})
    fixed = covariate_table(screen(catalog, spec, 9, 200).patients)
    assert (fixed["age"] == 30.0).all() and (fixed["prior_anti_cd20"] == 1.0).all()
    assert (fixed["edss"] == 4.5).all()
    for name in ("sex", "height_cm", "weight_kg", "relapses_prior_year"):
        assert (fixed[name] == free[name]).all(), name
    with pytest.raises(CartsimError, match='cannot fix unknown covariate "agee" '
                                           r'\(did you mean "age"\?\)'):
        sample_patient(catalog, PopulationSpec("rrms", covariates={"agee": 30.0}), 1, 0)


def test_typical_patient_has_every_covariate(catalog: Catalog) -> None:
    patient = typical_patient(catalog, "rrms", {"n_prior_therapies": 2})
    assert patient.n_prior_therapies == 2.0 and patient.prior_anti_cd20 == 0.0


# Inter-individual variability ----------------------------------------------------------------

def test_iiv_log_mean_and_variance_match_omega2(catalog: Catalog, rrms_patients: tuple) -> None:
    model = {p.name: p for p in variability_model(catalog).parameters}
    for name in ("v_central_ofatumumab", "ec50_cart_activation", "k_kill_cart", "f_slow_phase_cart"):
        eta = np.log([vp.parameter_values[name] for vp in rrms_patients]) - math.log(
            catalog.value(name))
        omega = math.sqrt(model[name].omega2)
        _close(eta, 0.0, omega)
        _close_sd(eta, omega)
    reset = np.array([vp.parameter_values["f_reset"] for vp in rrms_patients])
    eta = np.log(reset / (1 - reset)) - math.log(catalog.value("f_reset") / (1 - catalog.value("f_reset")))
    _close(eta, 0.0, math.sqrt(model["f_reset"].omega2))
    _close_sd(eta, math.sqrt(model["f_reset"].omega2))


def test_iiv_reproduces_the_published_correlation(catalog: Catalog, rrms_patients: tuple) -> None:
    ka = np.log([vp.parameter_values["k_absorption_ofatumumab"] for vp in rrms_patients])
    cl = np.log([vp.parameter_values["cl_ofatumumab"] for vp in rrms_patients])
    rho = catalog.value("rho_iiv_ka_cl_ofatumumab")
    assert abs(np.corrcoef(ka, cl)[0, 1] - rho) < 0.05
    others = np.log([vp.parameter_values["k_kill_cart"] for vp in rrms_patients])
    assert abs(np.corrcoef(ka, others)[0, 1]) < 4 / math.sqrt(N)


def test_iiv_values_lie_in_bounds_and_apply_to_the_catalogue(catalog: Catalog,
                                                            rrms_patients: tuple) -> None:
    for vp in rrms_patients[:500]:
        for name, value in vp.parameter_values.items():
            lo, hi = catalog.record(name).bounds
            assert lo <= value <= hi, name
    values = rrms_patients[0].parameter_values
    individual = catalog.with_values(values)
    expected = values["f_slow_phase_cart"] * values["k_decline_cart"]
    assert individual.value("k_eff_to_mem") == pytest.approx(expected)


def test_every_varying_parameter_is_declared_once(catalog: Catalog) -> None:
    names = [p.name for p in variability_model(catalog).parameters]
    assert len(names) == len(set(names)) and set(ASSUMED_IIV) <= set(names)
    for name in ASSUMED_IIV:
        assert catalog.record(f"omega2_{name}").kind == "assumed"


# Screening -----------------------------------------------------------------------------------

def test_screening_log_adds_up(catalog: Catalog) -> None:
    criteria = parse_criteria(["edss >= 3", "age <= 40", "relapses_prior_year >= 1"], "s.toml",
                              "population.eligibility")
    spec = PopulationSpec("rrms", eligibility=criteria)
    screening = screen(catalog, spec, 4, 60)
    log = screening.as_dict()
    assert log["enrolled"] == 60 and log["screened"] == log["enrolled"] + log["excluded"]
    assert log["excluded"] == sum(log["excluded_first"].values())
    assert all(log["failed"][c] >= log["excluded_first"][c] for c in log["failed"])
    candidates = [sample_patient(catalog, PopulationSpec("rrms"), 4, i)
                  for i in range(log["screened"])]
    for criterion in criteria:
        recount = sum(not criterion.admits(vars(vp.patient)) for vp in candidates)
        assert recount == log["failed"][criterion.text]
    eligible = [vp for vp in candidates if all(c.admits(vars(vp.patient)) for c in criteria)]
    assert [vp.patient for vp in eligible] == [vp.patient for vp in screening.patients]
    assert screening.patients[-1].index == log["screened"] - 1


def test_impossible_criteria_stop_with_their_pass_rates(catalog: Catalog) -> None:
    criteria = parse_criteria(["edss <= 4", "age >= 70"], "s.toml", "population.eligibility")
    with pytest.raises(CartsimError) as error:
        screen(catalog, PopulationSpec("rrms", eligibility=criteria), 1, 5)
    message = str(error.value)
    assert message.startswith(f"screening stopped after {MIN_SCREENING_LIMIT} candidates with 0 "
                              "of 5 rrms patients enrolled")
    assert '"age >= 70" 0.0%' in message and '"edss <= 4" ' in message
    assert "Loosen the criteria, or fix covariates in [population]." in message


def test_covariate_table_has_one_row_per_patient(rrms_patients: tuple) -> None:
    table = covariate_table(rrms_patients[:10])
    assert list(table.columns) == ["index", "disease", *COVARIATES, "bsa_m2"]
    assert list(table["index"]) == list(range(10))
    assert table["bsa_m2"].iloc[0] == pytest.approx(rrms_patients[0].patient.bsa_m2)
