"""The shared store on real Milvus Lite: creation, attach, replace semantics, validation, search modes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.errors import CollectionNotFoundError, ConfigError, FilterError, SchemaError
from milvus_integrations.core.filters import ir
from milvus_integrations.core.store import Hit, RetrievalMode, Store, StoreOptions, relevance

DIM = 8


def full_text(store: Store, query: str, k: int = 4, **kwargs: Any) -> list[Hit]:
    return store.retrieve(RetrievalMode.FULL_TEXT, k, text=query, **kwargs)


def hybrid(store: Store, vector: Any, query: str, k: int = 4, **kwargs: Any) -> list[Hit]:
    return store.retrieve(RetrievalMode.HYBRID, k, text=query, vector=vector, **kwargs)


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.normal(size=(n, DIM)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def make(uri: str, name: str = "docs", **options: object) -> Store:
    return Store(StoreOptions(name, **options), ConnectionConfig(uri))  # type: ignore[arg-type]


@pytest.fixture
def vectors() -> np.ndarray:
    return unit(np.random.default_rng(7), 60)


@pytest.fixture
def store(lite_uri: str, vectors: np.ndarray) -> Store:
    s = make(lite_uri)
    ids = [f"d{i}" for i in range(len(vectors))]
    texts = [f"text {i}" for i in range(len(vectors))]
    metas = [{"n": i, "group": "even" if i % 2 == 0 else "odd", "tags": ["t", str(i % 3)]} for i in range(len(vectors))]
    s.add(ids, texts, vectors, metas)
    return s


def test_collection_is_created_on_first_add_with_inferred_dim(lite_uri: str, vectors: np.ndarray) -> None:
    s = make(lite_uri)
    assert s.layout() is None
    assert s.search(vectors[0], 3) == []
    s.add(["a"], ["hello"], vectors[:1], [{"k": 1}])
    layout = s.layout()
    assert layout is not None and layout.dim == DIM and layout.metric == "COSINE"
    assert s.count() == 1


def test_search_returns_nearest_first_with_metadata(store: Store, vectors: np.ndarray) -> None:
    hits = store.search(vectors[5], 3)
    assert [h.record.id for h in hits][0] == "d5"
    top = hits[0]
    assert top.record.text == "text 5"
    assert top.record.metadata == {"n": 5, "group": "odd", "tags": ["t", "2"]}
    assert math.isclose(top.score, 1.0, abs_tol=1e-4)
    assert top.relevance >= hits[1].relevance >= hits[2].relevance


def test_any_top_k_is_answered_in_full(store: Store, vectors: np.ndarray) -> None:
    assert len(store.search(vectors[0], 25)) == 25
    assert len(store.search(vectors[0], 100)) == 60


def test_filters_apply_to_search_query_and_delete(store: Store, vectors: np.ndarray) -> None:
    hits = store.search(vectors[0], 60, filter=ir.eq("group", "even"))
    assert len(hits) == 30 and all(h.record.metadata["group"] == "even" for h in hits)
    rows = store.query(filter=ir.and_(ir.compare("n", ">=", 50), ir.array_contains("tags", ["0"])))
    assert sorted(r.id for r in rows) == ["d51", "d54", "d57"]
    store.delete(filter=ir.compare("n", "<", 10))
    assert store.count() == 50
    store.delete(["d10", "d11"])
    assert store.count() == 48
    store.delete(expr="n >= 58")
    assert store.count() == 46


def test_delete_without_target_is_refused(store: Store) -> None:
    with pytest.raises(ConfigError, match="ids, a filter or an expr"):
        store.delete()
    assert store.count() == 60


def test_adding_an_existing_id_replaces_the_whole_record(store: Store, vectors: np.ndarray) -> None:
    store.add(["d3"], ["new text"], vectors[4:5], [{"only": True}])
    (rec,) = store.get(["d3"], with_vectors=True)
    assert rec.text == "new text"
    assert rec.metadata == {"only": True}
    assert rec.vector is not None and np.allclose(rec.vector, vectors[4], atol=1e-6)
    assert store.count() == 60


def test_get_keeps_the_order_asked_and_skips_missing(store: Store) -> None:
    assert [r.id for r in store.get(["d9", "nope", "d1"])] == ["d9", "d1"]
    assert store.get([]) == []


def test_query_returns_every_match_beyond_one_page(lite_uri: str) -> None:
    s = make(lite_uri)
    n = 2300
    vecs = unit(np.random.default_rng(1), n)
    s.add([f"r{i}" for i in range(n)], [""] * n, vecs, [{"i": i} for i in range(n)])
    assert len(s.query(filter=ir.compare("i", ">=", 100))) == n - 100
    assert len(s.query(limit=7)) == 7


@pytest.mark.filterwarnings("error")
def test_a_value_beyond_float32_is_refused_by_row_without_a_numpy_warning(store: Store) -> None:
    for vecs in ([[0.1] * DIM, [1e308] * DIM], np.array([[0.1] * DIM, [-1e300] * DIM])):
        with pytest.raises(SchemaError, match="row 1: vector contains NaN, infinity or a value beyond float32") as info:
            store.add(["a", "b"], ["x", "y"], vecs, [{}, {}])
        assert info.value.row == 1 and info.value.key == "vector"
    assert store.get(["a", "b"]) == []


def test_vectors_as_lists_of_other_numbers_are_stored_as_floats(store: Store) -> None:
    """Only lists of exact Python floats go to the engine as given; ints, numpy scalars (which Milvus Lite refuses
    in a row) and float subclasses go through the validated float32 matrix."""
    mixed = [[np.float32(0.5)] * DIM, [1] * DIM, [0.25] * (DIM - 1) + [np.float64(1.0)]]
    store.add(["m0", "m1", "m2"], ["a", "b", "c"], mixed, [{}, {}, {}])  # type: ignore[arg-type]
    got = {r.id: r.vector for r in store.get(["m0", "m1", "m2"], with_vectors=True)}
    assert got == {"m0": [0.5] * DIM, "m1": [1.0] * DIM, "m2": [0.25] * (DIM - 1) + [1.0]}
    assert all(type(x) is float for vector in got.values() for x in vector or [])


@pytest.mark.parametrize(
    ("ids", "texts", "vecs", "metas", "row", "key"),
    [
        (["a", "b"], ["x", "y"], [[0.1] * DIM, [0.1] * (DIM - 1)], [{}, {}], 1, "vector"),
        (["a", "b"], ["x", "y"], [[0.1] * DIM, [float("nan")] * DIM], [{}, {}], 1, "vector"),
        (["a", "b"], ["x", "y"], [[0.1] * DIM, [float("inf")] * DIM], [{}, {}], 1, "vector"),
        (["a", "b"], ["x", "y"], [[0.1] * DIM, [0.1] * (DIM - 1) + [1e308]], [{}, {}], 1, "vector"),  # > float32
        (["a", "a"], ["x", "y"], [[0.1] * DIM, [0.2] * DIM], [{}, {}], 1, "id"),
        (["a", ""], ["x", "y"], [[0.1] * DIM, [0.2] * DIM], [{}, {}], 1, "id"),
        (["a", "b"], ["x", 3], [[0.1] * DIM, [0.2] * DIM], [{}, {}], 1, "text"),
        (["a", "b"], ["x", "y"], [[0.1] * DIM, [0.2] * DIM], [{}, {"text": "clash"}], 1, "text"),
        (["a", "b"], ["x", "y"], [[0.1] * DIM, [0.2] * DIM], [{}, {"when": object()}], 1, "when"),
        (["a", "b"], ["x", "y"], [[0.1] * DIM, [0.2] * DIM], [{}, {"f": float("nan")}], 1, "f"),
        (["a", "b"], ["x", "y"], [[0.1] * DIM, [0.2] * DIM], [{}, {"$meta": 1}], 1, "$meta"),
        (["a", "b"], ["x", "y"], [[0.1] * DIM, None], [{}, {}], 1, "vector"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(
    store: Store,
    ids: list[str],
    texts: list[object],
    vecs: list[object],
    metas: list[dict[str, object]],
    row: int,
    key: str,
) -> None:
    with pytest.raises(SchemaError) as info:
        store.add(ids, texts, vecs, metas)  # type: ignore[arg-type]
    assert info.value.row == row and info.value.key == key
    assert f"row {row}" in str(info.value)
    assert store.count() == 60
    assert store.get(["a"]) == []


def test_bad_first_batch_creates_no_collection(lite_uri: str) -> None:
    s = make(lite_uri)
    with pytest.raises(SchemaError):
        s.add(["a", "b"], ["x", "y"], [[0.1] * DIM, [0.2] * DIM], [{}, {"pk": 1}])
    assert s.layout() is None
    assert not s.client.has_collection("docs")


def test_wrong_dimension_for_existing_collection(store: Store) -> None:
    with pytest.raises(SchemaError, match="stores 8"):
        store.add(["z"], ["x"], [[0.5] * 3], [{}])


def test_reopen_reads_layout_and_metric_back(lite_uri: str, vectors: np.ndarray) -> None:
    s = make(lite_uri, metric="L2")
    s.add(["a", "b"], ["x", "y"], vectors[:2], [{"k": 1}, {"k": 2}])
    s.close()
    again = make(lite_uri)  # default metric COSINE: the stored L2 index wins
    layout = again.layout()
    assert layout is not None and layout.metric == "L2" and layout.dim == DIM
    hits = again.search(vectors[0], 2)
    assert hits[0].record.id == "a" and math.isclose(hits[0].score, 0.0, abs_tol=1e-5)
    assert hits[0].relevance == pytest.approx(1.0) and hits[1].relevance < 1.0


def test_dim_option_conflicting_with_collection_is_refused(lite_uri: str, vectors: np.ndarray) -> None:
    make(lite_uri).add(["a"], ["x"], vectors[:1], [{}])
    with pytest.raises(ConfigError, match="8-d"):
        make(lite_uri, dim=16).layout()


def test_drop_old_starts_empty(lite_uri: str, vectors: np.ndarray) -> None:
    make(lite_uri).add(["a"], ["x"], vectors[:1], [{}])
    fresh = make(lite_uri, drop_old=True)
    assert fresh.count() == 0 and fresh.layout() is None


def test_clear_keeps_the_store_usable(store: Store, vectors: np.ndarray) -> None:
    store.clear()
    assert store.count() == 0 and store.search(vectors[0], 3) == []
    store.add(["again"], ["x"], vectors[:1], [{}])
    assert [h.record.id for h in store.search(vectors[0], 3)] == ["again"]


def test_require_layout_before_creation(lite_uri: str) -> None:
    with pytest.raises(CollectionNotFoundError):
        make(lite_uri).require_layout()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"metric": "HAMMING"}, "metric"),
        ({"consistency_level": "Sometimes"}, "consistency_level"),
        ({"dim": 0}, "dim"),
        ({"insert_batch_size": 0}, "insert_batch_size"),
    ],
)
def test_options_are_validated_at_construction(lite_uri: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make(lite_uri, **options)


@pytest.mark.parametrize("name", ["", "1abc", "bad-name", "x" * 256, "drop collection"])
def test_bad_collection_names_are_refused(lite_uri: str, name: str) -> None:
    with pytest.raises(ConfigError, match="collection_name"):
        make(lite_uri, name)


def test_k_must_be_positive(store: Store, vectors: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="positive"):
        store.search(vectors[0], 0)


def test_relevance_is_bounded_and_monotone() -> None:
    assert relevance(1.0, "COSINE") == 1.0 and relevance(-1.0, "COSINE") == 0.0
    assert relevance(0.0, "L2") == 1.0 and relevance(1.0, "L2") > relevance(2.0, "L2") > 0.0
    assert relevance(0.9, "IP") > relevance(0.1, "IP")
    assert 0.0 < relevance(-3.0, "BM25") < 1.0 and relevance(5.0, "BM25") > relevance(1.0, "BM25")
    with pytest.raises(ConfigError):
        relevance(1.0, "JACCARD")


def test_full_text_and_hybrid_search(lite_uri: str) -> None:
    s = make(lite_uri, full_text=True)
    rng = np.random.default_rng(3)
    n = 40
    texts = [f"common words about topic {i % 4}" for i in range(n)]
    texts[17] = "a note that mentions the rare token xylophone once"
    s.add([f"t{i}" for i in range(n)], texts, unit(rng, n), [{"i": i} for i in range(n)])
    bm25 = full_text(s, "xylophone", 3)
    assert bm25[0].record.id == "t17" and bm25[0].score > 0
    fused = hybrid(s, unit(rng, 1)[0], "xylophone", 10)
    assert len(fused) == 10 and "t17" in [h.record.id for h in fused[:2]]
    filtered = hybrid(s, unit(rng, 1)[0], "xylophone", 5, filter=ir.compare("i", "<", 10))
    assert len(filtered) == 5 and all(h.record.metadata["i"] < 10 for h in filtered)
    assert full_text(s, "xylophone", 3, filter=ir.compare("i", "<", 10)) == []


def test_full_text_needs_the_bm25_field(store: Store) -> None:
    with pytest.raises(ConfigError, match="BM25"):
        full_text(store, "anything", 3)


def test_connection_repr_hides_secrets() -> None:
    cfg = ConnectionConfig("https://alice:s3cret-pw@example.invalid:19530", token="tok-123456")
    text = repr(cfg) + str(cfg)
    assert "s3cret-pw" not in text and "tok-123456" not in text
    assert "alice" in text and "example.invalid" in text


def test_full_text_only_store_keeps_no_dense_vectors(lite_uri: str) -> None:
    s = make(lite_uri, full_text=True)
    s.add(["a", "b"], ["apples and pears", "the quick brown fox"], None, [{"k": 1}, {"k": 2}])
    layout = s.layout()
    assert layout is not None and layout.vector is None and layout.sparse
    assert [h.record.id for h in full_text(s, "fox", 2)] == ["b"]
    with pytest.raises(ConfigError, match="no dense vectors"):
        s.search([0.1] * DIM, 1)
    reopened = make(lite_uri)
    assert [h.record.id for h in full_text(reopened, "pears", 1)] == ["a"]


def test_vectors_are_required_for_a_dense_store(lite_uri: str) -> None:
    with pytest.raises(SchemaError, match="vectors are required"):
        make(lite_uri).add(["a"], ["x"], None, [{}])


def test_lite_like_beside_array_filters(lite_uri: str) -> None:
    """Lite evaluates such expressions without LIKE escapes: exact for plain text, a clear error for literal % or _."""
    s = make(lite_uri)
    s.add(
        ["a", "b", "c"],
        ["", "", ""],
        unit(np.random.default_rng(0), 3),
        [{"t": "50% off", "tags": ["x"]}, {"t": "back\\slash", "tags": ["x"]}, {"t": "500 off", "tags": ["y"]}],
    )
    both = ir.and_(ir.contains_text("t", "back\\sl"), ir.array_contains("tags", ["x"]))
    assert [r.id for r in s.query(filter=both)] == ["b"]
    assert [r.id for r in s.query(filter=ir.and_(ir.contains_text("t", "off"), ir.array_contains("tags", ["y"])))] == [
        "c"
    ]
    assert [r.id for r in s.query(filter=ir.contains_text("t", "50%"))] == ["a"]
    with pytest.raises(FilterError, match="literal % or _"):
        s.query(filter=ir.and_(ir.contains_text("t", "50%"), ir.array_contains("tags", ["x"])))
