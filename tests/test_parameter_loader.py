"""Unit tests of the parameter loader on small fixture catalogues written into tmp_path."""

from __future__ import annotations

import copy
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartsim.errors import ParameterError
from cartsim.parameters import Catalog, ParameterRecord, load_catalog
from cartsim.parameters.assumptions import load_assumptions
from cartsim.parameters.records import check_name_dimension, value_from_source
from cartsim.parameters.references import parse_bibtex

BIB = """\
% a comment line with an address: someone@example.org
@comment{ignored, anything}
@article{smith2020,
  author = {Smith, Jane and Doe, John and Roe, Richard},
  title = {Elimination of {IgG} in adults},
  journal = "J Pharmacokinet",
  year = 2020,
  doi = {10.1000/smith.2020},
}
@misc{jones2021,
  author = "Jones, Ann",
  title = {Variability of everything},
  year = {2021},
  url = {https://example.org/jones}
}
"""

ASSUMPTIONS = """\
[assumptions.A1]
title = "CNS fraction"
statement = "A small fraction of circulating cells reaches the CNS."
reasoning = "Case series report low CSF counts."
range = [0.001, 0.1]
unit = ""

[assumptions.A2]
title = "Trafficking rate"
statement = "Cells traffic slowly."
reasoning = "By analogy with lymphocytes."
range = [0.001, 0.01]
unit = "1/h"
"""

RECORDS = {
    "pk": {
        "k_el": {
            "value": 0.033, "unit": "1/day", "description": "Elimination rate of IgG",
            "kind": "fixed", "source": "smith2020", "location": "Table 1",
            "source_value": 21.0, "source_unit": "day", "conversion": "half_life",
            "bounds": [0.01, 0.1],
            "variability": {"distribution": "lognormal", "omega2": 0.1, "source": "jones2021"},
        },
        "t_half_el": {
            "unit": "day", "description": "Half-life of IgG", "kind": "derived",
            "formula": "ln(2) / k_el", "bounds": [1.0, 100.0],
        },
        "k_double": {
            "value": 2 * math.log(2) / 21.0, "unit": "1/day",
            "description": "Twice the elimination rate", "kind": "derived",
            "formula": "2 * ln(2) / t_half_el", "bounds": [0.0, 1.0],
        },
    },
    "cns": {
        "f_cns": {
            "value": 0.01, "unit": "", "description": "Fraction reaching the CNS",
            "kind": "assumed", "assumption": "A1", "bounds": [0.005, 0.05],
        },
        "k_traffic": {
            "value": 0.1, "unit": "1/day", "description": "Trafficking into the CNS",
            "kind": "assumed", "assumption": "A2", "bounds": [0.05, 0.2],
        },
        "ec50_il6": {
            "value": 2.0, "unit": "ng/L", "description": "Half-maximal IL-6",
            "kind": "calibrated", "calibration": "scripts/calibrate_il6.py",
            "target": "data/il6.csv", "bounds": [0.1, 10.0],
        },
    },
}


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"


