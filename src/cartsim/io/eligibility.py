"""Eligibility criteria from scenario files: safe comparisons over patient covariates.

A criterion such as ``"edss <= 6.5"`` is parsed by ``cartsim.expressions`` (never ``eval``),
must be a single comparison and may only name covariates declared in
``cartsim.model.patient.COVARIATES``. Every problem becomes a ``ScenarioError`` naming the file
and the criterion. This module only parses and checks criteria; applying them to a sampled
population is the job of ``population/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cartsim.errors import ScenarioError, did_you_mean
from cartsim.expressions import Expression, ExpressionError, parse_expression
from cartsim.model.patient import COVARIATES


@dataclass(frozen=True)
class Criterion:
    """One inclusion criterion: a comparison over patient covariates.

    Two criteria are equal when their texts are equal.

    Examples
    --------
    >>> (c,) = parse_criteria(["age >= 18"], "study.toml", "population.eligibility")
    >>> c.admits({"age": 40.0}), c.admits({"age": 16.0})
    (True, False)
    """

    text: str
    expression: Expression = field(compare=False, repr=False)

    @property
    def covariates(self) -> frozenset[str]:
        """The covariates the criterion reads."""
        return self.expression.names

    def admits(self, values: Mapping[str, float]) -> bool:
        """Return whether a patient with these covariate ``values`` meets the criterion.

        Examples
        --------
        >>> (c,) = parse_criteria(["edss <= 6.5"], "study.toml", "population.eligibility")
        >>> c.admits({"edss": 7.0})
        False
        """
        return bool(self.expression.evaluate(values))


def parse_criteria(texts: object, source: str, field: str) -> tuple[Criterion, ...]:
    """Parse an array of criterion strings, raising ScenarioError on the first bad one.

    ``field`` is the dotted name of the array (e.g. ``population.eligibility``); errors name the
    criterion by its position counted from 1, e.g. ``population.eligibility[2]``.

    Examples
    --------
    >>> [c.text for c in parse_criteria(["age >= 18", "edss <= 6.5"], "s.toml", "eligibility")]
    ['age >= 18', 'edss <= 6.5']
    """
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise ScenarioError(
            source, field, 'must be an array of strings such as ["age >= 18", "edss <= 6.5"]'
        )
    return tuple(
        _parse_criterion(text, source, f"{field}[{position}]")
        for position, text in enumerate(texts, start=1)
    )


def _parse_criterion(text: object, source: str, field: str) -> Criterion:
    if not isinstance(text, str):
        raise ScenarioError(
            source, field, f'must be a string such as "age >= 18", not {type(text).__name__}'
        )
    try:
        expression = parse_expression(text)
    except ExpressionError as exc:
        raise ScenarioError(source, field, str(exc)) from None
    if not expression.is_comparison:
        raise ScenarioError(
            source, field, f'"{text}" is not a comparison; write e.g. "age >= 18" or "edss <= 6.5"'
        )
    if not expression.names:
        raise ScenarioError(source, field, f'"{text}" compares no covariate')
    for name in sorted(expression.names):
        if name not in COVARIATES:
            raise ScenarioError(
                source,
                field,
                f'"{text}" uses "{name}", which is not a covariate{did_you_mean(name, COVARIATES)};'
                f" covariates are {', '.join(COVARIATES)}",
            )
    return Criterion(text=text, expression=expression)
