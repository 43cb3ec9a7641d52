"""Published rates of severe CRS and ICANS after CD19 CAR-T, by population, as data.

``published_rates`` reads ``published_toxicity.toml`` (next to this module): for each
population (``b_all``, ``lbcl``, ``sle``, ``ms``) and endpoint (``crs_grade3plus_pct``,
``icans_grade3plus_pct``) the low and high published percentage, the studies, the source key
(in ``parameters/references.bib``), the location in the evidence base and whether it was
verified. A rate may instead list its trial cohorts (``[[rate.cohort]]``: percent, events
among n patients, citation); its low and high are then the extremes of the cohorts, and
``published_cohorts`` gives the cohorts by id, so that validation facts read the same numbers
rather than copying them. ``population_group`` maps a disease of the model onto those
populations. The numbers are compared with simulated rates in the burden-contrast figure and
the validation cases; this module neither simulates nor grades.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from cartsim.errors import ParameterError, did_you_mean, one_of
from cartsim.model.patient import MS_COURSES
from cartsim.parameters.toml_file import read_tables

_FILE = Path(__file__).with_name("published_toxicity.toml")
ENDPOINTS = ("crs_grade3plus_pct", "icans_grade3plus_pct")
_FROM_COHORTS = ("low", "high", "source", "location")
"""Fields of a rate that follow from its cohorts when it lists them."""
_RATE_FIELDS = ("population", "endpoint", "low", "high", "studies", "source", "location",
                "verified", "cohort")
_RATE_REQUIRED = ("population", "endpoint", "studies", "verified")


@dataclass(frozen=True)
class PublishedCohort:
    """One trial cohort behind a published rate: ``events`` of ``n`` patients, ``percent`` as printed.

    ``id`` is how validation facts name it (``published = "<id>"`` in facts.toml).
    """

    id: str
    percent: float
    events: int
    n: int
    evidence: str
    source: str
    location: str


@dataclass(frozen=True)
class PublishedRate:
    """One published range of a severe-toxicity rate in one population (percent)."""

    population: str
    endpoint: str
    low: float
    high: float
    studies: str
    source: str
    location: str
    verified: bool
    cohorts: tuple[PublishedCohort, ...] = ()


def published_rates(path: Path = _FILE) -> tuple[PublishedRate, ...]:
    """All published ranges in ``path`` (default: the bundled table).

    Examples
    --------
    >>> rates = published_rates()
    >>> [(r.low, r.high) for r in rates if (r.population, r.endpoint) == ("lbcl", "crs_grade3plus_pct")]
    [(11.0, 22.0)]
    """
    rates = read_tables(path, "rate", "published range under [[rate]]")
    return tuple(_rate(dict(entry), path) for entry in rates)


def published_cohorts(path: Path = _FILE) -> dict[str, PublishedCohort]:
    """Every cohort listed under a rate of ``path``, by id.

    Examples
    --------
    >>> juliet = published_cohorts()["juliet_crs_grade3plus"]
    >>> juliet.source, juliet.n
    ('schuster2019', 93)
    """
    return {c.id: c for rate in published_rates(path) for c in rate.cohorts}


def population_group(disease: str) -> str:
    """The published-rate population of a model disease (the MS courses are one group).

    Examples
    --------
    >>> population_group("ppms"), population_group("b_all")
    ('ms', 'b_all')
    """
    return "ms" if disease in MS_COURSES else disease


def _rate(entry: dict[str, object], path: Path) -> PublishedRate:
    where = f"{path}: [[rate]] {entry.get('population')}/{entry.get('endpoint')}"
    _check_fields(entry, _RATE_FIELDS, _RATE_REQUIRED if "cohort" in entry else
                  _RATE_REQUIRED + _FROM_COHORTS, where)
    raw_cohorts = entry.pop("cohort", [])
    if raw_cohorts:
        given = [key for key in _FROM_COHORTS if key in entry]
        if given:
            raise ParameterError(f'{where}: field "{given[0]}" follows from its cohorts; remove it.')
        names = tuple(f.name for f in fields(PublishedCohort))
        for raw in raw_cohorts:
            _check_fields(raw, names, names, f"{where} cohort {raw.get('id')}")
        cohorts = tuple(PublishedCohort(**raw) for raw in raw_cohorts)
        percents = [c.percent for c in cohorts]
        entry.update(low=min(percents), high=max(percents),
                     source=", ".join(dict.fromkeys(c.source for c in cohorts)),
                     location="; ".join(f"clinical_facts {c.evidence}: {c.location}"
                                        for c in cohorts),
                     cohorts=cohorts)
    return PublishedRate(**entry)


def _check_fields(entry: dict[str, object], valid: tuple[str, ...], required: tuple[str, ...],
                  where: str) -> None:
    unknown = [key for key in entry if key not in valid]
    if unknown:
        raise ParameterError(f'{where}: field "{unknown[0]}" is not known'
                             f"{did_you_mean(unknown[0], valid)}; valid fields are {one_of(valid)}.")
    missing = [name for name in required if name not in entry]
    if missing:
        raise ParameterError(f'{where}: field "{missing[0]}" is missing.')
