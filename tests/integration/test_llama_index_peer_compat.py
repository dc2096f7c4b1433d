"""A llama-index-vector-stores-milvus user's code runs with only the import changed, on real Milvus Lite: the peer's
constructor keywords, a user sparse embedding and BM25 (SPARSE and HYBRID queries), its scalar filters, its query
keywords (`string_expr` ANDed with the filters), `get_nodes` with embeddings, `client` / `aclient`, and a collection
laid out as the peer lays it out (id / doc_id / text / embedding / sparse_embedding) read and written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from pymilvus import DataType, MilvusClient

from milvus_integrations.core.errors import ConfigError, FilterError, UnknownKeywordError
from milvus_integrations.llama_index import (
    BaseSparseEmbeddingFunction,
    BM25BuiltInFunction,
    FilterOperatorFunction,
    IndexManagement,
    MilvusVectorStore,
    ScalarMetadataFilter,
    ScalarMetadataFilters,
)
from milvus_integrations.llama_index.compat import ALIASES, KEYWORDS
from tests.support.fake_embeddings import VOCAB, word_vector

DIM = len(VOCAB) + 1
TEXTS = {
    "n0": ("the cat is a pet animal", {"kind": "pet", "tags": ["a", "b"], "year": 2001}),
    "n1": ("a dog is a loyal pet", {"kind": "pet", "tags": ["b"], "year": 2010}),
    "n2": ("the truck drives on the road", {"kind": "vehicle", "tags": [], "year": 2015}),
    "n3": ("python code has a bug", {"kind": "code", "tags": ["a", "c", "d"], "year": 2020}),
}


class WordSparse(BaseSparseEmbeddingFunction):
    """A sparse embedding with real signal: vocabulary word counts by index."""

    def __init__(self) -> None:
        self.async_calls = 0

    @staticmethod
    def one(text: str) -> dict[int, float]:
        return {i: v for i, v in enumerate(word_vector(text)[:-1]) if v} or {len(VOCAB): 1.0}

    def encode_queries(self, queries: list[str]) -> list[dict[int, float]]:
        return [self.one(q) for q in queries]

    def encode_documents(self, documents: list[str]) -> list[dict[int, float]]:
        return [self.one(d) for d in documents]


def same(got: list[Any], want: list[TextNode]) -> bool:
    """Whole nodes equal; embeddings equal to float32 precision (Milvus keeps float32)."""
    assert [g.embedding for g in got] == [pytest.approx(w.embedding, rel=1e-6) for w in want]
    return [g.model_copy(update={"embedding": None}) for g in got] == [
        w.model_copy(update={"embedding": None}) for w in want
    ]


def nodes() -> list[TextNode]:
    return [
        TextNode(
            id_=i,
            text=t,
            metadata=dict(m),
            embedding=word_vector(t),
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=f"doc-{i}")},
        )
        for i, (t, m) in TEXTS.items()
    ]


def q(text: str, k: int = 2, **kw: Any) -> VectorStoreQuery:
    return VectorStoreQuery(query_embedding=word_vector(text), query_str=text, similarity_top_k=k, **kw)


def peer_store(tmp_path: Path, **kw: Any) -> MilvusVectorStore:
    """The peer's own test fixture, keyword for keyword."""
    return MilvusVectorStore(
        uri=str(tmp_path / "peer.db"),
        dim=DIM,
        collection_name="test_collection",
        embedding_field="embedding",
        id_field="id",
        similarity_metric="COSINE",
        consistency_level="Strong",
        overwrite=True,
        **kw,
    )


def test_the_peers_fixture_creates_its_layout_at_construction(tmp_path: Path) -> None:
    store = peer_store(tmp_path)
    described = store.client.describe_collection("test_collection")
    names = {f["name"]: f for f in described["fields"]}
    assert names["id"]["is_primary"] and "embedding" in names
    assert store.client.query("test_collection", output_fields=["count(*)"])[0]["count(*)"] == 0
    store.add(nodes())
    assert store.client.query("test_collection", output_fields=["count(*)"])[0]["count(*)"] == 4
    store.delete("doc-n0")
    store.delete_nodes(node_ids=["n1"])
    assert sorted(n.node_id for n in store.get_nodes(filters=MetadataFilters(filters=[]))) == ["n2", "n3"]


def test_every_keyword_in_the_table_is_accepted_and_unknown_ones_are_named(tmp_path: Path) -> None:
    assert {"embedding_field", "doc_id_field", "text_key", "sparse_embedding_function", "use_async_client"} <= set(
        KEYWORDS
    )
    assert ALIASES["id_field"] == "primary_field"
    with pytest.raises(UnknownKeywordError, match="not_a_keyword, spelling_mistake"):
        MilvusVectorStore(uri=str(tmp_path / "x.db"), spelling_mistake=1, not_a_keyword=2)
    with pytest.raises(ConfigError, match="id_field"):
        MilvusVectorStore(uri=str(tmp_path / "x.db"), id_field="a", primary_field="b")
    with pytest.raises(ConfigError, match="index_management"):
        MilvusVectorStore(uri=str(tmp_path / "x.db"), index_management="sometimes")
    with pytest.raises(ConfigError, match="scalar_field_types"):
        MilvusVectorStore(uri=str(tmp_path / "x.db"), scalar_field_names=["a"])
    with pytest.raises(ConfigError, match="weights"):
        MilvusVectorStore(uri=str(tmp_path / "x.db"), hybrid_ranker="RRFRanker", hybrid_ranker_params={"weights": [1]})


