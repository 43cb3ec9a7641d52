"""Scenario files: every example parses, values reach the dataclasses, and bad input gets one
clear sentence naming the file, the field and what would be valid."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartsim.errors import ScenarioError
from cartsim.io.scenario import Scenario, load_scenario, parse_scenario
from cartsim.model.patient import COVARIATES, DISEASES
from cartsim.solve.settings import BACKENDS, SolverSettings
from cartsim.therapies.lymphodepletion import lymphodepletion_preset
from cartsim.therapies.regimens import (
    ANTIBODIES,
    COSTIMULATION,
    TARGETS,
    Ahsct,
    AntiCD20,
    CarT,
    DrugDose,
    NoTherapy,
)

SCENARIOS = sorted((Path(__file__).parents[1] / "scenarios").glob("*.toml"))
SOURCE = "study.toml"


def base() -> dict[str, Any]:
    """A small valid scenario table, copied fresh for each test to modify."""
    return {
        "scenario": {"name": "demo", "horizon_days": 365, "seed": 3},
        "population": {"disease": "rrms", "n_patients": 10, "eligibility": ["age >= 18"]},
        "arm": [
            {"name": "CAR-T", "therapy": "car_t", "dose": "1e6 cells/kg"},
            {"name": "Ocrelizumab", "therapy": "ocrelizumab"},
        ],
    }


def error(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, SOURCE)
    return str(info.value)


def test_there_are_example_scenarios() -> None:
    names = {path.name for path in SCENARIOS}
    assert "ms_cd19_vs_ocrelizumab.toml" in names
    assert len(names) >= 5


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_example_scenario_parses(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.source == str(path)
    assert scenario.description
    assert scenario.arms
    assert len(scenario.digest) == 64


def test_default_demo_reads_as_documented() -> None:
    scenario = load_scenario(Path(__file__).parents[1] / "scenarios/ms_cd19_vs_ocrelizumab.toml")
    assert scenario.name == "Refractory RRMS: CD19 CAR-T vs ocrelizumab vs aHSCT vs untreated"
    assert (scenario.horizon_days, scenario.seed) == (730.0, 1)
    assert scenario.population.disease == "rrms"
    assert scenario.population.n_patients == 200
    assert [c.text for c in scenario.population.eligibility] == [
        "age >= 18", "age <= 60", "edss <= 6.5"
    ]
    assert [arm.name for arm in scenario.arms] == [
        "CD19 CAR-T", "Ocrelizumab", "aHSCT", "Untreated"
    ]
    car_t, ocrelizumab, ahsct, untreated = (arm.therapy for arm in scenario.arms)
    assert car_t == CarT(
        "CD19", 1e6, "cells/kg", "4-1BB", "autologous", lymphodepletion_preset("flu_cy")
    )
    assert ocrelizumab == AntiCD20("ocrelizumab", n_courses=None)
    assert ahsct == Ahsct("cy_atg")
    assert untreated == NoTherapy()
    assert scenario.solver == SolverSettings()


def test_defaults_fill_what_the_file_leaves_out() -> None:
    scenario = parse_scenario(
        {
            "scenario": {"name": "minimal"},
            "population": {"disease": "spms"},
            "arm": [{"name": "In vivo", "therapy": "car_t", "dose": "1e12 vg",
                     "source": "in_vivo"}],
        },
        SOURCE,
    )
    assert (scenario.horizon_days, scenario.seed, scenario.description) == (730.0, 1, "")
    assert scenario.population.n_patients == 1
    assert scenario.population.eligibility == ()
    assert dict(scenario.population.covariates) == {}
    therapy = scenario.arms[0].therapy
    assert isinstance(therapy, CarT)
    assert (therapy.target, therapy.costimulation) == ("CD19", "4-1BB")
    assert therapy.lymphodepletion == ()


def test_covariate_overrides_and_solver_settings_are_read() -> None:
    data = base()
    data["population"].update({"disease": "b_all", "marrow_blast_pct": 40, "weight_kg": 80.5})
    data["solver"] = {"backend": "radau", "rtol": 1e-8, "atol": 1e-10, "max_steps": 1000}
    scenario = parse_scenario(data, SOURCE)
    assert dict(scenario.population.covariates) == {"weight_kg": 80.5, "marrow_blast_pct": 40.0}
    assert scenario.solver == SolverSettings("radau", 1e-8, 1e-10, 1000)
    with pytest.raises(TypeError):
        scenario.population.covariates["age"] = 30.0  # type: ignore[index]


def test_lymphodepletion_table_expands_to_one_dose_per_day() -> None:
    data = base()
    data["arm"][0]["lymphodepletion"] = [
        {"drug": "fludarabine", "dose": 30, "unit": "mg/m2", "days": [-5, -4, -3]},
        {"drug": "cyclophosphamide", "dose": 500, "unit": "mg/m2", "days": [-3]},
    ]
    therapy = parse_scenario(data, SOURCE).arms[0].therapy
    assert isinstance(therapy, CarT)
    assert therapy.lymphodepletion == (
        DrugDose("fludarabine", 30.0, "mg/m2", -5.0),
        DrugDose("fludarabine", 30.0, "mg/m2", -4.0),
        DrugDose("fludarabine", 30.0, "mg/m2", -3.0),
        DrugDose("cyclophosphamide", 500.0, "mg/m2", -3.0),
    )


def test_digest_ignores_whitespace_comments_and_order(tmp_path: Path) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text(
        '[scenario]\nname = "d"\n[population]\ndisease = "rrms"\n'
        '[[arm]]\nname = "U"\ntherapy = "none"\n'
    )
    spaced = tmp_path / "spaced.toml"
    spaced.write_text(
        '# a comment\n[population]\n  disease   =   "rrms"  # why\n\n[scenario]\nname="d"\n'
        '[[arm]]\ntherapy = "none"\nname = "U"\n'
    )
    assert load_scenario(plain).digest == load_scenario(spaced).digest


def test_missing_file() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("nowhere/study.toml")
    assert str(info.value) == "nowhere/study.toml: file: does not exist"


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[scenario]\nname = "demo"\nhorizon_days 730\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: line 3: is not valid TOML (")


def test_unknown_key_suggests_the_closest() -> None:
    data = base()
    data["scenario"]["horizon_dayz"] = 730
    assert error(data) == (
        'study.toml: scenario.horizon_dayz: is not a known key (did you mean "horizon_days"?); '
        'valid keys in [scenario] are "name", "horizon_days", "seed" or "description"'
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(arms=d.pop("arm")),
         'study.toml: arms: is not a known key (did you mean "arm"?)'),
        (lambda d: d.pop("scenario"), "study.toml: scenario: is missing; add a [scenario] table"),
        (lambda d: d.update(solver="rodas"),
         'study.toml: solver: must be a table, written [solver], not the string "rodas"'),
        (lambda d: d["scenario"].pop("name"), "study.toml: scenario.name: is required but missing"),
        (lambda d: d["scenario"].update(name="  "), "study.toml: scenario.name: must not be empty"),
        (lambda d: d["scenario"].update(horizon_days="730"),
         'study.toml: scenario.horizon_days: must be a number of days, not the string "730"'),
        (lambda d: d["scenario"].update(horizon_days=0),
         "study.toml: scenario.horizon_days: must be above 0, not 0"),
        (lambda d: d["scenario"].update(seed=-1),
         "study.toml: scenario.seed: must be 0 or more, not -1"),
        (lambda d: d["scenario"].update(seed=1.5),
         "study.toml: scenario.seed: must be a whole number, 0 or more, not the number 1.5"),
        (lambda d: d["population"].update(disease="rrsm"),
         'study.toml: population.disease: "rrsm" is not a known disease (did you mean "rrms"?); '
         'use "rrms", "spms", "ppms", "nmosd", "sle", "b_all" or "lbcl"'),
        (lambda d: d["population"].update(n_patients=0),
         "study.toml: population.n_patients: must be 1 or more, not 0"),
        (lambda d: d["population"].update(edds=3),
         'study.toml: population.edds: is not a known key (did you mean "edss"?)'),
        (lambda d: d["population"].update(marrow_blast_pct=40),
         "study.toml: population.marrow_blast_pct: applies only to b_all populations, not rrms"),
        (lambda d: d["population"].update(sex=2),
         "study.toml: population.sex: must be 0 or 1, not 2"),
        (lambda d: d["population"].update(edss=11),
         "study.toml: population.edss: must be between 0 and 10, not 11"),
        (lambda d: d["population"].update(age="old"),
         'study.toml: population.age: must be a number in year, not the string "old"'),
        (lambda d: d["population"].update(eligibility=["age >= 18", "edds < 6"]),
         'study.toml: population.eligibility[2]: "edds < 6" uses "edds", which is not a covariate'
         ' (did you mean "edss"?)'),
        (lambda d: d.update(solver={"backend": "rodass"}),
         'study.toml: solver.backend: "rodass" is not a known backend (did you mean "rodas"?); '
         'use "ndf", "rodas", "radau" or "bdf"'),
        (lambda d: d.update(solver={"rtol": 2}),
         "study.toml: solver.rtol: must lie between 0 and 1, not 2"),
        (lambda d: d.update(solver={"atol": 0}), "study.toml: solver.atol: must be above 0, not 0"),
        (lambda d: d.update(solver={"rtol": float("nan")}),
         "study.toml: solver.rtol: must be a finite number, not nan"),
    ],
)
def test_scenario_and_population_errors(change: Any, expected: str) -> None:
    data = base()
    change(data)
    assert error(data).startswith(expected)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("arm"),
         'study.toml: arm: is missing; add at least one [[arm]] table with a "name" and "therapy"'),
        (lambda d: d.update(arm=[]), "study.toml: arm: is empty; add at least one [[arm]] table"),
        (lambda d: d.update(arm={"name": "x", "therapy": "none"}),
         "study.toml: arm: must be an array of tables, written [[arm]]"),
        (lambda d: d["arm"][1].update(therapy="ocrelizumub"),
         'study.toml: arm[2].therapy: "ocrelizumub" is not a known therapy (did you mean '
         '"ocrelizumab"?); use "car_t", "ocrelizumab", "ofatumumab", "rituximab", "ahsct" or '
         '"none"'),
        (lambda d: d["arm"][1].pop("therapy"),
         "study.toml: arm[2].therapy: is required but missing"),
        (lambda d: d["arm"][1].update(name="CAR-T"),
         'study.toml: arm[2].name: "CAR-T" is already the name of arm[1]; arm names must be '
         "unique"),
        (lambda d: d["arm"][1].update(target="CD19"),
         'study.toml: arm[2].target: applies only to "car_t" arms'),
        (lambda d: d["arm"][0].update(n_doses=2),
         'study.toml: arm[1].n_doses: applies only to "ocrelizumab", "ofatumumab" or "rituximab" '
         "arms"),
        (lambda d: d["arm"][0].update(conditioning="cy_atg"),
         'study.toml: arm[1].conditioning: applies only to "ahsct" arms'),
        (lambda d: d["arm"][0].update(dose_day=0),
         'study.toml: arm[1].dose_day: is not a known key'),
        (lambda d: d["arm"][1].update(n_doses=0),
         "study.toml: arm[2].n_doses: must be 1 or more, not 0"),
        (lambda d: d["arm"][1].update(start_day=400),
         "study.toml: arm[2].start_day: must lie within the horizon (0 <= day < 365), not 400"),
        (lambda d: d["arm"][0].update(target="CD91"),
         'study.toml: arm[1].target: "CD91" is not a known target (did you mean "CD19"?)'),
        (lambda d: d["arm"][0].update(costimulation="41BB"),
         'study.toml: arm[1].costimulation: "41BB" is not a known costimulatory domain '
         '(did you mean "4-1BB"?)'),
        (lambda d: d["arm"][0].pop("dose"), "study.toml: arm[1].dose: is required but missing"),
        (lambda d: d["arm"][0].update(dose=1e6),
         'study.toml: arm[1].dose: must be a string such as "1e6 cells/kg" or "1e8 cells", '
         "not the number 1e+06"),
        (lambda d: d["arm"][0].update(dose="lots"),
         'study.toml: arm[1].dose: "lots" is not a dose; write a number and a unit such as'),
        (lambda d: d["arm"][0].update(dose="1e-e cells"),
         'study.toml: arm[1].dose: "1e-e cells" is not a dose'),
        (lambda d: d["arm"][0].update(dose="0 cells/kg"),
         'study.toml: arm[1].dose: "0 cells/kg" must be a dose above 0'),
        (lambda d: d["arm"][0].update(dose="1e12 vg"),
         'study.toml: arm[1].dose: "1e12 vg" is in vg, but autologous products are dosed in '
         '"cells/kg" or "cells"'),
        (lambda d: d["arm"][0].update(source="in_vivo", dose="1e8 cells"),
         'study.toml: arm[1].dose: "1e8 cells" is in cells, but in_vivo products are dosed in '
         '"vg/kg" or "vg"'),
        (lambda d: d["arm"][0].update(lymphodepletion="flu-cy"),
         'study.toml: arm[1].lymphodepletion: "flu-cy" is not a known lymphodepletion regimen '
         '(did you mean "flu_cy"?)'),
        (lambda d: d["arm"][0].update(lymphodepletion=5),
         "study.toml: arm[1].lymphodepletion: must be a regimen name"),
        (lambda d: d["arm"][0].update(
            lymphodepletion=[{"drug": "atg", "dose": 1, "unit": "mg/kg", "days": [-1]}]),
         'study.toml: arm[1].lymphodepletion[1].drug: "atg" is a conditioning drug, not a '
         'lymphodepleting one; use "fludarabine" or "cyclophosphamide"'),
        (lambda d: d["arm"][0].update(
            lymphodepletion=[{"drug": "fludarabin", "dose": 30, "unit": "mg/m2", "days": [-5]}]),
         'study.toml: arm[1].lymphodepletion[1].drug: "fludarabin" is not a known drug (did you '
         'mean "fludarabine"?)'),
        (lambda d: d["arm"][0].update(
            lymphodepletion=[{"drug": "fludarabine", "dose": 30, "unit": "mg/m²", "days": [-5]}]),
         'study.toml: arm[1].lymphodepletion[1].unit: "mg/m²" is not a known drug dose unit '
         '(did you mean "mg/m2"?)'),
        (lambda d: d["arm"][0].update(
            lymphodepletion=[{"drug": "fludarabine", "dose": 30, "unit": "mg/m2",
                              "days": [-5, 2]}]),
         "study.toml: arm[1].lymphodepletion[1].days[2]: is day 2 after infusion; lymphodepletion "
         "days must be 0 or less"),
        (lambda d: d["arm"][0].update(
            lymphodepletion=[{"drug": "fludarabine", "dose": 30, "unit": "mg/m2", "day": [-5]}]),
         'study.toml: arm[1].lymphodepletion[1].day: is not a known key (did you mean "days"?)'),
        (lambda d: d["arm"][0].update(
            lymphodepletion=[{"drug": "fludarabine", "dose": 30, "unit": "mg/m2", "days": []}]),
         "study.toml: arm[1].lymphodepletion[1].days: must be a non-empty array"),
        (lambda d: d["arm"].append({"name": "aHSCT", "therapy": "ahsct", "conditioning": "beam"}),
         'study.toml: arm[3].conditioning: "beam" is not a known conditioning regimen (did you '
         'mean "beam_atg"?)'),
    ],
)
def test_arm_errors(change: Any, expected: str) -> None:
    data = base()
    change(data)
    assert error(data).startswith(expected)


_NUMBER = st.integers(min_value=0, max_value=100) | st.floats(
    min_value=0.0, max_value=100.0, allow_nan=False
)


@st.composite
def arms(draw: st.DrawFn, horizon: float) -> list[dict[str, Any]]:
    names = draw(st.lists(st.text(min_size=1).filter(str.strip), min_size=1, max_size=4,
                          unique=True))
    tables = []
    for name in names:
        therapy = draw(st.sampled_from(["car_t", *ANTIBODIES, "ahsct", "none"]))
        table: dict[str, Any] = {"name": name, "therapy": therapy}
        if therapy == "car_t":
            table["target"] = draw(st.sampled_from(TARGETS))
            table["costimulation"] = draw(st.sampled_from(COSTIMULATION))
            amount = draw(st.floats(min_value=1.0, max_value=1e13))
            table["dose"] = f"{amount!r} {draw(st.sampled_from(['cells/kg', 'cells']))}"
            table["infusion_day"] = draw(st.integers(min_value=0, max_value=int(horizon) - 1))
        elif therapy in ANTIBODIES:
            table["n_doses"] = draw(st.integers(min_value=1, max_value=20))
        elif therapy == "ahsct":
            table["conditioning"] = draw(st.sampled_from(["cy_atg", "beam_atg"]))
        tables.append(table)
    return tables


@st.composite
def scenario_tables(draw: st.DrawFn) -> dict[str, Any]:
    horizon = draw(st.integers(min_value=1, max_value=3650))
    disease = draw(st.sampled_from(DISEASES))
    free = [c for c in COVARIATES if c not in ("sex", "prior_anti_cd20", "edss",
                                               "marrow_blast_pct", "tumour_burden_cells")]
    covariates = draw(st.dictionaries(st.sampled_from(free), _NUMBER, max_size=3))
    criteria = draw(st.lists(
        st.builds("{} {} {}".format, st.sampled_from(sorted(COVARIATES)),
                  st.sampled_from(["<", "<=", ">", ">="]), st.integers(0, 100)),
        max_size=3,
    ))
    return {
        "scenario": {
            "name": draw(st.text(min_size=1).filter(str.strip)),
            "description": draw(st.text()),
            "horizon_days": horizon,
            "seed": draw(st.integers(min_value=0, max_value=2**63 - 1)),
        },
        "population": {
            "disease": disease,
            "n_patients": draw(st.integers(min_value=1, max_value=100_000)),
            "eligibility": criteria,
            **covariates,
        },
        "solver": {
            "backend": draw(st.sampled_from(BACKENDS)),
            "rtol": draw(st.floats(min_value=1e-12, max_value=0.5)),
            "atol": draw(st.floats(min_value=1e-15, max_value=1.0)),
        },
        "arm": draw(arms(horizon)),
    }


@settings(max_examples=60, deadline=None)
@given(data=scenario_tables())
def test_valid_tables_round_trip_into_the_dataclasses(data: dict[str, Any]) -> None:
    original = copy.deepcopy(data)
    scenario = parse_scenario(data, SOURCE)
    assert data == original
    assert isinstance(scenario, Scenario)
    assert scenario.name == data["scenario"]["name"]
    assert scenario.description == data["scenario"]["description"]
    assert scenario.horizon_days == data["scenario"]["horizon_days"]
    assert scenario.seed == data["scenario"]["seed"]
    population = data["population"]
    assert scenario.population.disease == population["disease"]
    assert scenario.population.n_patients == population["n_patients"]
    assert [c.text for c in scenario.population.eligibility] == population["eligibility"]
    assert dict(scenario.population.covariates) == {
        k: float(v) for k, v in population.items() if k in COVARIATES
    }
    solver = data["solver"]
    assert (scenario.solver.backend, scenario.solver.rtol, scenario.solver.atol) == (
        solver["backend"], solver["rtol"], solver["atol"]
    )
    assert [arm.name for arm in scenario.arms] == [table["name"] for table in data["arm"]]
    for arm, table in zip(scenario.arms, data["arm"], strict=True):
        therapy = arm.therapy
        if table["therapy"] == "car_t":
            assert isinstance(therapy, CarT)
            assert (therapy.target, therapy.costimulation) == (
                table["target"], table["costimulation"]
            )
            amount, unit = table["dose"].split(" ")
            assert (therapy.dose, therapy.dose_unit) == (float(amount), unit)
            assert therapy.infusion_day == table["infusion_day"]
        elif table["therapy"] in ANTIBODIES:
            assert therapy == AntiCD20(table["therapy"], table["n_doses"])
        elif table["therapy"] == "ahsct":
            assert therapy == Ahsct(table["conditioning"])
        else:
            assert therapy == NoTherapy()

    assert parse_scenario(copy.deepcopy(data), "elsewhere.toml").digest == scenario.digest
    reordered = dict(reversed(list(data.items())))
    assert parse_scenario(reordered, SOURCE).digest == scenario.digest
    changed = copy.deepcopy(data)
    changed["scenario"]["seed"] = data["scenario"]["seed"] + 1
    assert parse_scenario(changed, SOURCE).digest != scenario.digest
    larger = copy.deepcopy(data)
    larger["population"]["n_patients"] = population["n_patients"] + 1
    assert parse_scenario(larger, SOURCE).digest != scenario.digest
