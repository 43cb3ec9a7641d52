"""Scenario files: one TOML file describing a study, read into frozen dataclasses.

``load_scenario`` reads a file and ``parse_scenario`` checks an already-parsed TOML table; both
return a ``Scenario`` (population, arms, horizon, seed, solver settings, the sensitivity-analysis
settings, and a digest of the input for provenance); ``parse_sensitivity`` also checks
sensitivity settings given on the command line. Every problem raises ``ScenarioError`` with one
sentence naming the file, the dotted field (positions in arrays count from 1:
``arm[2].therapy``) and what would be valid, with a "did you mean" for misspelt keys and
values. The format is documented in ``docs/scenarios.md``. This module only reads and checks
input: it must not sample patients, compile events or run simulations.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cartsim.errors import ScenarioError, did_you_mean, one_of
from cartsim.io.eligibility import Criterion, parse_criteria
from cartsim.model.patient import COVARIATES, DISEASES
from cartsim.parameters import load_catalog
from cartsim.solve.settings import BACKENDS, SolverSettings
from cartsim.therapies.lymphodepletion import (
    CONDITIONING_PRESETS,
    LYMPHODEPLETION_PRESETS,
    lymphodepletion_preset,
)
from cartsim.therapies.regimens import (
    ANTIBODIES,
    CART_SOURCES,
    CELL_DOSE_UNITS,
    COSTIMULATION,
    DRUG_DOSE_UNITS,
    DRUGS,
    MANAGEMENT,
    TARGETS,
    VECTOR_DOSE_UNITS,
    Ahsct,
    AntiCD20,
    Arm,
    CarT,
    DrugDose,
    NoTherapy,
    Therapy,
)
from cartsim.trials.endpoints import DETERMINISTIC

THERAPIES = ("car_t", *ANTIBODIES, "ahsct", "none")
LYMPHODEPLETING_DRUGS = ("fludarabine", "cyclophosphamide")

_TOP_KEYS = ("scenario", "population", "trial", "solver", "sensitivity", "arm")
_TRIAL_KEYS = ("design", "parameter_uncertainty")
DESIGNS = ("parallel", "crossover")
"""Trial designs: ``parallel`` randomises each patient to one arm (permuted blocks); ``crossover``
gives every virtual patient every arm (a "digital twin" comparison)."""
_SCENARIO_KEYS = ("name", "horizon_days", "seed", "description")
_POPULATION_KEYS = ("disease", "n_patients", "eligibility")
_SOLVER_KEYS = ("backend", "rtol", "atol", "max_steps")
_LISTED_CHOICES = 20
_SENSITIVITY_KEYS = ("arms", "endpoints", "parameters", "samples", "seed", "horizon_days")
ASSUMED_GROUP = "assumed"
"""The name that stands, in a list of sensitivity parameters, for every assumed record that can
move a patient's dynamics (``population.parameter_uncertainty.default_uncertain_parameters``)."""
DEFAULT_SENSITIVITY_ENDPOINTS = (
    "cart_peak_blood_per_ul",
    "b_cell_depletion_pct_lymph_node",
    "b_cell_depletion_pct_cns",
    "b_cell_reappearance_day",
    "igg_nadir_pct_of_baseline",
)
"""Expansion, tissue depletion (where CAR-T and antibodies differ most), reconstitution and
hypogammaglobulinaemia: the questions the clinic asks first."""
DEFAULT_SENSITIVITY_SAMPLES = 16
"""Base samples N. One evaluation (one arm of the typical patient, steady state included) takes
about 0.3 s; the default group holds about 60 parameters D, so N (D + 2) is about 1000
evaluations, some 3 minutes on 2 workers. Confidence intervals at N = 16 are wide (about
+/- 0.2 on ST); a study quoting indices should use 256 or more."""
DEFAULT_SENSITIVITY_HORIZON = 365.0
"""Days simulated by default (or the scenario horizon if shorter): long enough for CAR-T
expansion, the depletion nadir and B-cell reappearance (about 110 days, clinical_facts T1-04)."""
_LYMPHODEPLETION_KEYS = ("drug", "dose", "unit", "days")
_ARM_KEYS = ("name", "therapy", "population")
_CAR_T_KEYS = ("target", "dose", "costimulation", "source", "lymphodepletion", "infusion_day",
               "management")
