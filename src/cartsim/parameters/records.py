"""One parameter record of the catalogue: its fields, and the checks a record passes on its own.

``parse_record`` turns one ``[parameters.<name>]`` TOML table into a frozen ``ParameterRecord``,
rejecting unknown fields, missing fields for its kind, unparseable units, values outside their
bounds and printed source values that do not reproduce the written value. Checks that need the
rest of the catalogue (sources in references.bib, the assumptions register, derived formulas)
live in ``catalog``. This module must not read files or know about other records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import pint

from cartsim.errors import ParameterError, did_you_mean, one_of
from cartsim.units import ureg

KINDS = ("estimated", "fixed", "assumed", "derived", "calibrated")
CONVERSIONS = ("unit", "half_life", "doubling_time", "mean_lifetime", "inverse")
DISTRIBUTIONS = ("lognormal", "normal", "logitnormal")
FIELDS = (
    "value", "unit", "description", "kind", "source", "location", "assumption", "formula",
    "source_value", "source_unit", "conversion", "bounds", "variability", "calibration", "target",
)
VARIABILITY_FIELDS = ("distribution", "omega2", "source")

_REQUIRED_BY_KIND = {
    "estimated": ("source", "location"),
    "fixed": ("source", "location"),
    "assumed": ("assumption",),
    "derived": ("formula",),
    "calibrated": ("calibration", "target"),
}
_ONLY_FOR_KIND = {"assumption": ("assumed", "calibrated"), "formula": ("derived",),
                  "calibration": ("calibrated",), "target": ("calibrated",)}
"""Fields that only some kinds take. A calibrated record names its calibration spec file
(``calibration``, relative to the cartsim package) and target case(s) (``target``, comma
separated), and keeps the assumption whose range bounded the fit, if it had one."""
_TIME_CONVERSIONS = ("half_life", "doubling_time", "mean_lifetime")


@dataclass(frozen=True, kw_only=True)
class ParameterRecord:
    """A parameter of the model with its value, unit and provenance.

    ``value`` is in ``unit`` and has already been re-derived by the loader from
    ``source_value``/``source_unit`` (when given) or from ``formula`` (derived records).

    Examples
    --------
    >>> r = ParameterRecord(name="k_death_cart", value=0.1, unit="1/day", description="Death",
    ...                     kind="fixed", source="smith2020", location="Table 1",
    ...                     bounds=(0.01, 1.0), file="cart.toml")
    >>> r.describe().splitlines()[0]
    'k_death_cart = 0.1 1/day (fixed)'
    """

    name: str
    value: float
    unit: str
    description: str
    kind: str
    source: str | None = None
    location: str | None = None
    assumption: str | None = None
    formula: str | None = None
    source_value: float | None = None
    source_unit: str | None = None
    conversion: str | None = None
    bounds: tuple[float, float]
    variability: Mapping[str, object] | None = None
    calibration: str | None = None
    target: str | None = None
    file: str

    def describe(self) -> str:
        """Return a multi-line human description of the record.

        Examples
        --------
        >>> r = ParameterRecord(name="f_x", value=0.5, unit="", description="A fraction",
        ...                     kind="assumed", assumption="A1", bounds=(0.0, 1.0), file="x.toml")
        >>> print(r.describe())
        f_x = 0.5 (assumed)
          A fraction
          assumption: A1
          bounds: [0, 1]
        """
        unit = f" {self.unit}" if self.unit else ""
        lines = [f"{self.name} = {self.value:.6g}{unit} ({self.kind})", f"  {self.description}"]
        if self.source:
            where = f", {self.location}" if self.location else ""
            lines.append(f"  source: {self.source}{where}")
        if self.source_value is not None:
            as_printed = f"{self.source_value:.6g} {self.source_unit or ''}".rstrip()
            lines.append(f"  as printed: {as_printed} (conversion: {self.conversion})")
        if self.assumption:
            lines.append(f"  assumption: {self.assumption}")
        if self.formula:
            lines.append(f"  formula: {self.formula}")
        if self.calibration:
            lines.append(f"  calibration: {self.calibration} against {self.target}")
        lines.append(f"  bounds: [{self.bounds[0]:.6g}, {self.bounds[1]:.6g}]")
        if self.variability:
            var = self.variability
            origin = f", source {var['source']}" if var.get("source") else ""
            lines.append(f"  variability: {var['distribution']}, omega2 = {var['omega2']:.6g}"
                         f"{origin}")
        return "\n".join(lines)


def record_error(file: str, name: str, field: str, problem: str) -> ParameterError:
    """Build the one-sentence ParameterError for ``field`` of parameter ``name`` in ``file``.

    Examples
    --------
    >>> str(record_error("cart.toml", "k_x", "unit", 'must be a unit string such as "1/day"'))
    'cart.toml: [parameters.k_x] field "unit" must be a unit string such as "1/day".'
    """
    return ParameterError(f'{file}: [parameters.{name}] field "{field}" {problem}.')


def parse_unit(text: object, file: str, name: str, field: str) -> pint.Unit:
    """Parse ``text`` as a unit of the cartsim registry or raise a ParameterError.

    Examples
    --------
    >>> parse_unit("1/day", "cart.toml", "k_x", "unit")
    <Unit('1 / day')>
    """
    if not isinstance(text, str):
        raise record_error(file, name, field,
                           f'must be a unit string such as "1/day", not {text!r}')
    try:
        return ureg.parse_units(text)
    except Exception as exc:  # pint raises several unrelated exception types on bad input
        raise record_error(
            file, name, field,
            f'"{text}" is not a unit the cartsim registry understands ({exc}); write e.g. '
            '"1/day", "cells/uL", "mg/L" or "" for dimensionless',
        ) from None


def parse_record(name: str, table: Mapping[str, object], file: str) -> ParameterRecord:
    """Validate one ``[parameters.<name>]`` table and return its record.

    A derived record without a written ``value`` gets NaN here; ``catalog`` computes it.

    Examples
    --------
    >>> r = parse_record("k_prolif", {"value": 0.889, "unit": "1/day", "description": "Growth",
    ...     "kind": "estimated", "source": "stein2019", "location": "Table 3",
    ...     "source_value": 0.78, "source_unit": "day", "conversion": "doubling_time",
    ...     "bounds": [0.2, 3.0]}, "cart.toml")
    >>> round(r.value, 4)
    0.8887
    """
    if not name.isidentifier():
        raise record_error(file, name, "name", "must be a Python-style identifier such as "
                           '"k_prolif_cart_eff" so formulas can refer to it')
    for field in table:
        if field not in FIELDS:
            raise record_error(file, name, field, "is not a record field"
                               f"{did_you_mean(field, FIELDS)}; valid fields are {one_of(FIELDS)}")
    kind = table.get("kind")
    if kind not in KINDS:
        raise record_error(file, name, "kind", f"is {kind!r}{did_you_mean(kind, KINDS)}, "
                           f"but must be {one_of(KINDS)}")
    for field in _REQUIRED_BY_KIND[kind]:
        _text(table, field, file, name, why=f'for kind "{kind}"')
    for field, only in _ONLY_FOR_KIND.items():
        if field in table and kind not in only:
            raise record_error(file, name, field, f"belongs only to records of kind {one_of(only)}; remove "
                               f'it or change kind "{kind}" to "{only[0]}"')
    if kind == "derived" and "source_value" in table:
        raise record_error(file, name, "source_value", "does not belong in a derived record; its "
                           "value comes from the formula, so remove source_value and source_unit")
    unit = _text(table, "unit", file, name, allow_empty=True)
    parse_unit(unit, file, name, "unit")
    written = _number(table, "value", file, name) if ("value" in table or kind != "derived") \
        else math.nan
    record = ParameterRecord(
        name=name,
        value=written,
        unit=unit,
        description=_text(table, "description", file, name),
        kind=kind,
        source=_optional_text(table, "source", file, name),
        location=_optional_text(table, "location", file, name),
        assumption=_optional_text(table, "assumption", file, name),
        formula=_optional_text(table, "formula", file, name),
        source_value=_number(table, "source_value", file, name) if "source_value" in table
        else None,
        source_unit=_optional_text(table, "source_unit", file, name, allow_empty=True),
        conversion=_conversion(table, file, name),
        bounds=_bounds(table, file, name),
        variability=_variability(table, file, name),
        calibration=_optional_text(table, "calibration", file, name),
        target=_optional_text(table, "target", file, name),
        file=file,
    )
    if record.source_value is not None:
        derived = value_from_source(record)
        if not math.isclose(derived, written, rel_tol=0.01):
            raise record_error(
                file, name, "value",
                f"is {written:.6g} {unit} but source_value {record.source_value:.6g} "
                f'{record.source_unit} with conversion "{record.conversion}" gives {derived:.6g}; '
                "the two must agree within 1%",
            )
        record = replace(record, value=derived)
    if kind != "derived" or "value" in table:
        check_bounds(record)
    return record


def value_from_source(record: ParameterRecord) -> float:
    """Re-derive a record's value, in its ``unit``, from ``source_value`` and ``source_unit``.

    ``unit`` converts the quantity; ``half_life`` and ``doubling_time`` give ln(2)/t;
    ``mean_lifetime`` gives 1/t; ``inverse`` gives 1/x with its units.

    Examples
    --------
    >>> r = ParameterRecord(name="k_el", value=0.0331, unit="1/day", description="Elimination",
    ...     kind="fixed", source="a", location="p. 3", source_value=21.0, source_unit="day",
    ...     conversion="half_life", bounds=(0.01, 0.1), file="ab.toml")
    >>> round(value_from_source(r), 5)
    0.03301
    """
    file, name = record.file, record.name
    if record.source_value is None or record.source_unit is None:
        raise record_error(file, name, "source_value", "and source_unit are both needed to "
                           "re-derive the value")
    parse_unit(record.source_unit, file, name, "source_unit")
    printed = ureg.Quantity(record.source_value, record.source_unit)
    conversion = record.conversion or "unit"
    if conversion in _TIME_CONVERSIONS and printed.dimensionality != ureg.day.dimensionality:
        raise record_error(file, name, "source_unit", f'is "{record.source_unit}", but conversion '
                           f'"{conversion}" needs a time such as "day" or "h"')
    if printed.magnitude == 0 and conversion != "unit":
        raise record_error(file, name, "source_value", f'is 0, which conversion "{conversion}" '
                           "cannot invert; give a non-zero printed value")
    if conversion in ("half_life", "doubling_time"):
        quantity = math.log(2) / printed
    elif conversion in ("mean_lifetime", "inverse"):
        quantity = 1 / printed
    else:
        quantity = printed
    try:
        return float(quantity.to(record.unit).magnitude)
    except pint.DimensionalityError:
        raise record_error(file, name, "source_unit", f'"{record.source_unit}" with conversion '
                           f'"{conversion}" gives {quantity.units:~}, which cannot be expressed in '
                           f'"{record.unit}"; fix the unit or the conversion') from None


def check_bounds(record: ParameterRecord) -> None:
    """Raise a ParameterError unless ``bounds[0] <= value <= bounds[1]``.

    Examples
    --------
    >>> r = ParameterRecord(name="f_x", value=0.5, unit="", description="x", kind="assumed",
    ...                     assumption="A1", bounds=(0.0, 1.0), file="x.toml")
    >>> check_bounds(r) is None
    True
    """
    lo, hi = record.bounds
    if not lo <= record.value <= hi:
        raise record_error(record.file, record.name, "bounds",
                           f"are [{lo:.6g}, {hi:.6g}] but value is {record.value:.6g}; the value "
                           "must lie within its bounds")


def check_name_dimension(record: ParameterRecord) -> str | None:
    """Return why the record's unit does not fit its name prefix, or None when it fits.

    ``k_`` needs [time]^-1 in its dimension, ``t_half_`` a time, ``f_`` and ``util_``
    dimensionless, ``cost_`` a currency or dimensionless, ``ec50_`` a non-negative value.

    Examples
    --------
    >>> r = ParameterRecord(name="k_x", value=1.0, unit="day", description="x", kind="fixed",
    ...                     source="a", location="b", bounds=(0.0, 2.0), file="x.toml")
    >>> check_name_dimension(r)
    'k_x: a "k_" parameter needs a unit with 1/[time], but "day" is [time]'
    """
    dims = dict(ureg.parse_units(record.unit).dimensionality)
    shown = ureg.parse_units(record.unit).dimensionality or "dimensionless"
    prefix_rules = (
        ("k_", dims.get("[time]") == -1, "a unit with 1/[time]"),
        ("t_half_", dims == {"[time]": 1}, "a time unit"),
        ("f_", not dims, 'a dimensionless unit ("")'),
        ("util_", not dims, 'a dimensionless unit ("")'),
        ("cost_", not dims or set(dims) == {"[currency]"}, "a currency or dimensionless unit"),
    )
    for prefix, fits, needed in prefix_rules:
        if record.name.startswith(prefix) and not fits:
            return (f'{record.name}: a "{prefix}" parameter needs {needed}, but "{record.unit}" '
                    f"is {shown}")
    if record.name.startswith("ec50_") and (record.value < 0 or record.bounds[0] < 0):
        return f'{record.name}: an "ec50_" parameter must be non-negative, bounds included'
    return None


def _text(table: Mapping[str, object], field: str, file: str, name: str, *,
          allow_empty: bool = False, why: str = "") -> str:
    if field not in table:
        reason = f" {why}" if why else ""
        raise record_error(file, name, field, f"is missing; it is required{reason}")
    text = table[field]
    if not isinstance(text, str) or (not allow_empty and not text.strip()):
        raise record_error(file, name, field, f"must be a non-empty string, not {text!r}")
    return text


def _optional_text(table: Mapping[str, object], field: str, file: str, name: str, *,
                   allow_empty: bool = False) -> str | None:
    return _text(table, field, file, name, allow_empty=allow_empty) if field in table else None


def _number(table: Mapping[str, object], field: str, file: str, name: str) -> float:
    if field not in table:
        raise record_error(file, name, field, "is missing; every record needs a finite number")
    number = table[field]
    if isinstance(number, bool) or not isinstance(number, int | float) \
            or not math.isfinite(number):
        raise record_error(file, name, field, f"must be a finite number, not {number!r}")
    return float(number)


def _conversion(table: Mapping[str, object], file: str, name: str) -> str | None:
    has_value, has_unit = "source_value" in table, "source_unit" in table
    if has_value != has_unit:
        missing = "source_unit" if has_value else "source_value"
        raise record_error(file, name, missing, "is missing; source_value and source_unit come "
                           "together")
    if not has_value:
        if "conversion" in table:
            raise record_error(file, name, "conversion", "needs source_value and source_unit to "
                               "convert from; add them or remove the conversion")
        return None
    conversion = _text(table, "conversion", file, name) if "conversion" in table else "unit"
    if conversion not in CONVERSIONS:
        raise record_error(file, name, "conversion", f'is "{conversion}"'
                           f"{did_you_mean(conversion, CONVERSIONS)}, but must be "
                           f"{one_of(CONVERSIONS)}")
    return conversion


def _bounds(table: Mapping[str, object], file: str, name: str) -> tuple[float, float]:
    if "bounds" not in table:
        raise record_error(file, name, "bounds", "is missing; every record needs [lo, hi] in its "
                           "unit")
    bounds = table["bounds"]
    ok = (isinstance(bounds, list) and len(bounds) == 2
          and all(isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b)
                  for b in bounds))
    if not ok or bounds[0] > bounds[1]:
        raise record_error(file, name, "bounds", f"is {bounds!r}, but must be [lo, hi] with "
                           "finite numbers and lo <= hi")
    return (float(bounds[0]), float(bounds[1]))


def _variability(table: Mapping[str, object], file: str, name: str
                 ) -> Mapping[str, object] | None:
    if "variability" not in table:
        return None
    var = table["variability"]
    if not isinstance(var, dict):
        raise record_error(file, name, "variability", "must be a table such as "
                           '{ distribution = "lognormal", omega2 = 0.1 }')
    for key in var:
        if key not in VARIABILITY_FIELDS:
            raise record_error(file, name, f"variability.{key}", "is not a variability field"
                               f"{did_you_mean(key, VARIABILITY_FIELDS)}; valid fields are "
                               f"{one_of(VARIABILITY_FIELDS)}")
    distribution = var.get("distribution")
    if distribution not in DISTRIBUTIONS:
        raise record_error(file, name, "variability.distribution", f"is {distribution!r}"
                           f"{did_you_mean(distribution, DISTRIBUTIONS)}, but must be "
                           f"{one_of(DISTRIBUTIONS)}")
    omega2 = var.get("omega2")
    if isinstance(omega2, bool) or not isinstance(omega2, int | float) \
            or not math.isfinite(omega2) or omega2 <= 0:
        raise record_error(file, name, "variability.omega2", f"is {omega2!r}, but must be a "
                           "finite number > 0")
    result: dict[str, object] = {"distribution": distribution, "omega2": float(omega2)}
    if "source" in var:
        if not isinstance(var["source"], str) or not var["source"].strip():
            raise record_error(file, name, "variability.source", "must be a non-empty key of "
                               f"references.bib, not {var['source']!r}")
        result["source"] = var["source"]
    return MappingProxyType(result)
