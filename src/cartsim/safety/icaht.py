"""Neutropenic immune effector cell-associated haematotoxicity (ICAHT), EHA/EBMT consensus.

``grade_icaht`` grades early ICAHT (days 0-30 after infusion, by how many days the absolute
neutrophil count, ANC, stays at or below 500 and 100 /uL) and late ICAHT (after day 30, by the
lowest ANC threshold reached on at least two days) from daily counts of one or many patients
(Rejeski et al. 2023). The boundaries are in ``criteria``. This module must not know where the
counts came from, and it grades neutropenia only (not the thrombocytopenia variant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from cartsim.errors import InputTableError
from cartsim.safety.criteria import (
    ANC_PROFOUND_PER_UL,
    ANC_SEVERE_PER_UL,
    EARLY_ICAHT_DAYS,
    EARLY_PROFOUND_DAYS,
    EARLY_SEVERE_DAYS,
    LATE_ANC_PER_UL,
    LATE_MIN_VALUES,
    NONSTABLE_RECOVERY_DAYS,
)
from cartsim.safety.findings import scalar_or_array

_SOURCE = "grade_icaht"


@dataclass(frozen=True)
class IcahtGrades:
    """Early (days 0-30) and late (after day 30) ICAHT grades, 0-4, one per patient.

    Examples
    --------
    >>> IcahtGrades(early=2, late=0).early
    2
    """

    early: int | np.ndarray
    late: int | np.ndarray


def grade_icaht(days: ArrayLike, anc_per_ul: ArrayLike) -> IcahtGrades:
    """Grade early and late neutropenic ICAHT from daily absolute neutrophil counts.

    Early ICAHT counts the days 0-30 with ANC <= 500 /uL (grade 1: 1-6 days, 2: 7-13, 3:
    14-29, 4: 30 or more) and with ANC <= 100 /uL (7 days or more: grade 4); the worse of the
    two sets the grade. Days are cumulative, and a rise above the threshold lasting fewer than
    3 days before the count falls again is non-stable recovery and counts as days below. Late
    ICAHT (days after 30) is the grade of the lowest ANC threshold (1500, 1000, 500, 100 /uL
    for grades 1-4) reached on at least two days. Missing counts (NaN) count as above every
    threshold; a window the series does not cover grades 0.

    Parameters
    ----------
    days:
        Consecutive days after infusion, one per count (e.g. ``range(-5, 100)``).
    anc_per_ul:
        ANC in cells per uL with the days on the last axis: shape ``(days,)`` for one patient or
        ``(patients, days)``.

    Returns
    -------
    IcahtGrades with ints for one patient, else integer arrays of shape ``(patients,)``.

    Examples
    --------
    >>> anc = [1000.0] * 3 + [300.0] * 10 + [1200.0] * 22
    >>> grade_icaht(range(35), anc)
    IcahtGrades(early=2, late=1)
    """
    day, anc = _checked(days, anc_per_ul)
    first, last = EARLY_ICAHT_DAYS
    early_window = anc[:, (day >= first) & (day <= last)]
    severe = _cumulative_days_at_or_below(early_window, ANC_SEVERE_PER_UL)
    profound = _cumulative_days_at_or_below(early_window, ANC_PROFOUND_PER_UL)
    early = np.maximum(_grade_by_days(severe, EARLY_SEVERE_DAYS),
                       _grade_by_days(profound, EARLY_PROFOUND_DAYS))
    late_window = anc[:, day > last]
    late = np.zeros(anc.shape[0], dtype=np.int64)
    for threshold, grade in sorted(LATE_ANC_PER_UL, key=lambda band: band[1]):
        reached = (late_window <= threshold).sum(axis=1) >= LATE_MIN_VALUES
        late = np.where(reached, grade, late)
    if np.ndim(anc_per_ul) == 1:
        return IcahtGrades(early=scalar_or_array(early[0]), late=scalar_or_array(late[0]))
    return IcahtGrades(early=early, late=late)


def _checked(days: ArrayLike, anc_per_ul: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    day = np.asarray(days, dtype=float)
    anc = np.asarray(anc_per_ul, dtype=float)
    if day.ndim != 1 or day.size == 0 or (day.size > 1 and not np.allclose(np.diff(day), 1.0)):
        raise InputTableError(_SOURCE, 'argument "days"', "must be consecutive days, one per "
                              "count (e.g. 0, 1, 2, ...); resample the counts to a daily grid")
    if anc.ndim not in (1, 2) or anc.shape[-1] != day.size:
        raise InputTableError(_SOURCE, 'argument "anc_per_ul"', f"has shape {anc.shape}, but "
                              f"needs ({day.size},) or (patients, {day.size}), one count per day")
    if (anc < 0).any() or np.isinf(anc).any():
        raise InputTableError(_SOURCE, 'argument "anc_per_ul"', "holds a negative or infinite "
                              "count; counts are cells per uL >= 0 (NaN for a missing count)")
    return day, np.atleast_2d(anc)


def _cumulative_days_at_or_below(anc: np.ndarray, threshold: float) -> np.ndarray:
    """Days at or below ``threshold``, counting non-stable recoveries in between as below."""
    total = np.zeros(anc.shape[0], dtype=np.int64)
    gap = np.zeros(anc.shape[0], dtype=np.int64)
    seen = np.zeros(anc.shape[0], dtype=bool)
    for column in anc.T:
        below = column <= threshold
        relapse = below & seen & (gap < NONSTABLE_RECOVERY_DAYS)
        total += np.where(relapse, gap, 0) + below
        gap = np.where(below, 0, gap + 1)
        seen |= below
    return total


def _grade_by_days(days_below: np.ndarray, bands: tuple[tuple[int, int], ...]) -> np.ndarray:
    grade = np.zeros(days_below.shape, dtype=np.int64)
    for least, band_grade in sorted(bands, key=lambda band: band[1]):
        grade = np.where(days_below >= least, band_grade, grade)
    return grade
