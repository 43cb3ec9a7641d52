"""Clinical grading of CAR-T toxicity and the link from simulated markers to clinical signs.

Grading (pure functions over scalars or numpy arrays): ``grade_crs`` and ``grade_icans``
(ASTCT consensus, Lee et al. 2019), ``ice_score``, ``grade_icaht`` (EHA/EBMT, Rejeski et al.
2023), ``car_hematotox_score`` / ``car_hematotox_risk`` (Rejeski et al. 2021) and
``hypogammaglobulinaemia``. The link model ``crs_signs`` / ``icans_signs`` turns simulated
IL-6, CRP and BBB activation into signs graded by the same functions, and
``toxicity_episodes`` summarises daily grades. ``read_observations`` with
``grade_crs_table`` / ``grade_icans_table`` grade CSV tables of clinical observations (the
``cartsim grade`` command). This layer consumes results; it never touches the model's
right-hand side. See docs/safety.md.
"""

from cartsim.safety.crs import grade_crs
from cartsim.safety.episodes import ToxicityEpisodes, toxicity_episodes
from cartsim.safety.hematotox import car_hematotox_risk, car_hematotox_score
from cartsim.safety.icaht import IcahtGrades, grade_icaht
from cartsim.safety.icans import grade_icans, ice_score
from cartsim.safety.immunoglobulins import hypogammaglobulinaemia
from cartsim.safety.signs import CrsSigns, IcansSigns, LinkThresholds, crs_signs, icans_signs
from cartsim.safety.tables import grade_crs_table, grade_icans_table, read_observations

__all__ = [
    "CrsSigns",
    "IcahtGrades",
    "IcansSigns",
    "LinkThresholds",
    "ToxicityEpisodes",
    "car_hematotox_risk",
    "car_hematotox_score",
    "crs_signs",
    "grade_crs",
    "grade_crs_table",
    "grade_icaht",
    "grade_icans",
    "grade_icans_table",
    "hypogammaglobulinaemia",
    "icans_signs",
    "ice_score",
    "read_observations",
    "toxicity_episodes",
]
