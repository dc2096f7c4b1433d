"""Schema inference for the seed `MilvusClient`: from all rows of the first batch, validated before any write.

Rules (documented in the README):
- bool -> BOOL, int -> INT64, float (or int mixed with float) -> DOUBLE, str -> VARCHAR(65535),
  dict or list -> JSON; the `vector_field` holds a FLOAT_VECTOR (numbers) or BINARY_VECTOR (bytes).
  Other numeric lists are JSON: only `vector_field` is a vector.
- A key present (and not None) in every row of the first batch becomes a typed field; a key seen in only some rows,
  or only in later batches, is kept in the dynamic field. Nothing is dropped.
- Conflicting types, a missing pk or vector, a vector of the wrong dimension or with NaN: `SchemaError` naming
  the row index and the key.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymilvus import DataType

from milvus_integrations.core.errors import SchemaError

MAX_VARCHAR = 65535
_VECTOR_TYPES = (DataType.FLOAT_VECTOR, DataType.BINARY_VECTOR)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    dtype: DataType
    dim: int | None = None
    is_primary: bool = False
    auto_id: bool = False


@dataclass(frozen=True)
class InferredSchema:
    """The typed fields of a collection, which one is the pk and which the vector."""

    fields: tuple[FieldSpec, ...]
    pk: str
    vector: str
    dynamic: bool = True
    auto_id: bool = False
    by_name: Mapping[str, FieldSpec] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def vector_spec(self) -> FieldSpec:
        return self.by_name[self.vector]

    def scalar_names(self) -> list[str]:
        return [f.name for f in self.fields if f.dtype not in _VECTOR_TYPES]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) or _is_numpy_number(value)


def _is_numpy_number(value: object) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0


def _vector_like(value: object) -> bool:
    if isinstance(value, bytes):
        return True
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) == 1:
        return True
    return isinstance(value, list | tuple) and len(value) > 0 and all(_is_number(x) for x in value)


def _scalar_type(value: object) -> DataType:
    if isinstance(value, bool):
        return DataType.BOOL
    if isinstance(value, int) or (_is_numpy_number(value) and "int" in str(getattr(value, "dtype", ""))):
        return DataType.INT64
    if isinstance(value, float) or _is_numpy_number(value):
        return DataType.DOUBLE
    if isinstance(value, str):
        return DataType.VARCHAR
    if isinstance(value, Mapping | list | tuple):
        return DataType.JSON
    raise TypeError(type(value).__name__)


def _storable_type(row: int, key: str, value: object) -> DataType:
    try:
        return _scalar_type(value)
    except TypeError:
        raise SchemaError(
            f"row {row}: value of {key!r} has type {type(value).__name__}, which Milvus cannot store",
            row=row,
            key=key,
        ) from None


def vector_candidates(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in names and _vector_like(value):
                names.append(key)
    return names


FLOAT32_MAX = 3.4028234663852886e38  # FLOAT_VECTOR stores float32: a larger value would be stored as infinity


def _vector_dim(row: int, key: str, value: object, binary: bool) -> int:
    if binary:
        if not isinstance(value, bytes) or not value:
            raise SchemaError(f"row {row}: {key!r} must be non-empty bytes (a binary vector)", row=row, key=key)
        return len(value) * 8
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, list | tuple) or not value or not all(_is_number(x) for x in value):
        raise SchemaError(f"row {row}: {key!r} must be a non-empty list of numbers (the vector)", row=row, key=key)
    if not all(abs(float(x)) <= FLOAT32_MAX for x in value):  # False for NaN too
        raise SchemaError(
            f"row {row}: vector {key!r} contains NaN, infinity or a value beyond float32's range", row=row, key=key
        )
    return len(value)


def infer_schema(
    rows: Sequence[Mapping[str, Any]], *, vector_field: str | None, pk_field: str | None
) -> InferredSchema:
    """Infer a collection schema from every row of the first batch (and validate that batch against it)."""
    if not rows:
        raise SchemaError("cannot infer a schema from an empty batch")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise SchemaError(f"row {i}: expected a dict, got {type(row).__name__}", row=i)
    if vector_field is None:
        found = vector_candidates(rows)
        hint = f"; candidates: {', '.join(repr(c) for c in found)}" if found else ""
        raise SchemaError(f"vector_field is required to create a collection{hint}")
    first_vec = next((r[vector_field] for r in rows if vector_field in r), None)
    binary = isinstance(first_vec, bytes)
    types: dict[str, tuple[DataType, int]] = {}  # key -> (type, first row)
    present: dict[str, int] = {}
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == vector_field or value is None:
                continue
            dtype = _storable_type(i, key, value)
            seen = types.get(key)
            if seen is None:
                types[key] = (dtype, i)
            elif seen[0] != dtype:
                numeric = {seen[0], dtype} == {DataType.INT64, DataType.DOUBLE}
                if not numeric:
                    raise SchemaError(
                        f"row {i}: {key!r} is {dtype.name} here but {seen[0].name} in row {seen[1]}", row=i, key=key
                    )
                types[key] = (DataType.DOUBLE, seen[1])
            present[key] = present.get(key, 0) + 1
    fields: list[FieldSpec] = []
    auto_id = pk_field is None
    pk = pk_field if pk_field is not None else f"internal_pk_{secrets.token_hex(2)}"
    if auto_id:
        fields.append(FieldSpec(pk, DataType.INT64, is_primary=True, auto_id=True))
    else:
        pk_type = types.get(pk, (None, 0))[0]
        if pk_type not in (DataType.INT64, DataType.VARCHAR):
            raise SchemaError(f"pk_field {pk!r} must hold ints or strings, not {getattr(pk_type, 'name', pk_type)}")
        fields.append(FieldSpec(pk, pk_type, is_primary=True))
    dim = _vector_dim(0, vector_field, first_vec, binary) if first_vec is not None else 0
    fields.append(FieldSpec(vector_field, DataType.BINARY_VECTOR if binary else DataType.FLOAT_VECTOR, dim=dim))
    for key, (dtype, _) in types.items():
        if key != pk and present[key] == len(rows):
            fields.append(FieldSpec(key, dtype))
    schema = InferredSchema(tuple(fields), pk=pk, vector=vector_field, auto_id=auto_id)
    validate_rows(rows, schema)
    return schema


def schema_from_description(description: Mapping[str, Any]) -> InferredSchema:
    """Read pk, vector and typed fields back from `describe_collection` output."""
    fields: list[FieldSpec] = []
    pk = vector = ""
    for f in description.get("fields", []):
        dtype = f["type"]
        params = f.get("params", {}) or {}
        spec = FieldSpec(
            f["name"],
            dtype,
            dim=int(params["dim"]) if "dim" in params else None,
            is_primary=bool(f.get("is_primary")),
            auto_id=bool(f.get("auto_id")) or (bool(f.get("is_primary")) and bool(description.get("auto_id"))),
        )
        if f.get("is_function_output"):
            continue
        fields.append(spec)
        if spec.is_primary:
            pk = spec.name
        elif dtype in _VECTOR_TYPES and not vector:
            vector = spec.name
    if not pk or not vector:
        raise SchemaError("the collection has no primary key or no float/binary vector field")
    return InferredSchema(
        tuple(fields),
        pk=pk,
        vector=vector,
        dynamic=bool(description.get("enable_dynamic_field", False)),
        auto_id=bool(description.get("auto_id", False)),
    )


def _fits(dtype: DataType, value: object) -> bool:
    if dtype == DataType.BOOL:
        return isinstance(value, bool)
    if dtype in (DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64):
        return _scalar_type(value) == DataType.INT64 if not isinstance(value, bool) else False
    if dtype in (DataType.FLOAT, DataType.DOUBLE):
        return _is_number(value)
    if dtype == DataType.VARCHAR:
        return isinstance(value, str) and len(value.encode()) <= MAX_VARCHAR
    if dtype == DataType.JSON:
        return isinstance(value, Mapping | list | tuple | str | int | float | bool)
    if dtype == DataType.ARRAY:
        return isinstance(value, list | tuple)
    return True


def validate_rows(rows: Sequence[Mapping[str, Any]], schema: InferredSchema) -> None:
    """Check a whole batch against the schema before anything is written; the first problem names row and key."""
    seen_pks: dict[object, int] = {}
    vec = schema.vector_spec
    binary = vec.dtype == DataType.BINARY_VECTOR
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise SchemaError(f"row {i}: expected a dict, got {type(row).__name__}", row=i)
        if vec.name not in row or row[vec.name] is None:
            raise SchemaError(f"row {i}: the vector field {vec.name!r} is missing", row=i, key=vec.name)
        dim = _vector_dim(i, vec.name, row[vec.name], binary)
        if vec.dim and dim != vec.dim:
            raise SchemaError(
                f"row {i}: vector {vec.name!r} has {dim} dimensions; the collection stores {vec.dim}",
                row=i,
                key=vec.name,
            )
        for spec in schema.fields:
            if spec.dtype in _VECTOR_TYPES:
                continue
            if spec.is_primary and spec.auto_id:
                if spec.name in row:
                    raise SchemaError(
                        f"row {i}: {spec.name!r} is generated by Milvus (auto id); do not supply it",
                        row=i,
                        key=spec.name,
                    )
                continue
            if spec.name not in row or row[spec.name] is None:
                what = "primary key" if spec.is_primary else "field"
                raise SchemaError(f"row {i}: the {what} {spec.name!r} is missing", row=i, key=spec.name)
            value = row[spec.name]
            if not _fits(spec.dtype, value):
                raise SchemaError(
                    f"row {i}: {spec.name!r} must be {spec.dtype.name}, got {type(value).__name__} {value!r:.60}",
                    row=i,
                    key=spec.name,
                )
            if spec.is_primary:
                if value in seen_pks:
                    raise SchemaError(
                        f"row {i}: primary key {spec.name!r} = {value!r} repeats row {seen_pks[value]}",
                        row=i,
                        key=spec.name,
                    )
                seen_pks[value] = i
        if not schema.dynamic:
            extra = [k for k in row if k not in schema.by_name]
            if extra:
                raise SchemaError(
                    f"row {i}: key {extra[0]!r} is not a field of the collection and it has no dynamic field",
                    row=i,
                    key=extra[0],
                )
        for key, value in row.items():
            if key not in schema.by_name and value is not None:
                _storable_type(i, key, value)
                if isinstance(value, float) and not math.isfinite(value):
                    raise SchemaError(f"row {i}: {key!r} is {value}, which JSON cannot hold", row=i, key=key)


def normalize_row(row: Mapping[str, Any], schema: InferredSchema) -> dict[str, Any]:
    """The row as pymilvus takes it: numpy vectors as lists, None-valued dynamic keys left out."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None and key not in schema.by_name:
            continue
        if hasattr(value, "tolist") and not isinstance(value, bytes):
            value = value.tolist()
        if isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out
