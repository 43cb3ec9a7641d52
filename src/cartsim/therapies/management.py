"""Management decisions compiled into dose events: tocilizumab and dexamethasone in mg.

A ``Decision`` (day, drug, grade, reason; made by ``safety.guidance``) becomes doses given after the
daily assessment that triggered it, ``t_delay_management`` later: tocilizumab once, 8 mg/kg
capped at 800 mg; dexamethasone 10 mg every 6 h for the rest of that day (four doses). The
doses go into the tocilizumab and dexamethasone body amounts. This module makes events only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cartsim.model.states import DEXAMETHASONE as DEXAMETHASONE_BODY
from cartsim.model.states import TOCILIZUMAB as TOCILIZUMAB_BODY
from cartsim.parameters.catalog import Catalog

TOCILIZUMAB = "tocilizumab"
DEXAMETHASONE = "dexamethasone"
_STATE = {TOCILIZUMAB: TOCILIZUMAB_BODY, DEXAMETHASONE: DEXAMETHASONE_BODY}


@dataclass(frozen=True)
class Decision:
    """A drug due on one study day, and why: the grade that met a guidance threshold (the
    rules that make decisions are in ``safety.guidance``)."""

    day: float
    drug: str
    grade: int
    reason: str


@dataclass(frozen=True)
class ManagementDose:
    """One administration: time (study day, fractional), drug, amount in mg, and the grade and
    reason of the decision it carries out."""

    time: float
    drug: str
    mg: float
    grade: int
    reason: str


def management_doses(decision: Decision, weight_kg: float, catalog: Catalog
                     ) -> tuple[ManagementDose, ...]:
    """The administrations that carry out one ``decision`` for a patient of ``weight_kg``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> icans = Decision(4.0, "dexamethasone", 2, "ICANS grade 2")
    >>> doses = management_doses(icans, 70.0, load_catalog())
    >>> [round(d.time, 3) for d in doses], doses[0].mg
    ([4.083, 4.333, 4.583, 4.833], 10.0)
    >>> crs = Decision(4.0, "tocilizumab", 2, "CRS grade 2")
    >>> management_doses(crs, 120.0, load_catalog())[0].mg
    800.0
    """
    delay = catalog.value("t_delay_management", "day")
    start = decision.day + delay
    if decision.drug == TOCILIZUMAB:
        mg = min(catalog.value("dose_tocilizumab", "mg/kg") * weight_kg,
                 catalog.value("max_dose_tocilizumab", "mg"))
        times = np.array([start])
    else:
        interval = catalog.value("t_interval_dexamethasone", "day")
        times = start + interval * np.arange(int(np.ceil((1.0 - delay) / interval)))
        mg = catalog.value("dose_dexamethasone", "mg")
    return tuple(ManagementDose(float(t), decision.drug, mg, decision.grade, decision.reason)
                 for t in times)


def first_dose_time(doses: Sequence[ManagementDose]) -> float:
    """Time of the earliest of ``doses``, ``inf`` when there is none.

    Examples
    --------
    >>> first_dose_time(()), first_dose_time((ManagementDose(4.1, "tocilizumab", 560.0, 2, ""),))
    (inf, 4.1)
    """
    return min((d.time for d in doses), default=float("inf"))


def dose_events(doses: Sequence[ManagementDose]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event arrays (times, state indices, amounts in mg) of ``doses`` for the engine."""
    return (np.array([d.time for d in doses], dtype=float),
            np.array([_STATE[d.drug] for d in doses], dtype=np.int64),
            np.array([d.mg for d in doses], dtype=float))
