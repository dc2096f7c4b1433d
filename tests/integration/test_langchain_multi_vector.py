"""The LangChain store with several vector fields, on real Milvus Lite: langchain-milvus' keywords (a list of
embeddings, builtin_function, vector_field / index_params / search_params as lists, ranker_type / ranker_params /
reranker / anns_field / fetch_k / param), the examples of Milvus' "Full-text search with LangChain" page, attaching
to a collection laid out as langchain-milvus lays it out, and bad input refused with nothing written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from pymilvus import DataType, Function, FunctionType, MilvusClient

from milvus_integrations.core.errors import ConfigError, SchemaError
from milvus_integrations.langchain import BaseSparseEmbedding, BM25BuiltInFunction
from milvus_integrations.langchain import MilvusVectorStore as Milvus
from tests.support.fake_embeddings import VOCAB, WordEmbeddings, word_vector


class Stemmed(WordEmbeddings):
    """The word embedding with plural "s" dropped (so "apples" means "apple"), optionally over another vocabulary."""

    def __init__(self, vocab: tuple[str, ...] = tuple(VOCAB)) -> None:
        self.vocab = vocab

    def _vec(self, text: str) -> list[float]:
        return word_vector(re.sub(r"(\w{3,})s\b", r"\1", text), self.vocab)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


class Letters(BaseSparseEmbedding):
    """A user sparse embedding: letter counts as {letter index: count}."""

    def embed_query(self, query: str) -> dict[int, float]:
        return self._one(query)

    def embed_documents(self, texts: list[str]) -> list[dict[int, float]]:
        return [self._one(t) for t in texts]

    @staticmethod
    def _one(text: str) -> dict[int, float]:
        out: dict[int, float] = {}
        for ch in text.lower():
            if "a" <= ch <= "z":
                out[ord(ch) - 97] = out.get(ord(ch) - 97, 0.0) + 1.0
        return out


class BadSparse(Letters):
    def embed_documents(self, texts: list[str]) -> list[dict[Any, float]]:
        rows: list[dict[Any, float]] = [self._one(t) for t in texts]
        rows[1] = {"a": 1.0}
        return rows


DOCS = [
    Document(page_content="I like this apple", metadata={"category": "fruit"}),
    Document(page_content="I like swimming", metadata={"category": "sport"}),
    Document(page_content="I like dogs", metadata={"category": "pets"}),
]


def uri(tmp_path: Path, name: str) -> str:
    return str(tmp_path / f"{name}.db")


# -- Milvus' "Full-text search with LangChain" page: its examples as written, fake embeddings, a Lite file ---------
def test_full_text_page_hybrid_dense_and_bm25(tmp_path: Path) -> None:
    URI = uri(tmp_path, "hybrid")
    vectorstore = Milvus.from_documents(
        documents=DOCS,
        embedding=Stemmed(),
        builtin_function=BM25BuiltInFunction(),
        vector_field=["dense", "sparse"],
        connection_args={"uri": URI},
        consistency_level="Strong",
    )
    assert vectorstore.vector_fields == ["dense", "sparse"]
    assert vectorstore.similarity_search("Do I like apples?", k=1)[0].page_content == "I like this apple"
    description = MilvusClient(URI).describe_collection("langchain")
    assert {f["name"] for f in description["fields"]} >= {"dense", "sparse", "text"}
    assert description["functions"][0]["output_field_names"] == ["sparse"]


def test_full_text_page_two_embeddings_and_bm25(tmp_path: Path) -> None:
    URI = uri(tmp_path, "three")
    embedding1 = Stemmed()
    embedding2 = Stemmed(tuple(reversed(VOCAB[:20])))
    vectorstore = Milvus.from_documents(
        documents=DOCS,
        embedding=[embedding1, embedding2],
        builtin_function=BM25BuiltInFunction(input_field_names="text", output_field_names="sparse"),
        text_field="text",
        vector_field=["dense1", "dense2", "sparse"],
        connection_args={"uri": URI},
        consistency_level="Strong",
    )
    assert vectorstore.vector_fields == ["dense1", "dense2", "sparse"]
    assert vectorstore.similarity_search("Do I like apples?", k=1)[0].page_content == "I like this apple"
    weighted = vectorstore.similarity_search(
        "Do I like apples?", k=1, ranker_type="weighted", ranker_params={"weights": [0.3, 0.3, 0.4]}
    )
    assert weighted[0].page_content == "I like this apple"


def test_full_text_page_bm25_without_embedding(tmp_path: Path) -> None:
    vectorstore = Milvus.from_documents(
        documents=DOCS,
        embedding=None,
        builtin_function=BM25BuiltInFunction(output_field_names="sparse"),
        vector_field="sparse",
        connection_args={"uri": uri(tmp_path, "bm25")},
        consistency_level="Strong",
    )
    assert vectorstore.vector_fields == ["sparse"]
    assert vectorstore.similarity_search("swimming", k=1)[0].page_content == "I like swimming"


def test_full_text_page_custom_analyzer_and_retriever(tmp_path: Path) -> None:
    analyzer_params_custom = {
        "tokenizer": "standard",
        "filter": [
            "lowercase",  # Built-in filter
            {"type": "length", "max": 40},  # Custom filter
            {"type": "stop", "stop_words": ["of", "to"]},  # Custom filter
        ],
    }
    URI = uri(tmp_path, "analyzer")
    vectorstore = Milvus.from_documents(
        documents=DOCS,
        embedding=Stemmed(),
        builtin_function=BM25BuiltInFunction(
            output_field_names="sparse",
            enable_match=True,
            analyzer_params=analyzer_params_custom,
        ),
        vector_field=["dense", "sparse"],
        connection_args={"uri": URI},
        consistency_level="Strong",
    )
    text = next(f for f in MilvusClient(URI).describe_collection("langchain")["fields"] if f["name"] == "text")
    stored = text["params"]["analyzer_params"]
    assert (json.loads(stored) if isinstance(stored, str) else stored) == analyzer_params_custom
    assert str(text["params"]["enable_match"]).lower() == "true"
    retriever = vectorstore.as_retriever()
    assert retriever.invoke("dogs")[0].page_content == "I like dogs"
    assert [d.page_content for d in vectorstore.similarity_search("dogs", k=3, expr="TEXT_MATCH(text, 'dogs')")] == [
        "I like dogs"
    ]


# -- several fields: each its own index/search params; one field by name; fused -----------------------------------
TEXTS = [f"{a} and {b} number {i}" for i, (a, b) in enumerate(zip(VOCAB * 2, reversed(VOCAB * 2), strict=True))]


@pytest.fixture
def multi(tmp_path: Path) -> Milvus:
    store = Milvus(
        embedding_function=[Stemmed(), Stemmed(tuple(VOCAB[::2])), Letters()],
        vector_field=["a", "b", "letters"],
        index_params=[
            {"index_type": "HNSW", "metric_type": "IP", "params": {"M": 8, "efConstruction": 64}},
            {"index_type": "FLAT", "metric_type": "L2"},
            {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "IP", "params": {"drop_ratio_build": 0.2}},
        ],
        search_params=[{"params": {"ef": 64}}, {}, {"params": {"drop_ratio_search": 0.1}}],
        uri=uri(tmp_path, "multi"),
    )
    store.add_texts(TEXTS, [{"i": i} for i in range(len(TEXTS))], ids=[f"t{i}" for i in range(len(TEXTS))])
    return store


def test_each_field_has_its_own_index(multi: Milvus) -> None:
    client = multi.store.client
    found = {client.describe_index("langchain", n)["field_name"]: client.describe_index("langchain", n)
             for n in client.list_indexes("langchain")}  # fmt: skip
    assert (found["a"]["index_type"], found["a"]["metric_type"]) == ("HNSW", "IP")
    assert (found["b"]["index_type"], found["b"]["metric_type"]) == ("FLAT", "L2")
    assert (found["letters"]["index_type"], found["letters"]["metric_type"]) == ("SPARSE_INVERTED_INDEX", "IP")
    (row,) = client.get("langchain", ids=["t3"], output_fields=["a", "b", "letters"])
    assert row["letters"] == pytest.approx(Letters().embed_query(TEXTS[3]))
    assert row["b"] == pytest.approx(Stemmed(tuple(VOCAB[::2])).embed_query(TEXTS[3]), abs=1e-6)


def ranks(pairs: list[tuple[Document, float]]) -> list[str]:
    return [str(d.id) for d, _ in pairs]


def test_one_field_by_name_and_rrf_of_them(multi: Milvus) -> None:
    query, fetch = "a song about a truck", 8
    per_field = {f: multi.similarity_search_with_score(query, k=fetch, anns_field=f) for f in ("a", "b", "letters")}
    oracle: dict[str, float] = {}
    for pairs in per_field.values():
        for rank, pk in enumerate(ranks(pairs), start=1):
            oracle[pk] = oracle.get(pk, 0.0) + 1 / (60 + rank)
    fused = multi.similarity_search_with_score(query, k=5, ranker_type="rrf", ranker_params={"k": 60}, fetch_k=fetch)
    assert [oracle[pk] for pk in ranks(fused)] == pytest.approx(sorted(oracle.values(), reverse=True)[:5])
    assert [s for _, s in fused] == pytest.approx(sorted(oracle.values(), reverse=True)[:5], abs=1e-6)
    by_vector = multi.similarity_search_by_vector(Letters().embed_query(query), k=fetch, anns_field="letters")
    assert [str(d.id) for d in by_vector] == ranks(per_field["letters"])
    ranker = Function("rrf", FunctionType.RERANK, input_field_names=[], params={"reranker": "rrf", "k": 60})
    assert ranks(multi.similarity_search_with_score(query, k=5, reranker=ranker, fetch_k=fetch)) == ranks(fused)


def test_weighted_default_is_one_per_field(multi: Milvus) -> None:
    query = "guitar piano"
    default = multi.similarity_search_with_score(query, k=4)
    explicit = multi.similarity_search_with_score(query, k=4, ranker_type="weighted",
                                                  ranker_params={"weights": [1.0, 1.0, 1.0]})  # fmt: skip
    assert ranks(default) == ranks(explicit) and max(s for _, s in default) > 1.0  # summed: three fields
    relevance = multi.similarity_search_with_relevance_scores(query, k=4)
    assert [r for _, r in relevance] == pytest.approx([s / 3 for _, s in default])  # over the best possible, 3.0


async def test_async_twins(multi: Milvus) -> None:
    query = "apple pie"
    assert [d.id for d in await multi.asimilarity_search(query, k=3, ranker_type="rrf")] == [
        d.id for d in multi.similarity_search(query, k=3, ranker_type="rrf")
    ]
    ids = await multi.aadd_texts(["brand new apple"], ids=["new"])
    assert ids == ["new"] and (await multi.aget_by_ids(["new"]))[0].page_content == "brand new apple"


# -- attach to a collection laid out as langchain-milvus lays it out ---------------------------------------------
def test_attach_to_peer_layout_dense_and_bm25(tmp_path: Path) -> None:
    """As langchain-milvus 0.4's from_documents makes it (seen on Lite): INT64 auto-id `pk`, typed metadata fields,
    no dynamic field, a BM25 function with a generated name."""
    URI = uri(tmp_path, "peer")
    client = MilvusClient(URI)
    schema = client.create_schema(auto_id=True, enable_dynamic_field=False)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True)
    schema.add_field("pk", DataType.INT64, is_primary=True, auto_id=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=len(VOCAB) + 1)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("category", DataType.VARCHAR, max_length=65535)
    schema.add_function(Function("bm25_function_1234", FunctionType.BM25, ["text"], ["sparse"]))
    index = client.prepare_index_params()
    index.add_index("dense", index_type="HNSW", metric_type="L2", params={"M": 8, "efConstruction": 64})
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection("LangChainCollection", schema=schema, index_params=index)
    emb = Stemmed()
    client.insert("LangChainCollection", [
        {"text": d.page_content, "dense": emb.embed_query(d.page_content), **d.metadata} for d in DOCS
    ])  # fmt: skip
    client.close()
    store = Milvus(emb, builtin_function=BM25BuiltInFunction(), vector_field=["dense", "sparse"],
                   collection_name="LangChainCollection", connection_args={"uri": URI})  # fmt: skip
    assert store.similarity_search("dogs", k=1)[0].metadata["category"] == "pets"
    (new_id,) = store.add_texts(["I like cats"], [{"category": "pets"}])  # Milvus numbers it
    found = store.similarity_search("cats", k=1, anns_field="sparse")[0]
    assert (found.id, found.metadata) == (new_id, {"category": "pets"})
    layout = store.store.require_layout()
    assert [(v.name, v.metric) for v in layout.vectors] == [("dense", "L2"), ("sparse", "BM25")]
    with pytest.raises(ConfigError, match="auto_id"):
        store.add_texts(["x"], [{"category": "pets"}], ids=["mine"])


# -- bad input: a clear error naming it, nothing written ----------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"embedding_function": [Stemmed()], "vector_field": ["a", "b"]}, ["'a', 'b'", "1 embedding"]),
        ({"embedding_function": [Stemmed(), Stemmed()], "index_params": [{}]}, ["index_params", "1", "2"]),
        ({"embedding_function": Stemmed(), "builtin_function": BM25BuiltInFunction(), "search_params": [{}] * 3},
         ["search_params", "3", "2"]),  # fmt: skip
        ({"embedding_function": Stemmed(), "builtin_function": "bm25"}, ["builtin_function", "str"]),
        ({"embedding_function": Stemmed(), "builtin_function": BM25BuiltInFunction(), "retrieval_mode": "hybrid"},
         ["retrieval_mode"]),  # fmt: skip
        ({"embedding_function": Stemmed(), "builtin_function": BM25BuiltInFunction(input_field_names="body")},
         ["reads 'body'", "text_field"]),  # fmt: skip
    ],
)
def test_bad_constructor_keywords(tmp_path: Path, kwargs: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        Milvus(uri=uri(tmp_path, "bad"), **kwargs)
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ranker_type": "linear"}, "'linear'"),
        ({"ranker_type": "weighted", "ranker_params": {"weights": [0.5, 0.5]}}, "3 weights"),
        ({"ranker_params": {"k": 10}}, "needs ranker_type"),
        ({"ranker_type": "rrf", "reranker": Function("r", FunctionType.RERANK, [], params={"reranker": "rrf"})},
         "not both"),  # fmt: skip
        ({"reranker": "rrf"}, "RERANK"),
        ({"anns_field": "nope"}, "'nope' is not a vector field"),
        ({"param": [{}]}, "param has 1"),
        ({"limit": 3}, "limit"),
    ],
)
def test_bad_search_keywords(multi: Milvus, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        multi.similarity_search("apple", k=2, **kwargs)


def test_single_field_store_refuses_multi_keywords(tmp_path: Path) -> None:
    store = Milvus(Stemmed(), uri=uri(tmp_path, "one"))
    store.add_texts(["apple"])
    for kwargs in ({"anns_field": "vector"}, {"ranker_type": "rrf"}, {"fetch_k": 3}):
        with pytest.raises(ConfigError, match="several vector fields"):
            store.similarity_search("apple", **kwargs)
    assert store.similarity_search("apple", k=1, param={"params": {"ef": 32}})[0].page_content == "apple"
    with pytest.raises(ConfigError, match="one search-params dict"):
        store.similarity_search("apple", param=[{}, {}])
    with pytest.raises(ConfigError, match="anns_field"):
        store.similarity_search_by_vector(Stemmed().embed_query("apple"), anns_field="vector")


def test_sparse_only_store(tmp_path: Path) -> None:
    store = Milvus(embedding_function=Letters(), uri=uri(tmp_path, "sparse_only"))
    store.add_texts(["aaa b", "zzz y"], ids=["a", "z"])
    assert store.vector_fields == ["vector"]
    assert store.similarity_search("zz", k=1)[0].id == "z"
    assert store.similarity_search_by_vector({0: 1.0}, k=1)[0].id == "a"
    layout = store.store.require_layout()
    assert [(v.name, v.kind.value, v.metric) for v in layout.vectors] == [("vector", "sparse", "IP")]


def test_bad_sparse_rows_write_nothing(tmp_path: Path) -> None:
    store = Milvus(embedding_function=[Stemmed(), BadSparse()], vector_field=["dense", "sp"], uri=uri(tmp_path, "s"))
    with pytest.raises(SchemaError, match=r"row 1: sparse index 'a' in 'sp'"):
        store.add_texts(["apple", "dog", "cat"])
    assert not store.collection_exists()