def test_get_nodes_returns_whole_nodes_with_embeddings(tmp_path: Path) -> None:
    store = peer_store(tmp_path)
    given = nodes()
    store.add(given)
    assert same(store.get_nodes(node_ids=["n0"]), [given[0]])
    got = store.get_nodes(filters=MetadataFilters(filters=[MetadataFilter(key="kind", value="pet")]))
    assert sorted(n.node_id for n in got) == ["n0", "n1"] and all(n.embedding for n in got)


async def test_aclient_awaits_the_clients_methods(tmp_path: Path) -> None:
    store = peer_store(tmp_path, use_async_client=True)
    await store.async_add(nodes())
    rows = await store.aclient.query("test_collection", output_fields=["count(*)"])
    assert rows[0]["count(*)"] == 4


def test_string_expr_is_anded_with_the_filters(tmp_path: Path) -> None:
    store = peer_store(tmp_path)
    store.add(nodes())
    pets = MetadataFilters(filters=[MetadataFilter(key="kind", value="pet")])
    got = store.query(q("pet animal", k=4, filters=pets), string_expr="year > 2005")
    assert got.ids == ["n1"]  # before: string_expr was ignored and n0 came back too
    assert store.query(q("truck", k=4), string_expr='kind == "vehicle"').ids == ["n2"]


def test_scalar_filters_combine_with_metadata_filters(tmp_path: Path) -> None:
    store = peer_store(tmp_path)
    store.add(nodes())

    def ids(*filters: ScalarMetadataFilter, meta: MetadataFilters | None = None, **kw: Any) -> list[str]:
        scalar = ScalarMetadataFilters(filters=list(filters), **kw)
        return sorted(store.query(q("x", k=4, filters=meta), milvus_scalar_filters=scalar).ids or [])

    F = FilterOperatorFunction
    assert ids(ScalarMetadataFilter(key="tags", value="a")) == ["n0", "n3"]
    assert ids(ScalarMetadataFilter(key="tags", value="a", operator=F.NARRAY_CONTAINS)) == ["n1", "n2"]
    assert ids(ScalarMetadataFilter(key="tags", value=["c", "b"], operator=F.ARRAY_CONTAINS_ANY)) == ["n0", "n1", "n3"]
    assert ids(ScalarMetadataFilter(key="tags", value=["a", "b"], operator=F.JSON_CONTAINS_ALL)) == ["n0"]
    assert ids(ScalarMetadataFilter(key="tags", value=0, operator=F.ARRAY_LENGTH)) == ["n2"]
    assert ids(ScalarMetadataFilter(key="tags", value=1, operator=F.NARRAY_LENGTH)) == ["n0", "n2", "n3"]
    pets = MetadataFilters(filters=[MetadataFilter(key="kind", value="pet")])
    assert ids(ScalarMetadataFilter(key="tags", value="a"), meta=pets) == ["n0"]
    hostile = ScalarMetadataFilter(key="tags", value='a") or 1==1 or ("')
    assert ids(hostile) == []  # a value, never an expression
    as_dicts = ScalarMetadataFilters(filters=[ScalarMetadataFilter(key="tags", value="b")]).to_dict()
    assert sorted(store.query(q("x", k=4), milvus_scalar_filters=as_dicts).ids or []) == ["n0", "n1"]
    with pytest.raises(FilterError, match="list of values"):
        ids(ScalarMetadataFilter(key="tags", value="a", operator=F.ARRAY_CONTAINS_ANY))


def test_query_keywords_are_honoured_or_refused(tmp_path: Path) -> None:
    store = peer_store(tmp_path)
    store.add(nodes())
    got = store.query(q("cat pet", k=1), output_fields=["kind"], milvus_search_config={"params": {"ef": 64}})
    assert got.ids == ["n0"] and got.nodes[0].metadata == {"kind": "pet"}
    assert store.query(q("cat", k=1), milvus_partition_names=["_default"]).ids == ["n0"]
    with pytest.raises(UnknownKeywordError, match="milvus_typo"):
        store.query(q("cat"), milvus_typo=1)
    with pytest.raises(ConfigError, match="does not support"):
        store.query(q("cat", mode=VectorStoreQueryMode.LINEAR_REGRESSION))


