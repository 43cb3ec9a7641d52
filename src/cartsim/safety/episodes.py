"""Toxicity episodes: runs of consecutive days with a grade >= 1, and what they add up to.

``toxicity_episodes`` turns daily grades of many patients (CRS or ICANS, from clinical
observations or simulated signs) into one row per episode (onset day, last day, duration,
maximum grade) and one row per patient (any grade, maximum grade, onset of the first episode,
total days with a grade). It works on whole arrays, without a loop over patients, because a
virtual trial calls it for thousands. This module must not grade anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from cartsim.errors import InputTableError
from cartsim.safety.findings import whole_numbers

_SOURCE = "toxicity_episodes"
_MAX_GRADE = 5


@dataclass(frozen=True)
class ToxicityEpisodes:
    """Episodes and per-patient summaries of one toxicity.

    ``episodes`` has columns patient, onset_day, last_day, duration_days and max_grade, one row
    per episode in patient and time order. ``summary`` has one row per patient (index
    ``patient``, the row of the grade array) with any_grade, max_grade, onset_day (of the first
    episode, NaN without one) and total_duration_days.

    Examples
    --------
    >>> result = toxicity_episodes([0, 1, 2], [[0, 1, 2]])
    >>> result.summary.loc[0, "max_grade"]
    np.int64(2)
    """

    episodes: pd.DataFrame
    summary: pd.DataFrame


def toxicity_episodes(days: ArrayLike, grades: ArrayLike) -> ToxicityEpisodes:
    """Find episodes (runs of consecutive days with grade >= 1) and summarise each patient.

    Parameters
    ----------
    days:
        Consecutive days, one per column of ``grades``.
    grades:
        Daily grades 0-5, shape ``(patients, days)`` (or ``(days,)`` for one patient).

    Returns
    -------
    ToxicityEpisodes with an episode table and a per-patient summary; an episode's duration is
    its number of days, ``last_day - onset_day + 1``.

    Examples
    --------
    >>> result = toxicity_episodes(range(6), [[0, 1, 2, 0, 1, 0], [0, 0, 0, 0, 0, 0]])
    >>> result.episodes[["patient", "onset_day", "duration_days", "max_grade"]].values.tolist()
    [[0, 1, 2, 2], [0, 4, 1, 1]]
    >>> result.summary["total_duration_days"].tolist()
    [3, 0]
    """
    day = np.asarray(days)
    if day.dtype.kind not in "iuf":
        raise InputTableError(_SOURCE, 'argument "days"', "must be numbers (days)")
    grade = np.atleast_2d(whole_numbers(grades, "grades", _SOURCE, low=0, high=_MAX_GRADE))
    if day.ndim != 1 or (day.size > 1 and not np.allclose(np.diff(day), 1.0)):
        raise InputTableError(_SOURCE, 'argument "days"', "must be consecutive days (0, 1, "
                              "2, ...), one per column of grades; sample the grades daily")
    if grade.ndim != 2 or grade.shape[1] != day.size:
        raise InputTableError(_SOURCE, 'argument "grades"', f"has shape {grade.shape}, but "
                              f"needs (patients, {day.size}), one grade per day")
    toxic = grade >= 1
    padded = np.pad(toxic, ((0, 0), (1, 1)))
    patient, onset = np.nonzero(padded[:, 1:-1] & ~padded[:, :-2])
    _, last = np.nonzero(padded[:, 1:-1] & ~padded[:, 2:])
    flat_onsets = patient * grade.shape[1] + onset
    peak = (np.maximum.reduceat(grade.ravel(), flat_onsets) if flat_onsets.size
            else np.zeros(0, dtype=np.int64))
    episodes = pd.DataFrame({
        "patient": patient,
        "onset_day": day[onset],
        "last_day": day[last],
        "duration_days": last - onset + 1,
        "max_grade": peak,
    })
    any_grade = toxic.any(axis=1)
    summary = pd.DataFrame({
        "any_grade": any_grade,
        "max_grade": grade.max(axis=1),
        "onset_day": np.where(any_grade, day[toxic.argmax(axis=1)], np.nan),
        "total_duration_days": toxic.sum(axis=1),
    }, index=pd.RangeIndex(grade.shape[0], name="patient"))
    return ToxicityEpisodes(episodes=episodes, summary=summary)
