"""The cartsim exception hierarchy: every message a user reads is worded here.

Each error names where the problem is (file, field), what is wrong and what would be valid,
in one sentence. Code raises these instead of letting a traceback from deep inside a library
reach the user. This module must not import anything else from cartsim.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CartsimError(Exception):
    """Base class of every error cartsim reports to a user."""


class ParameterError(CartsimError):
    """A parameter record in the catalogue is missing, incomplete or inconsistent."""


class ScenarioError(CartsimError):
    """A scenario file or scenario field is invalid.

    Parameters
    ----------
    source:
        The file (or other origin) of the scenario.
    field:
        The dotted path of the field at fault, e.g. ``arm[1].therapy``.
    problem:
        What is wrong and what would be valid, as one clause.
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: {field}: {problem}")


class ValidationError(CartsimError):
    """A validation fact, case or calibration spec is invalid, or a case name is unknown."""


class SolverError(CartsimError):
    """The integrator could not advance a patient; carries the status and reason."""


class InputTableError(CartsimError):
    """A table of observations (a CSV file, or arrays of findings) holds an invalid entry.

    Parameters
    ----------
    source:
        The file (or the function) the table came from.
    location:
        Where in it, e.g. ``line 4, column "oxygen"`` or ``argument "oxygen"``; may be empty.
    problem:
        What is wrong and what would be valid, as one clause.

    Examples
    --------
    >>> str(InputTableError("crs.csv", 'line 3, column "oxygen"', '"low" is not valid'))
    'crs.csv: line 3, column "oxygen": "low" is not valid.'
    """

    def __init__(self, source: str, location: str, problem: str) -> None:
        self.source = source
        self.location = location
        self.problem = problem
        where = f"{source}: {location}" if location else source
        super().__init__(f"{where}: {problem}.")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``' (did you mean "x"?)'`` for the closest choice, or an empty string.

    Examples
    --------
    >>> did_you_mean("ocrelizumub", ["ocrelizumab", "rituximab"])
    ' (did you mean "ocrelizumab"?)'
    """
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def one_of(choices: Iterable[str]) -> str:
    """Format a list of valid choices as ``"a", "b" or "c"``."""
    items = [f'"{c}"' for c in choices]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