_ANTIBODY_KEYS = ("n_doses", "start_day")
_AHSCT_KEYS = ("conditioning",)
_APPLIES_TO = {
    **dict.fromkeys(_CAR_T_KEYS, ("car_t",)),
    **dict.fromkeys(_ANTIBODY_KEYS, ANTIBODIES),
    **dict.fromkeys(_AHSCT_KEYS, ("ahsct",)),
}
_DISEASE_ONLY = {"marrow_blast_pct": "b_all", "tumour_burden_cells": "lbcl"}
_BINARY_COVARIATES = ("sex", "prior_anti_cd20")
_COVARIATE_MAXIMUM = {"edss": 10.0, "marrow_blast_pct": 100.0}
_DOSE = re.compile(r"^\s*([0-9.eE+-]+)\s*(cells/kg|cells|vg/kg|vg)\s*$")


@dataclass(frozen=True)
class PopulationSpec:
    """Who is simulated: disease, number of patients, inclusion criteria, covariate overrides.

    ``covariates`` holds only the overrides the file gives; every other covariate comes from the
    typical patient of the disease.

    Examples
    --------
    >>> PopulationSpec(disease="rrms", n_patients=10).covariates
    mappingproxy({})
    """

    disease: str
    n_patients: int = 1
    eligibility: tuple[Criterion, ...] = ()
    covariates: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )


@dataclass(frozen=True)
class SensitivitySpec:
    """What ``cartsim sensitivity`` studies: arms, endpoints, parameters, sample size, seed, horizon.

    Empty ``arms`` means the scenario's first arm; ``"assumed"`` in ``parameters`` stands for the
    default group of assumed records; ``seed`` None means the scenario seed and
    ``horizon_days`` None means ``min(scenario horizon, DEFAULT_SENSITIVITY_HORIZON)``.

    Examples
    --------
    >>> SensitivitySpec().parameters, SensitivitySpec().samples
    (('assumed',), 16)
    """

    arms: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = DEFAULT_SENSITIVITY_ENDPOINTS
    parameters: tuple[str, ...] = (ASSUMED_GROUP,)
    samples: int = DEFAULT_SENSITIVITY_SAMPLES
    seed: int | None = None
    horizon_days: float | None = None

    def as_table(self) -> dict[str, object]:
        """The settings as a scenario-file table (unset entries left out).

        Examples
        --------
        >>> SensitivitySpec(samples=8).as_table()["samples"]
        8
        """
        table = {"arms": list(self.arms), "endpoints": list(self.endpoints),
                 "parameters": list(self.parameters), "samples": self.samples,
                 "seed": self.seed, "horizon_days": self.horizon_days}
        return {key: value for key, value in table.items() if value is not None}


