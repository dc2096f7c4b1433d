"""LangChain's Mongo-style dict filters -> the core filter IR (one operator table, one recursive translator).

``{"source": "a.txt"}`` is equality; ``{"year": {"$gte": 2000, "$lt": 2010}}`` ANDs its operators; several keys in
one dict are ANDed; ``$and`` / ``$or`` take lists of filters and ``$not`` takes one. Field operators:
``$eq $ne $gt $gte $lt $lte $in $nin $like $contains $exists $not``. ``$contains`` means a list field holds the
value (or, given a list, all of those values); ``$like`` takes a SQL LIKE pattern (``%`` any run, ``_`` one
character, backslash escapes). ``$ne`` and ``$nin`` match documents that lack the key, as in MongoDB.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from milvus_integrations.core.errors import FilterError
from milvus_integrations.core.filters import Expr, ir


def _exists(field: str, value: object) -> Expr:
    if not isinstance(value, bool):
        raise FilterError(f"$exists on {field!r} takes true or false, got {value!r}")
    return ir.exists(field) if value else ir.not_(ir.exists(field))


def _contains(field: str, value: object) -> Expr:
    values = list(value) if isinstance(value, list | tuple) else [value]
    return ir.array_contains(field, values, ir.ArrayMode.ALL)


def _list(op: str) -> Callable[[str, object], Expr]:
    def build(field: str, value: object) -> Expr:
        if not isinstance(value, list | tuple):
            raise FilterError(f"{op} on {field!r} takes a list, got {type(value).__name__}")
        return ir.in_(field, value) if op == "$in" else ir.not_in(field, value)

    return build


FIELD_OPERATORS: dict[str, Callable[[str, object], Expr]] = {
    "$eq": ir.eq,
    "$ne": ir.ne,
    "$gt": lambda f, v: ir.compare(f, ">", v),
    "$gte": lambda f, v: ir.compare(f, ">=", v),
    "$lt": lambda f, v: ir.compare(f, "<", v),
    "$lte": lambda f, v: ir.compare(f, "<=", v),
    "$in": _list("$in"),
    "$nin": _list("$nin"),
    "$like": ir.like,
    "$contains": _contains,
    "$exists": _exists,
}
LOGICAL_OPERATORS = ("$and", "$or", "$not")


def to_ir(filter: Mapping[str, Any] | None) -> Expr | None:
    """The IR for a LangChain dict filter (None or {} -> no filter)."""
    if filter is None:
        return None
    if not isinstance(filter, Mapping):
        raise FilterError(f"a filter must be a dict, got {type(filter).__name__}")
    if not filter:
        return None
    return _document(filter)


def _document(node: object) -> Expr:
    if not isinstance(node, Mapping) or not node:
        raise FilterError(f"expected a non-empty filter dict, got {node!r}")
    parts: list[Expr] = []
    for key, value in node.items():
        if not isinstance(key, str):
            raise FilterError(f"filter keys must be strings, got {key!r}")
        if key in ("$and", "$or"):
            if not isinstance(value, list | tuple) or not value:
                raise FilterError(f"{key} takes a non-empty list of filters")
            subs = [_document(v) for v in value]
            parts.append(ir.and_(*subs) if key == "$and" else ir.or_(*subs))
        elif key == "$not":
            parts.append(ir.not_(_document(value)))
        elif key.startswith("$"):
            raise FilterError(f"unknown operator {key!r}; logical operators are {', '.join(LOGICAL_OPERATORS)}")
        else:
            parts.append(_field(key, value))
    return ir.and_(*parts)


def _field(field: str, condition: object) -> Expr:
    if not isinstance(condition, Mapping):
        return ir.eq(field, condition)
    if not condition:
        raise FilterError(f"empty condition for field {field!r}")
    parts: list[Expr] = []
    for op, value in condition.items():
        if op == "$not":
            parts.append(ir.not_(_field(field, value)))
            continue
        build = FIELD_OPERATORS.get(op)
        if build is None:
            known = ", ".join([*FIELD_OPERATORS, "$not"])
            raise FilterError(f"unknown operator {op!r} for field {field!r}; supported: {known}")
        parts.append(build(field, value))
    return ir.and_(*parts)
