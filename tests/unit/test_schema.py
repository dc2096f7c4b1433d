"""Schema inference from the shared case table (the same rows run on real Lite in test_seed_client)."""

from __future__ import annotations

import pytest

from milvus_integrations.core.errors import SchemaError
from milvus_integrations.core.schema import infer_schema, validate_rows
from tests.cases.schema_cases import INFERRED, REJECTED, SchemaCase


@pytest.mark.parametrize("case", INFERRED, ids=lambda c: c.name)
def test_inferred_fields(case: SchemaCase) -> None:
    schema = infer_schema(case.rows, vector_field="v", pk_field="id")
    assert {f.name: f.dtype for f in schema.fields} == case.fields
    assert schema.pk == "id" and schema.vector == "v" and schema.dynamic


@pytest.mark.parametrize("case", REJECTED, ids=lambda c: c.name)
def test_rejected_batches_name_row_and_key(case: SchemaCase) -> None:
    with pytest.raises(SchemaError) as info:
        infer_schema(case.rows, vector_field="v", pk_field="id")
    if case.error is not None:
        assert (info.value.row, info.value.key) == case.error
        assert f"row {case.error[0]}" in str(info.value) and repr(case.error[1]) in str(info.value)


def test_auto_id_pk_is_named_like_the_seed() -> None:
    schema = infer_schema([{"v": [1.0, 2.0]}], vector_field="v", pk_field=None)
    assert schema.auto_id and schema.pk.startswith("internal_pk_") and len(schema.pk) == len("internal_pk_") + 4
    with pytest.raises(SchemaError, match="auto id"):
        validate_rows([{"v": [1.0, 2.0], schema.pk: 5}], schema)


def test_vector_field_is_required_and_candidates_are_named() -> None:
    with pytest.raises(SchemaError, match="candidates: 'emb'"):
        infer_schema([{"emb": [0.1, 0.2], "t": "x"}], vector_field=None, pk_field=None)
