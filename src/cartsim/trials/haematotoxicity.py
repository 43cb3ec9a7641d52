"""Cytopenias of one simulated patient and arm: ICAHT grade, neutropenia days, nadirs.

Daily neutrophil and platelet counts from day 0 on are graded by the EHA/EBMT ICAHT consensus
through ``cartsim.safety.grade_icaht`` and reduced to per-patient columns and, when the ANC
falls to 500/uL or below, one ``neutropenia`` event (first day at or below, early ICAHT grade,
number of days at or below). This module adapts the safety layer to a trial's rows; it defines
no thresholds of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.safety import grade_icaht
from cartsim.safety.criteria import ANC_SEVERE_PER_UL


@dataclass(frozen=True)
class SimulatedCytopenia:
    """Per-patient cytopenia columns and the neutropenia event rows."""

    summary: dict[str, float]
    events: list[dict[str, object]]


def simulated_cytopenia(t: np.ndarray, anc_per_ul: np.ndarray, platelets_per_nl: np.ndarray
                        ) -> SimulatedCytopenia:
    """Grade ICAHT and summarise neutrophils and platelets from day 0 to the end of ``t``.

    Examples
    --------
    >>> t = np.arange(-5.0, 40.0)
    >>> anc = np.where((t >= 3) & (t < 12), 300.0, 3000.0)
    >>> result = simulated_cytopenia(t, anc, np.full(t.size, 200.0))
    >>> result.summary["icaht_early_grade"], result.summary["neutropenia_days_below_500"]
    (2.0, 9.0)
    """
    after = t >= 0
    days, anc = t[after], anc_per_ul[after]
    grades = grade_icaht(days, anc)
    below = anc <= ANC_SEVERE_PER_UL
    early, late = int(grades.early), int(grades.late)
    summary = {
        "icaht_early_grade": float(early),
        "icaht_late_grade": float(late),
        "icaht_grade3plus": float(max(early, late) >= 3),
        "neutropenia_days_below_500": float(below.sum()),
        "anc_nadir_per_ul": float(np.min(anc)),
        "platelet_nadir_per_nl": float(np.min(platelets_per_nl[after])),
    }
    events: list[dict[str, object]] = []
    if below.any():
        events.append({"event": "neutropenia", "day": float(days[np.argmax(below)]),
                       "grade": float(early), "duration_days": float(below.sum())})
    return SimulatedCytopenia(summary, events)
