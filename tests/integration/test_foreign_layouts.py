"""Attaching to collections other tools made. The layouts are built here with plain pymilvus, with the field names
and types those tools use (written down below), then read, searched and filtered through both adapters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters, VectorStoreQuery
from pymilvus import DataType, MilvusClient

from milvus_integrations.core.errors import ConfigError
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.fake_embeddings import WordEmbeddings, word_vector

DIM = WordEmbeddings.dimension
TEXTS = ["the cat is a pet", "the truck on the road", "python code with a bug"]


def describe(uri: str, name: str) -> tuple[object, int]:
    c = MilvusClient(uri)
    desc = c.describe_collection(name)
    fields = [(f["name"], f["type"], f.get("params")) for f in desc["fields"]]
    count = c.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"]
    c.close()
    return fields, count


def index(client: MilvusClient, field: str, metric: str) -> object:
    params = client.prepare_index_params()
    params.add_index(field, index_type="HNSW", metric_type=metric, params={"M": 16, "efConstruction": 64})
    return params


@pytest.fixture
def langchain_milvus_layout(tmp_path: Path) -> str:
    """langchain-milvus' default: `pk` VARCHAR primary key, `text` VARCHAR, `vector` FLOAT_VECTOR, metadata as
    dynamic fields, metric L2."""
    uri = str(tmp_path / "lcm.db")
    c = MilvusClient(uri)
    schema = c.create_schema(auto_id=False, enable_dynamic_field=True)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=65535)
    schema.add_field("text", DataType.VARCHAR, max_length=65535)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    c.create_collection("LangChainCollection", schema=schema, index_params=index(c, "vector", "L2"))
    c.insert(
        "LangChainCollection",
        [{"pk": f"p{i}", "text": t, "vector": word_vector(t), "source": f"s{i}.txt"} for i, t in enumerate(TEXTS)],
    )
    c.close()
    return uri


@pytest.fixture
def llama_peer_layout(tmp_path: Path) -> str:
    """llama-index-vector-stores-milvus: `id` VARCHAR primary key, `embedding` FLOAT_VECTOR, `doc_id` VARCHAR, and
    dynamic keys `_node_content` (the node's JSON, text included), `_node_type`, `document_id`, `ref_doc_id` plus
    the metadata; metric IP."""
    uri = str(tmp_path / "lip.db")
    c = MilvusClient(uri)
    schema = c.create_schema(auto_id=False, enable_dynamic_field=True)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=65535)
    schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=65535)
    c.create_collection("llamacollection", schema=schema, index_params=index(c, "embedding", "IP"))
    rows = []
    for i, t in enumerate(TEXTS):
        node = TextNode(
            id_=f"n{i}",
            text=t,
            metadata={"topic": f"t{i}"},
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=f"doc{i}")},
        )
        content = json.loads(node.to_json())
        content["embedding"] = None
        rows.append(
            {
                "id": f"n{i}",
                "embedding": word_vector(t),
                "doc_id": f"doc{i}",
                "topic": f"t{i}",
                "_node_content": json.dumps(content),
                "_node_type": "TextNode",
                "document_id": f"doc{i}",
                "ref_doc_id": f"doc{i}",
            }
        )
    c.insert("llamacollection", rows)
    c.close()
    return uri


@pytest.fixture
def plain_layout(tmp_path: Path) -> str:
    """A plain pymilvus collection: INT64 `id`, two VARCHARs, a typed INT64 `year`, vector `emb`, no dynamic field."""
    uri = str(tmp_path / "plain.db")
    c = MilvusClient(uri)
    schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("title", DataType.VARCHAR, max_length=256)
    schema.add_field("body", DataType.VARCHAR, max_length=4096)
    schema.add_field("year", DataType.INT64)
    schema.add_field("emb", DataType.FLOAT_VECTOR, dim=DIM)
    c.create_collection("articles", schema=schema, index_params=index(c, "emb", "COSINE"))
    c.insert(
        "articles",
        [
            {"id": i, "title": f"title {i}", "body": t, "year": 2000 + i, "emb": word_vector(t)}
            for i, t in enumerate(TEXTS)
        ],
    )
    c.close()
    return uri


def test_langchain_milvus_collection(langchain_milvus_layout: str) -> None:
    before = describe(langchain_milvus_layout, "LangChainCollection")
    lc = LCStore(WordEmbeddings(), uri=langchain_milvus_layout, collection_name="LangChainCollection")
    (doc, relevance), *_ = lc.similarity_search_with_relevance_scores("pet cat", k=3)
    assert (doc.id, doc.page_content, doc.metadata) == ("p0", TEXTS[0], {"source": "s0.txt"}) and relevance > 0.5
    assert [d.id for d in lc.similarity_search("x", k=3, filter={"source": "s2.txt"})] == ["p2"]
    assert lc.get_by_ids(["p1"])[0].page_content == TEXTS[1]
    li = LIStore(uri=langchain_milvus_layout, collection_name="LangChainCollection")
    res = li.query(VectorStoreQuery(query_embedding=word_vector("truck road"), similarity_top_k=1))
    assert res.ids == ["p1"] and res.nodes is not None and res.nodes[0].get_content() == TEXTS[1]
    lc.close()
    li.close()
    assert describe(langchain_milvus_layout, "LangChainCollection") == before  # reading changed nothing


def test_llama_index_peer_collection(llama_peer_layout: str) -> None:
    before = describe(llama_peer_layout, "llamacollection")
    li = LIStore(uri=llama_peer_layout, collection_name="llamacollection")
    res = li.query(VectorStoreQuery(query_embedding=word_vector("python bug"), similarity_top_k=1))
    assert res.ids == ["n2"] and res.nodes is not None
    node = res.nodes[0]
    assert node.get_content() == TEXTS[2] and node.metadata == {"topic": "t2"} and node.ref_doc_id == "doc2"
    flt = MetadataFilters(filters=[MetadataFilter(key="topic", value="t0")])
    assert li.query(VectorStoreQuery(query_embedding=word_vector("x"), similarity_top_k=3, filters=flt)).ids == ["n0"]
    assert li.query(VectorStoreQuery(query_embedding=word_vector("x"), similarity_top_k=3, doc_ids=["doc1"])).ids == [
        "n1"
    ]
    lc = LCStore(WordEmbeddings(), uri=llama_peer_layout, collection_name="llamacollection")
    (doc,) = lc.similarity_search("truck road", k=1)
    assert (doc.id, doc.page_content, doc.metadata) == ("n1", TEXTS[1], {"topic": "t1"})
    li.close()
    lc.close()
    assert describe(llama_peer_layout, "llamacollection") == before


def test_plain_collection_needs_a_text_field_when_ambiguous(plain_layout: str) -> None:
    with pytest.raises(ConfigError, match=r"candidates are \['title', 'body'\]; pass text_field"):
        LCStore(WordEmbeddings(), uri=plain_layout, collection_name="articles").similarity_search("x", k=1)
    lc = LCStore(WordEmbeddings(), uri=plain_layout, collection_name="articles", text_field="body")
    docs = lc.similarity_search("python", k=3, filter={"year": {"$gte": 2001}})
    assert [d.id for d in docs][0] == "2" and {d.metadata["year"] for d in docs} == {2001, 2002}
    assert docs[0].page_content == TEXTS[2] and docs[0].metadata["title"] == "title 2"
    with pytest.raises(Exception, match="unknown field 'nope'"):
        lc.similarity_search("x", k=1, filter={"nope": 1})


def test_overrides_must_name_real_fields(plain_layout: str) -> None:
    with pytest.raises(ConfigError, match="vector field 'missing' is not in the collection"):
        LCStore(
            WordEmbeddings(), uri=plain_layout, collection_name="articles", vector_field="missing", text_field="body"
        ).similarity_search("x", k=1)
