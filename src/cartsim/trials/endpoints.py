"""Per-patient endpoints of one arm, from its daily observables and sampled events.

Every endpoint a virtual trial reports is defined here once, with the threshold it uses; the
single-patient summary (``report.summary``) reads the same definitions. Definitions:

- ``cart_peak_blood_per_ul``, ``cart_peak_day``: maximum of blood CAR-T cells and its day
  (CAR-T arms only).
- ``b_cell_nadir_blood_per_ul``: minimum of blood CD19+ B cells.
- ``b_cell_depletion_pct_<compartment>``: 100 minus the minimum of non-plasma B cells as % of
  the untreated level in that compartment; ``plasma_cell_depletion_pct_bone_marrow`` likewise
  for long-lived marrow plasma cells.
- ``b_cell_reappearance_day``: first day after the nadir at which blood B cells that had
  fallen below the detection limit (1 cell/uL) are back at it.
- ``b_cell_repletion_day_after_last_dose`` (antibody arms): days from the last dose within the
  horizon until blood B cells reach the lower limit of normal (40 cells/uL, the ofatumumab label
  definition, clinical_facts T4-16) or the patient's baseline, whichever is lower.
- ``igg_nadir_pct_of_baseline``: minimum serum IgG as % of baseline.
- ``intrathecal_igg_change_pct``, ``nfl_change_pct``: change at the horizon against day 0, %.
- ``annualized_relapse_rate``: sampled relapses from day 0 to the horizon per patient-year.
- ``relapse_free_at_horizon``, ``b_cell_aplasia_at_6_months`` (blood B cells below the
  detection limit on day 182): per-patient 0/1 that become proportions in the summary.
- CRS/ICANS endpoints come from ``cartsim.safety`` (graded daily signs) and are added by the
  trial runner, as are the cytopenia endpoints (``trials.haematotoxicity``: early/late ICAHT,
  ``neutropenia_days_below_500`` from day 0, ANC and platelet nadirs) and serious infections
  (``trials.infections``).
- ``tocilizumab_pct``, ``dexamethasone_pct``: share of patients given at least one dose of the
  drug to manage CRS or ICANS by the guidance (``safety.guidance``); from the per-patient
  ``tocilizumab_any`` / ``dexamethasone_any``, which are NaN (so the proportion is null) in arms
  without CAR-T or with ``management = "none"``. ``tocilizumab_doses`` and
  ``dexamethasone_doses`` count the administrations (dexamethasone 10 mg each).

This module computes numbers from arrays; it runs nothing and draws no random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from cartsim.model.observables import DAYS_PER_YEAR

B_CELL_DETECTION_LIMIT_PER_UL = 1.0
"""Blood B cells below 1 cell/uL count as depleted: about the lower limit of quantification of
routine CD19 flow cytometry, the level at which CAR-T reports call B cells undetectable and
date their reappearance (110 +/- 32 days, Mackensen 2022, clinical_facts T1-04)."""

B_CELL_LOWER_LIMIT_OF_NORMAL_PER_UL = 40.0
"""Lower limit of normal of blood B cells used for antibody repletion (Kesimpta label, T4-16)."""

APLASIA_ASSESSMENT_DAY = 182.0
"""Six months after day 0, the day on which B-cell aplasia is assessed."""

SERIES = (
    "cart_blood_per_ul",
    "bcell_blood_per_ul",
    "bcell_pct_baseline_lymph_node",
    "bcell_pct_baseline_spleen",
    "bcell_pct_baseline_bone_marrow",
    "bcell_pct_baseline_cns",
    "plasma_cell_pct_baseline_bone_marrow",
    "igg_pct_baseline",
    "intrathecal_igg_pct_baseline",
    "nfl_pg_per_ml",
    "il6_pg_per_ml",
    "il6_signalling_pg_per_ml",
    "crp_mg_per_l",
    "bbb_index",
    "expected_relapses",
    "neutrophils_blood_per_ul",
    "platelets_blood_per_nl",
    "igg_g_per_l",
)
"""The observables a trial computes for every patient and arm: what the endpoints, the safety
link and the report figures need, and nothing more (outputs are reduced inside the engine)."""

DISTRIBUTIONS = (
    "cart_peak_blood_per_ul",
    "cart_peak_day",
    "b_cell_nadir_blood_per_ul",
    "b_cell_depletion_pct_lymph_node",
    "b_cell_depletion_pct_cns",
    "b_cell_depletion_pct_bone_marrow",
    "plasma_cell_depletion_pct_bone_marrow",
    "b_cell_reappearance_day",
    "b_cell_repletion_day_after_last_dose",
    "igg_nadir_pct_of_baseline",
    "intrathecal_igg_change_pct",
    "nfl_change_pct",
    "annualized_relapse_rate",
    "neutropenia_days_below_500",
    "anc_nadir_per_ul",
    "platelet_nadir_per_nl",
    "serious_infections_per_year",
)
"""Endpoints summarised as distributions (mean, sd, median, quartiles, n)."""

DETERMINISTIC = tuple(name for name in DISTRIBUTIONS if name != "annualized_relapse_rate")
"""Distribution endpoints that are functions of one patient's trajectories alone, with no random
draws (the relapse rate counts sampled relapses): what a sensitivity analysis can attribute to
parameters."""

PROPORTIONS = {
    "crs_any_pct": "crs_any",
    "crs_grade2plus_pct": "crs_grade2plus",
    "crs_grade3plus_pct": "crs_grade3plus",
    "icans_any_pct": "icans_any",
    "icans_grade3plus_pct": "icans_grade3plus",
    "relapse_free_pct_at_horizon": "relapse_free_at_horizon",
    "b_cell_aplasia_pct_at_6_months": "b_cell_aplasia_at_6_months",
    "icaht_grade3plus_pct": "icaht_grade3plus",
    "serious_infection_pct": "serious_infection_any",
    "tocilizumab_pct": "tocilizumab_any",
    "dexamethasone_pct": "dexamethasone_any",
}
"""Endpoints summarised as proportions (percent with a 95% interval), and the per-patient 0/1
column each is computed from."""


def peak_day(t: np.ndarray, values: np.ndarray) -> float:
    """Day of the maximum, or NaN when the series never rises above zero (no CAR-T given)."""
    if not np.any(values > 0.0):
        return math.nan
    return float(t[int(np.nanargmax(values))])


def reappearance_day(t: np.ndarray, blood_b: np.ndarray) -> float:
    """First day after the nadir at which depleted blood B cells reach the detection limit.

    Examples
    --------
    >>> reappearance_day(np.arange(5.0), np.array([200.0, 0.5, 0.2, 0.8, 3.0]))
    4.0
    """
    if not np.any(blood_b < B_CELL_DETECTION_LIMIT_PER_UL):
        return math.nan
    nadir = int(np.nanargmin(blood_b))
    back = np.flatnonzero(blood_b[nadir:] >= B_CELL_DETECTION_LIMIT_PER_UL)
    return float(t[nadir + back[0]]) if back.size else math.nan


def repletion_day_after_last_dose(t: np.ndarray, blood_b: np.ndarray, last_dose: float | None,
                                  baseline: float) -> float:
    """Days from the last antibody dose until blood B cells reach min(LLN, baseline).

    Examples
    --------
    >>> repletion_day_after_last_dose(np.arange(6.0), np.array([90, 5, 5, 20, 50, 80.0]), 1.0, 90.0)
    3.0
    """
    if last_dose is None:
        return math.nan
    level = min(B_CELL_LOWER_LIMIT_OF_NORMAL_PER_UL, baseline)
    after = np.flatnonzero((t > last_dose) & (blood_b >= level))
    return float(t[after[0]] - last_dose) if after.size else math.nan


def relapse_days(t: np.ndarray, cumulative_hazard: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Days of relapses: when the cumulative hazard since day 0 first reaches each threshold.

    ``thresholds`` are the running sums of unit exponential draws (an inhomogeneous Poisson
    process by time change); the caller draws them, so that arms of one patient can share them.

    Examples
    --------
    >>> relapse_days(np.arange(4.0), np.array([0.0, 0.5, 1.0, 1.5]), np.array([0.7, 2.0]))
    array([2.])
    """
    start = int(np.searchsorted(t, 0.0))
    since_zero = cumulative_hazard[start:] - cumulative_hazard[start]
    hit = np.searchsorted(since_zero, thresholds[thresholds <= since_zero[-1]])
    return t[start:][hit]


