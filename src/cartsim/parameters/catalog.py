"""The parameter catalogue: every record, its references and the assumptions register, loaded once.

``load_catalog`` reads ``catalog/*.toml``, ``references.bib`` and ``assumptions.toml`` from a
parameters folder, checks what needs the whole catalogue (unique names, sources that resolve,
assumed bounds within their assumption's range, derived formulas in dependency order) and returns
a frozen ``Catalog``. The model reads numbers only through ``Catalog.value``/``vector``. This
module must not hold any parameter value itself, nor know about model states or the solver.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pint

from cartsim.errors import ParameterError, did_you_mean
from cartsim.expressions import ExpressionError, parse_expression
from cartsim.parameters.assumptions import Assumption, load_assumptions
from cartsim.parameters.records import ParameterRecord, check_bounds, parse_record, record_error
from cartsim.parameters.references import Reference, load_references
from cartsim.parameters.toml_file import read_tables
from cartsim.units import ureg

DEFAULT_DIRECTORY = Path(__file__).resolve().parent
"""The package's own parameters folder, read by ``load_catalog()``."""


@dataclass(frozen=True)
class Catalog:
    """All parameter records by name, with the references and assumptions they point to.

    Examples
    --------
    >>> c = load_catalog()
    >>> isinstance(c.digest(), str)
    True
    """

    records: Mapping[str, ParameterRecord]
    references: Mapping[str, Reference]
    assumptions: Mapping[str, Assumption]

    def record(self, name: str) -> ParameterRecord:
        """Return the record ``name``, or raise a ParameterError suggesting a close name.

        Examples
        --------
        >>> _example().record("k_el").unit
        '1/day'
        """
        if name not in self.records:
            raise ParameterError(f'parameter "{name}" is not in the catalogue'
                                 f"{did_you_mean(name, self.records)}.")
        return self.records[name]

    def value(self, name: str, unit: str | None = None) -> float:
        """Return the value of ``name`` in its record unit, or converted to ``unit``.

        Examples
        --------
        >>> c = _example()
        >>> c.value("k_el"), round(c.value("k_el", "1/h"), 4)
        (0.24, 0.01)
        """
        record = self.record(name)
        if unit is None:
            return record.value
        return record.value * _factor(record.unit, unit, name)

    def quantity(self, name: str) -> pint.Quantity:
        """Return the value of ``name`` as a pint quantity in its record unit.

        Examples
        --------
        >>> str(_example().quantity("k_el"))
        '0.24 / day'
        """
        record = self.record(name)
        return ureg.Quantity(record.value, record.unit)

    def vector(self, layout: Sequence[tuple[str, str]]) -> np.ndarray:
        """Return the float64 array of values for ``(name, unit)`` pairs, in order.

        Examples
        --------
        >>> _example().vector([("k_el", "1/day"), ("t_half_el", "h")])
        array([ 0.24      , 69.31471806])
        """
        return np.array([self.value(name, unit) for name, unit in layout], dtype=np.float64)

    def digest(self) -> str:
        """Return the SHA-256 hex digest of the sorted (name, value, unit) triples.

        Examples
        --------
        >>> len(_example().digest())
        64
        """
        triples = sorted((n, r.value, r.unit) for n, r in self.records.items())
        canonical = json.dumps(triples, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def with_values(self, values: Mapping[str, float]) -> Catalog:
        """Return a catalogue with ``values`` (in record units) overriding the records.

        Derived records that are not overridden are re-derived from the new values. Bounds are
        not enforced for overrides.

        Examples
        --------
        >>> c = _example().with_values({"k_el": 0.5})
        >>> round(c.value("t_half_el"), 4)
        1.3863
        """
        records = dict(self.records)
        for name, value in values.items():
            record = self.record(name)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value):
                raise record_error(record.file, name, "value", f"override is {value!r}, but must "
                                   "be a finite number")
            records[name] = replace(record, value=float(value))
        return replace(self, records=MappingProxyType(_derive(records, keep=set(values))))

    def references_for(self, names: Iterable[str]) -> list[Reference]:
        """Return the references behind ``names``, inputs of derived records included, by key.

        Examples
        --------
        >>> [r.key for r in _example().references_for(["t_half_el"])]
        ['smith2020']
        """
        keys: set[str] = set()
        seen: set[str] = set()
        pending = list(names)
        while pending:
            record = self.record(pending.pop())
            if record.name in seen:
                continue
            seen.add(record.name)
            keys.update(k for k in (record.source, (record.variability or {}).get("source")) if k)
            if record.formula:
                pending.extend(parse_expression(record.formula).names)
        return [self.references[k] for k in sorted(keys)]

    def submodel(self, name: str) -> str:
        """Return the submodel (catalogue file stem) that record ``name`` came from.

        Examples
        --------
        >>> _example().submodel("k_el")
        'pk'
        """
        return Path(self.record(name).file).stem


