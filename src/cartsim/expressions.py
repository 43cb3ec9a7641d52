"""A small safe grammar for the expressions people write in files, parsed and never ``eval``-ed.

Used for eligibility criteria in scenario files (``"age >= 18"``, ``"edss <= 6.5"``) and for the
formulas of derived parameters in the catalogue (``"ln(2) / t_half_igg"``). Allowed: numbers,
names, ``+ - * / **``, unary minus, parentheses, one comparison (``< <= > >= == !=``), the
functions ``ln``, ``exp``, ``sqrt``, ``min``, ``max``, and the words ``true``/``false``. Anything
else is rejected with a message saying what was found. This module must not import anything
else from cartsim except ``errors``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cartsim.errors import CartsimError

_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type, Callable[[float, float], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "ln": math.log,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "min": min,
    "max": max,
}
_CONSTANTS = {"true": 1.0, "false": 0.0}


class ExpressionError(CartsimError):
    """An expression uses something outside the safe grammar or names an unknown variable."""


@dataclass(frozen=True)
class Expression:
    """A parsed expression; ``names`` are the variables it reads.

    Examples
    --------
    >>> e = parse_expression("age >= 18")
    >>> e.names, e.evaluate({"age": 40.0})
    (frozenset({'age'}), True)
    """

    text: str
    tree: ast.Expression
    names: frozenset[str]

    @property
    def is_comparison(self) -> bool:
        return isinstance(self.tree.body, ast.Compare)

    def evaluate(self, values: Mapping[str, float]) -> float | bool:
        """Evaluate with ``values`` for the names; a missing name raises ExpressionError."""
        return _evaluate(self.tree.body, values, self.text)


def parse_expression(text: str) -> Expression:
    """Parse ``text`` in the safe grammar, raising ExpressionError on anything else."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f'"{text}" is not a valid expression ({exc.msg})') from None
    names: set[str] = set()
    for node in ast.walk(tree):
        _check_node(node, text, names)
    return Expression(text=str(text), tree=tree, names=frozenset(names))


def _check_node(node: ast.AST, text: str, names: set[str]) -> None:
    allowed = (
        ast.Expression, ast.BinOp, ast.UnaryOp, ast.USub, ast.UAdd, ast.Compare, ast.Constant,
        ast.Name, ast.Load, ast.Call, *_BINARY, *_COMPARE,
    )
    if not isinstance(node, allowed):
        raise ExpressionError(
            f'"{text}" uses {type(node).__name__}, which is not allowed; use numbers, names, '
            "+ - * / **, one comparison and ln/exp/sqrt/min/max"
        )
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
        raise ExpressionError(f'"{text}" contains {node.value!r}; only numbers are allowed')
    if isinstance(node, ast.Compare) and len(node.ops) != 1:
        raise ExpressionError(f'"{text}" chains comparisons; write one comparison per criterion')
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
            raise ExpressionError(f'"{text}" calls a function other than ln, exp, sqrt, min, max')
    elif isinstance(node, ast.Name) and node.id not in _FUNCTIONS and node.id not in _CONSTANTS:
        names.add(node.id)


def _evaluate(node: ast.AST, values: Mapping[str, float], text: str) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id not in values:
            raise ExpressionError(f'"{text}" uses "{node.id}", which has no value here')
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, values, text)
        right = _evaluate(node.right, values, text)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, values, text)
        right = _evaluate(node.comparators[0], values, text)
        return _COMPARE[type(node.ops[0])](left, right)
    if isinstance(node, ast.Call):
        args = [_evaluate(a, values, text) for a in node.args]
        return _FUNCTIONS[node.func.id](*args)
    raise ExpressionError(f'"{text}" could not be evaluated')
