"""Checking and coding of the findings the grading functions take: categories, numbers, flags.

A category may be given by name (``"fluids"``) or by its ordinal level, its index in the
category tuple of ``criteria`` (``1``), so that a virtual trial can pass integer arrays and a
clinician strings. Every problem raises an InputTableError naming the function and argument
and saying what would be valid. This module must not know any grading rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from cartsim.errors import InputTableError, did_you_mean, one_of


def category_levels(values: ArrayLike, categories: Sequence[str], argument: str,
                    source: str) -> np.ndarray:
    """Return the ordinal levels (indices into ``categories``) of category names or levels.

    Examples
    --------
    >>> category_levels(["none", "fluids"], ("none", "fluids"), "hypotension", "grade_crs")
    array([0, 1])
    >>> int(category_levels(1, ("none", "fluids"), "hypotension", "grade_crs"))
    1
    """
    array = np.asarray(values)
    where = f'argument "{argument}"'
    if array.dtype.kind in "iu":
        bad = (array < 0) | (array >= len(categories))
        if bad.any():
            raise InputTableError(source, where, f"level {array[bad].flat[0]} is not one of "
                                  f"0-{len(categories) - 1}, the levels of {one_of(categories)}")
        return array.astype(np.int64)
    if array.dtype.kind not in "USO":
        raise InputTableError(source, where, f"must be category names ({one_of(categories)}) or "
                              f"their levels 0-{len(categories) - 1}, not {array.dtype} values")
    names, inverse = np.unique(array.astype(str).ravel(), return_inverse=True)
    lookup = {name: level for level, name in enumerate(categories)}
    for name in names:
        if name not in lookup:
            raise InputTableError(source, where, f'"{name}" is not a category'
                                  f"{did_you_mean(name, categories)}; valid values are "
                                  f"{one_of(categories)}")
    levels = np.array([lookup[name] for name in names], dtype=np.int64)
    return levels[inverse].reshape(array.shape)


def numbers(values: ArrayLike, argument: str, source: str, *, low: float | None = None,
            high: float | None = None, unit: str = "") -> np.ndarray:
    """Return ``values`` as finite floats within ``[low, high]``, or raise naming the first bad one.

    Examples
    --------
    >>> numbers([37.0, 39.5], "temperature_c", "grade_crs", low=30.0, high=45.0)
    array([37. , 39.5])
    """
    where = f'argument "{argument}"'
    raw = np.asarray(values)
    if raw.dtype.kind not in "iuf":
        raise InputTableError(source, where, f"must be numbers, not {raw.dtype} values")
    array = raw.astype(float)
    if not np.isfinite(array).all():
        raise InputTableError(source, where, f"{array[~np.isfinite(array)].flat[0]} is not a "
                              "finite number")
    suffix = f" {unit}" if unit else ""
    outside = np.zeros(array.shape, dtype=bool)
    if low is not None:
        outside |= array < low
    if high is not None:
        outside |= array > high
    if outside.any():
        value = array[outside].flat[0]
        valid = (f"{low:g}-{high:g}{suffix}" if low is not None and high is not None
                 else f">= {low:g}{suffix}" if low is not None else f"<= {high:g}{suffix}")
        raise InputTableError(source, where, f"{value:g}{suffix} is outside the valid range "
                              f"{valid}")
    return array


def whole_numbers(values: ArrayLike, argument: str, source: str, *, low: int,
                  high: int) -> np.ndarray:
    """Return ``values`` as integers within ``[low, high]``; non-integral values are errors.

    Examples
    --------
    >>> whole_numbers([0, 10], "ice_score", "grade_icans", low=0, high=10)
    array([ 0, 10])
    """
    array = numbers(values, argument, source, low=low, high=high)
    fractional = array != np.round(array)
    if fractional.any():
        raise InputTableError(source, f'argument "{argument}"', f"{array[fractional].flat[0]:g} "
                              f"is not a whole number; give an integer {low}-{high}")
    return array.astype(np.int64)


def flags(values: ArrayLike, argument: str, source: str) -> np.ndarray:
    """Return ``values`` as booleans; only bools and the integers 0 and 1 are accepted.

    Examples
    --------
    >>> flags([True, 0], "motor_weakness", "grade_icans")
    array([ True, False])
    """
    array = np.asarray(values)
    if array.dtype == bool:
        return array
    if array.dtype.kind in "iu" and np.isin(array, (0, 1)).all():
        return array.astype(bool)
    raise InputTableError(source, f'argument "{argument}"', "must be true/false (or 1/0)")


def check_shapes(source: str, **arrays: np.ndarray) -> None:
    """Raise unless the arrays broadcast together (one value per patient-day, or a scalar).

    Examples
    --------
    >>> check_shapes("grade_crs", temperature_c=np.zeros(3), oxygen=np.zeros((2, 3)))
    """
    try:
        np.broadcast_shapes(*(array.shape for array in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{name} {array.shape}" for name, array in arrays.items())
        raise InputTableError(source, "arguments", f"have shapes that do not broadcast together "
                              f"({shapes}); give one value per patient-day or a single "
                              "value") from None


def scalar_or_array(result: np.ndarray) -> int | np.ndarray:
    """Return a Python int for a 0-d result, else the array itself.

    Examples
    --------
    >>> scalar_or_array(np.array(3))
    3
    """
    return int(result) if result.ndim == 0 else result