def write_catalog(directory: Path, records: dict = RECORDS, bib: str = BIB,
                  assumptions: str = ASSUMPTIONS) -> Path:
    """Write a fixture parameters folder and return it."""
    (directory / "catalog").mkdir(parents=True, exist_ok=True)
    for stem, tables in records.items():
        lines = []
        for name, table in tables.items():
            lines.append(f"[parameters.{name}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
            lines.append("")
        (directory / "catalog" / f"{stem}.toml").write_text("\n".join(lines), encoding="utf-8")
    (directory / "references.bib").write_text(bib, encoding="utf-8")
    (directory / "assumptions.toml").write_text(assumptions, encoding="utf-8")
    return directory


def edited(stem: str, name: str, **changes: object) -> dict:
    """RECORDS with fields of one record changed; a value of None deletes the field."""
    records = copy.deepcopy(RECORDS)
    table = records[stem].setdefault(name, {})
    for field, value in changes.items():
        if value is None:
            table.pop(field, None)
        else:
            table[field] = value
    return records


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return load_catalog(write_catalog(tmp_path))


def test_fixture_catalogue_loads(catalog: Catalog) -> None:
    assert set(catalog.records) == {"k_el", "t_half_el", "k_double", "f_cns", "k_traffic",
                                    "ec50_il6"}
    assert catalog.value("k_el") == pytest.approx(math.log(2) / 21.0, rel=1e-12)
    assert catalog.value("t_half_el") == pytest.approx(21.0, rel=1e-12)
    assert catalog.value("k_double") == pytest.approx(2 * math.log(2) / 21.0, rel=1e-12)
    assert catalog.records["k_el"].variability["omega2"] == 0.1
    assert all(check_name_dimension(r) is None for r in catalog.records.values())


ERROR_CASES = {
    "unknown field": (edited("pk", "k_el", sorce="x"), "k_el", "sorce", 'did you mean "source"'),
    "missing unit": (edited("pk", "k_el", unit=None), "k_el", "unit", "missing"),
    "bad unit": (edited("cns", "k_traffic", unit="1/dya"), "k_traffic", "unit", "1/dya"),
    "empty description": (edited("cns", "f_cns", description=" "), "f_cns", "description",
                          "non-empty"),
    "bad kind": (edited("cns", "f_cns", kind="assume"), "f_cns", "kind",
                 'did you mean "assumed"'),
    "value out of bounds": (edited("cns", "f_cns", value=0.06), "f_cns", "bounds", "within"),
    "bounds shape": (edited("cns", "f_cns", bounds=[0.1]), "f_cns", "bounds", "[lo, hi]"),
    "bounds reversed": (edited("cns", "f_cns", bounds=[0.05, 0.005]), "f_cns", "bounds",
                        "lo <= hi"),
    "missing bounds": (edited("cns", "f_cns", bounds=None), "f_cns", "bounds", "missing"),
    "nan value": (edited("cns", "f_cns", value=math.nan), "f_cns", "value", "finite"),
    "text value": (edited("cns", "f_cns", value="0.01"), "f_cns", "value", "finite"),
    "missing value": (edited("cns", "f_cns", value=None), "f_cns", "value", "missing"),
    "bad distribution": (
        edited("pk", "k_el", variability={"distribution": "lognorm", "omega2": 0.1}),
        "k_el", "variability.distribution", 'did you mean "lognormal"'),
    "omega2 not positive": (
        edited("pk", "k_el", variability={"distribution": "normal", "omega2": 0.0}),
        "k_el", "variability.omega2", "> 0"),
    "unknown variability field": (
        edited("pk", "k_el", variability={"distribution": "normal", "omega2": 1.0, "sd": 1.0}),
        "k_el", "variability.sd", "valid fields"),
    "fixed without location": (edited("pk", "k_el", location=None), "k_el", "location",
                               'kind "fixed"'),
    "formula on fixed record": (edited("pk", "k_el", formula="1"), "k_el", "formula",
                                'kind "derived"'),
    "calibrated without target": (edited("cns", "ec50_il6", target=None), "ec50_il6", "target",
                                  "missing"),
    "bad conversion": (edited("pk", "k_el", conversion="halflife"), "k_el", "conversion",
                       'did you mean "half_life"'),
    "source_value without unit": (edited("pk", "k_el", source_unit=None), "k_el", "source_unit",
                                  "together"),
    "conversion disagrees": (edited("pk", "k_el", value=0.05), "k_el", "value", "1%"),
    "half-life not a time": (edited("pk", "k_el", source_unit="mg"), "k_el", "source_unit",
                             "time"),
    "unknown source": (edited("pk", "k_el", source="smith2021"), "k_el", "source",
                       'did you mean "smith2020"'),
    "unknown variability source": (
        edited("pk", "k_el", variability={"distribution": "normal", "omega2": 1.0,
                                          "source": "nobody"}),
        "k_el", "variability.source", "references.bib"),
    "unknown assumption": (edited("cns", "f_cns", assumption="A9"), "f_cns", "assumption",
                           "register"),
    "assumed bounds outside range": (edited("cns", "f_cns", bounds=[0.005, 0.5]), "f_cns",
                                     "bounds", "assumption A1"),
    "assumed bounds outside converted range": (
        edited("cns", "k_traffic", bounds=[0.01, 0.2]), "k_traffic", "bounds", "assumption A2"),
    "assumed unit incompatible": (
        edited("cns", "k_traffic", unit="day", value=1.0, bounds=[1.0, 1.0]), "k_traffic",
        "unit", "assumption A2"),
    "derived value disagrees": (edited("pk", "k_double", value=0.07), "k_double", "value",
                                "1e-6"),
    "derived unknown input": (edited("pk", "k_double", formula="2 * k_eel"), "k_double",
                              "formula", 'did you mean "k_el"'),
    "derived bad grammar": (edited("pk", "k_double", formula="__import__('os')"), "k_double",
                            "formula", "calls a function other than"),
    "derived out of bounds": (edited("pk", "t_half_el", bounds=[1.0, 2.0]), "t_half_el",
                              "bounds", "within"),
    "derived with source_value": (edited("pk", "t_half_el", source_value=21.0,
                                         source_unit="day"), "t_half_el", "source_value",
                                  "formula"),
    "derived division by zero": (edited("pk", "k_double", formula="1 / (k_el - k_el)"),
                                 "k_double", "formula", "cannot be evaluated"),
    "name not an identifier": (edited("cns", "f-cns", **RECORDS["cns"]["f_cns"]), "f-cns",
                               "name", "identifier"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_name_file_parameter_and_field(tmp_path: Path, case: str) -> None:
    records, name, field, hint = ERROR_CASES[case]
    with pytest.raises(ParameterError) as info:
        load_catalog(write_catalog(tmp_path, records))
    message = str(info.value)
    assert f"[parameters.{name}]" in message
    assert f'field "{field}"' in message
    assert hint in message
    assert ".toml" in message
    assert message.endswith(".")
    assert ". " not in message.replace("e.g. ", ""), "one sentence"


def test_cycle_is_reported(tmp_path: Path) -> None:
    records = edited("pk", "t_half_el", formula="ln(2) / k_double")
    with pytest.raises(ParameterError, match=r"cycle \((t_half_el|k_double) -> .* -> "):
        load_catalog(write_catalog(tmp_path, records))


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    records = edited("pk", "k_double", formula="k_double + 1")
    with pytest.raises(ParameterError, match=r"cycle \(k_double -> k_double\)"):
        load_catalog(write_catalog(tmp_path, records))


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    records = copy.deepcopy(RECORDS)
    records["zz"] = {"f_cns": RECORDS["cns"]["f_cns"]}
    with pytest.raises(ParameterError, match=r"zz\.toml.*f_cns.*cns\.toml.*unique"):
        load_catalog(write_catalog(tmp_path, records))


def test_invalid_toml_and_top_level_keys(tmp_path: Path) -> None:
    write_catalog(tmp_path)
    bad = tmp_path / "catalog" / "bad.toml"
    bad.write_text("[parameters.x\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"bad\.toml: is not valid TOML"):
        load_catalog(tmp_path)
    bad.write_text('title = "x"\n', encoding="utf-8")
    with pytest.raises(ParameterError, match=r'bad\.toml: top-level key "title"'):
        load_catalog(tmp_path)


def _record(**fields: object) -> ParameterRecord:
    base = {"name": "k_x", "value": 1.0, "unit": "1/day", "description": "x", "kind": "fixed",
            "source": "s", "location": "l", "bounds": (0.0, 1e9), "file": "x.toml"}
    return ParameterRecord(**{**base, **fields})


@pytest.mark.parametrize(
    ("source_value", "source_unit", "conversion", "unit", "expected"),
    [
        (21.0, "day", "half_life", "1/day", math.log(2) / 21.0),
        (18.0, "h", "doubling_time", "1/day", math.log(2) / 0.75),
        (12.0, "h", "half_life", "1/h", math.log(2) / 12.0),
        (0.5, "ug/mL", "unit", "mg/L", 0.5),
        (250.0, "cells/uL", "unit", "cells/L", 2.5e8),
        (10.0, "day", "mean_lifetime", "1/day", 0.1),
        (2.0, "week", "mean_lifetime", "1/day", 1 / 14),
        (0.5, "L", "inverse", "1/L", 2.0),
        (4.0, "day/cell", "inverse", "cell/day", 0.25),
    ],
)
def test_conversions(source_value: float, source_unit: str, conversion: str, unit: str,
                     expected: float) -> None:
    record = _record(source_value=source_value, source_unit=source_unit, conversion=conversion,
                     unit=unit)
    assert value_from_source(record) == pytest.approx(expected, rel=1e-12)


def test_conversion_default_is_unit_and_rederives_value(tmp_path: Path) -> None:
    records = edited("cns", "ec50_il6", value=2.01, source_value=0.002, source_unit="ug/L")
    catalog = load_catalog(write_catalog(tmp_path, records))
    assert catalog.records["ec50_il6"].conversion == "unit"
    assert catalog.value("ec50_il6") == pytest.approx(2.0, rel=1e-12)


def test_value_in_other_units_and_errors(catalog: Catalog) -> None:
    assert catalog.value("k_el", "1/h") == pytest.approx(math.log(2) / 21.0 / 24.0)
    assert catalog.value("t_half_el", "week") == pytest.approx(3.0)
    with pytest.raises(ParameterError, match=r'"k_el" is in "1/day".*"mg"'):
        catalog.value("k_el", "mg")
    with pytest.raises(ParameterError, match=r'"k_eel".*did you mean "k_el"'):
        catalog.value("k_eel")
    with pytest.raises(ParameterError, match='"1/dya" is not a unit'):
        catalog.value("k_el", "1/dya")


def test_quantity_and_vector(catalog: Catalog) -> None:
    assert catalog.quantity("t_half_el").to("h").magnitude == pytest.approx(21.0 * 24.0)
    vector = catalog.vector([("t_half_el", "h"), ("f_cns", ""), ("k_traffic", "1/day")])
    assert vector.dtype == np.float64
    np.testing.assert_allclose(vector, [21.0 * 24.0, 0.01, 0.1], rtol=1e-12)
    assert catalog.vector([]).shape == (0,)


def test_with_values_rederives_dependents(catalog: Catalog) -> None:
    changed = catalog.with_values({"k_el": 0.1})
    assert changed.value("k_el") == 0.1
    assert changed.value("t_half_el") == pytest.approx(math.log(2) / 0.1)
    assert changed.value("k_double") == pytest.approx(0.2)
    assert catalog.value("k_el") == pytest.approx(math.log(2) / 21.0), "original unchanged"


def test_with_values_ignores_bounds_and_keeps_derived_overrides(catalog: Catalog) -> None:
    changed = catalog.with_values({"f_cns": 0.9, "t_half_el": 7.0})
    assert changed.value("f_cns") == 0.9
    assert changed.value("t_half_el") == 7.0
    assert changed.value("k_double") == pytest.approx(2 * math.log(2) / 7.0)


def test_with_values_rejects_unknown_names_and_non_numbers(catalog: Catalog) -> None:
    with pytest.raises(ParameterError, match='did you mean "f_cns"'):
        catalog.with_values({"f_cn": 0.1})
    with pytest.raises(ParameterError, match=r'\[parameters\.f_cns\] field "value" override'):
        catalog.with_values({"f_cns": math.inf})


def test_digest_changes_only_with_values(catalog: Catalog, tmp_path: Path) -> None:
    again = load_catalog(write_catalog(tmp_path / "again"))
    assert again.digest() == catalog.digest()
    assert catalog.with_values({}).digest() == catalog.digest()
    assert catalog.with_values({"f_cns": 0.02}).digest() != catalog.digest()
    assert catalog.with_values({"f_cns": 0.01}).digest() == catalog.digest()


def test_references_for_follows_derived_inputs(catalog: Catalog) -> None:
    assert [r.key for r in catalog.references_for(["k_double"])] == ["jones2021", "smith2020"]
    assert catalog.references_for(["f_cns", "ec50_il6"]) == []
    with pytest.raises(ParameterError, match="did you mean"):
        catalog.references_for(["k_doubel"])


def test_submodel_and_describe(catalog: Catalog) -> None:
    assert catalog.submodel("k_el") == "pk"
    assert catalog.submodel("f_cns") == "cns"
    text = catalog.records["k_el"].describe()
    for part in ("k_el = 0.0330", "1/day", "(fixed)", "Elimination rate of IgG",
                 "source: smith2020, Table 1", "21 day", "half_life", "bounds: [0.01, 0.1]",
                 "lognormal", "source jones2021"):
        assert part in text
    assert "formula: ln(2) / k_el" in catalog.records["t_half_el"].describe()
    assert "calibration: scripts/calibrate_il6.py" in catalog.records["ec50_il6"].describe()


def test_empty_folder_gives_empty_catalogue(tmp_path: Path) -> None:
    catalog = load_catalog(tmp_path)
    assert dict(catalog.records) == {}
    assert catalog.vector([]).size == 0


def test_bibtex_entries_and_citations(catalog: Catalog) -> None:
    smith = catalog.references["smith2020"]
    assert smith.entry_type == "article"
    assert smith.fields["title"] == "Elimination of IgG in adults"
    assert smith.citation() == ("Smith et al. Elimination of IgG in adults. J Pharmacokinet 2020. "
                                "doi:10.1000/smith.2020")
    assert catalog.references["jones2021"].citation() == (
        "Jones. Variability of everything. 2021. https://example.org/jones")
    assert set(catalog.references) == {"smith2020", "jones2021"}


def test_bibtex_parentheses_concatenation_and_two_authors() -> None:
    refs = parse_bibtex('@Book(k, author = "Ng, A. and Li, B.", title = "Part " # {two},\n'
                        "  year = 1999)")
    assert refs["k"].entry_type == "book"
    assert refs["k"].fields["title"] == "Part two"
    assert refs["k"].citation() == "Ng and Li. Part two. 1999."


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("@article{a, title = {x}}\n@article{a, title = {y}}", 'line 2: found a second entry '
                                                               'with key "a"'),
        ("@article{a, title = {x}", "line 1: found"),
        ("@article{a, title = {x} year = 1}", 'neither "," nor "}"'),
        ("@article{title = {x}}", "without a"),
        ('@article{a, title = "x}', "closing quote"),
        ("@ {a}", "does not start an entry"),
    ],
)
def test_bibtex_errors(text: str, hint: str) -> None:
    with pytest.raises(ParameterError, match=r"refs\.bib: line") as info:
        parse_bibtex(text, source="refs.bib")
    assert hint in str(info.value)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ('[assumptions.B1]\ntitle = "t"\nstatement = "s"\nreasoning = "r"', "numbered"),
        ('[assumptions.A1]\ntitle = "t"\nstatement = "s"\nreasoning = "r"\nrnage = [0, 1]',
         'field "rnage"'),
        ('[assumptions.A1]\ntitle = "t"\nstatement = ""\nreasoning = "r"', 'field "statement"'),
        ('[assumptions.A1]\ntitle = "t"\nstatement = "s"\nreasoning = "r"\nrange = [2, 1]',
         'field "range"'),
        ('[assumptions.A1]\ntitle = "t"\nstatement = "s"\nreasoning = "r"\nunit = "dya"',
         'field "unit"'),
        ('x = 1', 'top-level key "x"'),
        ('[assumptions.A1\n', "not valid TOML"),
    ],
)
def test_assumption_errors(tmp_path: Path, text: str, hint: str) -> None:
    path = tmp_path / "assumptions.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError, match=r"assumptions\.toml") as info:
        load_assumptions(path)
    assert hint in str(info.value)


