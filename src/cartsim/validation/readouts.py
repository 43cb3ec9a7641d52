"""Readouts: functions from one simulated patient's daily observables to a compared quantity.

A readout gets the patient's daily grid ``t`` (days after infusion or first dose), the
observables of the case's arm (and of a reference arm, for ratios) and the patient's parameter
catalogue, and returns one number: a day, a share, a half-life, or 1/0 for an indicator that a
cohort turns into a proportion. Options (a day, an observable name) come from the case file.
Windows and detection limits are defined here once, with their reasons. This module computes
numbers from finished trajectories; it integrates nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from cartsim.model.observables import OBSERVABLE_BY_NAME
from cartsim.parameters import Catalog
from cartsim.safety import LinkThresholds
from cartsim.therapies.management import TOCILIZUMAB, ManagementDose, first_dose_time
from cartsim.trials.endpoints import B_CELL_DETECTION_LIMIT_PER_UL, peak_day, reappearance_day
from cartsim.trials.toxicity import simulated_toxicity

INITIAL_DECLINE_WINDOW_DAYS = 14.0
"""Days after the CAR-T peak over which the initial decline is fitted. In Stein 2019's
bi-exponential decline (FB 0.0079, alpha 0.16/day, beta 0.0032/day) the rapid phase still makes
up 93% of the level 14 days after the peak, so the slope there is alpha's."""

TERMINAL_PHASE_START_DAY = 120.0
"""First day of the terminal-phase fit. In Stein 2019 the slow phase overtakes the rapid one
ln((1 - FB) / FB) / (alpha - beta) = 31 days after the peak; from day 120 (about 3 half-lives of
the rapid phase later again) the slope is beta's to within 1%."""

NAIVE_SUBSETS = ("transitional", "naive")
"""Blood subsets counted as naive by flow cytometry (CD27- IgD+, non-switched)."""
NON_PLASMA_SUBSETS = ("pre_b", "transitional", "naive", "memory")
"""The blood B cells of ``bcell_blood_per_ul`` (plasma cells and plasmablasts excluded)."""


@dataclass(frozen=True)
class PatientSeries:
    """One patient's daily observables of the case arm (and reference arm), with its catalogue."""

    t: np.ndarray
    arm: Mapping[str, np.ndarray]
    reference: Mapping[str, np.ndarray] | None
    catalog: Catalog
    management_doses: tuple[ManagementDose, ...] = ()
    """The tocilizumab and dexamethasone doses given in the case arm (CRS/ICANS management)."""

    @property
    def first_management_dose(self) -> float:
        """Time of the first tocilizumab or dexamethasone dose of the case arm (inf: none)."""
        return first_dose_time(self.management_doses)


@dataclass(frozen=True)
class Readout:
    """A named readout: its unit ("indicator" for 1/0), options and function.

    ``unit`` None means the unit of the observable named by the ``observable`` option.
    """

    name: str
    description: str
    unit: str | None
    options: Mapping[str, type]
    function: Callable[..., float]
    needs_reference: bool = False

    def unit_for(self, options: Mapping[str, object]) -> str:
        """The unit of this readout with ``options``."""
        return self.unit if self.unit is not None else OBSERVABLE_BY_NAME[str(options["observable"])].unit


def _index(t: np.ndarray, day: float) -> int:
    index = int(np.searchsorted(t, day))
    return index if index < t.size and t[index] == day else -1


def _at(t: np.ndarray, values: np.ndarray, day: float) -> float:
    index = _index(t, day)
    return float(values[index]) if index >= 0 else math.nan


def _window(t: np.ndarray, values: np.ndarray, start: float, end: float) -> np.ndarray:
    return values[(t >= start) & (t <= end)]


def _half_life(t: np.ndarray, values: np.ndarray, start: float, end: float) -> float:
    """ln 2 over minus the least-squares slope of log ``values`` on [start, end] (inf if flat)."""
    keep = (t >= start) & (t <= end) & (values > 0)
    if keep.sum() < 2:
        return math.nan
    slope = np.polyfit(t[keep], np.log(values[keep]), 1)[0]
    return math.log(2) / -slope if slope < 0 else math.inf


