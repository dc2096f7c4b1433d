"""Schema inference for the seed `MilvusClient`: a `Layout` from all rows of the first batch.

Rules (documented in the README):
- bool -> BOOL, int -> INT64, float (or int mixed with float) -> DOUBLE, str -> VARCHAR(65535),
  dict or list -> JSON; the `vector_field` holds a FLOAT_VECTOR (numbers) or BINARY_VECTOR (bytes).
  Other numeric lists are JSON: only `vector_field` is a vector.
- A key present (and not None) in every row of the first batch becomes a typed field; a key seen in only some rows,
  or only in later batches, is kept in the dynamic field. Nothing is dropped.
- Conflicting types, a missing pk or vector, a vector of the wrong dimension or with NaN: `SchemaError` naming
  the row index and the key (the batch is then validated as every later batch is, by `core.validate`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from pymilvus import DataType

from milvus_integrations.core.errors import SchemaError
from milvus_integrations.core.layout import MAX_VARCHAR, Layout, ScalarField, VectorField, VectorKind


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)) or _is_numpy_number(value)


def _is_numpy_number(value: object) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0


def _vector_like(value: object) -> bool:
    if isinstance(value, bytes):
        return True
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) == 1:
        return True
    return isinstance(value, list | tuple) and len(value) > 0 and all(_is_number(x) for x in value)


def scalar_type(row: int, key: str, value: object) -> DataType:
    """The field type a value infers (a `SchemaError` naming row and key for what Milvus cannot store)."""
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
    raise SchemaError(
        f"row {row}: value of {key!r} has type {type(value).__name__}, which Milvus cannot store", row=row, key=key
    )


def vector_candidates(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in names and _vector_like(value):
                names.append(key)
    return names


def _vector_field(rows: Sequence[Mapping[str, Any]], name: str, metric: str) -> VectorField:
    first = next((r[name] for r in rows if r.get(name) is not None), None)
    if first is None:
        raise SchemaError(f"row 0: the vector field {name!r} is missing", row=0, key=name)
    if isinstance(first, bytes):
        return VectorField(
            name, VectorKind.BINARY, len(first) * 8, metric if metric in ("HAMMING", "JACCARD") else "HAMMING"
        )
    if hasattr(first, "tolist"):
        first = first.tolist()
    if not isinstance(first, list | tuple) or not first:
        raise SchemaError(f"row 0: {name!r} must be a non-empty list of numbers (the vector)", row=0, key=name)
    return VectorField(name, VectorKind.DENSE, len(first), metric)


def infer_layout(
    rows: Sequence[Mapping[str, Any]], *, vector_field: str | None, pk_field: str | None, metric: str = "L2"
) -> Layout:
    """The layout of a new collection from every row of its first batch (rows are validated apart)."""
    if not rows:
        raise SchemaError("cannot infer a schema from an empty batch")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise SchemaError(f"row {i}: expected a dict, got {type(row).__name__}", row=i)
    if vector_field is None:
        found = vector_candidates(rows)
        hint = f"; candidates: {', '.join(repr(c) for c in found)}" if found else ""
        raise SchemaError(f"vector_field is required to create a collection{hint}")
    types: dict[str, tuple[DataType, int]] = {}  # key -> (type, first row)
    present: dict[str, int] = {}
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == vector_field or value is None:
                continue
            dtype = scalar_type(i, key, value)
            seen = types.get(key)
            if seen is None:
                types[key] = (dtype, i)
            elif seen[0] != dtype:
                if {seen[0], dtype} != {DataType.INT64, DataType.DOUBLE}:
                    raise SchemaError(
                        f"row {i}: {key!r} is {dtype.name} here but {seen[0].name} in row {seen[1]}", row=i, key=key
                    )
                types[key] = (DataType.DOUBLE, seen[1])
            present[key] = present.get(key, 0) + 1
    auto_id = pk_field is None
    pk = pk_field if pk_field is not None else f"internal_pk_{secrets.token_hex(2)}"
    if not auto_id:
        pk_type = types.get(pk, (None, 0))[0]
        if pk_type not in (DataType.INT64, DataType.VARCHAR):
            raise SchemaError(f"pk_field {pk!r} must hold ints or strings, not {getattr(pk_type, 'name', pk_type)}")
    vector = _vector_field(rows, vector_field, metric)
    scalars = {
        key: ScalarField(dtype, max_length=MAX_VARCHAR if dtype == DataType.VARCHAR else None)
        for key, (dtype, _) in types.items()
        if key != pk and present[key] == len(rows)
    }
    return Layout(
        primary=pk,
        primary_is_int=auto_id or types[pk][0] == DataType.INT64,
        auto_id=auto_id,
        text=None,
        vectors=(vector,),
        dynamic=True,
        scalars=scalars,
    )


def split_rows(
    layout: Layout, rows: Sequence[Any]
) -> tuple[list[Any] | None, dict[str, list[Any]], list[dict[str, Any]]]:
    """The seed's row dicts as the store's batch parts: (ids, {vector field: values}, metadata). A missing id or
    vector names its row; None-valued keys that are not typed fields are left out (nothing to store)."""
    pk, vf = layout.primary, layout.vector
    assert vf is not None
    ids: list[Any] | None = None if layout.auto_id else []
    vectors: list[Any] = []
    metas: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise SchemaError(f"row {i}: expected a dict, got {type(row).__name__}", row=i)
        if layout.auto_id:
            if pk in row:
                raise SchemaError(f"row {i}: {pk!r} is generated by Milvus (auto id); do not supply it", row=i, key=pk)
        elif ids is not None:
            if row.get(pk) is None:
                raise SchemaError(f"row {i}: the primary key {pk!r} is missing", row=i, key=pk)
            ids.append(row[pk])
        if row.get(vf) is None:
            raise SchemaError(f"row {i}: the vector field {vf!r} is missing", row=i, key=vf)
        vectors.append(row[vf])
        metas.append(
            {k: _plain(v) for k, v in row.items() if k != pk and k != vf and (v is not None or k in layout.scalars)}
        )
    return ids, {vf: vectors}, metas


def _plain(value: Any) -> Any:
    """numpy values as Python ones, tuples as lists (what pymilvus stores)."""
    if hasattr(value, "tolist") and not isinstance(value, bytes):
        return value.tolist()
    return list(value) if isinstance(value, tuple) else value