@dataclass(frozen=True)
class Scenario:
    """A whole study as read from a scenario file.

    ``digest`` is the SHA-256 of the canonical JSON of the parsed TOML table (sorted keys, no
    spaces, ASCII escapes), so whitespace, comments and key order do not change it but any
    value does.

    Examples
    --------
    >>> s = parse_scenario(
    ...     {"scenario": {"name": "demo"}, "population": {"disease": "rrms"},
    ...      "arm": [{"name": "Untreated", "therapy": "none"}]}, "demo.toml")
    >>> s.horizon_days, s.arms[0].therapy
    (730.0, NoTherapy())
    """

    name: str
    description: str
    horizon_days: float
    seed: int
    population: PopulationSpec
    arms: tuple[Arm, ...]
    solver: SolverSettings
    source: str
    digest: str
    design: str = "parallel"
    parameter_uncertainty: bool = False
    sensitivity: SensitivitySpec = field(default_factory=SensitivitySpec)
    arm_populations: tuple[PopulationSpec | None, ...] = ()
    """Per arm, its own population (a cohort screened and sampled for that arm alone), or None
    where the arm draws from ``population``. Empty when no arm has its own."""

    def population_of(self, arm: int) -> PopulationSpec:
        """The population arm number ``arm`` (0-based) enrols from.

        Examples
        --------
        >>> s = parse_scenario(
        ...     {"scenario": {"name": "demo"}, "population": {"disease": "rrms"},
        ...      "arm": [{"name": "SLE", "therapy": "none", "population": {"disease": "sle"}}]},
        ...     "demo.toml")
        >>> s.population_of(0).disease
        'sle'
        """
        own = self.arm_populations[arm] if self.arm_populations else None
        return own if own is not None else self.population

    @property
    def has_cohorts(self) -> bool:
        """True when at least one arm enrols from its own population."""
        return any(p is not None for p in self.arm_populations)


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file.

    Examples
    --------
    >>> load_scenario("scenarios/ms_cd19_vs_ocrelizumab.toml").population.disease
    'rrms'
    """
    source = str(path)
    file = Path(path)
    if not file.exists():
        raise ScenarioError(source, "file", "does not exist")
    if not file.is_file():
        raise ScenarioError(source, "file", "is not a file")
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(source, "file", "is not UTF-8 text, which TOML requires") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = re.search(r"at line (\d+)", message)
        where = f"line {line.group(1)}" if line else "file"
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ScenarioError(source, where, f"is not valid TOML ({reason})") from None
    return parse_scenario(data, source)


def parse_scenario(data: Mapping[str, object], source: str) -> Scenario:
    """Check a parsed TOML table and build the Scenario it describes.

    ``source`` names the origin in error messages and is stored on the Scenario.

    Examples
    --------
    >>> s = parse_scenario(
    ...     {"scenario": {"name": "demo", "horizon_days": 365},
    ...      "population": {"disease": "rrms", "n_patients": 20, "eligibility": ["age >= 18"]},
    ...      "arm": [{"name": "Ocrelizumab", "therapy": "ocrelizumab", "n_doses": 2}]},
    ...     "demo.toml")
    >>> s.arms[0].therapy
    AntiCD20(drug='ocrelizumab', n_courses=2, start_day=0.0)
    """
    _check_keys(data, _TOP_KEYS, source, "", "at the top level")
    scenario = _table(data, "scenario", source, required=True)
    _check_keys(scenario, _SCENARIO_KEYS, source, "scenario.", "in [scenario]")
    name = _text(_required(scenario, "name", source, "scenario."), source, "scenario.name")
    description = _text(scenario.get("description", ""), source, "scenario.description", True)
    horizon = _number(
        scenario.get("horizon_days", 730), source, "scenario.horizon_days", "a number of days"
    )
    if horizon <= 0:
        raise ScenarioError(source, "scenario.horizon_days", f"must be above 0, not {horizon:g}")
    seed = _integer(scenario.get("seed", 1), source, "scenario.seed", minimum=0)
    population = _population(_table(data, "population", source, required=True), source)
    solver = _solver(_table(data, "solver", source, required=False), source)
    trial = _table(data, "trial", source, required=False)
    _check_keys(trial, _TRIAL_KEYS, source, "trial.", "in [trial]")
    design = _choice(trial.get("design", "parallel"), DESIGNS, source, "trial.design", "design")
    uncertainty = trial.get("parameter_uncertainty", False)
    if not isinstance(uncertainty, bool):
        raise ScenarioError(source, "trial.parameter_uncertainty",
                            f"must be true or false, not {_describe(uncertainty)}")
    arms = _arms(data.get("arm"), source, horizon)
    sensitivity = parse_sensitivity(_table(data, "sensitivity", source, required=False), source,
                                    tuple(a.name for a in arms), horizon)
    arm_populations = _arm_populations(data["arm"], population, source)
    if any(p is not None for p in arm_populations) and design == "crossover":
        raise ScenarioError(
            source, "trial.design",
            '"crossover" gives every patient every arm, but arms with their own population '
            'enrol separate cohorts; remove the arm populations or use "parallel"')
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return Scenario(
        name=name,
        description=description,
        horizon_days=horizon,
        seed=seed,
        population=population,
        arms=arms,
        solver=solver,
        source=source,
        digest=hashlib.sha256(canonical.encode("ascii")).hexdigest(),
        design=design,
        parameter_uncertainty=uncertainty,
        sensitivity=sensitivity,
        arm_populations=arm_populations if any(p is not None for p in arm_populations) else (),
    )


def parse_sensitivity(table: Mapping[str, object], source: str, arm_names: tuple[str, ...],
                      horizon: float) -> SensitivitySpec:
    """Check a ``[sensitivity]`` table against the scenario's arms, the endpoints and the catalogue.

    Examples
    --------
    >>> parse_sensitivity({"samples": 8, "arms": ["B"]}, "s.toml", ("A", "B"), 365.0).arms
    ('B',)
    """
    _check_keys(table, _SENSITIVITY_KEYS, source, "sensitivity.", "in [sensitivity]")
    default = SensitivitySpec()
    arms = _names(table.get("arms", []), arm_names, source, "sensitivity.arms", "arm name",
                  empty_ok=True)
    endpoints = _names(table.get("endpoints", list(default.endpoints)), DETERMINISTIC, source,
                       "sensitivity.endpoints", "endpoint for a sensitivity analysis")
    catalog = load_catalog()
    parameters = _names(table.get("parameters", list(default.parameters)),
                        (ASSUMED_GROUP, *catalog.records), source, "sensitivity.parameters",
                        'catalogue record (see "cartsim params list") or "assumed"')
    for position, name in enumerate(parameters, start=1):
        if name != ASSUMED_GROUP and catalog.record(name).kind == "derived":
            raise ScenarioError(source, f"sensitivity.parameters[{position}]",
                                f'"{name}" is derived from a formula and cannot vary on its own; '
                                "name the records its formula uses")
    samples = _integer(table.get("samples", default.samples), source, "sensitivity.samples",
                       minimum=2)
    if samples & (samples - 1):
        raise ScenarioError(source, "sensitivity.samples", f"must be a power of 2 (such as 8, 16 or "
                            f"64), which the Sobol sequence needs to stay balanced, not {samples}")
    seed = table.get("seed")
    if seed is not None:
        seed = _integer(seed, source, "sensitivity.seed", minimum=0)
    days = table.get("horizon_days")
    if days is not None:
        days = _number(days, source, "sensitivity.horizon_days", "a number of days")
        if not 0 < days <= horizon:
            raise ScenarioError(source, "sensitivity.horizon_days", f"must lie above 0 and within "
                                f"the scenario horizon of {horizon:g} days, not {days:g}")
    return SensitivitySpec(arms, endpoints, parameters, samples, seed, days)


def _names(value: object, valid: tuple[str, ...], source: str, where: str, what: str,
           empty_ok: bool = False) -> tuple[str, ...]:
    """Names from ``valid``, each once; long lists of valid names are not spelt out."""
    if not isinstance(value, list | tuple) or not (value or empty_ok):
        raise ScenarioError(source, where, f"must be a non-empty array of names, not "
                            f"{_describe(value)}")
    names: list[str] = []
    for position, item in enumerate(value, start=1):
        at = f"{where}[{position}]"
        if len(valid) <= _LISTED_CHOICES:
            names.append(_choice(item, valid, source, at, what))
        elif not isinstance(item, str) or item not in valid:
            raise ScenarioError(source, at, f"{_describe(item)} is not a {what}"
                                f"{did_you_mean(str(item), valid)}")
        else:
            names.append(item)
        if names[-1] in names[:-1]:
            raise ScenarioError(source, at, f'"{item}" is listed twice')
    return tuple(names)


def _population(table: Mapping[str, object], source: str, prefix: str = "population.",
                inherited: PopulationSpec | None = None) -> PopulationSpec:
    """The population of ``table``; an arm's own population inherits the size and criteria."""
    where = "in [population]" if inherited is None else "in an arm's population table"
    _check_keys(table, (*_POPULATION_KEYS, *COVARIATES), source, prefix, where)
    disease = _choice(
        _required(table, "disease", source, prefix), DISEASES, source, f"{prefix}disease",
        "disease",
    )
    n_patients = _integer(
        table.get("n_patients", inherited.n_patients if inherited else 1), source,
        f"{prefix}n_patients", minimum=1,
    )
    eligibility = (inherited.eligibility if inherited is not None and "eligibility" not in table
                   else parse_criteria(table.get("eligibility", []), source,
                                       f"{prefix}eligibility"))
    covariates: dict[str, float] = {}
    for key in COVARIATES:
        if key in table:
            covariates[key] = _covariate(key, table[key], disease, source, prefix)
    return PopulationSpec(disease, n_patients, eligibility, MappingProxyType(covariates))