def test_assumed_record_needs_an_assumption_with_range(tmp_path: Path) -> None:
    register = ASSUMPTIONS.replace("range = [0.001, 0.1]\n", "")
    with pytest.raises(ParameterError, match=r'f_cns\] field "assumption".*no range'):
        load_catalog(write_catalog(tmp_path, assumptions=register))


def test_name_dimension_rules() -> None:
    assert check_name_dimension(_record(name="k_kill", unit="1/(cell*day)")) is None
    assert "1/[time]" in check_name_dimension(_record(name="k_kill", unit="cell"))
    assert check_name_dimension(_record(name="t_half_x", unit="h")) is None
    assert "time unit" in check_name_dimension(_record(name="t_half_x", unit="1/h"))
    assert "dimensionless" in check_name_dimension(_record(name="f_x", unit="1/day"))
    assert "dimensionless" in check_name_dimension(_record(name="util_x", unit="day"))
    assert check_name_dimension(_record(name="cost_x", unit="")) is None
    assert "currency" in check_name_dimension(_record(name="cost_x", unit="day"))
    assert "non-negative" in check_name_dimension(
        _record(name="ec50_x", unit="mg/L", bounds=(-1.0, 2.0)))
    assert check_name_dimension(_record(name="cart_eff_blood_0", unit="cells/uL")) is None