def _expansion(s: PatientSeries) -> tuple[float, float, float]:
    """Start day, peak day and fold of the CAR-T expansion phase in blood.

    The phase starts at the lowest blood level between day 0 and the peak, reached once the
    infused cells have distributed into tissues, and ends at the peak.
    """
    t, cart = s.t, s.arm["cart_blood_per_ul"]
    peak = peak_day(t, cart)
    if not math.isfinite(peak):
        return math.nan, math.nan, math.nan
    rising = (t >= 0) & (t <= peak)
    start = int(np.flatnonzero(rising)[np.argmin(cart[rising])])
    trough = float(cart[start])
    fold = float(np.max(cart)) / trough if trough > 0 else math.inf
    return float(t[start]), peak, fold


def b_cell_reappearance_day(s: PatientSeries) -> float:
    """Day blood B cells are back at the detection limit after falling below it (endpoints)."""
    return reappearance_day(s.t, s.arm["bcell_blood_per_ul"])


def naive_share_after_reappearance(s: PatientSeries, days_after: float) -> float:
    """Naive and transitional cells, % of blood B cells, ``days_after`` days after reappearance."""
    back = b_cell_reappearance_day(s)
    if not math.isfinite(back):
        return math.nan
    day = back + days_after

    def total(subsets: tuple[str, ...]) -> float:
        return sum(_at(s.t, s.arm[f"bcell_{sub}_blood"], day) for sub in subsets)

    return 100.0 * total(NAIVE_SUBSETS) / total(NON_PLASMA_SUBSETS)


def crs_at_least(s: PatientSeries, grade: int) -> float:
    """1 when the worst simulated ASTCT CRS grade from day 0 on is at least ``grade``, else 0."""
    toxicity = simulated_toxicity(s.t, s.arm["il6_signalling_pg_per_ml"], s.arm["crp_mg_per_l"],
                                  s.arm["bbb_index"], LinkThresholds.from_catalog(s.catalog),
                                  s.first_management_dose)
    return float(toxicity.summary["crs_max_grade"] >= grade)


def tocilizumab_given(s: PatientSeries) -> float:
    """1 when the management policy of the case arm gave tocilizumab at least once, else 0."""
    return float(any(dose.drug == TOCILIZUMAB for dose in s.management_doses))


def cart_peak_day(s: PatientSeries) -> float:
    """Day of the highest blood CAR-T count (Tmax)."""
    return peak_day(s.t, s.arm["cart_blood_per_ul"])


def cart_fold_expansion(s: PatientSeries) -> float:
    """Peak blood CAR-T over the level at the start of the expansion phase."""
    return _expansion(s)[2]


def cart_doubling_time(s: PatientSeries) -> float:
    """Mean doubling time of blood CAR-T over the expansion phase: ln 2 x duration / ln(fold).

    This is Stein 2019's definition, in which fold expansion = exp(rho x Tmax).
    """
    start, peak, fold = _expansion(s)
    return math.log(2) * (peak - start) / math.log(fold) if fold > 1 else math.inf


def cart_initial_half_life(s: PatientSeries) -> float:
    """Half-life of blood CAR-T over the INITIAL_DECLINE_WINDOW_DAYS after the peak."""
    peak = cart_peak_day(s)
    return _half_life(s.t, s.arm["cart_blood_per_ul"], peak, peak + INITIAL_DECLINE_WINDOW_DAYS)


def cart_terminal_half_life(s: PatientSeries) -> float:
    """Half-life of blood CAR-T from TERMINAL_PHASE_START_DAY to the horizon."""
    return _half_life(s.t, s.arm["cart_blood_per_ul"], TERMINAL_PHASE_START_DAY, float(s.t[-1]))


def lymph_node_complete_depletion(s: PatientSeries) -> float:
    """1 when lymph-node B cells fall to ``residual_pct_lymph_node_depleted`` or less (A202)."""
    lowest = float(np.min(_window(s.t, s.arm["bcell_pct_baseline_lymph_node"], 0.0, s.t[-1])))
    return float(lowest <= s.catalog.value("residual_pct_lymph_node_depleted"))


