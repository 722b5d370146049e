"""Safe parsing of typed expressions (``"z*(x+y)"``) into a graph of Values, never with ``eval``.

The text is read with ``ast`` and only a whitelist is built: numbers, the names bound in ``at``,
``+ - * / **``, unary ``-``/``+``, and calls of the engine's functions (``exp(x)`` or ``x.exp()``).
Anything else raises ``ExpressionError`` naming the offending piece and its column.
"""
from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping
from typing import Any, Callable, Union

from .engine import Value, no_grad
from .ops import FUNCTIONS

Number = Union[int, float]

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPERATORS = {
    ast.BitXor: "'^' (use ** for powers)",
    ast.FloorDiv: "'//'",
    ast.Mod: "'%'",
    ast.MatMult: "'@'",
    ast.BitAnd: "'&'",
    ast.BitOr: "'|'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.Invert: "'~'",
    ast.Not: "'not'",
}
MAX_LENGTH = 10_000


class ExpressionError(ValueError):
    """An expression that is not allowed or cannot be computed; the message names the piece and column."""


def parse(expr: str, at: Mapping[str, Number | Value]) -> Value:
    """The graph of ``expr`` with each name bound to ``at[name]`` (a number becomes a leaf labelled by its name).

    A name used twice is one leaf used twice (the slides' copy node). Values given in ``at`` are
    used as they are, so their ``.grad`` after ``backward()`` is the gradient of the result.
    """
    if not isinstance(expr, str):
        raise TypeError(f"parse: expected the expression as a str, got {type(expr).__name__}")
    if not expr.strip():
        raise ExpressionError("empty expression: expected something like 'z*(x+y)'")
    if len(expr) > MAX_LENGTH:
        raise ExpressionError(f"expression too long: {len(expr)} characters (at most {MAX_LENGTH})")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as err:
        where = f" at column {err.offset}" if err.offset else ""
        raise ExpressionError(f"cannot read the expression: {err.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression too deeply nested") from None
    leaves = {name: _leaf(name, value) for name, value in at.items()}
    try:
        out = _Builder(expr.strip(), leaves).build(tree.body)
    except RecursionError:
        raise ExpressionError("expression too deeply nested") from None
    return out if isinstance(out, Value) else Value(out)


def parse_assignments(text: str) -> dict[str, float]:
    """``"x=2,y=3,z=-2"`` as ``{"x": 2.0, "y": 3.0, "z": -2.0}``; each name a plain identifier, once."""
    values: dict[str, float] = {}
    for piece in text.split(","):
        piece = piece.strip()
        if not piece:
            continue
        name, sep, number = (part.strip() for part in piece.partition("="))
        if not sep:
            raise ExpressionError(f"expected name=value, got {piece!r}")
        if not name.isidentifier() or name in FUNCTIONS:
            raise ExpressionError(f"{name!r} cannot be a variable name (in {piece!r})")
        if name in values:
            raise ExpressionError(f"{name!r} is given twice")
        try:
            values[name] = float(number)
        except ValueError:
            raise ExpressionError(f"{name}: expected a number, got {number!r}") from None
        if not math.isfinite(values[name]):
            raise ExpressionError(f"{name}: expected a finite number, got {number!r}")
    return values


def parse_at(expr: str, at: str) -> tuple[Value, dict[str, Value]]:
    """``expr`` at ``at`` (``"x=2,y=3"``) as a command line gives them: the graph, its output labelled f,
    and the named leaves in the order ``at`` lists them."""
    leaves = {name: Value(value, label=name) for name, value in parse_assignments(at).items()}
    root = parse(expr, leaves)
    if root.op and not root.label:
        root.label = "f"
    return root, leaves


def _leaf(name: str, value: Number | Value) -> Value:
    if isinstance(value, Value):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"parse: value of {name!r} must be a number or a Value, got {type(value).__name__}")
    return Value(value, label=name)


def _column(node: ast.AST) -> str:
    return f"column {getattr(node, 'col_offset', 0) + 1}"


