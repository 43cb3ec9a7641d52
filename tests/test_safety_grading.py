"""Clinical grading: every boundary of every table (just below, at, just above), the rule that
the most severe finding sets the grade, monotonicity in each finding (hypothesis), the link
from simulated markers to signs, toxicity episodes, and error messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartsim.errors import InputTableError, ParameterError
from cartsim.parameters import load_catalog
from cartsim.safety import (
    LinkThresholds,
    car_hematotox_risk,
    car_hematotox_score,
    crs_signs,
    grade_crs,
    grade_icaht,
    grade_icans,
    hypogammaglobulinaemia,
    icans_signs,
    ice_score,
    toxicity_episodes,
)
from cartsim.safety.criteria import (
    CEREBRAL_EDEMA,
    CEREBRAL_EDEMA_GRADE,
    CONSCIOUSNESS,
    CONSCIOUSNESS_GRADE,
    HYPOTENSION,
    HYPOTENSION_GRADE,
    OXYGEN,
    OXYGEN_GRADE,
    SEIZURE,
    SEIZURE_GRADE,
)

EPS = 1e-6
FAST = settings(max_examples=60, deadline=None)


def around(value: float, eps: float = EPS) -> tuple[float, float, float]:
    """Just below, at and just above a boundary."""
    return value - eps, value, value + eps


# --- CRS -------------------------------------------------------------------------------------

def test_crs_fever_boundary() -> None:
    assert [grade_crs(t, "none", "none") for t in around(38.0)] == [0, 1, 1]


@pytest.mark.parametrize(("category", "grade"), list(zip(HYPOTENSION, (1, 2, 3, 4), strict=True)))
def test_crs_hypotension_table(category: str, grade: int) -> None:
    assert grade_crs(38.5, category, "none") == grade


@pytest.mark.parametrize(("category", "grade"), list(zip(OXYGEN, (1, 2, 3, 4), strict=True)))
def test_crs_oxygen_table(category: str, grade: int) -> None:
    assert grade_crs(38.5, "none", category) == grade


def test_crs_temperature_range_boundaries() -> None:
    assert grade_crs(30.0, "none", "none") == 0
    assert grade_crs(45.0, "none", "none") == 1
    for bad in (30.0 - EPS, 45.0 + EPS):
        with pytest.raises(InputTableError, match=r"outside the valid range 30-45 C"):
            grade_crs(bad, "none", "none")


def test_crs_most_severe_of_hypotension_and_hypoxia_sets_the_grade() -> None:
    for (h, hg), (o, og) in itertools.product(zip(HYPOTENSION, HYPOTENSION_GRADE, strict=True),
                                              zip(OXYGEN, OXYGEN_GRADE, strict=True)):
        assert grade_crs(39.0, h, o) == max(hg, og, 1)
    # the consensus example: febrile, one vasopressor and low-flow oxygen is grade 3
    assert grade_crs(38.6, "one_vasopressor", "low_flow") == 3


def test_crs_without_fever_is_not_crs_unless_fever_is_masked() -> None:
    assert grade_crs(37.0, "multiple_vasopressors", "positive_pressure") == 0
    assert grade_crs(37.0, "multiple_vasopressors", "none", fever_masked=True) == 4
    assert grade_crs(37.0, "none", "high_flow", fever_masked=True) == 3
    assert grade_crs(37.0, "none", "none", fever_masked=True) == 0
    assert grade_crs(38.2, "none", "none", fever_masked=True) == 1


def test_crs_accepts_levels_and_arrays() -> None:
    grades = grade_crs(np.array([[37.0, 38.5], [39.0, 39.0]]), np.array([[0, 0], [1, 3]]), 0)
    assert grades.tolist() == [[0, 1], [2, 4]]


@FAST
@given(st.floats(30.0, 45.0), st.floats(30.0, 45.0), st.integers(0, 3), st.integers(0, 3),
       st.booleans())
def test_crs_grade_is_monotone_in_temperature(t1: float, t2: float, h: int, o: int,
                                              masked: bool) -> None:
    low, high = sorted((t1, t2))
    assert grade_crs(low, h, o, masked) <= grade_crs(high, h, o, masked)


@FAST
@given(st.floats(30.0, 45.0), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3),
       st.booleans())
def test_crs_grade_is_monotone_in_hypotension_and_oxygen(t: float, a: int, b: int, other: int,
                                                         masked: bool) -> None:
    low, high = sorted((a, b))
    assert grade_crs(t, low, other, masked) <= grade_crs(t, high, other, masked)
    assert grade_crs(t, other, low, masked) <= grade_crs(t, other, high, masked)


# --- ICE and ICANS ---------------------------------------------------------------------------

def test_ice_score_adds_its_items_and_checks_each_maximum() -> None:
    assert ice_score(4, 3, 1, 1, 1) == 10
    assert ice_score(0, 0, 0, 0, 0) == 0
    assert ice_score(3, 2, 1, 0, 1) == 7
    for items in ((5, 3, 1, 1, 1), (4, 4, 1, 1, 1), (4, 3, 2, 1, 1), (4, 3, 1, 2, 1),
                  (4, 3, 1, 1, 2), (-1, 3, 1, 1, 1)):
        with pytest.raises(InputTableError, match=r"ice_score: argument .* outside"):
            ice_score(*items)


@pytest.mark.parametrize(("score", "grade"), [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3),
                                              (0, 3)])
def test_icans_ice_bands_on_both_sides_of_each_boundary(score: int, grade: int) -> None:
    assert grade_icans(score, "alert", "none", False, "none") == grade


@pytest.mark.parametrize("bad", [-1, 11])
def test_icans_ice_outside_0_to_10_is_an_error(bad: int) -> None:
    with pytest.raises(InputTableError, match=r'argument "ice_score": .* outside .* 0-10'):
        grade_icans(bad, "alert", "none", False, "none")


def test_icans_ice_must_be_whole() -> None:
    with pytest.raises(InputTableError, match=r"7.5 is not a whole number; give an integer 0-10"):
        grade_icans(7.5, "alert", "none", False, "none")


@pytest.mark.parametrize(("domain", "categories", "grades"), [
    ("consciousness", CONSCIOUSNESS, CONSCIOUSNESS_GRADE),
    ("seizure", SEIZURE, SEIZURE_GRADE),
    ("cerebral_edema", CEREBRAL_EDEMA, CEREBRAL_EDEMA_GRADE),
])
def test_icans_domain_tables(domain: str, categories: tuple[str, ...],
                             grades: tuple[int, ...]) -> None:
    base = {"ice_score": 10, "consciousness": "alert", "seizure": "none",
            "motor_weakness": False, "cerebral_edema": "none"}
    assert [grade_icans(**{**base, domain: c}) for c in categories] == list(grades)
    assert grade_icans(**{**base, "motor_weakness": True}) == 4


def test_icans_ice_zero_is_grade_3_awake_and_grade_4_unarousable() -> None:
    assert grade_icans(0, "alert", "none", False, "none") == 3
    assert grade_icans(0, "unarousable", "none", False, "none") == 4


def test_icans_most_severe_domain_sets_the_grade() -> None:
    ice = {10: 0, 8: 1, 5: 2, 1: 3}
    for (score, g1), (c, g2), (s, g3), (m, g4), (e, g5) in itertools.product(
            ice.items(), zip(CONSCIOUSNESS, CONSCIOUSNESS_GRADE, strict=True),
            zip(SEIZURE, SEIZURE_GRADE, strict=True), ((False, 0), (True, 4)),
            zip(CEREBRAL_EDEMA, CEREBRAL_EDEMA_GRADE, strict=True)):
        assert grade_icans(score, c, s, m, e) == max(g1, g2, g3, g4, g5)
    # the consensus example: ICE 3 with a generalised seizure is grade 3
    assert grade_icans(3, "alert", "rapid_resolving", False, "none") == 3


@FAST
@given(st.integers(0, 10), st.integers(0, 10), st.integers(0, 4), st.integers(0, 2),
       st.booleans(), st.integers(0, 2))
def test_icans_grade_is_monotone_in_each_finding(a: int, b: int, c: int, s: int, m: bool,
                                                 e: int) -> None:
    worse_ice, better_ice = sorted((a, b))
    assert grade_icans(better_ice, c, s, m, e) <= grade_icans(worse_ice, c, s, m, e)
    assert grade_icans(a, c, s, False, e) <= grade_icans(a, c, s, True, e)
    for level, top, name in ((c, 4, "consciousness"), (s, 2, "seizure"), (e, 2, "edema")):
        for higher in range(level, top + 1):
            args = {"consciousness": c, "seizure": s, "edema": e}
            worse = {**args, name: higher}
            assert (grade_icans(a, args["consciousness"], args["seizure"], m, args["edema"])
                    <= grade_icans(a, worse["consciousness"], worse["seizure"], m,
                                   worse["edema"]))


# --- ICAHT -----------------------------------------------------------------------------------

def icaht_series(days_below: int, below: float = 300.0, *, start: int = 0,
                 length: int = 31) -> list[float]:
    return [below if start <= d < start + days_below else 2000.0 for d in range(length)]


@pytest.mark.parametrize(("days_below", "grade"), [(0, 0), (1, 1), (6, 1), (7, 2), (8, 2),
                                                   (13, 2), (14, 3), (15, 3), (29, 3), (30, 4),
                                                   (31, 4)])
def test_early_icaht_severe_duration_boundaries(days_below: int, grade: int) -> None:
    assert grade_icaht(range(31), icaht_series(days_below)).early == grade


@pytest.mark.parametrize(("days_below", "grade"), [(6, 1), (7, 4), (8, 4)])
def test_early_icaht_profound_duration_boundaries(days_below: int, grade: int) -> None:
    assert grade_icaht(range(31), icaht_series(days_below, 50.0)).early == grade


@pytest.mark.parametrize(("threshold", "grade_at"), [(500.0, 2), (100.0, 4)])
def test_early_icaht_anc_boundaries(threshold: float, grade_at: int) -> None:
    below, at, above = around(threshold)
    grades = [grade_icaht(range(31), icaht_series(7, anc)).early for anc in (below, at, above)]
    assert grades[:2] == [grade_at, grade_at]
    assert grades[2] < grade_at


def test_early_icaht_counts_nonstable_recovery_of_under_3_days() -> None:
    def series(days_up: int) -> list[float]:
        anc = [300.0] * 3 + [900.0] * days_up + [300.0] * 3
        return anc + [2000.0] * (31 - len(anc))

    # a 2-day rise is non-stable recovery and counts: 3 + 2 + 3 = 8 days -> grade 2
    assert grade_icaht(range(31), series(2)).early == 2
    # a 3-day rise is a recovery and does not count: 3 + 3 = 6 days -> grade 1
    assert grade_icaht(range(31), series(3)).early == 1


def test_early_icaht_ignores_days_outside_0_to_30() -> None:
    anc = [300.0] * 10 + [2000.0] * 31
    assert grade_icaht(range(-10, 31), anc).early == 0


@pytest.mark.parametrize(("threshold", "grade"), [(1500.0, 1), (1000.0, 2), (500.0, 3),
                                                  (100.0, 4)])
def test_late_icaht_thresholds(threshold: float, grade: int) -> None:
    below, at, above = around(threshold)
    late = [grade_icaht(range(40), [3000.0] * 31 + [anc] * 9).late for anc in (below, at, above)]
    assert late == [grade, grade, grade - 1]


def test_late_icaht_needs_two_values() -> None:
    assert grade_icaht(range(40), [3000.0] * 31 + [50.0] + [3000.0] * 8).late == 0
    assert grade_icaht(range(40), [3000.0] * 31 + [50.0, 3000.0, 50.0] + [3000.0] * 6).late == 4


def test_icaht_is_vectorised_over_patients() -> None:
    anc = np.array([icaht_series(7) + [3000.0] * 5, icaht_series(0) + [800.0] * 5])
    grades = grade_icaht(range(36), anc)
    assert grades.early.tolist() == [2, 0]
    assert grades.late.tolist() == [0, 2]


@FAST
@given(st.lists(st.floats(0.0, 3000.0), min_size=40, max_size=40), st.integers(0, 39),
       st.floats(0.0, 3000.0))
def test_icaht_grade_is_monotone_in_each_count(anc: list[float], day: int, lower: float) -> None:
    worse = list(anc)
    worse[day] = min(anc[day], lower)
    before, after = grade_icaht(range(40), anc), grade_icaht(range(40), worse)
    assert before.early <= after.early
    assert before.late <= after.late


def test_icaht_errors_name_the_problem() -> None:
    with pytest.raises(InputTableError, match=r'argument "days": must be consecutive days'):
        grade_icaht([0, 2, 3], [100.0, 100.0, 100.0])
    with pytest.raises(InputTableError, match=r"has shape \(2,\), but needs \(3,\)"):
        grade_icaht([0, 1, 2], [100.0, 100.0])
    with pytest.raises(InputTableError, match=r"negative or infinite count"):
        grade_icaht([0, 1], [100.0, -1.0])


# --- CAR-HEMATOTOX ---------------------------------------------------------------------------

BASELINE = {"platelets_per_nl": 250.0, "anc_per_ul": 3000.0, "haemoglobin_g_per_dl": 13.0,
            "crp_mg_per_l": 2.0, "ferritin_ng_per_ml": 100.0}


@pytest.mark.parametrize(("marker", "boundary", "points"), [
    ("platelets_per_nl", 75.0, (2, 1, 1)),
    ("platelets_per_nl", 175.0, (1, 1, 0)),
    ("anc_per_ul", 1200.0, (1, 0, 0)),
    ("haemoglobin_g_per_dl", 9.0, (1, 0, 0)),
    ("crp_mg_per_l", 30.0, (0, 1, 1)),
    ("ferritin_ng_per_ml", 650.0, (0, 1, 1)),
    ("ferritin_ng_per_ml", 2000.0, (1, 1, 2)),
])
def test_hematotox_boundaries(marker: str, boundary: float, points: tuple[int, int, int]) -> None:
    scores = tuple(car_hematotox_score(**{**BASELINE, marker: v}) for v in around(boundary))
    assert scores == points


def test_hematotox_risk_boundary_and_maximum() -> None:
    assert [car_hematotox_risk(s) for s in (0, 1, 2, 7)] == ["low", "low", "high", "high"]
    assert car_hematotox_score(40.0, 400.0, 7.8, 95.0, 3200.0) == 7
    with pytest.raises(InputTableError, match=r"outside the valid range 0-7"):
        car_hematotox_risk(8)


@FAST
@given(st.sampled_from(sorted(BASELINE)), st.floats(0.0, 5000.0), st.floats(0.0, 5000.0))
def test_hematotox_score_is_monotone_in_each_marker(marker: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    worse_is_higher = marker in ("crp_mg_per_l", "ferritin_ng_per_ml")
    better, worse = (low, high) if worse_is_higher else (high, low)
    assert (car_hematotox_score(**{**BASELINE, marker: better})
            <= car_hematotox_score(**{**BASELINE, marker: worse}))


# --- Hypogammaglobulinaemia ------------------------------------------------------------------

@pytest.mark.parametrize(("boundary", "categories"), [
    (1.5, ("profound", "severe", "severe")),
    (4.0, ("severe", "severe", "moderate")),
    (6.0, ("moderate", "moderate", "mild")),
    (7.0, ("mild", "normal", "normal")),
])
def test_igg_category_boundaries(boundary: float, categories: tuple[str, str, str]) -> None:
    assert tuple(hypogammaglobulinaemia(v) for v in around(boundary)) == categories


@FAST
@given(st.floats(0.0, 20.0), st.floats(0.0, 20.0))
def test_igg_category_worsens_as_igg_falls(a: float, b: float) -> None:
    order = ("normal", "mild", "moderate", "severe", "profound")
    low, high = sorted((a, b))
    assert order.index(hypogammaglobulinaemia(low)) >= order.index(hypogammaglobulinaemia(high))


def test_igg_must_be_a_non_negative_number() -> None:
    with pytest.raises(InputTableError, match=r'hypogammaglobulinaemia: argument "igg_g_per_l"'):
        hypogammaglobulinaemia(-0.1)


# --- Error messages of the grading functions --------------------------------------------------

def test_misspelt_category_suggests_the_right_one() -> None:
    with pytest.raises(InputTableError) as info:
        grade_crs(38.5, "fluid", "none")
    assert str(info.value) == ('grade_crs: argument "hypotension": "fluid" is not a category (did '
                               'you mean "fluids"?); valid values are "none", "fluids", '
                               '"one_vasopressor" or "multiple_vasopressors".')


def test_level_outside_the_table_is_an_error() -> None:
    with pytest.raises(InputTableError, match=r"level 4 is not one of 0-3"):
        grade_crs(38.5, 4, "none")


def test_non_boolean_flag_and_unbroadcastable_shapes_are_errors() -> None:
    with pytest.raises(InputTableError, match=r'argument "motor_weakness": must be true/false'):
        grade_icans(10, "alert", "none", 2, "none")
    with pytest.raises(InputTableError, match=r"shapes that do not broadcast together"):
        grade_crs([38.0, 39.0, 40.0], ["none", "fluids"], "none")


# --- Link model: simulated markers to signs ---------------------------------------------------

@pytest.fixture(scope="module")
def link() -> LinkThresholds:
    return LinkThresholds.from_catalog()


def test_link_thresholds_are_read_from_the_catalogue(link: LinkThresholds) -> None:
    catalog = load_catalog()
    assert link.il6_fever == catalog.value("il6_fever", "pg/mL")
    assert link.crp_hypoxia_high_flow == catalog.value("crp_hypoxia_high_flow", "mg/L")
    assert link.bbb_ice_zero == catalog.value("bbb_ice_zero")
    assert link.il6_plasma_0 == catalog.value("il6_plasma_0", "pg/mL")


def test_link_thresholds_out_of_order_are_a_parameter_error() -> None:
    catalog = load_catalog().with_values({"il6_fever": 300.0})
    with pytest.raises(ParameterError, match=r'"il6_fever" \(300\) must be below '
                                             r'"il6_hypotension_fluids" \(200\)'):
        LinkThresholds.from_catalog(catalog)


def test_temperature_sign_is_baseline_at_baseline_il6_and_fever_at_the_threshold(
        link: LinkThresholds) -> None:
    low, at, high = around(link.il6_fever)
    signs = crs_signs([link.il6_plasma_0, low, at, high], [1.0] * 4, link)
    assert signs.temperature_c[0] == pytest.approx(link.temp_core_baseline)
    assert (signs.temperature_c[1:] >= 38.0).tolist() == [False, True, True]
    assert signs.grade().tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize(("name", "level"), [("il6_hypotension_fluids", 1),
                                             ("il6_hypotension_vasopressor", 2),
                                             ("il6_hypotension_multiple_vasopressors", 3)])
def test_hypotension_sign_boundaries(link: LinkThresholds, name: str, level: int) -> None:
    signs = crs_signs(around(getattr(link, name), 1e-3), [1.0] * 3, link)
    assert signs.hypotension.tolist() == [level - 1, level, level]


@pytest.mark.parametrize(("name", "level"), [("crp_hypoxia_low_flow", 1),
                                             ("crp_hypoxia_high_flow", 2),
                                             ("crp_hypoxia_positive_pressure", 3)])
def test_oxygen_sign_boundaries(link: LinkThresholds, name: str, level: int) -> None:
    signs = crs_signs([link.il6_plasma_0] * 3, around(getattr(link, name), 1e-3), link)
    assert signs.oxygen.tolist() == [level - 1, level, level]


def test_icans_sign_boundaries(link: LinkThresholds) -> None:
    onset = icans_signs(around(link.bbb_ice_onset), link)
    assert onset.ice_score.tolist() == [10, 10, 9]
    zero = icans_signs(around(link.bbb_ice_zero), link)
    assert zero.ice_score.tolist() == [1, 0, 0]
    assert zero.grade().tolist() == [3, 3, 3]
    edema = icans_signs(around(link.bbb_cerebral_edema), link)
    assert edema.grade().tolist() == [3, 4, 4]
    assert np.asarray(CEREBRAL_EDEMA)[edema.cerebral_edema].tolist() == ["none", "diffuse",
                                                                        "diffuse"]


@FAST
@given(st.lists(st.floats(0.0, 1e5), min_size=2, max_size=2),
       st.lists(st.floats(0.0, 1e3), min_size=2, max_size=2),
       st.lists(st.floats(0.0, 4.5), min_size=2, max_size=2))
def test_signs_grades_are_monotone_in_each_marker(il6: list[float], crp: list[float],
                                                  bbb: list[float]) -> None:
    il6, crp, bbb = sorted(il6), sorted(crp), sorted(bbb)
    crs_by_il6 = crs_signs(il6, [crp[0]] * 2).grade()
    crs_by_crp = crs_signs([il6[0]] * 2, crp).grade()
    icans = icans_signs(bbb).grade()
    assert crs_by_il6[0] <= crs_by_il6[1]
    assert crs_by_crp[0] <= crs_by_crp[1]
    assert icans[0] <= icans[1]


def test_signs_are_vectorised_over_patients_and_days(link: LinkThresholds) -> None:
    rng = np.random.default_rng(7)
    il6 = 10.0 ** rng.uniform(0.0, 4.5, size=(50, 30))
    crp = 10.0 ** rng.uniform(0.0, 2.8, size=(50, 30))
    bbb = rng.uniform(0.0, 4.0, size=(50, 30))
    crs, icans = crs_signs(il6, crp, link), icans_signs(bbb, link)
    assert crs.grade().shape == icans.grade().shape == (50, 30)
    one = crs_signs(il6[3, 4], crp[3, 4], link)
    assert crs.grade()[3, 4] == one.grade()
    assert icans.grade()[7, 2] == icans_signs(bbb[7, 2], link).grade()


def test_signs_reject_negative_markers() -> None:
    with pytest.raises(InputTableError, match=r'crs_signs: argument "il6_pg_per_ml"'):
        crs_signs([-1.0], [1.0])
    with pytest.raises(InputTableError, match=r"same shape"):
        crs_signs([1.0, 2.0], [1.0])


# --- Toxicity episodes -----------------------------------------------------------------------

def test_episodes_and_summary() -> None:
    grades = np.array([[0, 1, 2, 2, 0, 0, 3, 0],
                       [0, 0, 0, 0, 0, 0, 0, 0],
                       [1, 1, 0, 0, 0, 0, 0, 2]])
    result = toxicity_episodes(range(2, 10), grades)
    assert result.episodes.values.tolist() == [[0, 3, 5, 3, 2], [0, 8, 8, 1, 3],
                                               [2, 2, 3, 2, 1], [2, 9, 9, 1, 2]]
    summary = result.summary
    assert summary["any_grade"].tolist() == [True, False, True]
    assert summary["max_grade"].tolist() == [3, 0, 2]
    assert summary["onset_day"].tolist()[::2] == [3.0, 2.0]
    assert np.isnan(summary["onset_day"].iloc[1])
    assert summary["total_duration_days"].tolist() == [4, 0, 3]


@FAST
@given(st.lists(st.lists(st.integers(0, 4), min_size=12, max_size=12), min_size=1, max_size=5))
def test_episode_durations_add_up_and_peaks_match(grades: list[list[int]]) -> None:
    array = np.array(grades)
    result = toxicity_episodes(range(12), array)
    by_patient = result.episodes.groupby("patient")
    durations = by_patient["duration_days"].sum().reindex(range(len(grades)), fill_value=0)
    assert durations.tolist() == result.summary["total_duration_days"].tolist()
    peaks = by_patient["max_grade"].max().reindex(range(len(grades)), fill_value=0)
    assert peaks.tolist() == array.max(axis=1).tolist()
    for row in result.episodes.itertuples():
        span = array[row.patient, row.onset_day:row.last_day + 1]
        assert (span >= 1).all() and span.max() == row.max_grade


def test_episode_errors() -> None:
    with pytest.raises(InputTableError, match=r'argument "days": must be consecutive days'):
        toxicity_episodes([0, 1, 3], [[0, 1, 0]])
    with pytest.raises(InputTableError, match=r"has shape \(1, 2\), but needs \(patients, 3\)"):
        toxicity_episodes([0, 1, 2], [[0, 1]])
    with pytest.raises(InputTableError, match=r'argument "grades": .* outside'):
        toxicity_episodes([0, 1], [[0, 6]])
