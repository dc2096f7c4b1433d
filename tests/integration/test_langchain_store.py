"""The LangChain adapter beyond the standard suite: filters, scores, MMR, modes, retrievers, migration keywords."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from milvus_integrations.core.errors import ConfigError, FilterError
from milvus_integrations.langchain import MilvusVectorStore, RetrievalMode
from tests.support.fake_embeddings import WordEmbeddings

DOCS = [
    Document(page_content="the cat is a pet animal", metadata={"kind": "pet", "year": 2001, "tags": ["a", "b"]}),
    Document(page_content="a dog is a loyal pet", metadata={"kind": "pet", "year": 2010, "tags": ["b"]}),
    Document(page_content="the truck drives on the road", metadata={"kind": "vehicle", "year": 2015}),
    Document(page_content="python code has a bug", metadata={"kind": "code", "year": 2020, "nested": {"x": 1}}),
    Document(page_content="apple and pear are fruit", metadata={"kind": "food", "year": 1999, "ok": True}),
]


@pytest.fixture
def store(tmp_path: Path) -> MilvusVectorStore:
    s = MilvusVectorStore(WordEmbeddings(), uri=str(tmp_path / "lc.db"), collection_name="docs")
    s.add_documents(DOCS, ids=[f"d{i}" for i in range(len(DOCS))])
    return s


def ids(docs: list[Document]) -> list[str | None]:
    return [d.id for d in docs]


def test_metadata_round_trips_unchanged(store: MilvusVectorStore) -> None:
    got = {d.id: d.metadata for d in store.get_by_ids([f"d{i}" for i in range(len(DOCS))])}
    assert got == {f"d{i}": d.metadata for i, d in enumerate(DOCS)}


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"kind": "pet"}, {"d0", "d1"}),
        ({"year": {"$gte": 2010}}, {"d1", "d2", "d3"}),
        ({"year": {"$gt": 2000, "$lt": 2015}}, {"d0", "d1"}),
        ({"kind": {"$in": ["code", "food"]}}, {"d3", "d4"}),
        ({"kind": {"$nin": ["pet", "vehicle"]}}, {"d3", "d4"}),
        ({"kind": {"$ne": "pet"}}, {"d2", "d3", "d4"}),
        ({"tags": {"$contains": "b"}}, {"d0", "d1"}),
        ({"tags": {"$contains": ["a", "b"]}}, {"d0"}),
        ({"tags": {"$exists": True}}, {"d0", "d1"}),
        ({"tags": {"$exists": False}}, {"d2", "d3", "d4"}),
        ({"kind": {"$like": "ve%"}}, {"d2"}),
        ({"$or": [{"kind": "code"}, {"year": {"$lt": 2000}}]}, {"d3", "d4"}),
        ({"$and": [{"kind": "pet"}, {"year": 2010}]}, {"d1"}),
        ({"$not": {"kind": "pet"}}, {"d2", "d3", "d4"}),
        ({"year": {"$not": {"$gte": 2010}}}, {"d0", "d4"}),
        ({"ok": True}, {"d4"}),
        ({"kind": "pet", "year": 2001}, {"d0"}),
    ],
)
def test_dict_filters(store: MilvusVectorStore, filter: dict[str, object], expected: set[str]) -> None:
    assert set(ids(store.similarity_search("pet", k=10, filter=filter))) == expected


@pytest.mark.parametrize(
    ("filter", "message"),
    [
        ({"year": {"$between": [1, 2]}}, "unknown operator '\\$between'"),
        ({"$xor": []}, "unknown operator"),
        ({"year": {"$in": 5}}, "takes a list"),
        ({"year": None}, "None"),
        ({"year": {"$exists": "yes"}}, "true or false"),
        ({"year": float("nan")}, "finite"),
        ({"$or": []}, "non-empty list"),
    ],
)
def test_bad_filters_raise_clear_errors(store: MilvusVectorStore, filter: dict[str, object], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        store.similarity_search("pet", k=2, filter=filter)


def test_raw_expr_is_explicit(store: MilvusVectorStore) -> None:
    assert ids(store.similarity_search("pet", k=10, expr="year < 2000")) == ["d4"]


def test_delete_by_filter_and_expr(store: MilvusVectorStore) -> None:
    assert store.delete(filter={"kind": "pet"}) is True
    assert store.delete(expr="year > 2019") is True
    assert set(ids(store.similarity_search("x", k=10))) == {"d2", "d4"}
    assert store.delete() is True
    assert store.similarity_search("x", k=10) == []
    store.add_texts(["a cat again"], ids=["again"])
    assert ids(store.similarity_search("cat", k=1)) == ["again"]


@pytest.mark.parametrize("metric", ["COSINE", "IP", "L2"])
def test_relevance_scores_are_bounded_and_survive_reopening(tmp_path: Path, metric: str) -> None:
    uri = str(tmp_path / "rel.db")
    s = MilvusVectorStore(WordEmbeddings(), uri=uri, collection_name="rel", metric=metric)
    s.add_documents(DOCS)
    first = s.similarity_search_with_relevance_scores("cat pet animal", k=5)
    s.close()
    again = MilvusVectorStore(WordEmbeddings(), uri=uri, collection_name="rel")  # metric read back
    second = again.similarity_search_with_relevance_scores("cat pet animal", k=5)
    assert [d.page_content for d, _ in first] == [d.page_content for d, _ in second]
    scores = [r for _, r in second]
    assert all(0.0 <= r <= 1.0 for r in scores) and scores == sorted(scores, reverse=True)
    assert second[0][0].page_content == DOCS[0].page_content and scores[0] > 0.8
    assert scores == pytest.approx([r for _, r in first], abs=1e-5)


def test_raw_scores_follow_the_metric(tmp_path: Path) -> None:
    l2 = MilvusVectorStore(WordEmbeddings(), uri=str(tmp_path / "l2.db"), collection_name="l2", metric="L2")
    l2.add_documents(DOCS)
    (doc, distance), *_ = l2.similarity_search_with_score("the cat is a pet animal", k=2)
    assert doc.page_content == DOCS[0].page_content and distance == pytest.approx(0.0, abs=1e-5)


def test_score_threshold_retriever(store: MilvusVectorStore) -> None:
    retriever = store.as_retriever(search_type="similarity_score_threshold", search_kwargs={"score_threshold": 0.8})
    found = retriever.invoke("cat pet animal")
    assert ids(found)[0] == "d0" and "d2" not in ids(found)


def test_mmr_prefers_diverse_results(tmp_path: Path) -> None:
    s = MilvusVectorStore(WordEmbeddings(), uri=str(tmp_path / "mmr.db"), collection_name="mmr")
    s.add_texts(["cat pet", "cat pet", "cat pet animal", "dog pet"], ids=["a", "b", "c", "d"])
    plain = ids(s.similarity_search("cat pet", k=2))
    diverse = ids(s.max_marginal_relevance_search("cat pet", k=2, fetch_k=4, lambda_mult=0.3))
    assert set(plain) == {"a", "b"}
    assert diverse[0] in {"a", "b"} and diverse[1] not in {"a", "b"}
    retriever = s.as_retriever(search_type="mmr", search_kwargs={"k": 2, "fetch_k": 4, "lambda_mult": 0.3})
    assert ids(retriever.invoke("cat pet")) == diverse


async def test_async_twins(store: MilvusVectorStore) -> None:
    assert ids(await store.asimilarity_search("truck road", k=1)) == ["d2"]
    (doc, score), *_ = await store.asimilarity_search_with_relevance_scores("truck road", k=1)
    assert doc.id == "d2" and 0.5 < score <= 1.0
    assert ids(await store.amax_marginal_relevance_search("truck road", k=1)) == ["d2"]
    new_ids = await store.aadd_texts(["guitar and piano music"], metadatas=[{"kind": "music"}])
    assert ids(await store.aget_by_ids(new_ids)) == new_ids
    assert await store.adelete(new_ids) is True
    assert await store.aget_by_ids(new_ids) == []
    retriever = store.as_retriever(search_kwargs={"k": 1, "filter": {"kind": "code"}})
    assert ids(await retriever.ainvoke("anything")) == ["d3"]


def test_retriever_in_an_lcel_chain(store: MilvusVectorStore) -> None:
    retriever = store.as_retriever(search_kwargs={"k": 2})
    seen: list[str] = []

    def context(docs: list[Document]) -> str:
        seen.extend(d.id or "" for d in docs)
        return "\n".join(d.page_content for d in docs)

    prompt = ChatPromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}")
    llm = FakeListChatModel(responses=["Cats are pets."])
    chain = {"context": retriever | context, "question": RunnablePassthrough()} | prompt | llm | StrOutputParser()
    assert chain.invoke("which pet animal is a cat") == "Cats are pets."
    assert seen[0] == "d0" and set(seen) <= {"d0", "d1"}


def test_hybrid_finds_a_rare_token_dense_misses(tmp_path: Path) -> None:
    texts = [f"a note about {w} and more {w}" for w in ["cat", "dog", "car", "python", "apple", "music"]]
    texts.append("zygomorphic music music music song song song")
    kw = {"uri": str(tmp_path / "h.db"), "collection_name": "h"}
    hybrid = MilvusVectorStore(WordEmbeddings(), retrieval_mode=RetrievalMode.HYBRID, **kw)  # type: ignore[arg-type]
    hybrid.add_texts(texts, ids=[f"t{i}" for i in range(len(texts))])
    dense_only = MilvusVectorStore(WordEmbeddings(), **kw)  # type: ignore[arg-type]
    assert "t6" not in ids(dense_only.similarity_search("zygomorphic", k=3))
    found = hybrid.similarity_search("zygomorphic", k=3)
    assert len(found) == 3 and "t6" in ids(found)
    weighted = MilvusVectorStore(
        WordEmbeddings(),
        retrieval_mode="hybrid",
        hybrid_ranker="weighted",
        hybrid_weights=(0.2, 0.8),
        **kw,  # type: ignore[arg-type]
    )
    assert ids(weighted.similarity_search("zygomorphic", k=2))[0] == "t6"
    assert hybrid.similarity_search("zygomorphic", k=3, filter={"missing": 1}) == []


def test_full_text_mode_needs_no_embedding(tmp_path: Path) -> None:
    s = MilvusVectorStore(uri=str(tmp_path / "ft.db"), collection_name="ft", retrieval_mode=RetrievalMode.FULL_TEXT)
    # no dense vectors here, so "vector" is an ordinary metadata key (it names the vector field of dense stores)
    s.add_texts(
        ["the quick brown fox", "lazy dogs sleep"], metadatas=[{"n": 1}, {"n": 2, "vector": "v"}], ids=["f", "l"]
    )
    assert ids(s.similarity_search("fox", k=1)) == ["f"]
    assert s.get_by_ids(["l"])[0].metadata == {"n": 2, "vector": "v"}
    assert s.similarity_search("fox", k=2, filter={"n": 2}) == []
    with pytest.raises(ConfigError, match="no embedding"):
        s.max_marginal_relevance_search("fox")


def test_langchain_milvus_keywords_move_over(tmp_path: Path) -> None:
    s = MilvusVectorStore(
        embedding_function=WordEmbeddings(),
        connection_args={"uri": str(tmp_path / "compat.db")},
        collection_name="compat",
        auto_id=True,
    )
    s.add_texts(["a cat"])
    assert s.similarity_search("cat", k=1)[0].page_content == "a cat"
    with pytest.raises(ConfigError, match="not both"):
        MilvusVectorStore(WordEmbeddings(), embedding_function=WordEmbeddings(), uri=str(tmp_path / "x.db"))
    with pytest.raises(ConfigError, match="needs an embedding"):
        MilvusVectorStore(uri=str(tmp_path / "x.db"))
    with pytest.raises(TypeError, match="unexpected keyword"):
        s.similarity_search("cat", k=1, nonsense=1)


def test_from_texts_and_from_documents(tmp_path: Path) -> None:
    s = MilvusVectorStore.from_texts(
        ["cat", "truck"], WordEmbeddings(), metadatas=[{"i": 0}, {"i": 1}], uri=str(tmp_path / "ft.db")
    )
    assert s.similarity_search("truck", k=1)[0].metadata == {"i": 1}
    d = MilvusVectorStore.from_documents(DOCS, WordEmbeddings(), uri=str(tmp_path / "fd.db"), collection_name="fd")
    assert d.similarity_search("fruit", k=1)[0].page_content == DOCS[4].page_content


def test_bad_metadata_names_the_row(store: MilvusVectorStore) -> None:
    with pytest.raises(Exception, match="row 1") as info:
        store.add_texts(["ok", "bad"], metadatas=[{"a": 1}, {"text": "clash"}])
    assert "text" in str(info.value)
    assert store.get_by_ids(["ok"]) == []


def test_partition_key_field(tmp_path: Path) -> None:
    s = MilvusVectorStore(
        WordEmbeddings(), uri=str(tmp_path / "pk.db"), collection_name="pk", partition_key_field="tenant"
    )
    s.add_texts(["a cat", "a truck"], metadatas=[{"tenant": "acme"}, {"tenant": "globex"}], ids=["c", "t"])
    assert [d.id for d in s.similarity_search("cat", k=2, filter={"tenant": "globex"})] == ["t"]
    assert s.get_by_ids(["c"])[0].metadata == {"tenant": "acme"}
    with pytest.raises(Exception, match="row 0: the partition key 'tenant' is missing"):
        s.add_texts(["no tenant"], ids=["x"])