def _covariate(key: str, value: object, disease: str, source: str, prefix: str) -> float:
    where = f"{prefix}{key}"
    unit, _ = COVARIATES[key]
    number = _number(value, source, where, f"a number{f' in {unit}' if unit else ''}")
    if key in _DISEASE_ONLY and disease != _DISEASE_ONLY[key]:
        raise ScenarioError(
            source, where, f"applies only to {_DISEASE_ONLY[key]} populations, not {disease}"
        )
    if key in _BINARY_COVARIATES and number not in (0.0, 1.0):
        raise ScenarioError(source, where, f"must be 0 or 1, not {number:g}")
    if number < 0 or number > _COVARIATE_MAXIMUM.get(key, math.inf):
        upper = _COVARIATE_MAXIMUM.get(key)
        valid = f"between 0 and {upper:g}" if upper is not None else "0 or more"
        raise ScenarioError(source, where, f"must be {valid}, not {number:g}")
    return number


def _solver(table: Mapping[str, object], source: str) -> SolverSettings:
    _check_keys(table, _SOLVER_KEYS, source, "solver.", "in [solver]")
    default = SolverSettings()
    backend = _choice(
        table.get("backend", default.backend), BACKENDS, source, "solver.backend", "backend"
    )
    rtol = _number(table.get("rtol", default.rtol), source, "solver.rtol", "a number")
    if not 0 < rtol < 1:
        raise ScenarioError(source, "solver.rtol", f"must lie between 0 and 1, not {rtol:g}")
    atol = _number(table.get("atol", default.atol), source, "solver.atol", "a number")
    if atol <= 0:
        raise ScenarioError(source, "solver.atol", f"must be above 0, not {atol:g}")
    max_steps = _integer(
        table.get("max_steps", default.max_steps), source, "solver.max_steps", minimum=1
    )
    return SolverSettings(backend=backend, rtol=rtol, atol=atol, max_steps=max_steps)


