"""Published rates of severe CRS and ICANS after CD19 CAR-T, by population, as data.

``published_rates`` reads ``published_toxicity.toml`` (next to this module): for each
population (``b_all``, ``lbcl``, ``sle``, ``ms``) and endpoint (``crs_grade3plus_pct``,
``icans_grade3plus_pct``) the low and high published percentage, the studies, the source key
(in ``parameters/references.bib``), the location in the evidence base and whether it was
verified. ``population_group`` maps a disease of the model onto those populations. The numbers
are compared with simulated rates in the burden-contrast figure; this module neither simulates
nor grades.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cartsim.model.patient import MS_COURSES
from cartsim.parameters.toml_file import read_tables

_FILE = Path(__file__).with_name("published_toxicity.toml")
ENDPOINTS = ("crs_grade3plus_pct", "icans_grade3plus_pct")


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


def published_rates(path: Path = _FILE) -> tuple[PublishedRate, ...]:
    """All published ranges in ``path`` (default: the bundled table).

    Examples
    --------
    >>> rates = published_rates()
    >>> [(r.low, r.high) for r in rates if (r.population, r.endpoint) == ("lbcl", "crs_grade3plus_pct")]
    [(11.0, 22.0)]
    """
    rates = read_tables(path, "rate", "published range under [[rate]]")
    return tuple(PublishedRate(**entry) for entry in rates)


def population_group(disease: str) -> str:
    """The published-rate population of a model disease (the MS courses are one group).

    Examples
    --------
    >>> population_group("ppms"), population_group("b_all")
    ('ms', 'b_all')
    """
    return "ms" if disease in MS_COURSES else disease
