"""One collection, any framework: what one adapter writes the other (and the core) reads, filters and deletes."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters, VectorStoreQuery

from milvus_integrations import MilvusClient
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.fake_embeddings import WordEmbeddings, word_vector


def test_langchain_writes_llama_index_reads(tmp_path: Path) -> None:
    uri = str(tmp_path / "shared.db")
    lc = LCStore(WordEmbeddings(), uri=uri, collection_name="shared")
    lc.add_documents(
        [
            Document(page_content="the cat is a pet", metadata={"kind": "pet", "n": 1}, id="a"),
            Document(page_content="the truck on the road", metadata={"kind": "car", "n": 2}, id="b"),
        ]
    )
    lc.close()
    li = LIStore(uri=uri, collection_name="shared")
    result = li.query(VectorStoreQuery(query_embedding=word_vector("pet cat"), similarity_top_k=2))
    assert result.ids == ["a", "b"]
    node = result.nodes[0] if result.nodes else None
    assert isinstance(node, TextNode) and node.text == "the cat is a pet" and node.metadata == {"kind": "pet", "n": 1}
    only_cars = MetadataFilters(filters=[MetadataFilter(key="kind", value="car")])
    assert li.query(
        VectorStoreQuery(query_embedding=word_vector("pet"), similarity_top_k=5, filters=only_cars)
    ).ids == ["b"]
    li.delete_nodes(["a"])
    assert [d.id for d in LCStore(WordEmbeddings(), uri=uri, collection_name="shared").similarity_search("x", k=5)] == [
        "b"
    ]


def test_llama_index_writes_langchain_and_core_read(tmp_path: Path) -> None:
    uri = str(tmp_path / "shared.db")
    li = LIStore(uri=uri, collection_name="shared")
    li.add(
        [
            TextNode(
                id_="n1",
                text="python code has a bug",
                metadata={"lang": "py"},
                embedding=word_vector("python code has a bug"),
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id="doc-1")},
            ),
            TextNode(id_="n2", text="apple and pear", metadata={"lang": "none"}, embedding=word_vector("apple pear")),
        ]
    )
    li.close()
    lc = LCStore(WordEmbeddings(), uri=uri, collection_name="shared")
    docs = lc.similarity_search("python bug", k=2, filter={"lang": "py"})
    assert [(d.id, d.page_content, d.metadata) for d in docs] == [("n1", "python code has a bug", {"lang": "py"})]
    assert lc.get_by_ids(["n2"])[0].metadata == {"lang": "none"}  # LlamaIndex bookkeeping stays hidden
    core = MilvusClient(collection_name="shared", uri=uri)
    assert core.pk_field == "pk" and core.vector_field == "vector"
    rows = core.query_data('lang == "py"')
    assert [r["pk"] for r in rows] == ["n1"] and rows[0]["text"] == "python code has a bug"
    # a LlamaIndex node written here comes back whole after the LangChain store touched the collection
    lc.add_texts(["a cat"], metadatas=[{"lang": "cat"}], ids=["lc1"])
    again = LIStore(uri=uri, collection_name="shared")
    (node,) = again.get_nodes(["n1"])
    assert node.ref_doc_id == "doc-1"
    assert {n.node_id for n in again.get_nodes(["n1", "n2", "lc1"])} == {"n1", "n2", "lc1"}
