"""Arms with their own population (cohorts): parsing, errors and screening."""

from __future__ import annotations

from typing import Any

import pytest

from cartsim.errors import ScenarioError
from cartsim.io.scenario import load_scenario, parse_scenario
from cartsim.parameters import load_catalog
from cartsim.population import screen, screen_cohorts

SOURCE = "study.toml"


def base() -> dict[str, Any]:
    return {
        "scenario": {"name": "demo", "horizon_days": 60, "seed": 3},
        "population": {"disease": "rrms", "n_patients": 4, "eligibility": ["age >= 18"]},
        "arm": [
            {"name": "MS", "therapy": "car_t", "dose": "1e6 cells/kg"},
            {"name": "B-ALL", "therapy": "car_t", "dose": "1e6 cells/kg",
             "lymphodepletion": "flu_cy_oncology",
             "population": {"disease": "b_all", "marrow_blast_pct": 70}},
        ],
    }


def error(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, SOURCE)
    return str(info.value)


def test_an_arm_population_inherits_size_and_criteria_and_overrides_covariates() -> None:
    scenario = parse_scenario(base(), SOURCE)
    own = scenario.population_of(1)
    assert scenario.has_cohorts
    assert (own.disease, own.n_patients, own.covariates["marrow_blast_pct"]) == ("b_all", 4, 70.0)
    assert [c.text for c in own.eligibility] == ["age >= 18"]
    assert scenario.population_of(0) is scenario.population


def test_without_arm_populations_nothing_changes() -> None:
    data = base()
    del data["arm"][1]["population"]
    scenario = parse_scenario(data, SOURCE)
    assert not scenario.has_cohorts and scenario.arm_populations == ()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["arm"][1].update(population="b_all"),
         'study.toml: arm[2].population: must be a table such as { disease = "b_all", '
         'marrow_blast_pct = 70 }, not the string "b_all"'),
        (lambda d: d["arm"][1]["population"].pop("disease"),
         "study.toml: arm[2].population.disease: is required but missing"),
        (lambda d: d["arm"][1]["population"].update(disease="b-all"),
         'study.toml: arm[2].population.disease: "b-all" is not a known disease (did you mean '
         '"b_all"?)'),
        (lambda d: d["arm"][1]["population"].update(marrow_blast_pct=120),
         "study.toml: arm[2].population.marrow_blast_pct: must be between 0 and 100, not 120"),
        (lambda d: d["arm"][1]["population"].update(disease="lbcl"),
         "study.toml: arm[2].population.marrow_blast_pct: applies only to b_all populations, "
         "not lbcl"),
        (lambda d: d["arm"][1]["population"].update(blasts=3),
         "study.toml: arm[2].population.blasts: is not a known key"),
        (lambda d: d.update(trial={"design": "crossover"}),
         'study.toml: trial.design: "crossover" gives every patient every arm, but arms with '
         "their own population enrol separate cohorts"),
    ],
)
def test_arm_population_errors_are_one_sentence(change: Any, expected: str) -> None:
    data = base()
    change(data)
    assert error(data).startswith(expected)


def test_each_cohort_is_screened_from_its_own_population() -> None:
    catalog = load_catalog()
    scenario = parse_scenario(base(), SOURCE)
    cohorts = [(arm.name, scenario.population_of(k)) for k, arm in enumerate(scenario.arms)]
    joint = screen_cohorts(catalog, cohorts, seed=3, n_enrolled=3)
    assert [vp.patient.disease for vp in joint.patients] == ["rrms"] * 3 + ["b_all"] * 3
    assert joint.arms_between(0, 6) == ((0,),) * 3 + ((1,),) * 3
    assert joint.arms_between(2, 4) == ((0,), (1,))
    alone = screen(catalog, scenario.population_of(1), 3, 3)
    assert joint.patients[3:] == alone.patients
    assert set(joint.failed) == {"MS: age >= 18", "B-ALL: age >= 18"}


def test_the_burden_contrast_scenario_has_one_cohort_per_population() -> None:
    scenario = load_scenario("scenarios/burden_contrast.toml")
    diseases = [scenario.population_of(k).disease for k in range(len(scenario.arms))]
    assert diseases == ["b_all", "b_all", "lbcl", "sle", "rrms"]
    blasts = [scenario.population_of(k).covariates.get("marrow_blast_pct") for k in (0, 1)]
    assert blasts == [70.0, 3.0]
