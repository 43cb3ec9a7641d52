"""The validation registry: facts, cases and calibration specs load, resolve and reject bad
input with one sentence naming the file, the field and what would be valid."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest

from cartsim.errors import ParameterError, ValidationError
from cartsim.parameters import load_catalog
from cartsim.parameters.records import parse_record
from cartsim.safety.published import published_cohorts, published_rates
from cartsim.validation.calibration import _search_range, calibrated_line
from cartsim.validation.calibration_specs import (
    calibration_targets,
    check_calibrated_records,
    load_spec,
    load_specs,
)
from cartsim.validation.cases import load_cases, select_cases
from cartsim.validation.facts import FACTS_FILE, load_facts


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def facts(catalog):
    return load_facts(catalog)


@pytest.fixture(scope="module")
def cases(catalog, facts):
    return load_cases(catalog, facts)


def test_every_fact_cites_a_reference_and_an_evidence_record(catalog, facts) -> None:
    for fact in facts.values():
        assert fact.source in catalog.references
        assert re.fullmatch(r"T[1-6]-\d\d", fact.evidence), fact.name


def test_every_case_names_an_existing_fact_and_every_fact_is_used(facts, cases) -> None:
    assert len(cases) >= 20
    assert {c.fact.name for c in cases.values()} == set(facts)


def test_calibration_specs_fit_existing_cases_and_records_conform(catalog, cases) -> None:
    assert calibration_targets() <= set(cases)
    assert check_calibrated_records(catalog, cases) == []


def test_a_calibrated_record_needs_an_existing_spec_and_target(catalog, cases) -> None:
    record = replace(catalog.record("k_exhaustion_cart"), kind="calibrated",
                     calibration="validation/calibration/missing.toml", target="x")
    broken = replace(catalog, records=MappingProxyType({**catalog.records, record.name: record}))
    assert check_calibrated_records(broken, cases) == [
        "k_exhaustion_cart: calibration spec validation/calibration/missing.toml does not exist"]
    spec = load_specs()["sle_b_cell_reappearance"]
    wrong_target = replace(record, calibration=spec.relative_path, target="ocrelizumab_depleted_by_week_2")
    broken = replace(catalog, records=MappingProxyType({**catalog.records, record.name: wrong_target}))
    assert "is not a case fitted by" in check_calibrated_records(broken, cases)[0]


def test_a_calibrated_line_parses_as_a_valid_record(catalog) -> None:
    spec = load_specs()["sle_b_cell_reappearance"]
    line = calibrated_line(catalog.record("k_exhaustion_cart"), 0.1234567, spec)
    import tomllib
    name, table = next(iter(tomllib.loads(line).items()))
    record = parse_record(name, table, "cart.toml")
    assert (record.kind, record.value, record.assumption) == ("calibrated", 0.123457, "A15")
    assert record.calibration == "validation/calibration/sle_b_cell_reappearance.toml"


def test_literature_values_cannot_be_calibrated(catalog) -> None:
    with pytest.raises(ValidationError, match="never a literature value"):
        _search_range(catalog.record("k_decline_cart"), catalog)


def test_calibration_fields_belong_to_calibrated_records() -> None:
    with pytest.raises(ParameterError, match='belongs only to records of kind "calibrated"'):
        parse_record("k_x", {"value": 1.0, "unit": "1/day", "description": "x", "kind": "assumed",
                             "assumption": "A1", "target": "c", "bounds": [0.0, 2.0]}, "x.toml")


def test_unknown_case_gets_a_suggestion(cases) -> None:
    with pytest.raises(ValidationError, match='no validation case "sle_cd19_crs_anyy" '
                       r'\(did you mean "sle_cd19_crs_any"\?\)'):
        select_cases(cases, ["sle_cd19_crs_anyy"])


def _case_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cases.toml"
    path.write_text('[cases.c]\ntitle = "t"\nscenario = "ms_ahsct_cy_atg.toml"\narm = "aHSCT"\n'
                    'patients = "typical"\nstatistic = "value"\n' + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "message"), [
    ('fact = "storek2004_b_cells_normall"\nreadout = { name = "value_on_day", '
     'observable = "bcell_blood_per_ul", day = 182 }\n',
     'field "fact" names "storek2004_b_cells_normall", which is not in facts.toml '
     '(did you mean "storek2004_b_cells_normal"?)'),
    ('fact = "storek2004_b_cells_normal"\nreadout = { name = "value_on_dya" }\n',
     'field "readout.name" is "value_on_dya" (did you mean "value_on_day"?)'),
    ('fact = "storek2004_b_cells_normal"\nreadout = { name = "value_on_day", '
     'observable = "bcell_blood_per_ul" }\n', 'field "readout.day" is missing'),
    ('fact = "storek2004_b_cells_normal"\nreadout = { name = "cart_peak_day" }\n',
     'field "readout" gives "day" but fact "storek2004_b_cells_normal" is in "cell/uL"'),
    ('fact = "storek2004_b_cells_normal"\nreadout = { name = "value_on_day", '
     'observable = "bcell_blood_per_ul", day = 182 }\nassumptions = ["A9999"]\n',
     'field "assumptions" names "A9999", which is not in assumptions.toml'),
    ('fact = "storek2004_b_cells_normal"\nreadout = { name = "value_on_day", '
     'observable = "bcell_blood_per_ul", day = 182 }\nwhatever = 1\n',
     'field "whatever" is not a case field'),
])
def test_bad_cases_get_one_sentence(tmp_path, catalog, facts, body, message) -> None:
    with pytest.raises(ValidationError) as error:
        load_cases(catalog, facts, _case_file(tmp_path, body))
    assert message in str(error.value)
    assert str(error.value).startswith(str(tmp_path / "cases.toml") + ": [cases.c] field")


def test_bad_facts_get_one_sentence(tmp_path, catalog) -> None:
    path = tmp_path / "facts.toml"
    path.write_text('[facts.f]\nevidence = "T1-04"\nsource = "mackensen2022"\nquantity = "q"\n'
                    'statistic = "mean"\nvalue = 110.0\nunit = "day"\nspread = { kind = "sd", '
                    'value = 32.0 }\nlocation = "l"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match='field "n" is missing; spread kind "sd" needs'):
        load_facts(catalog, path)
    path.write_text(path.read_text().replace('kind = "sd"', 'kind = "sdd"'), encoding="utf-8")
    with pytest.raises(ValidationError, match=r'spread.kind" is \'sdd\' \(did you mean "sd"\?\)'):
        load_facts(catalog, path)


def test_published_lbcl_crs_numbers_are_written_once_and_read_by_both_users(facts) -> None:
    raw = tomllib.loads(FACTS_FILE.read_text(encoding="utf-8"))["facts"]
    lbcl = next(r for r in published_rates()
                if (r.population, r.endpoint) == ("lbcl", "crs_grade3plus_pct"))
    assert {c.id for c in lbcl.cohorts} == {"juliet_crs_grade3plus", "zuma1_crs_grade3plus"}
    for cohort in lbcl.cohorts:
        name = next(n for n, table in raw.items() if table.get("published") == cohort.id)
        assert not {"value", "n", "spread", "source", "evidence"} & set(raw[name])
        fact = facts[name]
        assert (fact.value, fact.n, fact.spread["events"]) == (cohort.percent, cohort.n,
                                                               cohort.events)
        assert (fact.source, fact.evidence, fact.statistic) == (cohort.source, cohort.evidence,
                                                                "proportion")
    assert (lbcl.low, lbcl.high) == (11.0, 22.0)          # the extremes of the two cohorts


def test_a_fact_naming_a_published_cohort_takes_nothing_else(tmp_path, catalog) -> None:
    path = tmp_path / "facts.toml"
    path.write_text('[facts.f]\nquantity = "q"\npublished = "juliet_crs_grade3plus"\nn = 93\n',
                    encoding="utf-8")
    with pytest.raises(ValidationError, match=r'\[facts.f\] field "n" is given by the published '
                       r'cohort "juliet_crs_grade3plus" \(safety/published_toxicity.toml\); remove'):
        load_facts(catalog, path)
    path.write_text('[facts.f]\nquantity = "q"\npublished = "juliet_crs_grade3"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match=r'field "published" names "juliet_crs_grade3", which is '
                       r'not a cohort of .* \(did you mean "juliet_crs_grade3plus"\?\)'):
        load_facts(catalog, path)


def test_bad_published_rates_get_one_sentence(tmp_path) -> None:
    path = tmp_path / "published.toml"
    cohort = ('[[rate.cohort]]\nid = "c"\npercent = 5.0\nevents = 1\nn = 20\nevidence = "T1-01"\n'
              'source = "s"\nlocation = "l"\n')
    head = '[[rate]]\npopulation = "lbcl"\nendpoint = "crs_grade3plus_pct"\nstudies = "x"\n'
    path.write_text(head + "verified = true\nlow = 1.0\n" + cohort, encoding="utf-8")
    with pytest.raises(ParameterError, match='lbcl/crs_grade3plus_pct: field "low" follows from '
                       "its cohorts; remove it"):
        published_rates(path)
    path.write_text(head + "verified = true\n" + cohort.replace("percent", "percentage"),
                    encoding="utf-8")
    with pytest.raises(ParameterError, match='cohort c: field "percentage" is not known '
                       r'\(did you mean "percent"\?\)'):
        published_rates(path)
    path.write_text(head + "verified = true\n" + cohort, encoding="utf-8")
    assert published_cohorts(path)["c"].n == 20 and published_rates(path)[0].low == 5.0
    path.write_text(head + "verified = true\nlow = 1.0\n", encoding="utf-8")
    with pytest.raises(ParameterError, match='field "high" is missing'):
        published_rates(path)


def test_bad_spec_gets_one_sentence(tmp_path) -> None:
    path = tmp_path / "spec.toml"
    path.write_text('[calibration]\ndescription = "d"\ncases = ["c"]\nparameters = ["a", "b"]\n'
                    'scale = "log"\noptimiser = "bounded_scalar"\nmax_evaluations = 5\n'
                    'x_tolerance = 0.1\n', encoding="utf-8")
    with pytest.raises(ValidationError, match='must name exactly one parameter for optimiser'):
        load_spec(path)
