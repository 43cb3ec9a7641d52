"""Cytokine release syndrome graded by the ASTCT consensus (Lee et al. 2019).

``grade_crs`` takes the findings of one or many patient-days (numpy arrays broadcast together)
and returns grades 0-4 (grade 5, death, is not graded from findings). The boundaries and the
category names are in ``criteria``. This module must not know where the findings came from:
simulated signs and clinical observations are graded by the same function.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from cartsim.safety.criteria import (
    FEVER_C,
    FEVER_ONLY_GRADE,
    HYPOTENSION,
    HYPOTENSION_GRADE,
    OXYGEN,
    OXYGEN_GRADE,
    TEMPERATURE_RANGE_C,
)
from cartsim.safety.findings import (
    category_levels,
    check_shapes,
    flags,
    numbers,
    scalar_or_array,
)

_SOURCE = "grade_crs"


def grade_crs(temperature_c: ArrayLike, hypotension: ArrayLike, oxygen: ArrayLike,
              fever_masked: ArrayLike = False) -> int | np.ndarray:
    """Grade CRS by the ASTCT consensus: the worse of hypotension and hypoxia, given fever.

    Fever (>= 38.0 C) is required: without it there is no CRS (grade 0), whatever the blood
    pressure and oxygen, because hypotension or hypoxia without fever is attributed to another
    cause. With fever alone the grade is 1; otherwise the more severe of hypotension (fluids 2,
    one vasopressor 3, several vasopressors 4) and hypoxia (low-flow oxygen <= 6 L/min 2,
    high-flow or facemask 3, positive pressure 4) sets the grade.

    Masked fever: once a patient with CRS has received antipyretics, tocilizumab or steroids,
    the consensus no longer requires fever and grades by hypotension and hypoxia alone. Pass
    ``fever_masked=True`` for such patient-days: a temperature below 38 C then no longer
    rules CRS out, and the grade is that of hypotension and hypoxia (0 when both are absent,
    since an ongoing grade 1 cannot be told from resolution without fever). A measured fever
    still counts when ``fever_masked`` is true.

    Parameters
    ----------
    temperature_c:
        Highest body temperature of the day, in degrees Celsius (30-45).
    hypotension:
        ``"none"``, ``"fluids"``, ``"one_vasopressor"`` or ``"multiple_vasopressors"`` (or
        their levels 0-3).
    oxygen:
        ``"none"``, ``"low_flow"``, ``"high_flow"`` or ``"positive_pressure"`` (or 0-3).
    fever_masked:
        Whether fever is masked by antipyretics, tocilizumab or steroids.

    Returns
    -------
    The grade (0-4): an int for scalar findings, else an integer array of the broadcast shape.

    Examples
    --------
    >>> grade_crs(38.5, "none", "none")
    1
    >>> grade_crs(38.9, "one_vasopressor", "low_flow")
    3
    >>> grade_crs(37.2, "fluids", "none"), grade_crs(37.2, "fluids", "none", fever_masked=True)
    (0, 2)
    >>> grade_crs([37.0, 39.0], ["none", "fluids"], "none")
    array([0, 2])
    """
    temperature = numbers(temperature_c, "temperature_c", _SOURCE, low=TEMPERATURE_RANGE_C[0],
                          high=TEMPERATURE_RANGE_C[1], unit="C")
    pressure = np.take(HYPOTENSION_GRADE,
                       category_levels(hypotension, HYPOTENSION, "hypotension", _SOURCE))
    hypoxia = np.take(OXYGEN_GRADE, category_levels(oxygen, OXYGEN, "oxygen", _SOURCE))
    masked = flags(fever_masked, "fever_masked", _SOURCE)
    check_shapes(_SOURCE, temperature_c=temperature, hypotension=pressure, oxygen=hypoxia,
                 fever_masked=masked)
    organ = np.maximum(pressure, hypoxia)
    fever = temperature >= FEVER_C
    grade = np.where(fever, np.maximum(organ, FEVER_ONLY_GRADE), np.where(masked, organ, 0))
    return scalar_or_array(np.asarray(grade, dtype=np.int64))
