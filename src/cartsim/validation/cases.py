"""Validation cases, read from ``validation/cases.toml``: protocol, readout, fact, comparison.

A case re-creates a published protocol (a scenario file under ``validation/scenarios/``),
names the arm to read, whether the typical patient or the scenario's virtual cohort is
simulated and how the cohort is summarised, the readout with its options, and the published
fact it is compared with. ``load_cases`` checks that every name resolves (fact, readout,
observable, scenario, arm, assumptions) and that units agree, so that a broken case fails when
it is read, not after minutes of simulation. This module must not run simulations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from cartsim.errors import CartsimError, ValidationError, did_you_mean, one_of
from cartsim.io.scenario import Scenario, load_scenario
from cartsim.model.observables import OBSERVABLE_BY_NAME
from cartsim.parameters import Catalog
from cartsim.parameters.toml_file import read_tables
from cartsim.validation.facts import Fact
from cartsim.validation.readouts import READOUTS

CASES_FILE = Path(__file__).with_name("cases.toml")
SCENARIO_DIR = Path(__file__).with_name("scenarios")
PATIENTS = ("typical", "cohort")
STATISTICS = {"typical": ("value",), "cohort": ("mean", "median", "proportion")}
KINDS = ("validation", "input_check")
SIDES = ("upper", "lower")
_FIELDS = ("title", "fact", "scenario", "arm", "reference_arm", "patients", "statistic", "readout",
           "one_sided", "one_sided_reason", "kind", "assumptions", "diagnosis")


@dataclass(frozen=True)
class Case:
    """One validation case (see the header of cases.toml for the fields).

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> from cartsim.validation.facts import load_facts
    >>> catalog = load_catalog()
    >>> case = load_cases(catalog, load_facts(catalog))["sle_cd19_b_cell_reappearance"]
    >>> case.arm, case.patients, case.statistic
    ('CD19 CAR-T', 'cohort', 'mean')
    """

    name: str
    title: str
    fact: Fact
    scenario: Scenario
    arm: str
    reference_arm: str | None
    patients: str
    statistic: str
    readout: str
    options: Mapping[str, object]
    one_sided: str | None
    one_sided_reason: str
    kind: str
    assumptions: tuple[str, ...]
    diagnosis: str

    @property
    def arms(self) -> tuple[str, ...]:
        """The arms this case reads."""
        return (self.arm,) if self.reference_arm is None else (self.arm, self.reference_arm)


def load_cases(catalog: Catalog, facts: Mapping[str, Fact], path: Path = CASES_FILE
               ) -> dict[str, Case]:
    """Read and check every case of ``path`` against ``facts`` and ``catalog``.

    Examples
    --------
    >>> from cartsim.parameters import load_catalog
    >>> from cartsim.validation.facts import load_facts
    >>> catalog = load_catalog()
    >>> len(load_cases(catalog, load_facts(catalog))) >= 20
    True
    """
    tables = read_tables(path, "cases", "case under [cases.<name>]")
    scenarios: dict[str, Scenario] = {}
    return {name: _parse(name, table, str(path), catalog, facts, scenarios)
            for name, table in tables.items()}


def select_cases(cases: Mapping[str, Case], names: list[str] | None) -> list[Case]:
    """The cases called ``names`` (all when None), or a ValidationError with a suggestion.

    Examples
    --------
    >>> select_cases({}, None)
    []
    """
    if not names:
        return list(cases.values())
    unknown = [n for n in names if n not in cases]
    if unknown:
        raise ValidationError(f'there is no validation case "{unknown[0]}"'
                              f"{did_you_mean(unknown[0], cases)}; the cases are listed by "
                              "`cartsim validate --list`.")
    return [cases[n] for n in names]


def _error(file: str, name: str, field: str, problem: str) -> ValidationError:
    return ValidationError(f'{file}: [cases.{name}] field "{field}" {problem}.')


def _parse(name: str, table: Mapping[str, object], file: str, catalog: Catalog,
           facts: Mapping[str, Fact], scenarios: dict[str, Scenario]) -> Case:
    def fail(field: str, problem: str) -> ValidationError:
        return _error(file, name, field, problem)

    def text(field: str, default: str | None = None) -> str:
        value = table.get(field, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise fail(field, f"must be non-empty text, not {value!r}")
        return value

    def choice(field: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = text(field, default)
        if value not in choices:
            raise fail(field, f'is "{value}"{did_you_mean(value, choices)}, but must be '
                       f"{one_of(choices)}")
        return value

    for field in table:
        if field not in _FIELDS:
            raise fail(field, f"is not a case field{did_you_mean(field, _FIELDS)}; valid fields "
                       f"are {one_of(_FIELDS)}")
    fact_name = text("fact")
    if fact_name not in facts:
        raise fail("fact", f'names "{fact_name}", which is not in facts.toml'
                   f"{did_you_mean(fact_name, facts)}")
    fact = facts[fact_name]
    scenario = _scenario(text("scenario"), scenarios, fail)
    arm_names = [a.name for a in scenario.arms]
    arm = text("arm")
    reference_arm = table.get("reference_arm")
    for field, value in (("arm", arm), ("reference_arm", reference_arm)):
        if value is not None and value not in arm_names:
            raise fail(field, f'is "{value}"{did_you_mean(str(value), arm_names)}, but the arms of '
                       f"{scenario.source} are {one_of(arm_names)}")
    patients = choice("patients", PATIENTS)
    statistic = choice("statistic", STATISTICS[patients])
    readout_name, options = _readout(table.get("readout"), fail)
    readout = READOUTS[readout_name]
    if readout.needs_reference != (reference_arm is not None):
        raise fail("reference_arm", f'must be given exactly when the readout needs one ("{readout_name}" '
                   f"{'does' if readout.needs_reference else 'does not'})")
    unit = readout.unit_for(options)
    if (unit == "indicator") != (statistic == "proportion"):
        raise fail("statistic", 'must be "proportion" exactly when the readout is an indicator (1/0)')
    compared_unit = "percent" if unit == "indicator" else unit
    if compared_unit != fact.unit:
        raise fail("readout", f'gives "{compared_unit}" but fact "{fact_name}" is in "{fact.unit}"')
    one_sided = table.get("one_sided")
    if one_sided is not None:
        one_sided = choice("one_sided", SIDES)
        text("one_sided_reason")
    assumptions = table.get("assumptions", [])
    if not isinstance(assumptions, list) or not all(isinstance(a, str) for a in assumptions):
        raise fail("assumptions", 'must be a list of assumption keys such as ["A200"], not '
                   f"{assumptions!r}")
    for key in assumptions:
        if key not in catalog.assumptions:
            raise fail("assumptions", f'names "{key}", which is not in assumptions.toml'
                       f"{did_you_mean(key, catalog.assumptions)}")
    return Case(name, text("title"), fact, scenario, arm, reference_arm, patients, statistic,
                readout_name, MappingProxyType(options), one_sided, text("one_sided_reason", ""),
                choice("kind", KINDS, "validation"), tuple(assumptions), text("diagnosis", ""))


def _scenario(file_name: str, cache: dict[str, Scenario], fail) -> Scenario:
    if file_name not in cache:
        path = SCENARIO_DIR / file_name
        if not path.is_file():
            available = sorted(p.name for p in SCENARIO_DIR.glob("*.toml"))
            raise fail("scenario", f'names "{file_name}", which is not a file of '
                       f"{SCENARIO_DIR}{did_you_mean(file_name, available)}")
        try:
            cache[file_name] = load_scenario(path)
        except CartsimError as error:
            raise fail("scenario", f"names a scenario that does not load: {error}") from None
    return cache[file_name]


def _readout(spec: object, fail) -> tuple[str, dict[str, object]]:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise fail("readout", 'must be a table such as { name = "b_cell_reappearance_day" }')
    name = spec["name"]
    if name not in READOUTS:
        raise fail("readout.name", f'is "{name}"{did_you_mean(name, READOUTS)}, but must be '
                   f"{one_of(READOUTS)}")
    wanted = READOUTS[name].options
    options: dict[str, object] = {}
    for key, value in spec.items():
        if key == "name":
            continue
        if key not in wanted:
            raise fail(f"readout.{key}", f'is not an option of readout "{name}", which takes '
                       f"{one_of(wanted) or 'no options'}")
        kind = wanted[key]
        ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
        if not ok or isinstance(value, bool):
            raise fail(f"readout.{key}", f"must be {kind.__name__}, not {value!r}")
        options[key] = float(value) if kind is float else value
    missing = [k for k in wanted if k not in options]
    if missing:
        raise fail(f"readout.{missing[0]}", f'is missing; readout "{name}" needs {one_of(wanted)}')
    observable = options.get("observable")
    if observable is not None and observable not in OBSERVABLE_BY_NAME:
        suggestion = did_you_mean(str(observable), OBSERVABLE_BY_NAME)
        raise fail("readout.observable", f'is "{observable}"{suggestion}, which is not an '
                   "observable of the model")
    return name, options
