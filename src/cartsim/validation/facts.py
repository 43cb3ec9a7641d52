"""Published facts that validation cases compare against, read from ``validation/facts.toml``.

A fact is one published number (or a qualitative statement read as a limit) copied from the
evidence base with its citation: the clinical_facts.yaml id, the references.bib key, the
statistic it is (mean, typical value, proportion, ...), its unit, the number of patients and the
reported spread. A fact with ``published = "<id>"`` takes all of these from that cohort of the
published severe-toxicity table (``safety.published``), so the number is written once.
``load_facts`` checks every field and that the citation resolves; deriving the acceptance band
from the spread is ``acceptance``'s job. This module must not run simulations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from cartsim.errors import ValidationError, did_you_mean, one_of
from cartsim.parameters import Catalog
from cartsim.parameters.toml_file import read_tables
from cartsim.safety.published import PublishedCohort, published_cohorts

FACTS_FILE = Path(__file__).with_name("facts.toml")
STATISTICS = ("mean", "median", "typical", "proportion", "bound")
SPREAD_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "sd": ("value",),
    "iqr": ("low", "high"),
    "range": ("low", "high"),
    "ci": ("low", "high"),
    "proportion": ("events",),
    "omega2": ("value",),
    "interval": ("low", "high"),
    "rate_ratio": ("rate", "reference_rate", "reference_n", "followup"),
    "bound": ("limit", "side"),
    "none": (),
})
"""Each spread kind and the fields it needs (see the header of facts.toml)."""
NEEDS_N = ("sd", "iqr", "range", "proportion", "omega2", "rate_ratio")
SIDES = ("above", "below")
_FIELDS = ("evidence", "source", "quantity", "statistic", "value", "unit", "n", "spread",
           "location", "reading")
_WITH_PUBLISHED = ("published", "quantity", "reading")
"""The fields of a fact that reads its numbers from a published cohort."""


@dataclass(frozen=True)
class Fact:
    """One published observation with its citation and reported spread.

    ``value`` is None for a ``bound`` (its limit is in ``spread``). ``spread`` holds ``kind``
    and the fields that kind needs; ``limit`` and ``followup`` may name a catalogue record.

    Examples
    --------
    >>> f = Fact("x", "T1-04", "mackensen2022", "B-cell return", "mean", 110.0, "day", 5,
    ...          {"kind": "sd", "value": 32.0}, "Abstract", "")
    >>> f.spread["kind"], f.n
    ('sd', 5)
    """

    name: str
    evidence: str
    source: str
    quantity: str
    statistic: str
    value: float | None
    unit: str
    n: int | None
    spread: Mapping[str, object]
    location: str
    reading: str


def load_facts(catalog: Catalog, path: Path = FACTS_FILE) -> dict[str, Fact]:
    """Read and check every fact of ``path``; their sources must be references of ``catalog``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> facts = load_facts(load_catalog())
    >>> facts["mackensen2022_b_cell_reappearance"].value
    110.0
    """
    tables = read_tables(path, "facts", "fact under [facts.<name>]")
    cohorts = published_cohorts()
    facts = {name: _parse(name, _resolve(name, table, str(path), cohorts), str(path))
             for name, table in tables.items()}
    for fact in facts.values():
        if fact.source not in catalog.references:
            raise _error(str(path), fact.name, "source", f'"{fact.source}" is not a key of '
                         f"references.bib{did_you_mean(fact.source, catalog.references)}")
        for field in ("limit", "followup"):
            named = fact.spread.get(field)
            if isinstance(named, str) and named not in catalog.records:
                raise _error(str(path), fact.name, f"spread.{field}", f'names "{named}", which '
                             f"is not a catalogue record{did_you_mean(named, catalog.records)}")
    return facts


def _resolve(name: str, table: dict[str, object], file: str,
             cohorts: Mapping[str, PublishedCohort]) -> dict[str, object]:
    """The fact's fields, with those of its published cohort filled in when it names one."""
    if "published" not in table:
        return table
    cohort_id = table["published"]
    for field in table:
        if field not in _WITH_PUBLISHED:
            raise _error(file, name, field, f'is given by the published cohort "{cohort_id}" '
                         "(safety/published_toxicity.toml); remove it")
    if cohort_id not in cohorts:
        raise _error(file, name, "published", f'names "{cohort_id}", which is not a cohort of '
                     f"safety/published_toxicity.toml{did_you_mean(str(cohort_id), cohorts)}")
    cohort = cohorts[str(cohort_id)]
    return {"evidence": cohort.evidence, "source": cohort.source, "statistic": "proportion",
            "value": cohort.percent, "unit": "percent", "n": cohort.n,
            "spread": {"kind": "proportion", "events": cohort.events},
            "location": cohort.location,
            **{k: v for k, v in table.items() if k != "published"}}