@settings(max_examples=30, deadline=None)
@given(
    f_cns=st.floats(0.005, 0.05),
    k_traffic=st.floats(0.05, 0.2),
    ec50=st.floats(0.1, 10.0),
    override=st.floats(1e-6, 1e3),
)
def test_parse_value_with_values_round_trip(f_cns: float, k_traffic: float, ec50: float,
                                            override: float) -> None:
    records = copy.deepcopy(RECORDS)
    records["cns"]["f_cns"]["value"] = f_cns
    records["cns"]["k_traffic"]["value"] = k_traffic
    records["cns"]["ec50_il6"]["value"] = ec50
    records["pk"]["k_double"].pop("value")
    with tempfile.TemporaryDirectory() as directory:
        catalog = load_catalog(write_catalog(Path(directory), records))
    assert (catalog.value("f_cns"), catalog.value("k_traffic"), catalog.value("ec50_il6")) == (
        f_cns, k_traffic, ec50)
    same = catalog.with_values({name: catalog.value(name) for name in catalog.records})
    assert same.digest() == catalog.digest()
    assert dict(same.records) == dict(catalog.records)
    changed = catalog.with_values({"k_el": override})
    again = changed.with_values({name: changed.value(name) for name in changed.records})
    assert again.digest() == changed.digest()
    assert again.value("t_half_el") == pytest.approx(math.log(2) / override)