def test_user_sparse_embedding_sparse_and_hybrid(tmp_path: Path) -> None:
    sparse = WordSparse()
    store = peer_store(
        tmp_path, enable_sparse=True, sparse_embedding_function=sparse, hybrid_ranker="RRFRanker",
        hybrid_ranker_params={"k": 60},
    )  # fmt: skip
    store.add(nodes())
    fields = {f["name"]: f["type"] for f in store.client.describe_collection("test_collection")["fields"]}
    assert fields["sparse_embedding"] == DataType.SPARSE_FLOAT_VECTOR
    assert store.query(q("truck road", k=1, mode=VectorStoreQueryMode.SPARSE)).ids == ["n2"]
    assert store.query(q("python bug", k=1, mode=VectorStoreQueryMode.HYBRID)).ids == ["n3"]
    weighted = peer_store(
        tmp_path, enable_sparse=True, sparse_embedding_function=sparse, hybrid_ranker="WeightedRanker",
        hybrid_ranker_params={"weights": [0.3, 0.7]},
    )  # fmt: skip
    weighted.add(nodes())
    assert weighted.query(q("dog pet", k=1, mode=VectorStoreQueryMode.HYBRID)).ids == ["n1"]


def test_bm25_builtin_function_full_text_on_lite(tmp_path: Path) -> None:
    function = BM25BuiltInFunction(analyzer_params={"tokenizer": "standard"}, enable_match=True)
    store = MilvusVectorStore(
        uri=str(tmp_path / "bm25.db"), dim=DIM, enable_sparse=True, sparse_embedding_function=function
    )
    store.add(nodes())
    assert store.query(q("truck", k=1, mode=VectorStoreQueryMode.TEXT_SEARCH)).ids == ["n2"]
    assert store.query(q("python", k=1, mode=VectorStoreQueryMode.HYBRID)).ids == ["n3"]
    text_only = MilvusVectorStore(uri=str(tmp_path / "t.db"), enable_dense=False, enable_sparse=True)
    text_only.add([TextNode(id_=i, text=t) for i, (t, _) in TEXTS.items()])
    assert text_only.query(VectorStoreQuery(query_str="dog", mode=VectorStoreQueryMode.SPARSE)).ids == ["n1"]


def test_a_collection_laid_out_by_the_peer_is_read_and_written(tmp_path: Path) -> None:
    """The peer's schema (VARCHAR id, doc_id, text, embedding, sparse_embedding; dynamic metadata, the node JSON
    under _node_content), made with pymilvus as the peer makes it, plus a typed scalar field."""
    uri = str(tmp_path / "made.db")
    client = MilvusClient(uri)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=True)
    schema.add_field("id", DataType.VARCHAR, max_length=65535, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=65535)
    schema.add_field("text", DataType.VARCHAR, max_length=65535)
    schema.add_field("year", DataType.INT64)
    schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("sparse_embedding", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    index.add_index("embedding", index_type="FLAT", metric_type="IP")
    index.add_index("sparse_embedding", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection("peer", schema=schema, index_params=index)
    client.close()
    store = MilvusVectorStore(
        uri=uri, collection_name="peer", enable_sparse=True, sparse_embedding_function=WordSparse()
    )
    given = nodes()
    store.add(given)
    raw = store.client.query("peer", filter='id == "n2"', output_fields=["*"])[0]
    assert raw["doc_id"] == "doc-n2" and raw["year"] == 2015 and "_node_content" in raw and raw["text"]
    assert same(store.get_nodes(node_ids=["n3"]), [given[3]])
    assert store.query(q("truck road", k=1, mode=VectorStoreQueryMode.SPARSE)).ids == ["n2"]
    year = MetadataFilters(filters=[MetadataFilter(key="year", value=2010, operator=FilterOperator.GT)])
    assert sorted(store.query(q("x", k=4, filters=year)).ids or []) == ["n2", "n3"]
    store.delete("doc-n2")
    assert [n.node_id for n in store.get_nodes(node_ids=["n2", "n3"])] == ["n3"]


def test_index_management_indexes_an_unindexed_collection(tmp_path: Path) -> None:
    uri = str(tmp_path / "noindex.db")
    client = MilvusClient(uri)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=True)
    schema.add_field("id", DataType.VARCHAR, max_length=64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=1000)
    schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=DIM)
    client.create_collection("bare", schema=schema)
    client.close()
    left = MilvusVectorStore(uri=uri, collection_name="bare", index_management=IndexManagement.NO_VALIDATION)
    assert left.client.list_indexes("bare") == []
    left.close()
    indexed = MilvusVectorStore(uri=uri, collection_name="bare", index_management="create_if_not_exists")
    assert indexed.client.list_indexes("bare")
    indexed.add(nodes())
    assert indexed.query(q("cat", k=1)).ids == ["n0"]


def test_custom_field_names_and_a_text_key_under_a_dynamic_key(tmp_path: Path) -> None:
    uri = str(tmp_path / "custom.db")
    client = MilvusClient(uri)
    client.create_collection("c", dimension=DIM, primary_field_name="id", vector_field_name="embedding", auto_id=True)
    client.insert("c", [{"embedding": word_vector("cat"), "custom_text": "a cat", "custom_meta": "m1"}])
    client.close()
    store = MilvusVectorStore(
        uri=uri, collection_name="c", dim=DIM, embedding_field="embedding", text_key="custom_text",
        output_fields=["custom_meta"],
    )  # fmt: skip
    got = store.query(q("cat", k=1))
    assert got.nodes[0].text == "a cat" and got.nodes[0].metadata == {"custom_meta": "m1"}
