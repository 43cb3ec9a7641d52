"""Sweeps the real parameter catalogue: every record complete, sourced, in its units and bounds.

Each test collects every problem it finds and reports them all at once, so one run shows the
whole list of records to fix. The raw TOML is re-read here so that printed source values and
derived formulas are checked against the values as written, independently of the loader.
"""

from __future__ import annotations

import math
import tomllib

import pytest

from cartsim.expressions import parse_expression
from cartsim.parameters import Catalog, load_catalog
from cartsim.parameters.catalog import DEFAULT_DIRECTORY
from cartsim.parameters.records import (
    KINDS,
    check_name_dimension,
    parse_unit,
    value_from_source,
)
from cartsim.units import ureg

CATALOG_FILES = sorted((DEFAULT_DIRECTORY / "catalog").glob("*.toml"))
REQUIRED = {
    "estimated": ("source", "location"),
    "fixed": ("source", "location"),
    "assumed": ("assumption",),
    "derived": ("formula",),
    "calibrated": ("calibration", "target"),
}

pytestmark = pytest.mark.skipif(
    not CATALOG_FILES, reason=f"no catalogue TOML files in {DEFAULT_DIRECTORY / 'catalog'} yet"
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DEFAULT_DIRECTORY)


@pytest.fixture(scope="module")
def written() -> dict[str, dict]:
    """The raw tables as written in the TOML files, by parameter name."""
    tables = {}
    for path in CATALOG_FILES:
        with path.open("rb") as handle:
            tables.update(tomllib.load(handle).get("parameters", {}))
    return tables


def _report(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_catalogue_is_not_empty_and_matches_files(catalog: Catalog, written: dict) -> None:
    assert set(catalog.records) == set(written)
    for path in CATALOG_FILES:
        assert any(catalog.submodel(name) == path.stem for name in catalog.records), path


def test_every_record_is_complete(catalog: Catalog) -> None:
    problems = []
    for name, record in sorted(catalog.records.items()):
        if record.kind not in KINDS:
            problems.append(f"{name}: kind {record.kind!r}")
            continue
        if not record.description.strip():
            problems.append(f"{name}: empty description")
        problems.extend(f"{name}: kind {record.kind} without {field}"
                        for field in REQUIRED[record.kind] if not getattr(record, field))
    _report(problems)


def test_units_parse_and_fit_the_name(catalog: Catalog) -> None:
    problems = []
    for name, record in sorted(catalog.records.items()):
        parse_unit(record.unit, record.file, name, "unit")
        if record.source_unit is not None:
            parse_unit(record.source_unit, record.file, name, "source_unit")
        if (problem := check_name_dimension(record)) is not None:
            problems.append(problem)
    _report(problems)


def test_sources_resolve(catalog: Catalog) -> None:
    problems = []
    for name, record in sorted(catalog.records.items()):
        keys = [record.source, (record.variability or {}).get("source")]
        problems.extend(f"{name}: source {key!r} not in references.bib"
                        for key in keys if key is not None and key not in catalog.references)
    _report(problems)


def test_assumptions_resolve_and_contain_the_bounds(catalog: Catalog) -> None:
    problems = []
    for name, record in sorted(catalog.records.items()):
        if record.kind != "assumed" and record.assumption is None:
            continue
        assumption = catalog.assumptions.get(record.assumption)
        if assumption is None or assumption.range is None:
            problems.append(f"{name}: assumption {record.assumption!r} missing or without range")
            continue
        lo, hi = assumption.range
        if assumption.unit:
            lo, hi = sorted(ureg.Quantity([lo, hi], assumption.unit).to(record.unit).magnitude)
        slack = 1e-9 * max(abs(lo), abs(hi))
        if record.bounds[0] < lo - slack or record.bounds[1] > hi + slack:
            problems.append(f"{name}: bounds {record.bounds} outside {assumption.key} "
                            f"[{lo:.6g}, {hi:.6g}]")
    _report(problems)


def test_conversions_reproduce_the_written_value(catalog: Catalog, written: dict) -> None:
    problems = []
    for name, record in sorted(catalog.records.items()):
        if record.source_value is None:
            continue
        value = value_from_source(record)
        if not math.isclose(value, written[name]["value"], rel_tol=0.01):
            problems.append(f"{name}: written {written[name]['value']:.6g}, source gives "
                            f"{value:.6g} {record.unit}")
    _report(problems)


def test_values_lie_within_bounds(catalog: Catalog) -> None:
    problems = [f"{name}: {record.value:.6g} outside {record.bounds}"
                for name, record in sorted(catalog.records.items())
                if not record.bounds[0] <= record.value <= record.bounds[1]]
    _report(problems)


def test_derived_formulas_reproduce(catalog: Catalog, written: dict) -> None:
    values = {name: record.value for name, record in catalog.records.items()}
    problems = []
    for name, record in sorted(catalog.records.items()):
        if record.kind != "derived":
            continue
        value = float(parse_expression(record.formula).evaluate(values))
        if not math.isclose(value, record.value, rel_tol=1e-12):
            problems.append(f"{name}: formula gives {value:.9g}, catalogue holds {record.value}")
        if "value" in written[name] and not math.isclose(value, written[name]["value"],
                                                         rel_tol=1e-6):
            problems.append(f"{name}: formula gives {value:.9g}, written "
                            f"{written[name]['value']:.9g}")
    _report(problems)


def test_every_reference_has_a_doi_or_url(catalog: Catalog) -> None:
    problems = [f"{key}: neither doi nor url" for key, ref in sorted(catalog.references.items())
                if not (ref.fields.get("doi") or ref.fields.get("url"))]
    _report(problems)


def test_every_assumption_has_a_range_and_is_used(catalog: Catalog) -> None:
    """Used by a record, or by a validation case that rests on it (such as a recalled protocol)."""
    from cartsim.validation.cases import load_cases
    from cartsim.validation.facts import load_facts

    used = {record.assumption for record in catalog.records.values()}
    used |= {key for case in load_cases(catalog, load_facts(catalog)).values()
             for key in case.assumptions}
    problems = [f"{key}: no range" for key, a in sorted(catalog.assumptions.items())
                if a.range is None]
    problems.extend(f"{key}: used by no record" for key in sorted(catalog.assumptions)
                    if key not in used)
    _report(problems)


def test_default_load_is_cached_and_equal(catalog: Catalog) -> None:
    assert load_catalog() is load_catalog()
    assert load_catalog().digest() == catalog.digest()

