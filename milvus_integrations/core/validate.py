"""The one validator of a batch before anything is written: vectors (shape, NaN/infinity, float32 range), ids,
texts and metadata (key names, collisions with fields, typed fields, JSON), for the stores and the seed client.
Every error is a `SchemaError` naming the row and the key."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pymilvus import DataType

from milvus_integrations.core.errors import SchemaError
from milvus_integrations.core.layout import MAX_VARCHAR, Layout, ScalarField

Vector = Sequence[float] | npt.NDArray[np.floating]
_INT64 = (-(2**63), 2**63 - 1)
_INT_RANGES = {
    DataType.INT8: (-(2**7), 2**7 - 1),
    DataType.INT16: (-(2**15), 2**15 - 1),
    DataType.INT32: (-(2**31), 2**31 - 1),
    DataType.INT64: _INT64,
}


def dense_matrix(
    vectors: Sequence[Vector] | npt.NDArray[np.floating], expected: int | None, *, key: str = "vector", where: str = ""
) -> npt.NDArray[np.float32]:
    """The batch's vectors as a float32 matrix, after checking every row (`where` names the collection)."""
    label = "vector" if key == "vector" else f"vector {key!r}"
    if isinstance(vectors, np.ndarray) and vectors.ndim == 2:
        with np.errstate(over="ignore"):  # a value beyond float32 becomes inf: refused below, by row
            arr = vectors.astype(np.float32, copy=False)
    else:
        lengths = []
        for i, v in enumerate(vectors):
            if v is None or isinstance(v, str | bytes | Mapping) or not hasattr(v, "__len__"):
                raise SchemaError(f"row {i}: {label} must be a list of numbers, got {type(v).__name__}", row=i, key=key)
            lengths.append(len(v))
        if lengths and len(set(lengths)) > 1:
            first = lengths[0]
            bad = next(i for i, n in enumerate(lengths) if n != first)
            raise SchemaError(f"row {bad}: {label} has {lengths[bad]} dimensions, row 0 has {first}", row=bad, key=key)
        try:
            with np.errstate(over="ignore"):
                arr = np.asarray(vectors, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"{label} values must be lists of numbers: {exc}", key=key) from None
        if arr.ndim != 2:
            arr = arr.reshape(len(lengths), -1) if lengths else arr.reshape(0, 0)
    if arr.shape[0] and arr.shape[1] == 0:
        raise SchemaError(f"row 0: {label} is empty", row=0, key=key)
    if expected is not None and arr.shape[0] and arr.shape[1] != expected:
        raise SchemaError(
            f"row 0: {label} has {arr.shape[1]} dimensions but the collection{where} stores {expected}", row=0, key=key
        )
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise SchemaError(
            f"row {bad}: {label} contains NaN, infinity or a value beyond float32's range", row=bad, key=key
        )
    return arr


def binary_vectors(vectors: Sequence[Any], expected_bits: int | None, *, key: str) -> list[bytes]:
    """Binary vectors (bytes of one length; `expected_bits` = the collection's dim)."""
    out: list[bytes] = []
    for i, v in enumerate(vectors):
        if not isinstance(v, bytes | bytearray) or not v:
            raise SchemaError(f"row {i}: {key!r} must be non-empty bytes (a binary vector)", row=i, key=key)
        bits = len(v) * 8
        want = expected_bits if expected_bits is not None else len(out[0]) * 8 if out else bits
        if bits != want:
            raise SchemaError(
                f"row {i}: binary vector {key!r} has {bits} bits, the collection stores {want}", row=i, key=key
            )
        out.append(bytes(v))
    return out


def sparse_vectors(vectors: Sequence[Any], *, key: str) -> list[dict[int, float]]:
    """Sparse vectors as ``{index: weight}`` with non-negative int indices below 2**32 and finite weights."""
    out: list[dict[int, float]] = []
    for i, v in enumerate(vectors):
        if not isinstance(v, Mapping):
            raise SchemaError(
                f"row {i}: {key!r} must be a dict of index -> weight, got {type(v).__name__}", row=i, key=key
            )
        row: dict[int, float] = {}
        for index, weight in v.items():
            if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= int(index) < 2**32:
                raise SchemaError(
                    f"row {i}: sparse index {index!r} in {key!r} must be an int in [0, 2**32)", row=i, key=key
                )
            if isinstance(weight, bool) or not isinstance(weight, int | float | np.floating | np.integer):
                raise SchemaError(f"row {i}: sparse weight for {index} in {key!r} is not a number", row=i, key=key)
            if not math.isfinite(float(weight)):
                raise SchemaError(f"row {i}: sparse weight for {index} in {key!r} is not finite", row=i, key=key)
            row[int(index)] = float(weight)
        out.append(row)
    return out


def fits(spec: ScalarField, value: object) -> bool:
    """Whether `value` can be stored in a typed field of `spec`."""
    dtype = spec.dtype
    if dtype == DataType.BOOL:
        return isinstance(value, bool | np.bool_)
    if dtype in _INT_RANGES:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            return False
        low, high = _INT_RANGES[dtype]
        return low <= int(value) <= high
    if dtype in (DataType.FLOAT, DataType.DOUBLE):
        return (
            isinstance(value, int | float | np.floating | np.integer)
            and not isinstance(value, bool)
            and (math.isfinite(float(value)))
        )
    if dtype == DataType.VARCHAR:
        return (
            isinstance(value, str) and "\x00" not in value and len(value.encode()) <= (spec.max_length or MAX_VARCHAR)
        )
    if dtype == DataType.JSON:
        return _json_ok(value)
    if dtype == DataType.ARRAY:
        if not isinstance(value, list | tuple) or (spec.max_capacity is not None and len(value) > spec.max_capacity):
            return False
        element = ScalarField(spec.element_type, max_length=spec.max_length) if spec.element_type else None
        return element is None or all(fits(element, v) for v in value)
    return True


