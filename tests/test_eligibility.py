"""Eligibility criteria: safe comparisons over covariates, with one clear sentence per problem."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartsim.errors import ScenarioError
from cartsim.io.eligibility import Criterion, parse_criteria
from cartsim.model.patient import COVARIATES

FIELD = "population.eligibility"


def test_criteria_parse_in_order_and_admit_patients() -> None:
    criteria = parse_criteria(["age >= 18", "age <= 60", "edss <= 6.5"], "s.toml", FIELD)
    assert [c.text for c in criteria] == ["age >= 18", "age <= 60", "edss <= 6.5"]
    patient = {"age": 40.0, "edss": 3.0}
    assert all(c.admits(patient) for c in criteria)
    assert not criteria[2].admits({"edss": 7.0})
    assert criteria[0].covariates == frozenset({"age"})


def test_arithmetic_on_covariates_is_allowed() -> None:
    (criterion,) = parse_criteria(["weight_kg / (height_cm / 100) ** 2 < 35"], "s.toml", FIELD)
    assert criterion.admits({"weight_kg": 70.0, "height_cm": 170.0})
    assert criterion.covariates == frozenset({"weight_kg", "height_cm"})


def test_criteria_compare_by_text() -> None:
    first = parse_criteria(["age >= 18"], "s.toml", FIELD)
    second = parse_criteria(["age >= 18"], "other.toml", FIELD)
    assert first == second
    assert hash(first) == hash(second)
    assert isinstance(first[0], Criterion)


def test_unknown_covariate_suggests_the_closest() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_criteria(["age >= 18", "edds <= 6.5"], "s.toml", FIELD)
    message = str(info.value)
    assert message.startswith('s.toml: population.eligibility[2]: "edds <= 6.5" uses "edds"')
    assert 'which is not a covariate (did you mean "edss"?)' in message
    assert info.value.field == "population.eligibility[2]"


def test_not_a_comparison_is_rejected() -> None:
    with pytest.raises(ScenarioError, match=r'"age \+ 1" is not a comparison; write e\.g\.'):
        parse_criteria(["age + 1"], "s.toml", FIELD)


def test_a_comparison_without_covariates_is_rejected() -> None:
    with pytest.raises(ScenarioError, match='"1 < 2" compares no covariate'):
        parse_criteria(["1 < 2"], "s.toml", FIELD)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os').system('x') > 0", "calls a function other than"),
        ("age >= 18 and edss < 6", "uses BoolOp, which is not allowed"),
        ("18 <= age <= 60", "chains comparisons"),
        ("age >=", "is not a valid expression"),
    ],
)
def test_unsafe_or_malformed_text_is_rejected(text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_criteria([text], "s.toml", FIELD)
    assert fragment in str(info.value)
    assert str(info.value).startswith("s.toml: population.eligibility[1]: ")


def test_criteria_must_be_an_array_of_strings() -> None:
    with pytest.raises(ScenarioError, match=r"eligibility: must be an array of strings such as"):
        parse_criteria("age >= 18", "s.toml", FIELD)
    with pytest.raises(ScenarioError, match=r"eligibility\[2\]: must be a string such as .*int"):
        parse_criteria(["age >= 18", 18], "s.toml", FIELD)


@given(
    name=st.sampled_from(sorted(COVARIATES)),
    operator=st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    threshold=st.integers(min_value=-1000, max_value=1000),
    value=st.integers(min_value=-1000, max_value=1000),
)
def test_admits_matches_python_comparison(
    name: str, operator: str, threshold: int, value: int
) -> None:
    (criterion,) = parse_criteria([f"{name} {operator} {threshold}"], "s.toml", FIELD)
    expected = {
        "<": value < threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        ">=": value >= threshold,
        "==": value == threshold,
        "!=": value != threshold,
    }[operator]
    assert criterion.admits({name: float(value)}) is expected
