"""Management decisions compiled into dose events: tocilizumab and dexamethasone in mg.

A decision (``safety.guidance.Decision``: day, drug, reason) becomes doses given after the
daily assessment that triggered it, ``t_delay_management`` later: tocilizumab once, 8 mg/kg
capped at 800 mg; dexamethasone 10 mg every 6 h for the rest of that day (four doses). The
doses go into the tocilizumab and dexamethasone body amounts. This module makes events only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cartsim.model.states import DEXAMETHASONE, TOCILIZUMAB
from cartsim.parameters.catalog import Catalog

_STATE = {"tocilizumab": TOCILIZUMAB, "dexamethasone": DEXAMETHASONE}


@dataclass(frozen=True)
class ManagementDose:
    """One administration: time (study day, fractional), drug, amount in mg and the reason."""

    time: float
    drug: str
    mg: float
    reason: str


def management_doses(decision_day: float, drug: str, reason: str, weight_kg: float,
                     catalog: Catalog) -> tuple[ManagementDose, ...]:
    """The administrations that carry out one decision for a patient of ``weight_kg``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> doses = management_doses(4.0, "dexamethasone", "ICANS grade 2", 70.0, load_catalog())
    >>> [round(d.time, 3) for d in doses], doses[0].mg
    ([4.083, 4.333, 4.583, 4.833], 10.0)
    >>> management_doses(4.0, "tocilizumab", "CRS grade 2", 120.0, load_catalog())[0].mg
    800.0
    """
    start = decision_day + catalog.value("t_delay_management", "day")
    if drug == "tocilizumab":
        mg = min(catalog.value("dose_tocilizumab", "mg/kg") * weight_kg,
                 catalog.value("max_dose_tocilizumab", "mg"))
        return (ManagementDose(start, drug, mg, reason),)
    interval = catalog.value("t_interval_dexamethasone", "day")
    times = start + interval * np.arange(int(np.ceil((1.0 - (start - decision_day)) / interval)))
    mg = catalog.value("dose_dexamethasone", "mg")
    return tuple(ManagementDose(float(t), drug, mg, reason) for t in times)


def dose_events(doses: Sequence[ManagementDose]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event arrays (times, state indices, amounts in mg) of ``doses`` for the engine."""
    return (np.array([d.time for d in doses], dtype=float),
            np.array([_STATE[d.drug] for d in doses], dtype=np.int64),
            np.array([d.mg for d in doses], dtype=float))