def _arms(value: object, source: str, horizon: float) -> tuple[Arm, ...]:
    if value is None:
        raise ScenarioError(
            source, "arm", 'is missing; add at least one [[arm]] table with a "name" and "therapy"'
        )
    if not isinstance(value, list) or not all(isinstance(a, Mapping) for a in value):
        raise ScenarioError(source, "arm", "must be an array of tables, written [[arm]]")
    if not value:
        raise ScenarioError(source, "arm", "is empty; add at least one [[arm]] table")
    arms: list[Arm] = []
    for position, table in enumerate(value, start=1):
        arm = _arm(table, source, f"arm[{position}].", horizon)
        for earlier, other in enumerate(arms, start=1):
            if other.name == arm.name:
                raise ScenarioError(
                    source, f"arm[{position}].name",
                    f'"{arm.name}" is already the name of arm[{earlier}]; arm names must be unique',
                )
        arms.append(arm)
    return tuple(arms)


def _arm_populations(tables: list[Mapping[str, object]], shared: PopulationSpec, source: str
                     ) -> tuple[PopulationSpec | None, ...]:
    """Each arm's own population (inheriting the shared size and criteria), or None."""
    populations: list[PopulationSpec | None] = []
    for position, table in enumerate(tables, start=1):
        where = f"arm[{position}].population"
        if "population" not in table:
            populations.append(None)
            continue
        value = table["population"]
        if not isinstance(value, Mapping):
            raise ScenarioError(
                source, where, "must be a table such as { disease = \"b_all\", marrow_blast_pct "
                f"= 70 }}, not {_describe(value)}")
        populations.append(_population(value, source, f"{where}.", shared))
    return tuple(populations)


