"""The link model: daily clinical signs of CRS and ICANS from a simulated patient's markers.

The mechanistic model predicts plasma IL-6 (pg/mL), CRP (mg/L) and the endothelial/BBB
activation index b (dimensionless; 0 when resting, about (k_bbb_activation / k_bbb_recovery)
times the sum of two saturating drives, IL-6 and CNS CAR-T cells, each 0-1, so at most 4 with
the default parameters; see ``model/cytokines.py``). Clinicians grade signs, not cytokines, so
this module turns the markers into the signs the ASTCT consensus grades:

- temperature rises log-linearly with IL-6 from the baseline temperature at baseline IL-6 to
  38.0 C (fever) at ``il6_fever`` (IL-6 is the main endogenous pyrogen);
- hypotension needs fluids, one vasopressor or several from three IL-6 thresholds (IL-6 drives
  vasodilatation and capillary leak, and its blockade reverses the hypotension of CRS);
- hypoxia needs low-flow, high-flow oxygen or positive pressure from three CRP thresholds (the
  lung capillary leak builds up over a day, and CRP integrates IL-6 over its 19-h half-life);
- the ICE score is 10 up to ``bbb_ice_onset``, 0 from ``bbb_ice_zero``, and in between falls
  through 9 to 1 in equal steps of the index; from ``bbb_cerebral_edema`` the patient has
  diffuse cerebral oedema and is unarousable.

Seizures, focal motor weakness, focal oedema and lesser drowsiness are not simulated (no cited
marker maps onto them; lesser drowsiness would not change the grade the ICE score sets), so
those signs stay "none"/false/"alert". Every threshold is a catalogue record (``safety.toml``)
read through ``load_catalog()``. The signs are graded by the same functions as clinical
observations. This module consumes results only: it must not import the model's right-hand
side or change the ODE model.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike

from cartsim.errors import InputTableError, ParameterError
from cartsim.parameters import Catalog, load_catalog
from cartsim.safety.criteria import (
    CEREBRAL_EDEMA,
    CONSCIOUSNESS,
    FEVER_C,
    ICE_MAX,
    TEMPERATURE_RANGE_C,
)
from cartsim.safety.crs import grade_crs
from cartsim.safety.findings import numbers
from cartsim.safety.icans import grade_icans

_UNITS = {"il6": "pg/mL", "crp": "mg/L", "temp": "degC", "bbb": ""}
_ORDERED = (
    ("il6_plasma_0", "il6_fever", "il6_hypotension_fluids", "il6_hypotension_vasopressor",
     "il6_hypotension_multiple_vasopressors"),
    ("crp_hypoxia_low_flow", "crp_hypoxia_high_flow", "crp_hypoxia_positive_pressure"),
    ("bbb_ice_onset", "bbb_ice_zero", "bbb_cerebral_edema"),
)


@dataclass(frozen=True)
class LinkThresholds:
    """The thresholds of the link model, in pg/mL (IL-6), mg/L (CRP), degC and index units.

    Examples
    --------
    >>> thresholds = LinkThresholds.from_catalog()
    >>> thresholds.il6_fever < thresholds.il6_hypotension_fluids
    True
    """

    il6_plasma_0: float
    temp_core_baseline: float
    il6_fever: float
    il6_hypotension_fluids: float
    il6_hypotension_vasopressor: float
    il6_hypotension_multiple_vasopressors: float
    crp_hypoxia_low_flow: float
    crp_hypoxia_high_flow: float
    crp_hypoxia_positive_pressure: float
    bbb_ice_onset: float
    bbb_ice_zero: float
    bbb_cerebral_edema: float

    @classmethod
    def from_catalog(cls, catalog: Catalog | None = None) -> LinkThresholds:
        """Read the thresholds from ``catalog`` (default: the package catalogue), checking order.

        Each series must rise strictly (baseline IL-6 < fever < fluids < one vasopressor <
        several; low-flow < high-flow < positive pressure; ICE onset < ICE 0 < oedema), and the
        baseline temperature must be below fever, or a ParameterError names the pair at fault.

        Examples
        --------
        >>> LinkThresholds.from_catalog().bbb_ice_onset < LinkThresholds.from_catalog().bbb_ice_zero
        True
        """
        catalog = catalog if catalog is not None else load_catalog()
        values = {f.name: catalog.value(f.name, _UNITS[f.name.split("_")[0]]) for f in fields(cls)}
        for series in _ORDERED:
            for lower, upper in pairwise(series):
                if not values[lower] < values[upper]:
                    raise ParameterError(
                        f'safety link: "{lower}" ({values[lower]:g}) must be below "{upper}" '
                        f"({values[upper]:g}), or the signs would not worsen in order; fix the "
                        "catalogue values or overrides")
        if not values["temp_core_baseline"] < FEVER_C:
            raise ParameterError(f'safety link: "temp_core_baseline" '
                                 f"({values['temp_core_baseline']:g} degC) must be below the "
                                 f"fever threshold {FEVER_C:g} degC")
        return cls(**values)


@dataclass(frozen=True)
class CrsSigns:
    """Daily CRS signs: temperature (C) and the levels of hypotension and oxygen.

    ``hypotension`` and ``oxygen`` hold levels, indices into ``criteria.HYPOTENSION`` and
    ``criteria.OXYGEN``; ``np.asarray(HYPOTENSION)[signs.hypotension]`` gives the names.

    Examples
    --------
    >>> crs_signs([[5.0, 60.0, 300.0]], [[1.0, 12.0, 60.0]]).grade().tolist()
    [[0, 1, 2]]
    """

    temperature_c: np.ndarray
    hypotension: np.ndarray
    oxygen: np.ndarray

    def grade(self, fever_masked: ArrayLike = False) -> np.ndarray:
        """Grade the signs by the ASTCT consensus.

        ``fever_masked`` (broadcast with the signs) marks the days after tocilizumab or
        steroids were given, on which the consensus grades by hypotension and hypoxia alone.
        """
        return np.asarray(grade_crs(self.temperature_c, self.hypotension, self.oxygen,
                                    fever_masked))


@dataclass(frozen=True)
class IcansSigns:
    """Daily ICANS signs: ICE score, and levels of consciousness, seizure and oedema.

    Level arrays index ``criteria.CONSCIOUSNESS``, ``criteria.SEIZURE`` and
    ``criteria.CEREBRAL_EDEMA``; ``motor_weakness`` is boolean.

    Examples
    --------
    >>> icans_signs([[0.0, 1.5, 4.0]]).grade().tolist()
    [[0, 2, 4]]
    """

    ice_score: np.ndarray
    consciousness: np.ndarray
    seizure: np.ndarray
    motor_weakness: np.ndarray
    cerebral_edema: np.ndarray

    def grade(self) -> np.ndarray:
        """Grade the signs by the ASTCT consensus for adults."""
        return np.asarray(grade_icans(self.ice_score, self.consciousness, self.seizure,
                                      self.motor_weakness, self.cerebral_edema))


def crs_signs(il6_pg_per_ml: ArrayLike, crp_mg_per_l: ArrayLike,
              thresholds: LinkThresholds | None = None) -> CrsSigns:
    """Turn daily plasma IL-6 and CRP into temperature, hypotension and oxygen signs.

    Parameters
    ----------
    il6_pg_per_ml:
        Daily IL-6, any shape, typically ``(patients, days)``.
    crp_mg_per_l:
        Daily CRP of the same shape.
    thresholds:
        The link thresholds; default ``LinkThresholds.from_catalog()``.

    Examples
    --------
    >>> signs = crs_signs([5.0, 1000.0], [1.0, 250.0])
    >>> signs.temperature_c.round(1).tolist(), signs.hypotension.tolist(), signs.oxygen.tolist()
    ([37.0, 40.0], [0, 2], [0, 2])
    """
    link = thresholds if thresholds is not None else LinkThresholds.from_catalog()
    il6 = numbers(il6_pg_per_ml, "il6_pg_per_ml", "crs_signs", low=0.0, unit="pg/mL")
    crp = numbers(crp_mg_per_l, "crp_mg_per_l", "crs_signs", low=0.0, unit="mg/L")
    if il6.shape != crp.shape:
        raise InputTableError("crs_signs", "arguments", f"IL-6 {il6.shape} and CRP {crp.shape} "
                              "must have the same shape, one value per patient-day")
    rise = (np.log(np.maximum(il6, link.il6_plasma_0) / link.il6_plasma_0)
            / np.log(link.il6_fever / link.il6_plasma_0))
    temperature = link.temp_core_baseline + (FEVER_C - link.temp_core_baseline) * rise
    fever = il6 >= link.il6_fever
    temperature = np.where(fever, np.maximum(temperature, FEVER_C),
                           np.minimum(temperature, np.nextafter(FEVER_C, 0.0)))
    hypotension = np.searchsorted(
        [link.il6_hypotension_fluids, link.il6_hypotension_vasopressor,
         link.il6_hypotension_multiple_vasopressors], il6, side="right")
    oxygen = np.searchsorted(
        [link.crp_hypoxia_low_flow, link.crp_hypoxia_high_flow,
         link.crp_hypoxia_positive_pressure], crp, side="right")
    return CrsSigns(temperature_c=np.minimum(temperature, TEMPERATURE_RANGE_C[1]),
                    hypotension=hypotension, oxygen=oxygen)


def icans_signs(bbb_index: ArrayLike, thresholds: LinkThresholds | None = None) -> IcansSigns:
    """Turn the daily endothelial/BBB activation index into ICANS signs.

    Parameters
    ----------
    bbb_index:
        Daily BBB activation index (dimensionless, >= 0), typically ``(patients, days)``.
    thresholds:
        The link thresholds; default ``LinkThresholds.from_catalog()``.

    Examples
    --------
    >>> icans_signs([0.5, 1.5, 2.5, 4.0]).ice_score.tolist()
    [10, 4, 0, 0]
    """
    link = thresholds if thresholds is not None else LinkThresholds.from_catalog()
    index = numbers(bbb_index, "bbb_index", "icans_signs", low=0.0)
    encephalopathy = ((index - link.bbb_ice_onset) / (link.bbb_ice_zero - link.bbb_ice_onset))
    steps = ICE_MAX - 1
    partial = steps - np.floor(np.round(steps * np.clip(encephalopathy, 0.0, 1.0), 9))
    ice = np.where(encephalopathy <= 0.0, ICE_MAX,
                   np.where(encephalopathy >= 1.0, 0, partial)).astype(np.int64)
    severe = index >= link.bbb_cerebral_edema
    none = np.zeros(index.shape, dtype=np.int64)
    return IcansSigns(
        ice_score=ice,
        consciousness=np.where(severe, CONSCIOUSNESS.index("unarousable"), none),
        seizure=none,
        motor_weakness=np.zeros(index.shape, dtype=bool),
        cerebral_edema=np.where(severe, CEREBRAL_EDEMA.index("diffuse"), none),
    )