def load_catalog(directory: str | Path | None = None) -> Catalog:
    """Load and check the catalogue in ``directory`` (default: the package's, cached).

    ``directory`` holds ``catalog/*.toml`` and optionally ``references.bib`` and
    ``assumptions.toml``. Any problem raises a ParameterError naming file, parameter and field.

    Examples
    --------
    >>> load_catalog() is load_catalog()
    True
    """
    if directory is None:
        return _default_catalog()
    return _load(Path(directory))


@functools.lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    return _load(DEFAULT_DIRECTORY)


def _load(directory: Path) -> Catalog:
    bib, register = directory / "references.bib", directory / "assumptions.toml"
    references = load_references(bib) if bib.is_file() else {}
    assumptions = load_assumptions(register) if register.is_file() else {}
    records: dict[str, ParameterRecord] = {}
    for path in sorted((directory / "catalog").glob("*.toml")):
        for record in _read_file(path):
            if record.name in records:
                raise record_error(str(path), record.name, "name", "is already defined in "
                                   f"{records[record.name].file}; parameter names must be unique "
                                   "across files")
            records[record.name] = record
    for record in records.values():
        _check_links(record, references, assumptions, bib)
    derived = _derive(records, keep=set())
    for name, record in derived.items():
        if record.kind == "derived":
            written = records[name].value
            if not math.isnan(written) and not math.isclose(written, record.value, rel_tol=1e-6):
                raise record_error(record.file, name, "value", f"is {written:.9g} but formula "
                                   f'"{record.formula}" gives {record.value:.9g}; they must agree '
                                   "within 1e-6 relative (or leave value out)")
            check_bounds(record)
    return Catalog(MappingProxyType(derived), MappingProxyType(references),
                   MappingProxyType(assumptions))


def _read_file(path: Path) -> list[ParameterRecord]:
    records = []
    for name, table in read_tables(path, "parameters", "record under [parameters.<name>]").items():
        if not isinstance(table, dict):
            raise record_error(str(path), name, "name", "must be a table [parameters.<name>], "
                               f"not {table!r}")
        records.append(parse_record(name, table, str(path)))
    return records


def _check_links(record: ParameterRecord, references: Mapping[str, Reference],
                 assumptions: Mapping[str, Assumption], bib: Path) -> None:
    file, name = record.file, record.name
    for field, key in (("source", record.source),
                       ("variability.source", (record.variability or {}).get("source"))):
        if key is not None and key not in references:
            raise record_error(file, name, field, f'is "{key}", which is not a key of {bib}'
                               f"{did_you_mean(key, references)}; add the entry or fix the key")
    if record.assumption is None:
        return
    if record.assumption not in assumptions:
        raise record_error(file, name, "assumption", f'is "{record.assumption}", which is not in '
                           f"the assumptions register{did_you_mean(record.assumption, assumptions)}"
                           "; add it or fix the key")
    assumption = assumptions[record.assumption]
    if assumption.range is None:
        raise record_error(file, name, "assumption", f'is "{assumption.key}", which has no range; '
                           "give the assumption a range = [lo, hi] in its unit")
    lo, hi = assumption.range
    if assumption.unit:
        try:
            factor = _unit_factor(assumption.unit, record.unit)
        except pint.DimensionalityError:
            raise record_error(file, name, "unit", f'is "{record.unit}", but assumption '
                               f'{assumption.key} is in "{assumption.unit}", which cannot be '
                               "expressed in it; make the units agree") from None
        lo, hi = sorted((lo * factor, hi * factor))
    tolerance = 1e-9 * max(abs(lo), abs(hi))
    if record.bounds[0] < lo - tolerance or record.bounds[1] > hi + tolerance:
        raise record_error(file, name, "bounds", f"are [{record.bounds[0]:.6g}, "
                           f"{record.bounds[1]:.6g}] but assumption {assumption.key} allows "
                           f"[{lo:.6g}, {hi:.6g}] {record.unit}; the bounds must lie within it")


