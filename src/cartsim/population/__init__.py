"""Virtual patients for virtual trials: covariates, parameter variability and screening.

Patient ``i`` of a study with seed ``s`` is drawn from its own stream ``[s, i]`` and is the same
whatever the chunking or number of workers. Public API: ``sample_patient``, ``screen`` (with
its ``Screening`` log), ``covariate_table`` and the ``VirtualPatient`` noun; distributions,
sources and screening rules are in ``docs/population.md``. This layer reads ``parameters/``,
``model/`` and ``io/`` declarations and must not import ``solve/`` or ``trials/``.
"""

from cartsim.population.screening import (
    MAX_SCREENING_RATIO,
    MIN_SCREENING_LIMIT,
    CohortScreening,
    Screening,
    screen,
    screen_cohorts,
)
from cartsim.population.table import covariate_table
from cartsim.population.virtual_patient import VirtualPatient, sample_patient

__all__ = [
    "MAX_SCREENING_RATIO",
    "MIN_SCREENING_LIMIT",
    "CohortScreening",
    "Screening",
    "VirtualPatient",
    "covariate_table",
    "sample_patient",
    "screen",
    "screen_cohorts",
]
