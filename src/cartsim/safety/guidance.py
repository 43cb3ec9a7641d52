"""When CRS and ICANS are treated: the thresholds of the published management guidance as rules.

Clinicians treat grades, not cytokines. ``daily_grades`` grades a simulated patient's days
through the sign link (``safety.signs``), reading the IL-6 *signal* (IL-6 left to act by
tocilizumab) and masking fever on the days after the first management dose, as the ASTCT
consensus says. ``first_decision`` then walks those days from a given day on and returns the
drugs due on the first day a threshold is met (Neelapu 2018, CARTOX; Hayden 2022, EBMT/EHA):

- tocilizumab at CRS grade >= ``grade_crs_tocilizumab`` (2), or after more than
  ``days_crs_grade1_tocilizumab`` (3) consecutive days of CRS (persistent fever), at most
  ``n_tocilizumab_max`` (4) doses in all and one per day (the daily grade cannot see the 8-h
  repeat the guidance allows);
- dexamethasone (a day of 10 mg every 6 h) at CRS grade >= ``grade_crs_dexamethasone`` (3), at
  CRS grade >= ``grade_crs_tocilizumab`` that persists after ``n_tocilizumab_before_dexamethasone``
  (1) tocilizumab doses (refractory CRS), or at ICANS grade >= ``grade_icans_dexamethasone`` (2).

Every threshold is a catalogue record (``management.toml``). This module decides; it neither
doses nor integrates (``therapies.management`` makes the dose events, ``managed`` re-integrates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cartsim.parameters import Catalog
from cartsim.safety.signs import LinkThresholds, crs_signs, icans_signs
from cartsim.therapies.management import DEXAMETHASONE, TOCILIZUMAB, Decision


@dataclass(frozen=True)
class Guidance:
    """The management thresholds, read from the catalogue.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> Guidance.from_catalog(load_catalog()).grade_crs_tocilizumab
    2
    """

    grade_crs_tocilizumab: int
    days_crs_grade1_tocilizumab: float
    n_tocilizumab_max: int
    grade_crs_dexamethasone: int
    n_tocilizumab_before_dexamethasone: int
    grade_icans_dexamethasone: int

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Guidance:
        """Read the thresholds (grades and dose counts as integers, days as a float)."""
        return cls(
            grade_crs_tocilizumab=round(catalog.value("grade_crs_tocilizumab")),
            days_crs_grade1_tocilizumab=catalog.value("days_crs_grade1_tocilizumab", "day"),
            n_tocilizumab_max=round(catalog.value("n_tocilizumab_max")),
            grade_crs_dexamethasone=round(catalog.value("grade_crs_dexamethasone")),
            n_tocilizumab_before_dexamethasone=round(
                catalog.value("n_tocilizumab_before_dexamethasone")),
            grade_icans_dexamethasone=round(catalog.value("grade_icans_dexamethasone")),
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
            elif grade >= 1 and runs[k] > guidance.days_crs_grade1_tocilizumab:
                due.append(Decision(day, TOCILIZUMAB, grade, f"CRS for {runs[k]} days"))
        if grade >= guidance.grade_crs_dexamethasone:
            due.append(Decision(day, DEXAMETHASONE, grade, f"CRS grade {grade}"))
        elif (grade >= guidance.grade_crs_tocilizumab
              and tocilizumab >= guidance.n_tocilizumab_before_dexamethasone):
            due.append(Decision(day, DEXAMETHASONE, grade,
                                f"CRS grade {grade} after {tocilizumab} tocilizumab"))
        elif neuro >= guidance.grade_icans_dexamethasone:
            due.append(Decision(day, DEXAMETHASONE, neuro, f"ICANS grade {neuro}"))
        if due:
            return tuple(due)
    return ()