def arm_endpoints(t: np.ndarray, series: Mapping[str, np.ndarray], relapses: np.ndarray,
                  last_dose: float | None, is_car_t: bool) -> dict[str, float]:
    """Every distribution endpoint and the relapse/aplasia indicators of one patient and arm."""
    blood_b = series["bcell_blood_per_ul"]
    day0 = int(np.searchsorted(t, 0.0))
    years = (t[-1] - t[day0]) / DAYS_PER_YEAR
    cart = series["cart_blood_per_ul"]
    aplasia_index = int(np.searchsorted(t, APLASIA_ASSESSMENT_DAY))
    aplasia = (float(blood_b[aplasia_index] < B_CELL_DETECTION_LIMIT_PER_UL)
               if aplasia_index < t.size else math.nan)

    def depletion(name: str) -> float:
        return 100.0 - float(np.min(series[name]))

    def change(name: str) -> float:
        return 100.0 * (float(series[name][-1]) / float(series[name][day0]) - 1.0)

    return {
        "cart_peak_blood_per_ul": float(np.max(cart)) if is_car_t else math.nan,
        "cart_peak_day": peak_day(t, cart) if is_car_t else math.nan,
        "b_cell_nadir_blood_per_ul": float(np.min(blood_b)),
        "b_cell_depletion_pct_lymph_node": depletion("bcell_pct_baseline_lymph_node"),
        "b_cell_depletion_pct_cns": depletion("bcell_pct_baseline_cns"),
        "b_cell_depletion_pct_bone_marrow": depletion("bcell_pct_baseline_bone_marrow"),
        "plasma_cell_depletion_pct_bone_marrow": depletion("plasma_cell_pct_baseline_bone_marrow"),
        "b_cell_reappearance_day": reappearance_day(t, blood_b),
        "b_cell_repletion_day_after_last_dose": repletion_day_after_last_dose(
            t, blood_b, last_dose, float(blood_b[0])),
        "igg_nadir_pct_of_baseline": float(np.min(series["igg_pct_baseline"])),
        "intrathecal_igg_change_pct": change("intrathecal_igg_pct_baseline"),
        "nfl_change_pct": change("nfl_pg_per_ml"),
        "annualized_relapse_rate": relapses.size / years,
        "relapse_free_at_horizon": float(relapses.size == 0),
        "b_cell_aplasia_at_6_months": aplasia,
    }