def _arm(table: Mapping[str, object], source: str, prefix: str, horizon: float) -> Arm:
    _check_keys(table, (*_ARM_KEYS, *_APPLIES_TO), source, prefix, "in an [[arm]]")
    name = _text(_required(table, "name", source, prefix), source, f"{prefix}name")
    therapy = _choice(
        _required(table, "therapy", source, prefix), THERAPIES, source, f"{prefix}therapy",
        "therapy",
    )
    for key in table:
        if key in _APPLIES_TO and therapy not in _APPLIES_TO[key]:
            raise ScenarioError(
                source, f"{prefix}{key}", f"applies only to {one_of(_APPLIES_TO[key])} arms"
            )
    result: Therapy
    if therapy == "car_t":
        result = _car_t(table, source, prefix, horizon)
    elif therapy in ANTIBODIES:
        result = _antibody(therapy, table, source, prefix, horizon)
    elif therapy == "ahsct":
        result = Ahsct(
            _choice(
                table.get("conditioning", "cy_atg"), CONDITIONING_PRESETS, source,
                f"{prefix}conditioning", "conditioning regimen",
            )
        )
    else:
        result = NoTherapy()
    return Arm(name=name, therapy=result)


def _car_t(table: Mapping[str, object], source: str, prefix: str, horizon: float) -> CarT:
    target = _choice(table.get("target", "CD19"), TARGETS, source, f"{prefix}target", "target")
    costimulation = _choice(
        table.get("costimulation", "4-1BB"), COSTIMULATION, source, f"{prefix}costimulation",
        "costimulatory domain",
    )
    product_source = _choice(
        table.get("source", "autologous"), CART_SOURCES, source, f"{prefix}source",
        "CAR-T source",
    )
    dose, unit = _dose(_required(table, "dose", source, prefix), product_source, source, prefix)
    default_regimen = "none" if product_source == "in_vivo" else "flu_cy"
    return CarT(
        target=target,
        dose=dose,
        dose_unit=unit,
        costimulation=costimulation,
        source=product_source,
        lymphodepletion=_lymphodepletion(
            table.get("lymphodepletion", default_regimen), source, f"{prefix}lymphodepletion"
        ),
        infusion_day=_study_day(
            table.get("infusion_day", 0), source, f"{prefix}infusion_day", horizon
        ),
        management=_choice(table.get("management", "astct"), MANAGEMENT, source,
                           f"{prefix}management", "toxicity management"),
    )


def _antibody(
    drug: str, table: Mapping[str, object], source: str, prefix: str, horizon: float
) -> AntiCD20:
    n_doses = table.get("n_doses")
    return AntiCD20(
        drug=drug,
        n_courses=None if n_doses is None else _integer(
            n_doses, source, f"{prefix}n_doses", minimum=1
        ),
        start_day=_study_day(table.get("start_day", 0), source, f"{prefix}start_day", horizon),
    )


def _dose(value: object, product_source: str, source: str, prefix: str) -> tuple[float, str]:
    where = f"{prefix}dose"
    units = VECTOR_DOSE_UNITS if product_source == "in_vivo" else CELL_DOSE_UNITS
    example = '"1e12 vg/kg" or "1e12 vg"' if product_source == "in_vivo" else (
        '"1e6 cells/kg" or "1e8 cells"'
    )
    if not isinstance(value, str):
        raise ScenarioError(
            source, where, f"must be a string such as {example}, not {_describe(value)}"
        )
    match = _DOSE.match(value)
    try:
        amount = float(match.group(1)) if match else math.nan
    except ValueError:
        amount = math.nan
    if match is None or not math.isfinite(amount):
        raise ScenarioError(
            source, where, f'"{value}" is not a dose; write a number and a unit such as {example}'
        )
    if amount <= 0:
        raise ScenarioError(source, where, f'"{value}" must be a dose above 0')
    unit = match.group(2)
    if unit not in units:
        raise ScenarioError(
            source, where,
            f'"{value}" is in {unit}, but {product_source} products are dosed in {one_of(units)}',
        )
    return amount, unit


