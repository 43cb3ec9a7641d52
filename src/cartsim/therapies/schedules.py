"""Labelled dosing schedules of the anti-CD20 antibodies, as (day, mg, route) per course.

- ocrelizumab: 300 mg IV on days 0 and 14, then 600 mg IV every 24 weeks (Ocrevus SmPC 4.2);
- ofatumumab: 20 mg SC at weeks 0, 1 and 2, then every 4 weeks from week 4 (Kesimpta label);
- rituximab: 1000 mg IV on days 0 and 14, repeated every 24 weeks (off-label MS use).
A course is one scheduled administration except where the label splits it (the first
ocrelizumab course, every rituximab course). This module lists schedules only.
"""

from __future__ import annotations

IV, SC = "iv", "sc"
_INTERVAL_DAYS = {"ocrelizumab": 168.0, "ofatumumab": 28.0, "rituximab": 168.0}


def course_doses(drug: str, course: int) -> tuple[tuple[float, float, str], ...]:
    """Doses (day from the first dose, mg, route) of the ``course``-th course (0-based).

    Examples
    --------
    >>> course_doses("ocrelizumab", 0)
    ((0.0, 300.0, 'iv'), (14.0, 300.0, 'iv'))
    >>> course_doses("ofatumumab", 3)
    ((28.0, 20.0, 'sc'),)
    """
    if drug == "ocrelizumab":
        return ((0.0, 300.0, IV), (14.0, 300.0, IV)) if course == 0 else (
            (_INTERVAL_DAYS[drug] * course, 600.0, IV),)
    if drug == "ofatumumab":
        day = 7.0 * course if course < 3 else _INTERVAL_DAYS[drug] * (course - 2)
        return ((day, 20.0, SC),)
    start = _INTERVAL_DAYS[drug] * course
    return ((start, 1000.0, IV), (start + 14.0, 1000.0, IV))
