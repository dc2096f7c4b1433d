"""Every example of the seed page (shared/seed/using_milvusclient.md) as a test, plus the seed's fixed bugs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from milvus_integrations import MilvusClient
from milvus_integrations.core.errors import CollectionNotFoundError, ConfigError, MilvusIntegrationError, SchemaError
from milvus_integrations.core.infer import infer_layout
from milvus_integrations.core.layout import VectorKind

DATA = [
    {"float_vector": [1, 2, 3], "id": 1, "text": "foo"},
    {"float_vector": [4, 5, 6], "id": 2, "text": "bar"},
    {"float_vector": [7, 8, 9], "id": 3, "text": "baz"},
]


def internal_pk(row: dict[str, object]) -> str:
    (key,) = [k for k in row if k.startswith("internal_pk_")]
    assert re.fullmatch(r"internal_pk_[0-9a-f]{4}", key)
    return key


def test_basics_example(lite_uri: str) -> None:
    client = MilvusClient(collection_name="qux", uri=lite_uri, vector_field="float_vector", overwrite=True)
    pks = client.insert_data(DATA)
    assert len(pks) == 3
    res = client.search_data(data=[[1, 3, 5], [7, 8, 9]], top_k=2)
    assert [[(h["data"]["id"], h["data"]["text"]) for h in hits] for hits in res] == [
        [(1, "foo"), (2, "bar")],
        [(3, "baz"), (2, "bar")],
    ]
    assert [[h["score"] for h in hits] for hits in res] == [
        [pytest.approx(5.0, abs=1e-4), pytest.approx(14.0, abs=1e-4)],
        [pytest.approx(0.0, abs=1e-4), pytest.approx(27.0, abs=1e-4)],
    ]
    key = internal_pk(res[0][0]["data"])
    assert res[0][0]["data"][key] in pks
    assert "float_vector" not in res[0][0]["data"]


def test_partitions_example(lite_uri: str) -> None:
    client = MilvusClient(
        collection_name="qux", uri=lite_uri, vector_field="float_vector", partitions=["zaz"], overwrite=True
    )
    client.insert_data([{"float_vector": [1, 2, 3], "id": 1, "text": "foo"}], partition="zaz")
    client.add_partitions(["zoo"])
    client.insert_data([{"float_vector": [4, 5, 6], "id": 2, "text": "bar"}], partition="zoo")
    both = client.search_data(data=[1, 3, 5], top_k=2)
    assert [(h["data"]["text"], round(h["score"], 4)) for h in both[0]] == [("foo", 5.0), ("bar", 14.0)]
    assert [h["data"]["text"] for h in client.search_data(data=[1, 3, 5], top_k=2, partitions=["zaz"])[0]] == ["foo"]
    assert [h["data"]["text"] for h in client.search_data(data=[1, 3, 5], top_k=2, partitions=["zoo"])[0]] == ["bar"]
    client.delete_partitions(["zoo"])
    assert [h["data"]["text"] for h in client.search_data(data=[1, 3, 5], top_k=2)[0]] == ["foo"]


def test_filtering_example(lite_uri: str) -> None:
    client = MilvusClient(collection_name="qux", uri=lite_uri, vector_field="float_vector", overwrite=True)
    client.insert_data(DATA)
    res = client.search_data(data=[1, 3, 5], top_k=2, filter_expression="id > 1")
    assert [(round(h["score"], 4), h["data"]["id"], h["data"]["text"]) for h in res[0]] == [
        (14.0, 2, "bar"),
        (77.0, 3, "baz"),
    ]
    rows = client.query_data(filter_expression="id == 1")
    assert len(rows) == 1 and rows[0]["id"] == 1 and rows[0]["text"] == "foo"
    internal_pk(rows[0])


def test_vector_retrieval_and_deletion_example(lite_uri: str) -> None:
    client = MilvusClient(
        collection_name="qux", uri=lite_uri, vector_field="float_vector", pk_field="text", overwrite=True
    )
    assert client.insert_data(DATA) == ["foo", "bar", "baz"]
    res = client.query_data(filter_expression="id == 1")
    assert res == [{"id": 1, "text": "foo"}]
    vectors = client.get_vectors_by_pk(pks=res[0]["text"])
    assert vectors == [{"float_vector": [1.0, 2.0, 3.0], "text": "foo"}]
    client.delete_by_pk(pks=vectors[0]["text"])
    assert client.query_data(filter_expression="id == 1") == []
    assert len(client) == 2


def test_any_top_k_returns_that_many(lite_uri: str) -> None:
    rng = np.random.default_rng(0)
    client = MilvusClient(collection_name="many", uri=lite_uri, vector_field="v", pk_field="id")
    client.insert_data([{"id": i, "v": rng.normal(size=16)} for i in range(40)])
    assert len(client.search_data(rng.normal(size=16), top_k=25)[0]) == 25
    assert len(client.search_data(rng.normal(size=16), top_k=100)[0]) == 40


def test_string_pk_upsert_and_reattach(lite_uri: str) -> None:
    client = MilvusClient(collection_name="docs", uri=lite_uri, vector_field="v", pk_field="doc", distance_metric="IP")
    client.insert_data([{"doc": "a", "v": [1.0, 0.0], "n": 1}, {"doc": "b", "v": [0.0, 1.0], "n": 2}])
    client.upsert_data([{"doc": "a", "v": [1.0, 0.0], "n": 10}])
    assert len(client) == 2
    client.close()
    again = MilvusClient(collection_name="docs", uri=lite_uri)  # only uri + name: the rest is read back
    assert (again.pk_field, again.vector_field, again.distance_metric) == ("doc", "v", "IP")
    hit = again.search_data([1.0, 0.0], top_k=1)[0][0]
    assert hit["data"]["doc"] == "a" and hit["data"]["n"] == 10 and hit["score"] == pytest.approx(1.0)


def test_overwrite_drops_the_old_collection(lite_uri: str) -> None:
    MilvusClient(collection_name="c", uri=lite_uri, vector_field="v").insert_data([{"v": [1.0, 2.0]}])
    fresh = MilvusClient(collection_name="c", uri=lite_uri, vector_field="v", overwrite=True)
    assert len(fresh) == 0
    with pytest.raises(CollectionNotFoundError):
        fresh.search_data([1.0, 2.0])


def test_extra_keys_are_kept_not_dropped(lite_uri: str) -> None:
    client = MilvusClient(collection_name="c", uri=lite_uri, vector_field="v", pk_field="id")
    client.insert_data([{"id": 1, "v": [1.0, 0.0], "a": "x"}, {"id": 2, "v": [0.0, 1.0], "a": "y", "only_here": 7}])
    client.insert_data([{"id": 3, "v": [1.0, 1.0], "a": "z", "later": {"deep": [1, 2]}}])
    rows = {r["id"]: r for r in client.query_data("id > 0")}
    assert rows[2]["only_here"] == 7 and rows[3]["later"] == {"deep": [1, 2]}
    assert client.query_data("only_here == 7")[0]["id"] == 2


def test_missing_vector_field_names_candidates(lite_uri: str) -> None:
    client = MilvusClient(collection_name="c", uri=lite_uri)
    with pytest.raises(SchemaError, match="'embedding'"):
        client.insert_data([{"embedding": [0.1, 0.2], "title": "t"}])


@pytest.mark.parametrize(
    ("rows", "row", "key"),
    [
        ([{"id": 1, "v": [1.0, 2.0], "k": 1}, {"id": 2, "v": [1.0, 2.0], "k": "one"}], 1, "k"),
        ([{"id": 1, "v": [1.0, 2.0]}, {"id": 2, "v": [1.0, 2.0, 3.0]}], 1, "v"),
        ([{"id": 1, "v": [1.0, 2.0]}, {"id": 2, "v": [float("nan"), 2.0]}], 1, "v"),
        ([{"id": 1, "v": [1.0, 2.0]}, {"id": 2, "v": [1.0, -1e39]}], 1, "v"),
        ([{"id": 1, "v": [1.0, 2.0]}, {"v": [1.0, 2.0]}], 1, "id"),
        ([{"id": 1, "v": [1.0, 2.0]}, {"id": 2}], 1, "v"),
        ([{"id": 1, "v": [1.0, 2.0]}, {"id": 1, "v": [1.0, 2.0]}], 1, "id"),
        ([{"id": 1, "v": [1.0, 2.0]}, {"id": 2, "v": [1.0, 2.0], "o": object()}], 1, "o"),
    ],
)
def test_bad_first_batch_names_row_and_key_and_writes_nothing(
    lite_uri: str, rows: list[dict[str, object]], row: int, key: str
) -> None:
    client = MilvusClient(collection_name="c", uri=lite_uri, vector_field="v", pk_field="id")
    with pytest.raises(SchemaError) as info:
        client.insert_data(rows)
    assert (info.value.row, info.value.key) == (row, key) and f"row {row}" in str(info.value)
    assert len(client) == 0


def test_bad_later_batch_writes_nothing(lite_uri: str) -> None:
    client = MilvusClient(collection_name="c", uri=lite_uri, vector_field="v", pk_field="id")
    client.insert_data([{"id": 1, "v": [1.0, 2.0], "k": 1}])
    with pytest.raises(SchemaError) as info:
        client.insert_data([{"id": 2, "v": [1.0, 2.0], "k": 2}, {"id": 3, "v": [1.0, 2.0], "k": "x"}])
    assert (info.value.row, info.value.key) == (1, "k")
    with pytest.raises(SchemaError, match="3 dimensions"):
        client.insert_data([{"id": 4, "v": [1.0, 2.0, 3.0], "k": 3}])
    assert len(client) == 1


def test_context_manager_and_batches(lite_uri: str) -> None:
    with MilvusClient(collection_name="c", uri=lite_uri, vector_field="v") as client:
        pks = client.insert_data([{"v": [float(i), 1.0]} for i in range(250)], batch_size=100)
        assert len(pks) == 250 and len(set(pks)) == 250 and client.num_entities == 250


def test_binary_vectors_are_inferred_and_refused_clearly_on_lite(lite_uri: str) -> None:
    rows = [{"id": 1, "bits": b"\x0f"}, {"id": 2, "bits": b"\xf0"}]
    main = infer_layout(rows, vector_field="bits", pk_field="id").main
    assert main is not None and main.kind is VectorKind.BINARY and main.dim == 8
    client = MilvusClient(collection_name="b", uri=lite_uri, vector_field="bits", pk_field="id")
    with pytest.raises(MilvusIntegrationError, match="BinaryVector"):  # Milvus Lite 3.2 has no binary vectors
        client.insert_data(rows)
    assert len(client) == 0


def test_bad_options(lite_uri: str) -> None:
    with pytest.raises(ConfigError, match="distance_metric"):
        MilvusClient(uri=lite_uri, distance_metric="EUCLID")
    client = MilvusClient(collection_name="c", uri=lite_uri, vector_field="v")
    with pytest.raises(ConfigError, match="partition"):
        client.insert_data([{"v": [1.0]}], partition="nope")


def test_seed_page_is_the_one_we_follow() -> None:
    seed = Path(__file__).resolve().parents[3] / "shared" / "seed" / "using_milvusclient.md"
    if seed.exists():
        text = seed.read_text()
        for name in ("insert_data", "search_data", "query_data", "get_vectors_by_pk", "delete_by_pk", "add_partitions"):
            assert name in text and hasattr(MilvusClient, name)


def test_progress_bar_reports_rows(lite_uri: str, capsys: pytest.CaptureFixture[str]) -> None:
    client = MilvusClient(collection_name="c", uri=lite_uri, vector_field="v")
    client.insert_data([{"v": [float(i), 1.0]} for i in range(250)], batch_size=100, progress_bar=True)
    err = capsys.readouterr().err
    assert "250/250" in err and len(client) == 250
