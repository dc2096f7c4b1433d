"""Schema inference from the shared case table (the same rows run on real Lite in test_seed_client)."""

from __future__ import annotations

import pytest
from pymilvus import DataType

from milvus_integrations.core.errors import SchemaError
from milvus_integrations.core.infer import infer_layout, split_rows
from milvus_integrations.core.layout import VectorKind
from milvus_integrations.core.validate import binary_vectors, check_rows, dense_matrix
from tests.cases.schema_cases import INFERRED, REJECTED, SchemaCase


def validate_first_batch(rows: list[dict[str, object]]) -> None:
    """What the seed client does before creating anything: infer, split, then the one validator."""
    layout = infer_layout(rows, vector_field="v", pk_field="id")
    ids, vectors, metas = split_rows(layout, rows)
    main = layout.main
    assert main is not None
    if main.kind is VectorKind.BINARY:
        binary_vectors(vectors["v"], main.dim, key="v")
    else:
        dense_matrix(vectors["v"], main.dim, key="v")
    check_rows(layout, ids, None, metas, id_key=layout.primary, id_label=f"primary key {layout.primary!r} =")


@pytest.mark.parametrize("case", INFERRED, ids=lambda c: c.name)
def test_inferred_fields(case: SchemaCase) -> None:
    layout = infer_layout(case.rows, vector_field="v", pk_field="id")
    main = layout.main
    assert main is not None
    fields = {name: spec.dtype for name, spec in layout.scalars.items()}
    fields[layout.primary] = DataType.INT64 if layout.primary_is_int else DataType.VARCHAR
    fields[main.name] = DataType.BINARY_VECTOR if main.kind is VectorKind.BINARY else DataType.FLOAT_VECTOR
    assert fields == case.fields
    assert layout.primary == "id" and layout.vector == "v" and layout.dynamic and not layout.auto_id
    validate_first_batch(case.rows)  # and every row of it passes the validator


@pytest.mark.parametrize("case", REJECTED, ids=lambda c: c.name)
def test_rejected_batches_name_row_and_key(case: SchemaCase) -> None:
    assert case.error is not None
    with pytest.raises(SchemaError, match=case.message) as info:
        validate_first_batch(case.rows)
    row, key = case.error
    assert (info.value.row, info.value.key) == (row, key)
    if row is not None:
        assert f"row {row}" in str(info.value) and repr(key) in str(info.value)


def test_auto_id_pk_is_named_like_the_seed() -> None:
    layout = infer_layout([{"v": [1.0, 2.0]}], vector_field="v", pk_field=None)
    assert layout.auto_id and layout.primary_is_int
    assert layout.primary.startswith("internal_pk_") and len(layout.primary) == len("internal_pk_") + 4
    with pytest.raises(SchemaError, match="auto id") as info:
        split_rows(layout, [{"v": [1.0, 2.0], layout.primary: 5}])
    assert (info.value.row, info.value.key) == (0, layout.primary)


def test_vector_field_is_required_and_candidates_are_named() -> None:
    with pytest.raises(SchemaError, match="candidates: 'emb'"):
        infer_layout([{"emb": [0.1, 0.2], "t": "x"}], vector_field=None, pk_field=None)
