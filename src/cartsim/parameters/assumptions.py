"""The numbered assumptions register: what we assume where no source gives a number, and why.

Loads ``assumptions.toml`` (tables ``[assumptions.A1]`` with ``title``, ``statement``,
``reasoning``, ``range = [lo, hi]`` and ``unit``) into frozen ``Assumption`` objects. Records of
kind ``assumed`` point here; the catalogue checks that their bounds lie within the range. This
module must not know about parameter records.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from cartsim.errors import ParameterError, did_you_mean, one_of
from cartsim.parameters.toml_file import read_tables
from cartsim.units import ureg

FIELDS = ("title", "statement", "reasoning", "range", "unit")
_KEY = re.compile(r"A[1-9][0-9]*")


@dataclass(frozen=True)
class Assumption:
    """One numbered assumption; ``range`` is in ``unit`` ("" for dimensionless), or None.

    Examples
    --------
    >>> a = Assumption("A1", "CNS access", "CAR-T cells enter the CNS.", "Case reports.",
    ...                (0.001, 0.1), "")
    >>> a.range
    (0.001, 0.1)
    """

    key: str
    title: str
    statement: str
    reasoning: str
    range: tuple[float, float] | None
    unit: str


def load_assumptions(path: str | Path) -> dict[str, Assumption]:
    """Read an assumptions register into assumptions by key ("A1", "A2", ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "assumptions.toml")
    ...     _ = p.write_text('[assumptions.A1]\\ntitle = "t"\\nstatement = "s"\\n'
    ...                      'reasoning = "r"\\nrange = [0, 1]\\nunit = ""\\n')
    ...     load_assumptions(p)["A1"].range
    (0.0, 1.0)
    """
    path = Path(path)
    tables = read_tables(path, "assumptions", "assumption under [assumptions.A<n>]")
    return {key: _parse(key, table, str(path)) for key, table in tables.items()}


def _parse(key: str, table: object, file: str) -> Assumption:
    where = f"{file}: [assumptions.{key}]"
    if not _KEY.fullmatch(key):
        raise ParameterError(f'{where} has a key that is not numbered; use "A1", "A2", ....')
    if not isinstance(table, dict):
        raise ParameterError(f"{where} must be a table with fields {one_of(FIELDS)}.")
    for field in table:
        if field not in FIELDS:
            raise ParameterError(f'{where} field "{field}" is not an assumption field'
                                 f"{did_you_mean(field, FIELDS)}; valid fields are "
                                 f"{one_of(FIELDS)}.")
    texts = {}
    for field in ("title", "statement", "reasoning"):
        text = table.get(field)
        if not isinstance(text, str) or not text.strip():
            raise ParameterError(f'{where} field "{field}" must be a non-empty string, not '
                                 f"{text!r}.")
        texts[field] = text
    unit = table.get("unit", "")
    try:
        ureg.parse_units(unit)
    except Exception:  # pint raises several unrelated exception types on bad input
        raise ParameterError(f'{where} field "unit" is {unit!r}, which is not a unit the cartsim '
                             'registry understands; write e.g. "1/day" or "" for '
                             "dimensionless.") from None
    return Assumption(key=key, range=_range(table.get("range"), where), unit=unit, **texts)


def _range(value: object, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                  for v in value))
    if not ok or value[0] > value[1]:
        raise ParameterError(f'{where} field "range" is {value!r}, but must be [lo, hi] with '
                             "finite numbers and lo <= hi.")
    return (float(value[0]), float(value[1]))
