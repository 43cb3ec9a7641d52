"""Screening virtual candidates against a scenario's eligibility criteria, with a screening log.

``screen`` samples candidates 0, 1, 2, ... of a population (candidate ``i`` is
``sample_patient(..., index=i)``) and enrols those who meet every criterion until enough are
enrolled. The log counts, for each criterion, every candidate who fails it (``failed``, a
candidate may fail several) and the candidates it excludes first in the listed order
(``excluded_first``); the funnel uses the first-failed counts, so screened = enrolled + the sum
of ``excluded_first``. Criteria nothing can satisfy stop the search after
``MAX_SCREENING_RATIO`` candidates per wanted patient (at least ``MIN_SCREENING_LIMIT``) with
an error naming each criterion's pass rate. This module must not simulate or randomise arms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from cartsim.errors import CartsimError
from cartsim.io.eligibility import Criterion
from cartsim.io.scenario import PopulationSpec
from cartsim.model.patient import COVARIATES
from cartsim.parameters.catalog import Catalog
from cartsim.population.covariates import covariate_model, draw_covariates, make_patients
from cartsim.population.streams import check_seed, patient_draws
from cartsim.population.variability import variability_model
from cartsim.population.virtual_patient import VirtualPatient, virtual_patients

MAX_SCREENING_RATIO = 100
"""Candidates screened per wanted patient before screening gives up."""
MIN_SCREENING_LIMIT = 1000
"""Candidates screened at the least before screening gives up (for small studies)."""
_BATCH = 256


@dataclass(frozen=True)
class Screening:
    """The enrolled virtual patients and the screening log.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> s = screen(load_catalog(), PopulationSpec("rrms"), seed=1, n_enrolled=3)
    >>> s.as_dict()["screened"], s.as_dict()["enrolled"]
    (3, 3)
    """

    patients: tuple[VirtualPatient, ...]
    screened: int
    failed: Mapping[str, int] = field(hash=False)
    excluded_first: Mapping[str, int] = field(hash=False)

    @property
    def enrolled(self) -> int:
        """Number of enrolled patients."""
        return len(self.patients)

    def as_dict(self) -> dict[str, object]:
        """The screening log as plain JSON-ready data.

        Examples
        --------
        >>> from cartsim.io.eligibility import parse_criteria
        >>> from cartsim.parameters import load_catalog
        >>> spec = PopulationSpec("rrms", eligibility=parse_criteria(["edss >= 3"], "s", "e"))
        >>> log = screen(load_catalog(), spec, seed=1, n_enrolled=5).as_dict()
        >>> log["screened"] == log["enrolled"] + log["excluded"]
        True
        """
        return {
            "screened": self.screened,
            "enrolled": self.enrolled,
            "excluded": sum(self.excluded_first.values()),
            "excluded_first": dict(self.excluded_first),
            "failed": dict(self.failed),
            "funnel": "excluded_first",
        }


def screen(catalog: Catalog, population: PopulationSpec, seed: int, n_enrolled: int
           ) -> Screening:
    """Screen candidates 0, 1, 2, ... until ``n_enrolled`` meet every eligibility criterion.

    Raises a CartsimError naming every criterion and its pass rate when fewer than
    ``n_enrolled`` are eligible among max(MAX_SCREENING_RATIO x n_enrolled,
    MIN_SCREENING_LIMIT) candidates.

    Examples
    --------
    >>> from cartsim.io.eligibility import parse_criteria
    >>> from cartsim.parameters import load_catalog
    >>> spec = PopulationSpec("rrms", eligibility=parse_criteria(["age >= 40"], "s", "e"))
    >>> s = screen(load_catalog(), spec, seed=2, n_enrolled=10)
    >>> s.enrolled, all(vp.patient.age >= 40 for vp in s.patients)
    (10, True)
    """
    check_seed(seed, 0)
    if isinstance(n_enrolled, bool) or not isinstance(n_enrolled, int) or n_enrolled < 1:
        raise CartsimError(f"the number of patients to enrol must be an integer of 1 or more, "
                           f"not {n_enrolled!r}")
    covariate_model(population)
    variability = variability_model(catalog)
    criteria = population.eligibility
    failed = dict.fromkeys((c.text for c in criteria), 0)
    first = dict.fromkeys((c.text for c in criteria), 0)
    enrolled: list[VirtualPatient] = []
    limit = max(MAX_SCREENING_RATIO * n_enrolled, MIN_SCREENING_LIMIT)
    for start in range(0, limit, _BATCH):
        indices = range(start, min(start + _BATCH, limit))
        uniforms, normals = patient_draws(seed, indices, len(variability.parameters))
        drawn = draw_covariates(catalog, population, uniforms)
        eligible = _eligible_rows(drawn, criteria, n_enrolled - len(enrolled), failed, first)
        patients = make_patients(population.disease, drawn, eligible)
        enrolled += virtual_patients([indices[row] for row in eligible], patients, variability,
                                     normals[eligible])
        if len(enrolled) == n_enrolled:
            return Screening(tuple(enrolled), enrolled[-1].index + 1, MappingProxyType(failed),
                             MappingProxyType(first))
    rates = ", ".join(f'"{text}" {100.0 * (limit - n) / limit:.1f}%' for text, n in failed.items())
    raise CartsimError(
        f"screening stopped after {limit} candidates with {len(enrolled)} of {n_enrolled} "
        f"{population.disease} patients enrolled (at most {MAX_SCREENING_RATIO} candidates are "
        f"screened per patient, at least {MIN_SCREENING_LIMIT}): the eligibility criteria admit "
        f"too few patients. Pass rates: {rates}. Loosen the criteria, or fix covariates in "
        "[population]."
    )


def screen_cohorts(catalog: Catalog, cohorts: Sequence[tuple[str, PopulationSpec]], seed: int,
                   n_enrolled: int | None = None) -> tuple[Screening, list[tuple[int, ...]]]:
    """Screen one cohort per arm and join them, with each patient's arm.

    Cohort k enrols ``n_enrolled`` (default: its own ``n_patients``) patients of its population
    with the same seed, so candidate i of every cohort shares its random numbers (common
    random numbers: cohorts differ by their population, not by chance draws). The joint log
    names each criterion with its arm (``"B-ALL: age >= 18"``).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> s, arms = screen_cohorts(load_catalog(), [("A", PopulationSpec("sle")),
    ...                                          ("B", PopulationSpec("rrms"))], 1, 2)
    >>> [vp.patient.disease for vp in s.patients], arms
    (['sle', 'sle', 'rrms', 'rrms'], [(0,), (0,), (1,), (1,)])
    """
    patients: list[VirtualPatient] = []
    arms: list[tuple[int, ...]] = []
    screened = 0
    failed: dict[str, int] = {}
    first: dict[str, int] = {}
    for arm, (name, population) in enumerate(cohorts):
        cohort = screen(catalog, population, seed, n_enrolled or population.n_patients)
        patients += cohort.patients
        arms += [(arm,)] * cohort.enrolled
        screened += cohort.screened
        failed.update({f"{name}: {text}": n for text, n in cohort.failed.items()})
        first.update({f"{name}: {text}": n for text, n in cohort.excluded_first.items()})
    return (Screening(tuple(patients), screened, MappingProxyType(failed), MappingProxyType(first)),
            arms)


def _eligible_rows(drawn: Mapping[str, np.ndarray], criteria: tuple[Criterion, ...], wanted: int,
                   failed: dict[str, int], first: dict[str, int]) -> list[int]:
    """Rows meeting every criterion, stopping at ``wanted``; counts failures into the logs."""
    columns = {name: drawn[name].tolist() for name in COVARIATES}
    eligible: list[int] = []
    for row in range(len(columns["age"])):
        values = {name: column[row] for name, column in columns.items()}
        failing = [c.text for c in criteria if not c.admits(values)]
        for text in failing:
            failed[text] += 1
        if failing:
            first[failing[0]] += 1
            continue
        eligible.append(row)
        if len(eligible) == wanted:
            break
    return eligible
