"""CRS and ICANS of one simulated patient and arm, graded as a clinical trial would grade them.

Daily IL-6 signal (IL-6 left to act by tocilizumab), CRP and BBB-activation values from day 0
on are turned into clinical signs by the link model of ``cartsim.safety.signs``, graded by the
ASTCT functions (fever masked after the first management dose, ``safety.guidance``), and
reduced to episodes (onset, worst grade, duration) and per-patient indicators. This module
adapts the safety layer to a trial's per-patient rows; it defines no thresholds of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.safety import LinkThresholds, toxicity_episodes
from cartsim.safety.guidance import daily_grades


@dataclass(frozen=True)
class SimulatedToxicity:
    """Per-patient toxicity columns and the episodes as event rows."""

    summary: dict[str, float]
    events: list[dict[str, object]]


def simulated_toxicity(t: np.ndarray, il6_signal: np.ndarray, crp: np.ndarray, bbb: np.ndarray,
                       thresholds: LinkThresholds, masked_after: float = np.inf
                       ) -> SimulatedToxicity:
    """Grade CRS and ICANS from day 0 to the end of ``t``; ``masked_after`` is the time of the
    first management dose (fever masked on later days), ``inf`` when none was given."""
    after = t >= 0
    days = t[after]
    crs, icans = daily_grades(il6_signal[after], crp[after], bbb[after], days, masked_after,
                              thresholds)
    graded = {"crs": crs, "icans": icans}
    summary: dict[str, float] = {}
    events: list[dict[str, object]] = []
    for name, grades in graded.items():
        result = toxicity_episodes(days, grades[None, :])
        worst = int(result.summary["max_grade"].iloc[0])
        summary[f"{name}_max_grade"] = float(worst)
        summary[f"{name}_any"] = float(worst >= 1)
        summary[f"{name}_grade2plus"] = float(worst >= 2)
        summary[f"{name}_grade3plus"] = float(worst >= 3)
        summary[f"{name}_onset_day"] = float(result.summary["onset_day"].iloc[0])
        summary[f"{name}_duration_days"] = float(result.summary["total_duration_days"].iloc[0])
        events += [{"event": name, "day": float(e.onset_day), "grade": float(e.max_grade),
                    "duration_days": float(e.duration_days)}
                   for e in result.episodes.itertuples()]
    return SimulatedToxicity(summary, events)
