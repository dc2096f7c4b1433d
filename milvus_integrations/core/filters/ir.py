"""The filter IR: a small tree that both adapters build and one compiler turns into a Milvus expression.

Semantics (the same for LangChain dict filters, LlamaIndex MetadataFilters and the core):
- A comparison (``eq``, ``gt``, ``in``, ``like``, ``contains`` ...) on a key that a row lacks, or holds null, is false.
- ``ne`` and ``not in`` are the complements of ``eq`` and ``in``: they match rows that lack the key
  (as MongoDB and LlamaIndex's SimpleVectorStore do).
- ``Not`` is the two-valued complement of its operand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

from milvus_integrations.core.errors import FilterError

Scalar: TypeAlias = str | int | float | bool
FieldPath: TypeAlias = tuple[str, ...]


class CmpOp(str, Enum):
    EQ = "=="
    GT = ">"
    GTE = ">="
    LT = "<"
    LTE = "<="


class ArrayMode(str, Enum):
    ANY = "any"  # the array holds at least one of the values
    ALL = "all"  # the array holds every value


class Wildcard(Enum):
    ANY = "%"  # any run of characters
    ONE = "_"  # exactly one character


LikePart: TypeAlias = str | Wildcard


def _path(field: str | Sequence[str]) -> FieldPath:
    path = (field,) if isinstance(field, str) else tuple(field)
    if not path:
        raise FilterError("a filter needs a field name")
    for part in path:
        if not isinstance(part, str) or not part:
            raise FilterError(f"field names must be non-empty strings, got {part!r}")
        if "\x00" in part:
            raise FilterError(f"field name {part!r} contains a NUL character")
    return path


def check_scalar(value: object, *, where: str) -> Scalar:
    """Validate one filter value: str (no NUL), int, finite float or bool."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FilterError(f"{where}: {value!r} is not a finite number")
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise FilterError(f"{where}: strings may not contain a NUL character")
        return value
    if value is None:
        raise FilterError(f"{where}: None is not a value to compare with; use an exists / is-empty filter")
    raise FilterError(f"{where}: {type(value).__name__} {value!r} is not a str, int, float or bool")


def _values(values: Iterable[object], *, where: str) -> tuple[Scalar, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise FilterError(f"{where}: expected a list of values, got {type(values).__name__}")
    return tuple(check_scalar(v, where=where) for v in values)


@dataclass(frozen=True)
class Compare:
    field: FieldPath
    op: CmpOp
    value: Scalar


@dataclass(frozen=True)
class In:
    field: FieldPath
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Like:
    """SQL-LIKE match of a string field against literal parts and wildcards (literals are matched exactly)."""

    field: FieldPath
    parts: tuple[LikePart, ...]


@dataclass(frozen=True)
class ArrayContains:
    field: FieldPath
    values: tuple[Scalar, ...]
    mode: ArrayMode = ArrayMode.ANY


@dataclass(frozen=True)
class ArrayLength:
    """The array (a typed ARRAY field or an array under a dynamic key) has exactly `length` elements."""

    field: FieldPath
    length: int


@dataclass(frozen=True)
class Exists:
    """The row has the key with a non-null value."""

    field: FieldPath


@dataclass(frozen=True)
class IsEmpty:
    """The key is missing, null, the empty string or the empty list."""

    field: FieldPath


@dataclass(frozen=True)
class TextMatch:
    """Milvus TEXT_MATCH: any of the analyzed tokens of `query` occurs (needs a match-enabled VARCHAR field)."""

    field: FieldPath
    query: str


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Expr


Expr: TypeAlias = Compare | In | Like | ArrayContains | ArrayLength | Exists | IsEmpty | TextMatch | And | Or | Not


# -- constructors: the only way adapters build IR, so values are validated once -------------------------


def eq(field: str | Sequence[str], value: object) -> Compare:
    return Compare(_path(field), CmpOp.EQ, check_scalar(value, where=f"eq on {field!r}"))


def ne(field: str | Sequence[str], value: object) -> Not:
    return Not(eq(field, value))


def compare(field: str | Sequence[str], op: CmpOp | str, value: object) -> Compare | Not:
    if op == "!=":
        return ne(field, value)
    try:
        cmp = CmpOp(op)
    except ValueError:
        raise FilterError(f"unknown comparison {op!r}; expected one of ==, !=, >, >=, <, <=") from None
    checked = check_scalar(value, where=f"{cmp.value} on {field!r}")
    if cmp is not CmpOp.EQ and isinstance(checked, bool):
        raise FilterError(f"{cmp.value} on {field!r}: ordering comparisons need a number or string, not a bool")
    return Compare(_path(field), cmp, checked)


def in_(field: str | Sequence[str], values: Iterable[object]) -> In:
    return In(_path(field), _values(values, where=f"in on {field!r}"))


def not_in(field: str | Sequence[str], values: Iterable[object]) -> Not:
    return Not(in_(field, values))


def _text(value: object, *, where: str) -> str:
    checked = check_scalar(value, where=where)
    if not isinstance(checked, str):
        raise FilterError(f"{where}: expected a string, got {type(value).__name__}")
    return checked


def contains_text(field: str | Sequence[str], value: object) -> Like:
    """Substring match; `%`, `_` and `\\` in `value` are matched literally."""
    text = _text(value, where=f"substring match on {field!r}")
    return Like(_path(field), (Wildcard.ANY, text, Wildcard.ANY) if text else (Wildcard.ANY,))


def starts_with(field: str | Sequence[str], value: object) -> Like:
    text = _text(value, where=f"prefix match on {field!r}")
    return Like(_path(field), (text, Wildcard.ANY) if text else (Wildcard.ANY,))


def like(field: str | Sequence[str], pattern: object) -> Like:
    """A SQL LIKE pattern from a user: `%` and `_` are wildcards, a backslash escapes the next character."""
    text = _text(pattern, where=f"like on {field!r}")
    parts: list[LikePart] = []
    literal: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, None)
            if nxt is None:
                raise FilterError(f"like on {field!r}: pattern {text!r} ends with a lone backslash")
            literal.append(nxt)
        elif ch in "%_":
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Wildcard.ANY if ch == "%" else Wildcard.ONE)
        else:
            literal.append(ch)
    if literal:
        parts.append("".join(literal))
    return Like(_path(field), tuple(parts))


def array_contains(
    field: str | Sequence[str], values: Iterable[object], mode: ArrayMode = ArrayMode.ANY
) -> ArrayContains:
    vals = _values(values, where=f"array {mode.value} on {field!r}")
    if not vals:
        raise FilterError(f"array {mode.value} on {field!r}: needs at least one value")
    return ArrayContains(_path(field), vals, mode)


def array_length(field: str | Sequence[str], length: object) -> ArrayLength:
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise FilterError(f"array length on {field!r}: needs a non-negative int, got {length!r}")
    return ArrayLength(_path(field), length)


def exists(field: str | Sequence[str]) -> Exists:
    return Exists(_path(field))


def is_empty(field: str | Sequence[str]) -> IsEmpty:
    return IsEmpty(_path(field))


def text_match(field: str | Sequence[str], query: object) -> TextMatch:
    return TextMatch(_path(field), _text(query, where=f"text match on {field!r}"))


def and_(*operands: Expr) -> Expr:
    flat: list[Expr] = []
    for op in operands:
        flat.extend(op.operands if isinstance(op, And) else (op,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(*operands: Expr) -> Expr:
    flat: list[Expr] = []
    for op in operands:
        flat.extend(op.operands if isinstance(op, Or) else (op,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def not_(operand: Expr) -> Expr:
    return operand.operand if isinstance(operand, Not) else Not(operand)
