"""LlamaIndex `MetadataFilters` -> the core filter IR (one operator table, one recursive translator).

Semantics follow LlamaIndex's SimpleVectorStore: a missing key matches only NE and NIN; NOT means none of its
filters match; TEXT_MATCH is a substring match with `%` and `_` taken literally; IS_EMPTY is missing, null, ""
or []. TEXT_MATCH_INSENSITIVE raises: Milvus' LIKE has no case-insensitive form.
"""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.vector_stores.types import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters

from milvus_integrations.core.errors import FilterError
from milvus_integrations.core.filters import Expr, ir


def _listed(op: FilterOperator, build: Callable[[str, list[object]], Expr]) -> Callable[[str, object], Expr]:
    def apply(key: str, value: object) -> Expr:
        if not isinstance(value, list | tuple):
            raise FilterError(f"{op.name} on {key!r} takes a list of values, got {type(value).__name__}")
        return build(key, list(value))

    return apply


def _case_insensitive(key: str, value: object) -> Expr:
    raise FilterError(
        f"TEXT_MATCH_INSENSITIVE on {key!r}: Milvus has no case-insensitive LIKE; store a lower-cased copy of the "
        "field and filter it with TEXT_MATCH on a lower-cased value"
    )


OPERATORS: dict[FilterOperator, Callable[[str, object], Expr]] = {
    FilterOperator.EQ: ir.eq,
    FilterOperator.NE: ir.ne,
    FilterOperator.GT: lambda k, v: ir.compare(k, ">", v),
    FilterOperator.GTE: lambda k, v: ir.compare(k, ">=", v),
    FilterOperator.LT: lambda k, v: ir.compare(k, "<", v),
    FilterOperator.LTE: lambda k, v: ir.compare(k, "<=", v),
    FilterOperator.IN: _listed(FilterOperator.IN, ir.in_),
    FilterOperator.NIN: _listed(FilterOperator.NIN, ir.not_in),
    FilterOperator.ANY: _listed(FilterOperator.ANY, lambda k, v: ir.array_contains(k, v, ir.ArrayMode.ANY)),
    FilterOperator.ALL: _listed(FilterOperator.ALL, lambda k, v: ir.array_contains(k, v, ir.ArrayMode.ALL)),
    FilterOperator.CONTAINS: lambda k, v: ir.array_contains(k, [v]),
    FilterOperator.TEXT_MATCH: ir.contains_text,
    FilterOperator.TEXT_MATCH_INSENSITIVE: _case_insensitive,
    FilterOperator.IS_EMPTY: lambda k, v: ir.is_empty(k),
}


def to_ir(filters: MetadataFilters | None) -> Expr | None:
    """The IR for LlamaIndex metadata filters (None or no filters -> no filter)."""
    if filters is None or not filters.filters:
        return None
    return _filters(filters)


def _filters(filters: MetadataFilters) -> Expr:
    if not filters.filters:
        raise FilterError("nested MetadataFilters must hold at least one filter")
    parts = [_filters(f) if isinstance(f, MetadataFilters) else _one(f) for f in filters.filters]
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return ir.and_(*parts)
    if condition == FilterCondition.OR:
        return ir.or_(*parts)
    if condition == FilterCondition.NOT:
        return ir.not_(ir.or_(*parts))
    raise FilterError(f"unsupported filter condition {condition!r}")


def _one(f: MetadataFilter) -> Expr:
    build = OPERATORS.get(FilterOperator(f.operator))
    if build is None:
        raise FilterError(f"unsupported filter operator {f.operator!r} on {f.key!r}")
    return build(f.key, f.value)