def value_on_day(s: PatientSeries, observable: str, day: float) -> float:
    """The observable on ``day``."""
    return _at(s.t, s.arm[observable], day)


def b_cells_undetectable_on_day(s: PatientSeries, day: float) -> float:
    """1 when blood B cells are below the detection limit on ``day``, else 0."""
    return float(value_on_day(s, "bcell_blood_per_ul", day) < B_CELL_DETECTION_LIMIT_PER_UL)


def minimum_between(s: PatientSeries, observable: str, from_day: float, to_day: float) -> float:
    """Lowest value of the observable from ``from_day`` to ``to_day``."""
    return float(np.min(_window(s.t, s.arm[observable], from_day, to_day)))


def maximum_between(s: PatientSeries, observable: str, from_day: float, to_day: float) -> float:
    """Highest value of the observable from ``from_day`` to ``to_day``."""
    return float(np.max(_window(s.t, s.arm[observable], from_day, to_day)))


def relapse_rate_ratio(s: PatientSeries) -> float:
    """Expected relapses from day 0 to the horizon in the arm over those in the reference arm."""
    def relapses(series: Mapping[str, np.ndarray]) -> float:
        expected = series["expected_relapses"]
        return float(expected[-1] - _at(s.t, expected, 0.0))

    assert s.reference is not None
    return relapses(s.arm) / relapses(s.reference)


def csf_serum_antibody_ratio_pct(s: PatientSeries) -> float:
    """CSF over serum antibody concentration, %: the model sets CSF exposure to kp_antibody_cns
    times serum (model.anti_cd20), so this reads the parameter chain, not a dynamic result."""
    return 100.0 * s.catalog.value("kp_antibody_cns")


def _register() -> dict[str, Readout]:
    window = {"observable": str, "from_day": float, "to_day": float}
    readouts = [
        Readout("b_cell_reappearance_day", b_cell_reappearance_day.__doc__, "day", {},
                b_cell_reappearance_day),
        Readout("naive_share_after_reappearance", naive_share_after_reappearance.__doc__, "percent",
                {"days_after": float}, naive_share_after_reappearance),
        Readout("crs_at_least", crs_at_least.__doc__, "indicator", {"grade": int}, crs_at_least),
        Readout("tocilizumab_given", tocilizumab_given.__doc__, "indicator", {}, tocilizumab_given),
        Readout("cart_peak_day", cart_peak_day.__doc__, "day", {}, cart_peak_day),
        Readout("cart_fold_expansion", cart_fold_expansion.__doc__, "", {}, cart_fold_expansion),
        Readout("cart_doubling_time", cart_doubling_time.__doc__, "day", {}, cart_doubling_time),
        Readout("cart_initial_half_life", cart_initial_half_life.__doc__, "day", {},
                cart_initial_half_life),
        Readout("cart_terminal_half_life", cart_terminal_half_life.__doc__, "day", {},
                cart_terminal_half_life),
        Readout("lymph_node_complete_depletion", lymph_node_complete_depletion.__doc__, "indicator",
                {}, lymph_node_complete_depletion),
        Readout("value_on_day", value_on_day.__doc__, None, {"observable": str, "day": float},
                value_on_day),
        Readout("b_cells_undetectable_on_day", b_cells_undetectable_on_day.__doc__, "indicator",
                {"day": float}, b_cells_undetectable_on_day),
        Readout("minimum_between", minimum_between.__doc__, None, window, minimum_between),
        Readout("maximum_between", maximum_between.__doc__, None, window, maximum_between),
        Readout("relapse_rate_ratio", relapse_rate_ratio.__doc__, "", {}, relapse_rate_ratio,
                needs_reference=True),
        Readout("csf_serum_antibody_ratio_pct", csf_serum_antibody_ratio_pct.__doc__, "percent", {},
                csf_serum_antibody_ratio_pct),
    ]
    return {r.name: r for r in readouts}


READOUTS: Mapping[str, Readout] = MappingProxyType(_register())
"""Every readout a case may name."""
