"""When CRS and ICANS are treated: the thresholds of a management policy as rules.

Clinicians treat grades, not cytokines. ``daily_grades`` grades a simulated patient's days
through the sign link (``safety.signs``), reading the IL-6 *signal* (IL-6 left to act by
tocilizumab) and masking fever on the days after the first management dose, as the ASTCT
consensus says. ``first_decision`` then walks those days from a given day on and returns the
drugs due on the first day a threshold of the policy is met:

- tocilizumab at CRS grade >= ``grade_crs_tocilizumab``, or after more than
  ``days_crs_grade1_tocilizumab`` consecutive days of CRS (persistent fever), at most
  ``n_tocilizumab_max`` doses in all and one per day (the daily grade cannot see the 8-h
  repeat the guidance allows);
- dexamethasone (a day of 10 mg every 6 h) at CRS grade >= ``grade_crs_dexamethasone``, at
  CRS grade >= ``grade_crs_tocilizumab`` that persists after ``n_tocilizumab_before_dexamethasone``
  tocilizumab doses (refractory CRS), or at ICANS grade >= ``grade_icans_dexamethasone``.

A policy (``POLICY_RECORDS``) names the catalogue record (``management.toml``) behind each rule
it has; a rule a protocol did not have is absent and never fires. ``astct`` is today's guidance
(Neelapu 2018, CARTOX; Hayden 2022, EBMT/EHA); ``juliet`` and ``zuma1`` are the protocols of
the pivotal LBCL trials (Schuster 2019/2020, Penn grading; Neelapu 2017, Lee 2014 grading), which
gave tocilizumab for severe CRS only and steroids for CRS that tocilizumab did not reverse or
for severe neurotoxicity; their thresholds are mapped onto the ASTCT grades the model computes
(assumptions A340-A342). This module decides; it neither doses nor integrates
(``therapies.management`` makes the dose events, ``managed`` re-integrates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from cartsim.errors import ParameterError, did_you_mean, one_of
from cartsim.parameters import Catalog
from cartsim.safety.signs import LinkThresholds, crs_signs, icans_signs
from cartsim.therapies.management import DEXAMETHASONE, TOCILIZUMAB, Decision

_ASTCT_RULES = ("grade_crs_tocilizumab", "days_crs_grade1_tocilizumab", "n_tocilizumab_max",
                "grade_crs_dexamethasone", "n_tocilizumab_before_dexamethasone",
                "grade_icans_dexamethasone")
_TRIAL_ERA = {"n_tocilizumab_max": "n_tocilizumab_max",
              "n_tocilizumab_before_dexamethasone": "n_tocilizumab_before_dexamethasone",
              "grade_icans_dexamethasone": "grade_icans_dexamethasone_trials"}

POLICY_RECORDS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "astct": MappingProxyType({rule: rule for rule in _ASTCT_RULES}),
    "juliet": MappingProxyType({"grade_crs_tocilizumab": "grade_crs_tocilizumab_juliet",
                                **_TRIAL_ERA}),
    "zuma1": MappingProxyType({"grade_crs_tocilizumab": "grade_crs_tocilizumab_zuma1",
                               **_TRIAL_ERA}),
})
"""For each management policy, the catalogue record behind each of its rules (the fields of
``Guidance``). The trial protocols had no tocilizumab for persistent grade 1 CRS and no steroids
on the CRS grade alone, before tocilizumab had failed (Brudno 2016: corticosteroids reserved for
neurotoxicity and CRS not responsive to tocilizumab), so those rules are absent."""


@dataclass(frozen=True)
class Guidance:
    """The management thresholds of one policy, read from the catalogue.

    A threshold that is None is a rule the policy does not have.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> Guidance.from_catalog(load_catalog()).grade_crs_tocilizumab
    2
    >>> Guidance.from_catalog(load_catalog(), "juliet").days_crs_grade1_tocilizumab is None
    True
    """

    grade_crs_tocilizumab: int
    days_crs_grade1_tocilizumab: float | None
    n_tocilizumab_max: int
    grade_crs_dexamethasone: int | None
    n_tocilizumab_before_dexamethasone: int
    grade_icans_dexamethasone: int | None

    @classmethod
    def from_catalog(cls, catalog: Catalog, policy: str = "astct") -> Guidance:
        """Read the thresholds of ``policy`` (grades and dose counts as integers, days as a float).

        An unknown ``policy`` raises a ParameterError that lists the known ones.
        """
        if policy not in POLICY_RECORDS:
            raise ParameterError(f'management policy "{policy}" is not known'
                                 f"{did_you_mean(policy, POLICY_RECORDS)}; use "
                                 f"{one_of(POLICY_RECORDS)}")
        records = POLICY_RECORDS[policy]

        def grade(rule: str) -> int | None:
            return round(catalog.value(records[rule])) if rule in records else None

        days = records.get("days_crs_grade1_tocilizumab")
        return cls(
            grade_crs_tocilizumab=round(catalog.value(records["grade_crs_tocilizumab"])),
            days_crs_grade1_tocilizumab=catalog.value(days, "day") if days else None,
            n_tocilizumab_max=round(catalog.value(records["n_tocilizumab_max"])),
            grade_crs_dexamethasone=grade("grade_crs_dexamethasone"),
            n_tocilizumab_before_dexamethasone=round(
                catalog.value(records["n_tocilizumab_before_dexamethasone"])),
            grade_icans_dexamethasone=grade("grade_icans_dexamethasone"),
        )


def daily_grades(il6_signal: np.ndarray, crp: np.ndarray, bbb: np.ndarray, days: np.ndarray,
                 masked_after: float, link: LinkThresholds) -> tuple[np.ndarray, np.ndarray]:
    """Daily CRS and ICANS grades of one patient, fever masked on days after ``masked_after``.

    ``masked_after`` is the time of the first tocilizumab or dexamethasone dose (``inf`` when
    none was given): from the next daily assessment on, CRS is graded without the fever rule.

    Examples
    --------
    >>> link = LinkThresholds.from_catalog()
    >>> crs, icans = daily_grades(np.array([5.0, 300.0, 5.0]), np.array([1.0, 1.0, 1.0]),
    ...                           np.zeros(3), np.arange(3.0), np.inf, link)
    >>> crs.tolist(), icans.tolist()
    ([0, 2, 0], [0, 0, 0])
    """
    crs = crs_signs(il6_signal, crp, link).grade(fever_masked=days > masked_after)
    return crs, icans_signs(bbb, link).grade()


def _run_length(positive: np.ndarray) -> np.ndarray:
    """Consecutive days with a true value up to and including each day."""
    runs = np.zeros(positive.size, dtype=np.int64)
    for k, flag in enumerate(positive):
        runs[k] = (runs[k - 1] + 1 if k else 1) if flag else 0
    return runs


def _reaches(grade: int, threshold: int | None) -> bool:
    """Whether ``grade`` meets a grade ``threshold``; a rule the policy lacks (None) never does."""
    return threshold is not None and grade >= threshold


def _exceeds(days: int, threshold: float | None) -> bool:
    """Whether ``days`` exceed a duration ``threshold``; None (no such rule) never is."""
    return threshold is not None and days > threshold


def first_decision(days: np.ndarray, crs: np.ndarray, icans: np.ndarray,
                   given: Sequence[Decision], guidance: Guidance, from_day: float
                   ) -> tuple[Decision, ...]:
    """The drugs due on the first day at or after ``from_day`` that meets a threshold.

    ``given`` are the decisions already made (all on days before ``from_day``); the result is
    empty when no later day meets a threshold.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> guidance = Guidance.from_catalog(load_catalog())
    >>> days = np.arange(6.0)
    >>> first_decision(days, np.array([0, 1, 2, 3, 1, 0]), np.zeros(6, int), (), guidance, 0.0)
    (Decision(day=2.0, drug='tocilizumab', grade=2, reason='CRS grade 2'),)
    """
    runs = _run_length(crs >= 1)
    tocilizumab = sum(d.drug == TOCILIZUMAB for d in given)
    for k in np.flatnonzero(days >= from_day):
        grade, neuro, day = int(crs[k]), int(icans[k]), float(days[k])
        due = []
        if tocilizumab < guidance.n_tocilizumab_max:
            if grade >= guidance.grade_crs_tocilizumab:
                due.append(Decision(day, TOCILIZUMAB, grade, f"CRS grade {grade}"))
            elif grade >= 1 and _exceeds(runs[k], guidance.days_crs_grade1_tocilizumab):
                due.append(Decision(day, TOCILIZUMAB, grade, f"CRS for {runs[k]} days"))
        if _reaches(grade, guidance.grade_crs_dexamethasone):
            due.append(Decision(day, DEXAMETHASONE, grade, f"CRS grade {grade}"))
        elif (grade >= guidance.grade_crs_tocilizumab
              and tocilizumab >= guidance.n_tocilizumab_before_dexamethasone):
            due.append(Decision(day, DEXAMETHASONE, grade,
                                f"CRS grade {grade} after {tocilizumab} tocilizumab"))
        elif _reaches(neuro, guidance.grade_icans_dexamethasone):
            due.append(Decision(day, DEXAMETHASONE, neuro, f"ICANS grade {neuro}"))
        if due:
            return tuple(due)
    return ()
