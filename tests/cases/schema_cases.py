"""The shared schema case table: rows of a first batch, and the schema the core must infer from them, or the
SchemaError (row, key) it must raise before writing anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pymilvus import DataType


@dataclass(frozen=True)
class SchemaCase:
    name: str
    rows: list[dict[str, Any]]
    fields: dict[str, DataType] | None  # typed fields expected (pk and vector included); None: an error
    error: tuple[int | None, str | None] | None = None  # (row, key) of the SchemaError
    message: str | None = None  # a regex the error message matches


V = [0.1, 0.2, 0.3]

INFERRED = [
    SchemaCase(
        "every scalar type",
        [{"id": 1, "v": V, "b": True, "i": 3, "f": 1.5, "s": "x", "d": {"a": 1}, "l": ["a", "b"], "n": [1, 2]}],
        {
            "id": DataType.INT64,
            "v": DataType.FLOAT_VECTOR,
            "b": DataType.BOOL,
            "i": DataType.INT64,
            "f": DataType.DOUBLE,
            "s": DataType.VARCHAR,
            "d": DataType.JSON,
            "l": DataType.JSON,
            "n": DataType.JSON,
        },
    ),
    SchemaCase(
        "int and float mix to DOUBLE",
        [{"id": 1, "v": V, "x": 1}, {"id": 2, "v": V, "x": 2.5}],
        {"id": DataType.INT64, "v": DataType.FLOAT_VECTOR, "x": DataType.DOUBLE},
    ),
    SchemaCase(
        "a key in some rows stays dynamic",
        [{"id": 1, "v": V, "x": 1}, {"id": 2, "v": V}],
        {"id": DataType.INT64, "v": DataType.FLOAT_VECTOR},
    ),
    SchemaCase(
        "string pk and numpy vector",
        [{"id": "a", "v": np.array(V, dtype=np.float32)}],
        {"id": DataType.VARCHAR, "v": DataType.FLOAT_VECTOR},
    ),
    SchemaCase("binary vector", [{"id": 1, "v": b"\x01\x02"}], {"id": DataType.INT64, "v": DataType.BINARY_VECTOR}),
]

REJECTED = [
    SchemaCase("conflicting types", [{"id": 1, "v": V, "k": 1}, {"id": 2, "v": V, "k": "x"}], None, (1, "k")),
    SchemaCase("wrong dimension", [{"id": 1, "v": V}, {"id": 2, "v": [0.1]}], None, (1, "v")),
    SchemaCase("NaN in a vector", [{"id": 1, "v": V}, {"id": 2, "v": [float("nan")] * 3}], None, (1, "v")),
    SchemaCase("missing pk", [{"id": 1, "v": V}, {"v": V}], None, (1, "id")),
    SchemaCase("missing vector", [{"id": 1, "v": V}, {"id": 2}], None, (1, "v")),
    SchemaCase("duplicate pk", [{"id": 1, "v": V}, {"id": 1, "v": V}], None, (1, "id")),
    SchemaCase("unstorable value", [{"id": 1, "v": V}, {"id": 2, "v": V, "o": object()}], None, (1, "o")),
    SchemaCase("bool pk", [{"id": True, "v": V}], None, (None, None), "pk_field 'id' must hold ints or strings"),
]
