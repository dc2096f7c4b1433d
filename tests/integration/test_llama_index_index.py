"""LlamaIndex end to end: VectorStoreIndex, retrievers and query engines over our store, with persistence."""

from __future__ import annotations

from pathlib import Path

from llama_index.core import Document, StorageContext, VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

from milvus_integrations.embeddings.langchain import from_langchain
from milvus_integrations.embeddings.llama_index import to_llama_index_embedding
from milvus_integrations.llama_index import MilvusVectorStore
from tests.support.fake_embeddings import WordEmbeddings

EMBED = to_llama_index_embedding(from_langchain(WordEmbeddings()))
DOCS = [
    Document(text="the cat is a pet animal", metadata={"topic": "pets"}, doc_id="cats"),
    Document(text="the truck drives on the road", metadata={"topic": "vehicles"}, doc_id="trucks"),
    Document(text="python code has a bug", metadata={"topic": "code"}, doc_id="python"),
]


def test_index_round_trip_and_reopen(tmp_path: Path) -> None:
    uri = str(tmp_path / "index.db")
    store = MilvusVectorStore(uri=uri, collection_name="idx")
    index = VectorStoreIndex.from_documents(
        DOCS, storage_context=StorageContext.from_defaults(vector_store=store), embed_model=EMBED
    )
    hits = index.as_retriever(similarity_top_k=1).retrieve("a pet cat")
    assert hits[0].node.ref_doc_id == "cats" and hits[0].node.metadata == {"topic": "pets"}
    assert 0.5 < (hits[0].score or 0) <= 1.0

    reopened = VectorStoreIndex.from_vector_store(MilvusVectorStore(uri=uri, collection_name="idx"), embed_model=EMBED)
    filters = MetadataFilters(filters=[MetadataFilter(key="topic", value="code")])
    hits = reopened.as_retriever(similarity_top_k=3, filters=filters).retrieve("a pet cat")
    assert [h.node.ref_doc_id for h in hits] == ["python"]

    engine = reopened.as_query_engine(llm=MockLLM(), similarity_top_k=1)
    response = engine.query("truck road")
    assert response.source_nodes[0].node.ref_doc_id == "trucks"

    reopened.delete_ref_doc("trucks")
    remaining = {h.node.ref_doc_id for h in reopened.as_retriever(similarity_top_k=5).retrieve("truck road")}
    assert remaining == {"cats", "python"}


async def test_async_index_round_trip(tmp_path: Path) -> None:
    store = MilvusVectorStore(uri=str(tmp_path / "aindex.db"), collection_name="aidx")
    index = VectorStoreIndex(
        nodes=[], storage_context=StorageContext.from_defaults(vector_store=store), embed_model=EMBED, use_async=True
    )
    for doc in DOCS:
        await index.ainsert(doc)
    hits = await index.as_retriever(similarity_top_k=1).aretrieve("python code bug")
    assert hits[0].node.ref_doc_id == "python"
