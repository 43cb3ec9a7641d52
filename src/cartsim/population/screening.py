"""Screening virtual candidates against a scenario's eligibility criteria, with a screening log.

``screen`` samples candidates 0, 1, 2, ... of a population (candidate ``i`` is
``sample_patient(..., index=i)``) and enrols those who meet every criterion until enough are
enrolled. It keeps only the enrolled indices (8 bytes a patient) and draws the enrolled virtual
patients again when they are asked for, a slice at a time, so that a trial of 1e5 patients does
not hold 1e5 parameter sets. The log counts, for each criterion, every candidate who fails it (``failed``, a
candidate may fail several) and the candidates it excludes first in the listed order
(``excluded_first``); the funnel uses the first-failed counts, so screened = enrolled + the sum
of ``excluded_first``. Criteria nothing can satisfy stop the search after
``MAX_SCREENING_RATIO`` candidates per wanted patient (at least ``MIN_SCREENING_LIMIT``) with
an error naming each criterion's pass rate. This module must not simulate or randomise arms.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from cartsim.errors import CartsimError
from cartsim.io.eligibility import Criterion
from cartsim.io.scenario import PopulationSpec
from cartsim.model.patient import COVARIATES
from cartsim.parameters.catalog import Catalog
from cartsim.population.covariates import covariate_model, draw_covariates
from cartsim.population.streams import check_seed, patient_draws
from cartsim.population.variability import variability_model
from cartsim.population.virtual_patient import VirtualPatient, sample_patients

MAX_SCREENING_RATIO = 100
"""Candidates screened per wanted patient before screening gives up."""
MIN_SCREENING_LIMIT = 1000
"""Candidates screened at the least before screening gives up (for small studies)."""
_BATCH = 256


@dataclass(frozen=True)
class Screening:
    """The enrolled virtual patients (by candidate index) and the screening log.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> s = screen(load_catalog(), PopulationSpec("rrms"), seed=1, n_enrolled=3)
    >>> s.as_dict()["screened"], s.as_dict()["enrolled"], [vp.index for vp in s.patients_between(1, 3)]
    (3, 3, [1, 2])
    """

    catalog: Catalog = field(repr=False, compare=False)
    population: PopulationSpec
    seed: int
    indices: np.ndarray = field(repr=False, compare=False)
    screened: int
    failed: Mapping[str, int] = field(hash=False)
    excluded_first: Mapping[str, int] = field(hash=False)

    @property
    def enrolled(self) -> int:
        """Number of enrolled patients."""
        return int(self.indices.size)

    @property
    def patients(self) -> tuple[VirtualPatient, ...]:
        """Every enrolled virtual patient, in enrolment order (drawn again on each access)."""
        return self.patients_between(0, self.enrolled)

    def patients_between(self, start: int, stop: int) -> tuple[VirtualPatient, ...]:
        """The enrolled virtual patients at enrolment positions ``start`` to ``stop - 1``."""
        return tuple(sample_patients(self.catalog, self.population, self.seed,
                                     self.indices[start:stop]))

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
        return _log(self)


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
    variability_model(catalog)
    criteria = population.eligibility
    failed = dict.fromkeys((c.text for c in criteria), 0)
    first = dict.fromkeys((c.text for c in criteria), 0)
    enrolled: list[int] = []
    limit = max(MAX_SCREENING_RATIO * n_enrolled, MIN_SCREENING_LIMIT)
    for start in range(0, limit, _BATCH):
        indices = range(start, min(start + _BATCH, limit))
        uniforms, _ = patient_draws(seed, indices, 0)
        drawn = draw_covariates(catalog, population, uniforms)
        eligible = _eligible_rows(drawn, criteria, n_enrolled - len(enrolled), failed, first)
        enrolled += [indices[row] for row in eligible]
        if len(enrolled) == n_enrolled:
            return Screening(catalog, population, seed, np.array(enrolled, dtype=np.int64),
                             enrolled[-1] + 1, MappingProxyType(failed), MappingProxyType(first))
    rates = ", ".join(f'"{text}" {100.0 * (limit - n) / limit:.1f}%' for text, n in failed.items())
    raise CartsimError(
        f"screening stopped after {limit} candidates with {len(enrolled)} of {n_enrolled} "
        f"{population.disease} patients enrolled (at most {MAX_SCREENING_RATIO} candidates are "
        f"screened per patient, at least {MIN_SCREENING_LIMIT}): the eligibility criteria admit "
        f"too few patients. Pass rates: {rates}. Loosen the criteria, or fix covariates in "
        "[population]."
    )


@dataclass(frozen=True)
class CohortScreening:
    """One screened cohort per arm, enrolled one after another (arm 0's patients first).

    It answers like ``Screening`` (``enrolled``, ``patients_between``, ``as_dict``) and also
    says which arm each enrolment position belongs to; the log names each criterion with its
    arm (``"B-ALL: age >= 18"``).
    """

    names: tuple[str, ...]
    cohorts: tuple[Screening, ...]

    @property
    def enrolled(self) -> int:
        """Number of enrolled patients over all cohorts."""
        return sum(c.enrolled for c in self.cohorts)

    @property
    def screened(self) -> int:
        """Number of candidates screened over all cohorts."""
        return sum(c.screened for c in self.cohorts)

    @property
    def failed(self) -> Mapping[str, int]:
        """Failures per criterion, named with their arm."""
        return {f"{name}: {text}": n for name, c in zip(self.names, self.cohorts, strict=True)
                for text, n in c.failed.items()}

    @property
    def excluded_first(self) -> Mapping[str, int]:
        """Exclusions by first failed criterion, named with their arm."""
        return {f"{name}: {text}": n for name, c in zip(self.names, self.cohorts, strict=True)
                for text, n in c.excluded_first.items()}

    @property
    def patients(self) -> tuple[VirtualPatient, ...]:
        """Every enrolled virtual patient, in enrolment order."""
        return self.patients_between(0, self.enrolled)

    def _spans(self, start: int, stop: int) -> Iterator[tuple[int, Screening, int, int]]:
        """(arm, cohort, first, last + 1) positions within each cohort that [start, stop) covers."""
        offset = 0
        for arm, cohort in enumerate(self.cohorts):
            lo, hi = max(start - offset, 0), min(stop - offset, cohort.enrolled)
            if lo < hi:
                yield arm, cohort, lo, hi
            offset += cohort.enrolled

    def patients_between(self, start: int, stop: int) -> tuple[VirtualPatient, ...]:
        """The enrolled virtual patients at joint enrolment positions ``start`` to ``stop - 1``."""
        return tuple(vp for _, cohort, lo, hi in self._spans(start, stop)
                     for vp in cohort.patients_between(lo, hi))

    def arms_between(self, start: int, stop: int) -> tuple[tuple[int, ...], ...]:
        """The arm of each joint enrolment position ``start`` to ``stop - 1``."""
        return tuple((arm,) for arm, _, lo, hi in self._spans(start, stop) for _ in range(lo, hi))

    def as_dict(self) -> dict[str, object]:
        """The joint screening log as plain JSON-ready data."""
        return _log(self)


def _log(screening: Screening | CohortScreening) -> dict[str, object]:
    """The screening log of ``screening`` as plain JSON-ready data."""
    return {
        "screened": screening.screened,
        "enrolled": screening.enrolled,
        "excluded": sum(screening.excluded_first.values()),
        "excluded_first": dict(screening.excluded_first),
        "failed": dict(screening.failed),
        "funnel": "excluded_first",
    }


def screen_cohorts(catalog: Catalog, cohorts: Sequence[tuple[str, PopulationSpec]], seed: int,
                   n_enrolled: int | None = None) -> CohortScreening:
    """Screen one cohort per arm.

    Cohort k enrols ``n_enrolled`` (default: its own ``n_patients``) patients of its population
    with the same seed, so candidate i of every cohort shares its random numbers (common
    random numbers: cohorts differ by their population, not by chance draws).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> s = screen_cohorts(load_catalog(), [("A", PopulationSpec("sle")),
    ...                                     ("B", PopulationSpec("rrms"))], 1, 2)
    >>> [vp.patient.disease for vp in s.patients], s.arms_between(0, 4)
    (['sle', 'sle', 'rrms', 'rrms'], ((0,), (0,), (1,), (1,)))
    """
    return CohortScreening(
        tuple(name for name, _ in cohorts),
        tuple(screen(catalog, population, seed, n_enrolled or population.n_patients)
              for _, population in cohorts))


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