def _json_ok(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _describe(spec: ScalarField) -> str:
    if spec.dtype == DataType.ARRAY and spec.element_type is not None:
        return f"ARRAY of {spec.element_type.name}" + (f" (at most {spec.max_capacity})" if spec.max_capacity else "")
    if spec.dtype == DataType.VARCHAR:
        return f"VARCHAR (at most {spec.max_length or MAX_VARCHAR} bytes)"
    return str(spec.dtype.name)


def check_id(i: int, id_: object, layout: Layout, seen: dict[Any, int], key: str = "id", label: str = "id") -> None:
    if layout.auto_id:
        if id_ is not None:
            raise SchemaError(
                f"row {i}: {layout.primary!r} is generated by Milvus (auto id); do not supply it", row=i, key=key
            )
        return
    if layout.primary_is_int:
        if isinstance(id_, bool) or not isinstance(id_, int | np.integer) or not _INT64[0] <= int(id_) <= _INT64[1]:
            raise SchemaError(f"row {i}: id must be an int64 for this collection, got {id_!r}", row=i, key=key)
    elif not isinstance(id_, str) or not id_:
        raise SchemaError(f"row {i}: id must be a non-empty string, got {id_!r}", row=i, key=key)
    elif len(id_.encode()) > layout.primary_max_length or "\x00" in id_:
        raise SchemaError(
            f"row {i}: id is longer than {layout.primary_max_length} bytes or contains NUL", row=i, key=key
        )
    if id_ in seen:
        raise SchemaError(f"row {i}: {label} {id_!r} repeats row {seen[id_]} in the same batch", row=i, key=key)
    seen[id_] = i


def check_metadata(i: int, metadata: object, layout: Layout, reserved: frozenset[str]) -> None:
    """One row's metadata: key names, no collision with the id/text/vector fields (`reserved`), typed fields of the
    right type (and present unless nullable), other keys storable in the dynamic (or JSON) field."""
    if not isinstance(metadata, Mapping):
        raise SchemaError(f"row {i}: metadata must be a dict, got {type(metadata).__name__}", row=i)
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise SchemaError(f"row {i}: metadata key {key!r} must be a non-empty string", row=i, key=str(key))
        if "\x00" in key or key.startswith("$"):
            raise SchemaError(f"row {i}: metadata key {key!r} is not allowed", row=i, key=key)
        if key in reserved:
            raise SchemaError(
                f"row {i}: metadata key {key!r} collides with the collection's field of that name; rename it",
                row=i,
                key=key,
            )
        spec = layout.scalars.get(key)
        if spec is not None:
            if value is None:
                if not spec.nullable and spec.default is None:
                    raise SchemaError(f"row {i}: field {key!r} may not be None", row=i, key=key)
            elif not fits(spec, value):
                raise SchemaError(
                    f"row {i}: {key!r} must be {_describe(spec)}, got {type(value).__name__} {value!r:.60}",
                    row=i,
                    key=key,
                )
            continue
        if not layout.dynamic and not layout.metadata_json:
            raise SchemaError(
                f"row {i}: key {key!r} is not a field of the collection and it has no dynamic field", row=i, key=key
            )
        if isinstance(value, str | bool | int) or value is None:
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise SchemaError(f"row {i}: metadata value for key {key!r} is {value}, not JSON", row=i, key=key)
            continue
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise SchemaError(
                f"row {i}: metadata value for key {key!r} is not JSON-serializable ({exc})", row=i, key=key
            ) from None
    for key, spec in layout.scalars.items():
        if key not in metadata and not spec.nullable and spec.default is None:
            what = "partition key" if spec.partition_key else "field"
            raise SchemaError(f"row {i}: the {what} {key!r} is missing from metadata", row=i, key=key)


def check_rows(
    layout: Layout,
    ids: Sequence[Any] | None,
    texts: Sequence[str | None] | None,
    metadatas: Sequence[Mapping[str, Any]],
    *,
    id_key: str = "id",
    id_label: str = "id",
) -> None:
    """Validate every row of a batch against `layout` (vectors are checked apart), naming row and key (`id_key`
    and `id_label` name an id in errors: "id" for the stores, the primary field for the seed client)."""
    n = len(metadatas)
    if (ids is not None and len(ids) != n) or (texts is not None and len(texts) != n):
        raise SchemaError(
            f"ids, texts and metadatas differ in length ({len(ids) if ids is not None else n}, "
            f"{len(texts) if texts is not None else n}, {n})"
        )
    seen: dict[Any, int] = {}
    text_limit = layout.text_max_length
    reserved = layout.reserved
    for i in range(n):
        check_id(i, ids[i] if ids is not None else None, layout, seen, id_key, id_label)
        text = texts[i] if texts is not None else None
        if text is not None:
            if not isinstance(text, str):
                raise SchemaError(f"row {i}: text must be a string, got {type(text).__name__}", row=i, key="text")
            if layout.text and len(text.encode()) > text_limit:
                raise SchemaError(
                    f"row {i}: text is {len(text.encode())} bytes; Milvus VARCHAR holds at most {text_limit}",
                    row=i,
                    key="text",
                )
        check_metadata(i, metadatas[i], layout, reserved)
