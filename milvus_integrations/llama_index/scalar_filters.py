"""Milvus' array and JSON filters in llama-index-vector-stores-milvus' shape (`ScalarMetadataFilters`, passed to a
query as ``milvus_scalar_filters``), translated to the core filter IR like every other filter: one compiler, values
escaped, never spliced into an expression as text.

The operator names are the peer's; the `JSON_CONTAINS*` names are accepted too (the compiler picks ``array_*`` for
typed ARRAY fields and ``json_*`` for keys in the dynamic field, whichever name was used).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from llama_index.core.vector_stores.types import FilterCondition
from pydantic import BaseModel, StrictFloat, StrictInt, StrictStr

from milvus_integrations.core.errors import FilterError
from milvus_integrations.core.filters import Expr, ir


class FilterOperatorFunction(str, Enum):
    """Milvus array / JSON filter functions (the `N...` ones are their negations)."""

    ARRAY_CONTAINS = "ARRAY_CONTAINS({key}, {value})"
    NARRAY_CONTAINS = "not ARRAY_CONTAINS({key}, {value})"
    ARRAY_CONTAINS_ANY = "ARRAY_CONTAINS_ANY({key}, {value})"
    NARRAY_CONTAINS_ANY = "not ARRAY_CONTAINS_ANY({key}, {value})"
    ARRAY_CONTAINS_ALL = "ARRAY_CONTAINS_ALL({key}, {value})"
    NARRAY_CONTAINS_ALL = "not ARRAY_CONTAINS_ALL({key}, {value})"
    ARRAY_LENGTH = "ARRAY_LENGTH({key}) == {value}"
    NARRAY_LENGTH = "ARRAY_LENGTH({key}) != {value}"
    JSON_CONTAINS = "JSON_CONTAINS({key}, {value})"
    JSON_CONTAINS_ANY = "JSON_CONTAINS_ANY({key}, {value})"
    JSON_CONTAINS_ALL = "JSON_CONTAINS_ALL({key}, {value})"


ScalarValue = StrictInt | StrictFloat | StrictStr | list[StrictStr] | list[StrictFloat] | list[StrictInt]


class ScalarMetadataFilter(BaseModel):
    """One array / JSON filter: `key` (a metadata key or typed field), `value`, `operator`."""

    key: str
    value: ScalarValue
    operator: FilterOperatorFunction = FilterOperatorFunction.ARRAY_CONTAINS

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "operator": self.operator.value}

    @classmethod
    def from_dict(cls, filter_dict: Mapping[str, Any]) -> ScalarMetadataFilter:
        return cls.model_validate(dict(filter_dict))


class ScalarMetadataFilters(BaseModel):
    """Array / JSON filters combined by `condition` (AND or OR)."""

    filters: list[ScalarMetadataFilter]
    condition: FilterCondition | None = FilterCondition.AND

    def to_dict(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.filters]

    @classmethod
    def from_dict(cls, data: Sequence[Mapping[str, Any]]) -> ScalarMetadataFilters:
        return cls(filters=[ScalarMetadataFilter.from_dict(item) for item in data])


def _values(f: ScalarMetadataFilter) -> list[object]:
    if not isinstance(f.value, list):
        raise FilterError(f"{f.operator.name} on {f.key!r} takes a list of values, got {type(f.value).__name__}")
    return list(f.value)


def _length(f: ScalarMetadataFilter) -> Expr:
    return ir.array_length(f.key, f.value)


_ANY, _ALL = ir.ArrayMode.ANY, ir.ArrayMode.ALL
_BUILD: dict[FilterOperatorFunction, Callable[[ScalarMetadataFilter], Expr]] = {
    FilterOperatorFunction.ARRAY_CONTAINS: lambda f: ir.array_contains(f.key, [f.value]),
    FilterOperatorFunction.JSON_CONTAINS: lambda f: ir.array_contains(f.key, [f.value]),
    FilterOperatorFunction.ARRAY_CONTAINS_ANY: lambda f: ir.array_contains(f.key, _values(f), _ANY),
    FilterOperatorFunction.JSON_CONTAINS_ANY: lambda f: ir.array_contains(f.key, _values(f), _ANY),
    FilterOperatorFunction.ARRAY_CONTAINS_ALL: lambda f: ir.array_contains(f.key, _values(f), _ALL),
    FilterOperatorFunction.JSON_CONTAINS_ALL: lambda f: ir.array_contains(f.key, _values(f), _ALL),
    FilterOperatorFunction.ARRAY_LENGTH: _length,
}
_NEGATED = {
    FilterOperatorFunction.NARRAY_CONTAINS: FilterOperatorFunction.ARRAY_CONTAINS,
    FilterOperatorFunction.NARRAY_CONTAINS_ANY: FilterOperatorFunction.ARRAY_CONTAINS_ANY,
    FilterOperatorFunction.NARRAY_CONTAINS_ALL: FilterOperatorFunction.ARRAY_CONTAINS_ALL,
    FilterOperatorFunction.NARRAY_LENGTH: FilterOperatorFunction.ARRAY_LENGTH,
}


def scalar_to_ir(filters: ScalarMetadataFilters | Sequence[Mapping[str, Any]] | None) -> Expr | None:
    """The IR for `milvus_scalar_filters`: a `ScalarMetadataFilters`, or its `to_dict()` list (as the peer's demos
    pass it). A negated operator matches rows that lack the key, as NE does."""
    if filters is None:
        return None
    if isinstance(filters, list | tuple):
        try:
            filters = ScalarMetadataFilters.from_dict(filters)
        except ValueError as exc:
            raise FilterError(f"milvus_scalar_filters: {exc}") from None
    if not isinstance(filters, ScalarMetadataFilters):
        raise FilterError(
            f"milvus_scalar_filters must be a ScalarMetadataFilters or its to_dict() list, got {type(filters).__name__}"
        )
    parts: list[Expr] = []
    for f in filters.filters:
        positive = _NEGATED.get(f.operator)
        parts.append(ir.not_(_BUILD[positive](f)) if positive is not None else _BUILD[f.operator](f))
    if not parts:
        return None
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return ir.and_(*parts)
    if condition == FilterCondition.OR:
        return ir.or_(*parts)
    raise FilterError(f"milvus_scalar_filters: condition {condition.value!r} is not and / or")