def _derive(records: Mapping[str, ParameterRecord], keep: set[str]
            ) -> dict[str, ParameterRecord]:
    records = dict(records)
    values = {name: record.value for name, record in records.items()}
    for name in _derivation_order(records):
        record = records[name]
        if name in keep:
            continue
        try:
            value = float(parse_expression(record.formula).evaluate(values))
        except (ExpressionError, ArithmeticError, ValueError) as exc:
            raise record_error(record.file, name, "formula", f'"{record.formula}" cannot be '
                               f"evaluated ({exc}); fix the formula or its inputs") from None
        if not math.isfinite(value):
            raise record_error(record.file, name, "formula", f'"{record.formula}" gives '
                               f"{value}; a derived value must be finite")
        values[name] = value
        records[name] = replace(record, value=value)
    return records


def _derivation_order(records: Mapping[str, ParameterRecord]) -> list[str]:
    order: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        record = records[name]
        if name in done or record.kind != "derived":
            return
        if name in path:
            cycle = " -> ".join([*path[path.index(name):], name])
            raise record_error(record.file, name, "formula", f"makes derived parameters depend on "
                               f"each other in a cycle ({cycle}); give one of them a value of "
                               "its own")
        try:
            inputs = parse_expression(record.formula).names
        except ExpressionError as exc:
            raise record_error(record.file, name, "formula", f"cannot be parsed ({exc})") from None
        for item in sorted(inputs):
            if item not in records:
                raise record_error(record.file, name, "formula", f'uses "{item}", which is not '
                                   f"a parameter{did_you_mean(item, records)}")
            visit(item, [*path, name])
        done.add(name)
        order.append(name)

    for name in records:
        visit(name, [])
    return order


@functools.lru_cache(maxsize=4096)
def _unit_factor(from_unit: str, to_unit: str) -> float:
    return float(ureg.Quantity(1.0, from_unit).to(to_unit).magnitude)


def _factor(from_unit: str, to_unit: str, name: str) -> float:
    try:
        return _unit_factor(from_unit, to_unit)
    except pint.DimensionalityError:
        raise ParameterError(f'parameter "{name}" is in "{from_unit}", which cannot be expressed '
                             f'in "{to_unit}"; ask for a unit of the same dimension.') from None
    except Exception as exc:  # pint raises several unrelated exception types on bad input
        raise ParameterError(f'parameter "{name}": "{to_unit}" is not a unit the cartsim '
                             f"registry understands ({exc}).") from None


def _example() -> Catalog:
    """A two-record catalogue for the docstring examples."""
    common = {"description": "Example", "file": "pk.toml", "source": "smith2020",
              "location": "Table 1"}
    k_el = ParameterRecord(name="k_el", value=0.24, unit="1/day", kind="fixed",
                           bounds=(0.01, 1.0), **common)
    t_half = ParameterRecord(name="t_half_el", value=math.log(2) / 0.24, unit="day",
                             kind="derived", formula="ln(2) / k_el", bounds=(0.1, 100.0), **common)
    ref = Reference("smith2020", "article", {"title": "PK", "doi": "10.1/x"})
    return Catalog(MappingProxyType({"k_el": k_el, "t_half_el": t_half}),
                   MappingProxyType({"smith2020": ref}), MappingProxyType({}))