class _Builder:
    """Builds the graph of a checked expression tree; plain numbers stay numbers until they meet a Value."""

    def __init__(self, text: str, leaves: dict[str, Value]) -> None:
        self.text = text
        self.leaves = leaves

    def operator_column(self, node: ast.BinOp) -> str:
        """Where the operator of ``left op right`` stands (between the operands, after any ``)``)."""
        left, right = node.left, node.right
        if left.end_lineno == right.lineno == 1 and left.end_col_offset is not None:
            between = self.text[left.end_col_offset : right.col_offset]
            stripped = between.lstrip(" )\t")
            return f"column {left.end_col_offset + len(between) - len(stripped) + 1}"
        return _column(node)

    def build(self, node: ast.AST) -> Value | float:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            if node.id not in self.leaves:
                bound = ", ".join(sorted(self.leaves)) or "none"
                hint = f" ({node.id} is a function: call it as {node.id}(x))" if node.id in FUNCTIONS else ""
                raise ExpressionError(f"unknown name {node.id!r} at {_column(node)}{hint}; bound names: {bound}")
            return self.leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise ExpressionError(f"{_describe(node)} is not allowed at {_column(node)}")

    def constant(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"constant {value!r} is not allowed at {_column(node)} (only real numbers)")
        try:
            number = float(value)
        except OverflowError:  # an int literal beyond the float range
            number = math.inf
        if not math.isfinite(number):  # 1e400 reads as inf: refused too, as --at x=1e400 is
            raise ExpressionError(f"number at {_column(node)} is too large for a float")
        return number

    def unary(self, node: ast.UnaryOp) -> Value | float:
        if type(node.op) in _REFUSED_OPERATORS:
            raise ExpressionError(f"operator {_REFUSED_OPERATORS[type(node.op)]} is not allowed at {_column(node)}")
        operand = self.build(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand

    def binary(self, node: ast.BinOp) -> Value | float:
        symbol = _BINARY.get(type(node.op))
        if symbol is None:
            text = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
            where = self.operator_column(node)
            raise ExpressionError(f"operator {text} is not allowed at {where}; allowed: + - * / **")
        left, right = self.build(node.left), self.build(node.right)
        try:
            if isinstance(left, Value) or isinstance(right, Value):
                return _apply(symbol, left, right)
            with no_grad():  # two plain numbers: the engine's own arithmetic and domain errors, no node kept
                return _apply(symbol, Value(left), right).data
        except (ArithmeticError, ValueError) as err:
            raise ExpressionError(f"{symbol} at {self.operator_column(node)}: {err}") from None

    def call(self, node: ast.Call) -> Value:
        func = node.func
        if isinstance(func, ast.Name) and func.id in FUNCTIONS:
            name, args = func.id, list(node.args)
        elif isinstance(func, ast.Attribute) and func.attr in FUNCTIONS:
            name, args = func.attr, [func.value, *node.args]
        else:
            what = ast.unparse(func)
            raise ExpressionError(
                f"call of {what!r} is not allowed at {_column(node)}; functions: {', '.join(FUNCTIONS)}"
            )
        params = FUNCTIONS[name].parameters
        if any(isinstance(a, ast.Starred) for a in args) or any(k.arg is None for k in node.keywords):
            raise ExpressionError(f"{name}: * and ** arguments are not allowed at {_column(node)}")
        given = {k.arg: k.value for k in node.keywords if k.arg is not None}
        unknown = set(given) - set(params)
        if unknown:
            raise ExpressionError(f"{name}: unknown argument {sorted(unknown)[0]!r} at {_column(node)}")
        if not 1 <= len(args) <= 1 + len(params) or len(args) - 1 + len(given) > len(params):
            expected = f"a value and optionally {params[0]}" if params else "exactly one argument"
            raise ExpressionError(f"{name} at {_column(node)}: expected {expected}, got {len(args) + len(given)}")
        operand = self.build(args[0])
        numbers = []
        for arg in [*args[1:], *given.values()]:
            number = self.build(arg)
            if isinstance(number, Value):
                raise ExpressionError(f"{name} at {_column(arg)}: its {params[0]} must be a plain number")
            numbers.append(number)
        value = operand if isinstance(operand, Value) else Value(operand, label=f"{operand:g}")
        try:
            return getattr(value, name)(*numbers)
        except (ArithmeticError, ValueError) as err:
            raise ExpressionError(f"{name} at {_column(node)}: {err}") from None


_OPERATORS: dict[str, Callable[[Any, Any], Value]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
}


def _apply(symbol: str, left: Value | float, right: Value | float) -> Value:
    """``left symbol right`` with at least one Value among them: the engine's own operator."""
    return _OPERATORS[symbol](left, right)


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscript",
        ast.Lambda: "lambda",
        ast.ListComp: "list comprehension",
        ast.SetComp: "set comprehension",
        ast.DictComp: "dict comprehension",
        ast.GeneratorExp: "generator expression",
        ast.Compare: "comparison",
        ast.BoolOp: "'and'/'or'",
        ast.IfExp: "conditional expression",
        ast.NamedExpr: "assignment ':='",
        ast.JoinedStr: "f-string",
        ast.Starred: "'*' unpacking",
    }
    described = names.get(type(node), type(node).__name__)
    try:
        return f"{described} {ast.unparse(node)!r}"
    except (ValueError, RecursionError):
        return described
