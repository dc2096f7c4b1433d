"""Keywords a LlamaIndex retriever passes through `vector_store_kwargs`, LangChain's `auto_id`, and the engine
route's guard (issue 18)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from langchain_core.vectorstores.utils import maximal_marginal_relevance
from llama_index.core import VectorStoreIndex
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

from milvus_integrations.core.errors import UnknownKeywordError
from milvus_integrations.core.lite import engine
from milvus_integrations.embeddings.llama_index import to_llama_index_embedding
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.fake_embeddings import WordEmbeddings, word_vector

TEXTS = ["cat pet", "cat pet animal", "cat cat pet", "dog pet", "truck road", "fish pet", "cat bird"]


def _nodes() -> list[TextNode]:
    return [TextNode(id_=f"n{i}", text=t, embedding=word_vector(t)) for i, t in enumerate(TEXTS)]


def _mmr_ids(store: object, threshold: float | None, **kwargs: object) -> list[str]:
    q = VectorStoreQuery(query_embedding=word_vector("cat pet"), similarity_top_k=4, mode=VectorStoreQueryMode.MMR)
    extra = {} if threshold is None else {"mmr_threshold": threshold}
    return list(store.query(q, **extra, **kwargs).ids or [])  # type: ignore[attr-defined]


def test_mmr_threshold_from_vector_store_kwargs_is_honoured(tmp_path: Path) -> None:
    ours = LIStore(uri=str(tmp_path / "m.db"), collection_name="m")
    ours.add(_nodes())
    simple = SimpleVectorStore()
    simple.add(_nodes())
    plain = ours.query(VectorStoreQuery(query_embedding=word_vector("cat pet"), similarity_top_k=4)).ids
    # threshold 1: relevance only, as SimpleVectorStore (whose MMR reads it from these keywords too)
    assert _mmr_ids(ours, 1.0) == _mmr_ids(simple, 1.0) == plain
    # a low threshold prefers diversity: textbook MMR (LangChain's), which SimpleVectorStore approximates by
    # comparing with the last pick only
    candidates = [word_vector(t) for t in TEXTS]
    textbook = maximal_marginal_relevance(np.array(word_vector("cat pet")), candidates, lambda_mult=0.1, k=4)
    assert _mmr_ids(ours, 0.1) == [f"n{i}" for i in textbook] != plain
    assert _mmr_ids(ours, 0.1, mmr_prefetch_k=7) == _mmr_ids(ours, 0.1)
    # through a retriever, as LlamaIndex documents it
    index = VectorStoreIndex.from_vector_store(ours, embed_model=to_llama_index_embedding(WordEmbeddings()))
    retriever = index.as_retriever(
        similarity_top_k=4, vector_store_query_mode="mmr", vector_store_kwargs={"mmr_threshold": 1.0}
    )
    assert [n.node.node_id for n in retriever.retrieve("cat pet")] == plain
    bad = index.as_retriever(vector_store_query_mode="mmr", vector_store_kwargs={"mmr_treshold": 0.2})
    with pytest.raises(UnknownKeywordError, match="mmr_treshold"):
        bad.retrieve("cat pet")


def test_langchain_auto_id_lets_milvus_number_the_rows(tmp_path: Path) -> None:
    store = LCStore(WordEmbeddings(), uri=str(tmp_path / "a.db"), collection_name="auto", auto_id=True)
    ids = store.add_texts(["a cat", "a truck"], [{"k": 1}, {"k": 2}])
    assert len(set(ids)) == 2 and all(i.lstrip("-").isdigit() for i in ids)
    layout = store.store.require_layout()
    assert layout.auto_id and layout.primary_is_int
    (doc,) = store.get_by_ids([ids[1]])
    assert doc.page_content == "a truck" and doc.id == ids[1] and doc.metadata == {"k": 2}
    assert store.similarity_search("cat", k=1)[0].id == ids[0]
    store.delete([ids[0]])
    assert [d.id for d in store.similarity_search("cat", k=5)] == [ids[1]]
    with pytest.raises(ValueError, match="auto_id"):
        store.add_texts(["x"], ids=["mine"])


def test_the_engine_route_outside_its_verified_releases_is_skipped_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engine, "_release", lambda: (3, 9))
    monkeypatch.setattr(engine, "_warned", set())
    calls: list[int] = []
    import milvus_lite

    insert = milvus_lite.Collection.insert
    monkeypatch.setattr(
        milvus_lite.Collection, "insert", lambda self, *a, **k: calls.append(1) or insert(self, *a, **k)
    )
    store = LCStore(WordEmbeddings(), uri=str(tmp_path / "v.db"), collection_name="v")
    with caplog.at_level(logging.WARNING, logger="milvus_integrations"):
        store.add_texts(["a cat"])
        store.add_texts(["a dog"])
        store.similarity_search("cat", k=1)
    warnings = [r for r in caplog.records if "fast route is unavailable" in r.getMessage()]
    assert len(warnings) == 1 and "3.9 is outside the verified releases" in warnings[0].getMessage()
    assert store.store.count() == 2 and [d.page_content for d in store.similarity_search("cat", k=1)] == ["a cat"]
    c = store.store.connection
    assert engine.for_layout(c.uri, c.db_name, "v", store.store.require_layout(), is_lite_file=True) is None
