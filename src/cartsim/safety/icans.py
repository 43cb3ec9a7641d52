"""The ICE score and ICANS in adults graded by the ASTCT consensus (Lee et al. 2019).

``ice_score`` adds up the ten points of the Immune effector Cell-associated Encephalopathy
screen; ``grade_icans`` grades ICANS from the ICE score and the other four domains, the most
severe finding setting the grade. Inputs are scalars or numpy arrays broadcast together; the
boundaries and category names are in ``criteria``. This module must not know where the
findings came from, and it does not grade children (who are assessed with the CAPD instead).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from cartsim.safety.criteria import (
    CEREBRAL_EDEMA,
    CEREBRAL_EDEMA_GRADE,
    CONSCIOUSNESS,
    CONSCIOUSNESS_GRADE,
    ICE_GRADE_BANDS,
    ICE_ITEMS,
    ICE_MAX,
    MOTOR_WEAKNESS_GRADE,
    SEIZURE,
    SEIZURE_GRADE,
)
from cartsim.safety.findings import (
    category_levels,
    check_shapes,
    flags,
    scalar_or_array,
    whole_numbers,
)


def ice_score(orientation: ArrayLike, naming: ArrayLike, following_commands: ArrayLike,
              writing: ArrayLike, attention: ArrayLike) -> int | np.ndarray:
    """Return the ICE score (0-10), the sum of the points of its five items.

    Parameters
    ----------
    orientation:
        Orientation to year, month, city and hospital, 0-4 points.
    naming:
        Naming three objects, 0-3 points.
    following_commands:
        Following simple commands, 0-1 point.
    writing:
        Writing a standard sentence, 0-1 point.
    attention:
        Counting backwards from 100 by ten, 0-1 point.

    Examples
    --------
    >>> ice_score(4, 3, 1, 1, 1)
    10
    >>> ice_score(2, 3, 1, 0, 0)
    6
    """
    items = dict(zip((name for name, _ in ICE_ITEMS),
                     (orientation, naming, following_commands, writing, attention), strict=True))
    points = {name: whole_numbers(items[name], name, "ice_score", low=0, high=most)
              for name, most in ICE_ITEMS}
    check_shapes("ice_score", **points)
    return scalar_or_array(np.asarray(sum(points.values()), dtype=np.int64))


def grade_icans(ice_score: ArrayLike, consciousness: ArrayLike, seizure: ArrayLike,
                motor_weakness: ArrayLike, cerebral_edema: ArrayLike) -> int | np.ndarray:
    """Grade ICANS in adults: the most severe of the five domains sets the grade (0-4).

    ICE score 10 is grade 0, 7-9 grade 1, 3-6 grade 2 and 0-2 grade 3. Depressed
    consciousness is grade 1 (awakens spontaneously) to 4 (unarousable); a rapidly resolving
    seizure or focal oedema is grade 3; a prolonged seizure, deep focal motor weakness or
    diffuse oedema is grade 4. An ICE score of 0 is grade 3 in an awake patient (for example
    with global aphasia) and grade 4 when it is 0 because the patient is unarousable.

    Parameters
    ----------
    ice_score:
        ICE score, an integer 0-10.
    consciousness:
        ``"alert"`` (not depressed), ``"spontaneous"`` (depressed, awakens spontaneously),
        ``"voice"``, ``"tactile"`` or ``"unarousable"`` (or their levels 0-4).
    seizure:
        ``"none"``, ``"rapid_resolving"`` or ``"prolonged"`` (or 0-2).
    motor_weakness:
        Whether there is deep focal motor weakness (hemiparesis, paraparesis).
    cerebral_edema:
        ``"none"``, ``"focal"`` or ``"diffuse"`` (or 0-2).

    Returns
    -------
    The grade (0-4): an int for scalar findings, else an integer array of the broadcast shape.

    Examples
    --------
    >>> grade_icans(8, "alert", "none", False, "none")
    1
    >>> grade_icans(3, "alert", "rapid_resolving", False, "none")
    3
    >>> grade_icans(0, "unarousable", "none", False, "none")
    4
    """
    source = "grade_icans"
    ice = whole_numbers(ice_score, "ice_score", source, low=0, high=ICE_MAX)
    domains = {
        "ice_score": np.select([ice >= lowest for lowest, _ in ICE_GRADE_BANDS],
                               [grade for _, grade in ICE_GRADE_BANDS]),
        "consciousness": np.take(CONSCIOUSNESS_GRADE, category_levels(
            consciousness, CONSCIOUSNESS, "consciousness", source)),
        "seizure": np.take(SEIZURE_GRADE, category_levels(seizure, SEIZURE, "seizure", source)),
        "motor_weakness": np.where(flags(motor_weakness, "motor_weakness", source),
                                   MOTOR_WEAKNESS_GRADE, 0),
        "cerebral_edema": np.take(CEREBRAL_EDEMA_GRADE, category_levels(
            cerebral_edema, CEREBRAL_EDEMA, "cerebral_edema", source)),
    }
    check_shapes(source, **domains)
    grade = np.maximum.reduce(np.broadcast_arrays(*domains.values()))
    return scalar_or_array(np.asarray(grade, dtype=np.int64))
