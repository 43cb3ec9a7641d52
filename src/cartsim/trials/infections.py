"""Serious infections of one simulated patient and arm: a hazard from neutropenia and low IgG.

The daily serious-infection hazard is

    h(t) = (k_base + k_neutropenic * [ANC(t) <= 500/uL]) * (RR_low_IgG if IgG(t) <= 4 g/L else 1)

with the baseline rate of B-cell-depleted patients (ocrelizumab long-term safety, Hauser 2021),
an added rate on severely neutropenic days (A170) and the rate ratio of severe
hypogammaglobulinaemia after CD19 CAR-T (catalogue ``infections.toml``). Infection days are an
inhomogeneous Poisson process drawn by time change from the patient's own stream
(``INFECTION_STREAM``), shared by the arms of a crossover patient, so the draws do not depend on
chunking or workers and never move the relapse draws. This module computes hazards and event
days; it simulates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.parameters.catalog import Catalog
from cartsim.safety import hypogammaglobulinaemia
from cartsim.safety.criteria import ANC_SEVERE_PER_UL
from cartsim.trials.endpoints import relapse_days

INFECTION_STREAM = 4
"""Stream number of a patient's infection draws."""
_LOW_IGG = ("severe", "profound")


@dataclass(frozen=True)
class InfectionRates:
    """The serious-infection rates of one patient (per day) and the low-IgG rate ratio.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> round(InfectionRates.from_catalog(load_catalog()).base_per_day * 36525, 2)
    2.01
    """

    base_per_day: float
    neutropenic_per_day: float
    low_igg_ratio: float

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> InfectionRates:
        """Read the rates from the (patient's) catalogue."""
        return cls(catalog.value("k_serious_infection_base", "1/day"),
                   catalog.value("k_serious_infection_neutropenic", "1/day"),
                   catalog.value("rr_serious_infection_low_igg"))


def cumulative_infection_hazard(t: np.ndarray, anc_per_ul: np.ndarray, igg_g_per_l: np.ndarray,
                                rates: InfectionRates) -> np.ndarray:
    """Expected serious infections from the start of ``t`` (daily grid), left-point rule.

    Examples
    --------
    >>> rates = InfectionRates(0.0, 0.1, 2.0)
    >>> cumulative_infection_hazard(np.arange(4.0), np.array([100.0, 100.0, 900.0, 900.0]),
    ...                             np.array([9.0, 3.0, 3.0, 9.0]), rates).tolist()
    [0.0, 0.1, 0.30000000000000004, 0.30000000000000004]
    """
    neutropenic = anc_per_ul <= ANC_SEVERE_PER_UL
    low_igg = np.isin(hypogammaglobulinaemia(igg_g_per_l), _LOW_IGG)
    hazard = ((rates.base_per_day + rates.neutropenic_per_day * neutropenic)
              * np.where(low_igg, rates.low_igg_ratio, 1.0))
    return np.concatenate(([0.0], np.cumsum(hazard[:-1] * np.diff(t))))


def infection_events(t: np.ndarray, cumulative: np.ndarray, thresholds: np.ndarray
                     ) -> tuple[dict[str, float], list[dict[str, object]]]:
    """Per-patient infection columns and event rows from day 0, given the patient's thresholds.

    Examples
    --------
    >>> row, events = infection_events(np.arange(3.0), np.array([0.0, 0.5, 1.5]),
    ...                                np.array([0.7, 9.0]))
    >>> row["serious_infection_any"], [e["day"] for e in events]
    (1.0, [2.0])
    """
    days = relapse_days(t, cumulative, thresholds)
    years = (t[-1] - max(t[0], 0.0)) / 365.25
    row = {"serious_infection_any": float(days.size > 0),
           "serious_infections_per_year": days.size / years if years > 0 else float("nan")}
    events = [{"event": "serious_infection", "day": float(d), "grade": float("nan"),
               "duration_days": float("nan")} for d in days]
    return row, events