def _error(file: str, name: str, field: str, problem: str) -> ValidationError:
    return ValidationError(f'{file}: [facts.{name}] field "{field}" {problem}.')


def _parse(name: str, table: Mapping[str, object], file: str) -> Fact:
    for field in table:
        if field not in _FIELDS:
            raise _error(file, name, field, f"is not a fact field{did_you_mean(field, _FIELDS)}; "
                         f"valid fields are {one_of(_FIELDS)}")
    text = {f: _text(table, f, file, name) for f in ("evidence", "source", "quantity", "location")}
    statistic = _text(table, "statistic", file, name)
    if statistic not in STATISTICS:
        raise _error(file, name, "statistic", f'is "{statistic}"{did_you_mean(statistic, STATISTICS)}'
                     f", but must be {one_of(STATISTICS)}")
    spread = _spread(table, file, name)
    if (statistic == "bound") != (spread["kind"] == "bound"):
        raise _error(file, name, "statistic", 'must be "bound" exactly when spread.kind is "bound"')
    value = None
    if statistic != "bound":
        value = _number(table.get("value"), file, name, "value")
    n = table.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise _error(file, name, "n", f"must be a whole number of patients of at least 1, not {n!r}")
    if spread["kind"] in NEEDS_N and n is None:
        raise _error(file, name, "n", f'is missing; spread kind "{spread["kind"]}" needs the '
                     "number of patients")
    if spread["kind"] == "sd" and n == 1:
        raise _error(file, name, "n", "must be at least 2 for an SD")
    if spread["kind"] == "proportion" and not 0 <= int(spread["events"]) <= int(n or 0):
        raise _error(file, name, "spread.events", f"must lie between 0 and n = {n}")
    unit = table.get("unit", "")
    if not isinstance(unit, str):
        raise _error(file, name, "unit", f'must be a unit string such as "day" or "", not {unit!r}')
    reading = table.get("reading", "")
    if not isinstance(reading, str):
        raise _error(file, name, "reading", f"must be text, not {reading!r}")
    return Fact(name, text["evidence"], text["source"], text["quantity"], statistic, value, unit,
                n, MappingProxyType(spread), text["location"], reading)


def _spread(table: Mapping[str, object], file: str, name: str) -> dict[str, object]:
    spread = table.get("spread")
    if not isinstance(spread, dict):
        raise _error(file, name, "spread", 'must be a table such as { kind = "sd", value = 32 }')
    kind = spread.get("kind")
    if kind not in SPREAD_FIELDS:
        raise _error(file, name, "spread.kind", f"is {kind!r}{did_you_mean(str(kind), SPREAD_FIELDS)}, "
                     f"but must be {one_of(SPREAD_FIELDS)}")
    needed = SPREAD_FIELDS[kind]
    for key in spread:
        if key != "kind" and key not in needed:
            raise _error(file, name, f"spread.{key}", f'does not belong to spread kind "{kind}", '
                         f"which takes {one_of(needed) or 'no other field'}")
    out: dict[str, object] = {"kind": kind}
    for key in needed:
        if key not in spread:
            raise _error(file, name, f"spread.{key}", f'is missing; spread kind "{kind}" needs '
                         f"{one_of(needed)}")
        raw = spread[key]
        if key == "side":
            if raw not in SIDES:
                raise _error(file, name, "spread.side", f"is {raw!r}, but must be {one_of(SIDES)}")
            out[key] = raw
        elif key in ("limit", "followup") and isinstance(raw, str):
            out[key] = raw
        else:
            out[key] = _number(raw, file, name, f"spread.{key}")
    if "low" in out and not out["low"] <= out["high"]:
        raise _error(file, name, "spread.low", "must not exceed spread.high")
    return out


def _text(table: Mapping[str, object], field: str, file: str, name: str) -> str:
    text = table.get(field)
    if not isinstance(text, str) or not text.strip():
        raise _error(file, name, field, f"must be non-empty text, not {text!r}")
    return text


def _number(raw: object, file: str, name: str, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise _error(file, name, field, f"must be a finite number, not {raw!r}")
    return float(raw)
