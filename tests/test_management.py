"""CRS/ICANS management: drug kinetics, the guidance rules, dosing as events, and the course.

The integration tests use the typical adult with B-ALL and 70% marrow blasts after oncology
Flu/Cy, whose unmanaged CRS reaches grade 2 on day 4 and whose ICANS reaches grade 3: a patient
who crosses the guidance thresholds. A short horizon keeps them fast.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

import cartsim.managed as managed
from cartsim.errors import ParameterError, ScenarioError
from cartsim.io.scenario import load_scenario, parse_scenario
from cartsim.model.management import add_management
from cartsim.model.parameterise import parameter_vector, typical_patient
from cartsim.model.states import DEXAMETHASONE, DEXAMETHASONE_EFFECT_SITE, N_STATES, TOCILIZUMAB
from cartsim.parameters import load_catalog
from cartsim.safety import LinkThresholds
from cartsim.safety.guidance import POLICY_RECORDS, Guidance, daily_grades, first_decision
from cartsim.simulation import run_arms, study_grid
from cartsim.therapies.management import Decision, management_doses
from cartsim.therapies.regimens import MANAGEMENT, NO_MANAGEMENT
from cartsim.trials.engines import LocalEngine
from cartsim.trials.run import run_trial

SCENARIO = "scenarios/crs_management.toml"
HORIZON = 30.0


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def guidance(catalog):
    return Guidance.from_catalog(catalog)


def _washout(catalog, state: int, amount: float, days: float) -> np.ndarray:
    """Management states after ``days`` from ``amount`` mg given into ``state`` (others zero)."""
    p = parameter_vector(catalog, typical_patient(catalog, "rrms", {}))

    def f(_t, y):
        dy = np.zeros_like(y)
        add_management(y, p, dy)
        return dy

    y0 = np.zeros(N_STATES)
    y0[state] = amount
    return solve_ivp(f, (0.0, days), y0, rtol=1e-10, atol=1e-12, method="LSODA").y[:, -1]


def test_tocilizumab_and_dexamethasone_leave_the_body_at_their_half_lives(catalog):
    t_toci = catalog.value("t_half_tocilizumab", "day")
    assert _washout(catalog, TOCILIZUMAB, 560.0, t_toci)[TOCILIZUMAB] == pytest.approx(280.0)
    t_dex = catalog.value("t_half_dexamethasone", "day")
    assert 2.5 / 24 < t_dex < 3.5 / 24   # Tsuei 1979: 142-202 min
    assert _washout(catalog, DEXAMETHASONE, 10.0, t_dex)[DEXAMETHASONE] == pytest.approx(5.0)


def test_the_dexamethasone_effect_outlasts_plasma_drug(catalog):
    day1, day3 = (_washout(catalog, DEXAMETHASONE, 10.0, d) for d in (1.0, 3.0))
    assert day1[DEXAMETHASONE] < 0.05   # plasma: over eight half-lives gone
    effect_1, effect_3 = day1[DEXAMETHASONE_EFFECT_SITE], day3[DEXAMETHASONE_EFFECT_SITE]
    assert effect_1 > catalog.value("ec50_dexamethasone")   # still above half effect
    half_life = catalog.value("t_half_dexamethasone_effect", "day")
    assert effect_3 / effect_1 == pytest.approx(0.5 ** (2.0 / half_life), rel=0.05)


@pytest.mark.parametrize(("crs", "icans", "expected"), [
    ([0, 1, 1, 1, 0, 0], [0] * 6, ()),
    ([0, 1, 1, 1, 1, 0], [0] * 6, ((4.0, "tocilizumab", "CRS for 4 days"),)),
    ([0, 1, 2, 1, 0, 0], [0] * 6, ((2.0, "tocilizumab", "CRS grade 2"),)),
    ([0, 1, 3, 1, 0, 0], [0] * 6, ((2.0, "tocilizumab", "CRS grade 3"),
                                   (2.0, "dexamethasone", "CRS grade 3"))),
    ([0, 0, 0, 0, 0, 0], [0, 1, 1, 2, 1, 0], ((3.0, "dexamethasone", "ICANS grade 2"),)),
])
def test_guidance_doses_on_the_first_day_a_threshold_is_met(crs, icans, expected, guidance):
    due = first_decision(np.arange(6.0), np.array(crs), np.array(icans), (), guidance, 0.0)
    assert tuple((d.day, d.drug, d.reason) for d in due) == expected


def test_refractory_crs_gets_dexamethasone_and_tocilizumab_stops_at_four(guidance):
    days, crs, icans = np.arange(8.0), np.full(8, 2), np.zeros(8, dtype=int)
    given = [Decision(float(d), "tocilizumab", 2, "") for d in range(4)]
    due = first_decision(days, crs, icans, given[:1], guidance, 1.0)
    assert [(d.drug, d.reason) for d in due] == [("tocilizumab", "CRS grade 2"),
                                                 ("dexamethasone", "CRS grade 2 after 1 tocilizumab")]
    due = first_decision(days, crs, icans, given, guidance, 4.0)
    assert [d.drug for d in due] == ["dexamethasone"]   # the fifth tocilizumab is not given


@pytest.mark.parametrize("policy", ["juliet", "zuma1"])
@pytest.mark.parametrize(("crs", "icans", "expected"), [
    ([0, 1, 1, 1, 1, 0], [0] * 6, ()),                       # no tocilizumab for long fever
    ([0, 1, 2, 2, 1, 0], [0] * 6, ()),                       # nor for grade 2 CRS
    ([0, 1, 2, 3, 1, 0], [0] * 6, ((3.0, "tocilizumab", "CRS grade 3"),)),   # no steroid yet
    ([0, 1, 4, 1, 0, 0], [0] * 6, ((2.0, "tocilizumab", "CRS grade 4"),)),
    ([0, 0, 0, 0, 0, 0], [0, 1, 2, 2, 1, 0], ()),            # ICANS 2: supportive care
    ([0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 1, 0], ((3.0, "dexamethasone", "ICANS grade 3"),)),
])
def test_trial_protocols_treat_severe_toxicity_only(policy, crs, icans, expected, catalog):
    guidance = Guidance.from_catalog(catalog, policy)
    due = first_decision(np.arange(6.0), np.array(crs), np.array(icans), (), guidance, 0.0)
    assert tuple((d.day, d.drug, d.reason) for d in due) == expected


def test_trial_protocols_give_steroids_when_tocilizumab_did_not_reverse_severe_crs(catalog):
    guidance = Guidance.from_catalog(catalog, "juliet")
    days, icans = np.arange(4.0), np.zeros(4, dtype=int)
    given = [Decision(0.0, "tocilizumab", 3, "CRS grade 3")]
    due = first_decision(days, np.array([3, 2, 3, 1]), icans, given, guidance, 1.0)
    assert [(d.day, d.drug, d.reason) for d in due] == [
        (2.0, "tocilizumab", "CRS grade 3"), (2.0, "dexamethasone", "CRS grade 3 after 1 tocilizumab")]


def test_an_unknown_policy_is_named_with_the_known_ones(catalog):
    with pytest.raises(ParameterError, match=r'management policy "penn" is not known; use '
                                             r'"astct", "juliet" or "zuma1"'):
        Guidance.from_catalog(catalog, "penn")


def test_every_management_choice_but_none_is_a_policy():
    assert set(MANAGEMENT) == {*POLICY_RECORDS, NO_MANAGEMENT}


def test_fever_is_masked_after_the_first_dose():
    link = LinkThresholds.from_catalog()
    no_fever, hypoxia = np.full(3, 5.0), np.full(3, 150.0)   # IL-6 signal blocked, CRP high
    crs, _ = daily_grades(no_fever, hypoxia, np.zeros(3), np.arange(3.0), 0.5, link)
    assert crs.tolist() == [0, 2, 2]   # ASTCT: after tocilizumab, hypoxia grades without fever


def test_doses_follow_the_guidance_amounts(catalog):
    light = management_doses(Decision(3.0, "tocilizumab", 2, ""), 60.0, catalog)
    heavy = management_doses(Decision(3.0, "tocilizumab", 2, ""), 130.0, catalog)
    assert [d.mg for d in light + heavy] == [480.0, 800.0]
    course = management_doses(Decision(3.0, "dexamethasone", 2, ""), 70.0, catalog)
    assert [d.mg for d in course] == [10.0] * 4
    assert np.allclose(np.diff([d.time for d in course]), 0.25)
    assert 3.0 < course[0].time < course[-1].time < 4.0


@pytest.fixture(scope="module")
def b_all(catalog):
    scenario = load_scenario(SCENARIO)
    patient = typical_patient(catalog, "b_all", {"marrow_blast_pct": 70.0})
    t = study_grid(scenario.arms, patient, catalog, HORIZON)
    return scenario, patient, t


@pytest.fixture(scope="module")
def courses(catalog, b_all):
    scenario, patient, t = b_all
    return {run.name: run for run in run_arms(scenario.arms, patient, catalog, t, scenario.solver)}


def _grades(run):
    o = run.observables
    return daily_grades(o["il6_signalling_pg_per_ml"], o["crp_mg_per_l"], o["bbb_index"], run.t,
                        run.first_dose_time, LinkThresholds.from_catalog())


def test_unmanaged_course_gives_no_dose(courses):
    run = courses["Not managed"]
    assert run.ok and not run.managed and run.doses == ()
    # no dose: the drug stays at zero up to the linear algebra's round-off (1e-9 ug/mL is a
    # hundred-millionth of the blockade EC50)
    assert np.max(np.abs(run.observables["tocilizumab_serum_ug_per_ml"])) < 1e-9


def test_a_patient_crossing_the_threshold_is_treated_on_that_day_and_improves(courses):
    free, treated = courses["Not managed"], courses["Managed (guidance)"]
    crs_free, _ = _grades(free)
    first_grade2 = float(free.t[np.argmax(crs_free >= 2)])
    assert treated.ok and treated.management_complete
    first = treated.doses[0]
    assert (first.drug, first.reason) == ("tocilizumab", "CRS grade 2")
    assert math.floor(first.time) == first_grade2
    after = free.t > first.time
    il6, signal = (treated.observables[n] for n in ("il6_pg_per_ml", "il6_signalling_pg_per_ml"))
    assert np.all(signal[after] < 0.1 * free.observables["il6_pg_per_ml"][after])
    assert np.max(il6[after]) > np.max(free.observables["il6_pg_per_ml"][after])  # Nishimoto 2008
    crs_treated, _ = _grades(treated)
    assert crs_treated[after].max() < crs_free[after].max()
    before = free.t <= first_grade2
    assert np.array_equal(treated.observables["il6_pg_per_ml"][before],
                          free.observables["il6_pg_per_ml"][before])


def test_the_juliet_protocol_waits_for_severe_crs_in_the_same_patient(catalog, b_all, courses):
    scenario, patient, t = b_all
    arm = replace(scenario.arms[0], therapy=replace(scenario.arms[0].therapy, management="juliet"))
    run = run_arms([arm], patient, catalog, t, scenario.solver)[0]
    crs_free, icans_free = _grades(courses["Not managed"])
    guided = courses["Managed (guidance)"].doses[0]
    assert run.ok and run.managed
    assert all(d.grade >= 3 for d in run.doses)   # grade 2 CRS and ICANS: supportive care only
    if run.doses:
        severe = float(t[np.argmax((crs_free >= 3) | (icans_free >= 3))])
        assert math.floor(run.doses[0].time) == severe > math.floor(guided.time)
    else:
        assert crs_free.max() < 3 and icans_free.max() < 3


def test_dexamethasone_lowers_il6_release_without_cutting_expansion(catalog, b_all, courses):
    scenario, patient, t = b_all
    early = catalog.with_values({"grade_crs_dexamethasone": 2.0})
    run = run_arms(scenario.arms[:1], patient, early, t, scenario.solver)[0]
    assert "dexamethasone" in {d.drug for d in run.doses}
    assert run.observables["dexamethasone_effect"].max() > 0.5
    peak = run.observables["cart_blood_per_ul"].max()
    reference = courses["Managed (guidance)"].observables["cart_blood_per_ul"].max()
    assert 0.5 * reference < peak < reference   # A305: slower, not abolished (Topp 2019)


def test_the_round_limit_stops_management_with_a_status(catalog, b_all, monkeypatch):
    scenario, patient, t = b_all
    monkeypatch.setattr(managed, "MAX_MANAGEMENT_ROUNDS", 0)
    run = run_arms(scenario.arms[:1], patient, catalog, t, scenario.solver)[0]
    assert run.ok and run.doses == () and run.management_rounds == 0
    assert not run.management_complete


@pytest.mark.parametrize(("value", "message"), [
    ("ASTCT", r'demo.toml: arm\[1\].management: "ASTCT" is not a known toxicity management; '
              'use "astct", "juliet", "zuma1" or "none"'),
    ("zuma", r'demo.toml: arm\[1\].management: "zuma" is not a known toxicity management '
             r'\(did you mean "zuma1"\?\); use "astct", "juliet", "zuma1" or "none"'),
    (True, r'demo.toml: arm\[1\].management: must be a string, one of "astct", "juliet", '
           '"zuma1" or "none", not the boolean true'),
])
def test_scenario_management_errors_in_one_sentence(value, message):
    table = {"scenario": {"name": "x", "horizon_days": 30}, "population": {"disease": "rrms"},
             "arm": [{"name": "a", "therapy": "car_t", "dose": "1e6 cells/kg",
                      "management": value}]}
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(table, "demo.toml")


def test_management_applies_only_to_car_t_and_defaults_to_the_guidance():
    base = {"scenario": {"name": "x", "horizon_days": 30}, "population": {"disease": "rrms"}}
    arm = {"name": "a", "therapy": "car_t", "dose": "1e6 cells/kg"}
    assert parse_scenario({**base, "arm": [arm]}, "demo.toml").arms[0].therapy.management == "astct"
    with pytest.raises(ScenarioError, match=r'arm\[1\]\.management: applies only to "car_t" arms'):
        parse_scenario({**base, "arm": [{"name": "o", "therapy": "ocrelizumab",
                                         "management": "none"}]}, "demo.toml")


@pytest.mark.slow
def test_doses_are_the_same_with_one_or_two_workers(tmp_path):
    scenario = replace(load_scenario(SCENARIO), horizon_days=HORIZON)
    one, two = tmp_path / "one", tmp_path / "two"
    run_trial(scenario, one, n_patients=4, chunk_size=2)
    run_trial(scenario, two, n_patients=4, chunk_size=2, engine=LocalEngine(workers=2))
    for name in ("patients.parquet", "events.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(one / name), pd.read_parquet(two / name))
    events = pd.read_parquet(one / "events.parquet")
    assert events["event"].isin(["tocilizumab", "dexamethasone"]).any()