def _lymphodepletion(value: object, source: str, where: str) -> tuple[DrugDose, ...]:
    if isinstance(value, str):
        name = _choice(value, LYMPHODEPLETION_PRESETS, source, where, "lymphodepletion regimen")
        return lymphodepletion_preset(name)
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise ScenarioError(
            source, where,
            f"must be a regimen name ({one_of(LYMPHODEPLETION_PRESETS)}) or an array of tables "
            'such as [{drug = "fludarabine", dose = 30, unit = "mg/m2", days = [-5, -4, -3]}]',
        )
    doses: list[DrugDose] = []
    for position, table in enumerate(value, start=1):
        prefix = f"{where}[{position}]."
        _check_keys(table, _LYMPHODEPLETION_KEYS, source, prefix, "in a lymphodepletion table")
        drug = _text(_required(table, "drug", source, prefix), source, f"{prefix}drug")
        if drug not in LYMPHODEPLETING_DRUGS:
            kind = "a conditioning drug, not a lymphodepleting one" if drug in DRUGS else (
                f"not a known drug{did_you_mean(drug, DRUGS)}"
            )
            raise ScenarioError(
                source, f"{prefix}drug",
                f'"{drug}" is {kind}; use {one_of(LYMPHODEPLETING_DRUGS)}',
            )
        amount = _number(_required(table, "dose", source, prefix), source, f"{prefix}dose",
                         "a number")
        if amount <= 0:
            raise ScenarioError(source, f"{prefix}dose", f"must be above 0, not {amount:g}")
        unit = _choice(
            _required(table, "unit", source, prefix), DRUG_DOSE_UNITS, source, f"{prefix}unit",
            "drug dose unit",
        )
        days = _required(table, "days", source, prefix)
        if not isinstance(days, list) or not days:
            raise ScenarioError(
                source, f"{prefix}days",
                "must be a non-empty array of days relative to infusion, such as [-5, -4, -3]",
            )
        for index, day in enumerate(days, start=1):
            number = _number(day, source, f"{prefix}days[{index}]", "a day number")
            if number > 0:
                raise ScenarioError(
                    source, f"{prefix}days[{index}]",
                    f"is day {number:g} after infusion; lymphodepletion days must be 0 or less",
                )
            doses.append(DrugDose(drug=drug, amount=amount, unit=unit, day=number))
    return tuple(doses)


def _study_day(value: object, source: str, where: str, horizon: float) -> float:
    day = _number(value, source, where, "a study day")
    if not 0 <= day < horizon:
        raise ScenarioError(
            source, where, f"must lie within the horizon (0 <= day < {horizon:g}), not {day:g}"
        )
    return day


def _check_keys(
    table: Mapping[str, object], allowed: Iterable[str], source: str, prefix: str, where: str
) -> None:
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise ScenarioError(
                source, f"{prefix}{key}",
                f"is not a known key{did_you_mean(key, allowed)}; valid keys {where} are "
                f"{one_of(allowed)}",
            )


def _table(
    data: Mapping[str, object], key: str, source: str, *, required: bool
) -> Mapping[str, object]:
    if key not in data:
        if required:
            raise ScenarioError(source, key, f"is missing; add a [{key}] table")
        return {}
    value = data[key]
    if not isinstance(value, Mapping):
        raise ScenarioError(
            source, key, f"must be a table, written [{key}], not {_describe(value)}"
        )
    return value


def _required(table: Mapping[str, object], key: str, source: str, prefix: str) -> object:
    if key not in table:
        raise ScenarioError(source, f"{prefix}{key}", "is required but missing")
    return table[key]


def _text(value: object, source: str, where: str, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise ScenarioError(source, where, f"must be a string, not {_describe(value)}")
    if not empty_ok and not value.strip():
        raise ScenarioError(source, where, "must not be empty")
    return value


def _choice(value: object, choices: tuple[str, ...], source: str, where: str, what: str) -> str:
    if not isinstance(value, str):
        raise ScenarioError(
            source, where, f"must be a string, one of {one_of(choices)}, not {_describe(value)}"
        )
    if value not in choices:
        raise ScenarioError(
            source, where,
            f'"{value}" is not a known {what}{did_you_mean(value, choices)}; '
            f"use {one_of(choices)}",
        )
    return value


def _number(value: object, source: str, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(source, where, f"must be {what}, not {_describe(value)}")
    if not math.isfinite(value):
        raise ScenarioError(source, where, f"must be a finite number, not {value}")
    return float(value)


def _integer(value: object, source: str, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(
            source, where, f"must be a whole number, {minimum} or more, not {_describe(value)}"
        )
    if value < minimum:
        raise ScenarioError(source, where, f"must be {minimum} or more, not {value}")
    return value


def _describe(value: object) -> str:
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value:g}"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"
