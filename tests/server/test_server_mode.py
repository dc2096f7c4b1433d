"""The adapters and the core over TCP (`http://127.0.0.1:PORT`, Milvus Lite served by `milvus-lite server`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests.vectorstores import VectorStoreIntegrationTests
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters, VectorStoreQuery

from milvus_integrations import MilvusClient
from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.store import Store, StoreOptions
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.langchain import RetrievalMode
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.cases.filter_cases import CASES, ROWS, Case
from tests.support.fake_embeddings import WordEmbeddings, word_vector

pytestmark = pytest.mark.server


class TestStandardSuiteOverTCP(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self, server_uri: str, collection_name: str) -> Iterator[VectorStore]:  # type: ignore[override]
        store = LCStore(self.get_embeddings(), uri=server_uri, collection_name=collection_name)
        try:
            yield store
        finally:
            store.delete()

    @property
    def has_async(self) -> bool:
        return True


def test_server_store_is_recognised_as_the_lite_engine(server_uri: str, collection_name: str) -> None:
    store = Store(StoreOptions(collection_name), ConnectionConfig(server_uri))
    assert not store.connection.is_lite and store.lite_engine


def test_replacing_an_id_replaces_the_whole_record(server_uri: str, collection_name: str) -> None:
    lc = LCStore(WordEmbeddings(), uri=server_uri, collection_name=collection_name)
    lc.add_texts(["a cat"], metadatas=[{"a": 1, "b": 2}], ids=["x"])
    lc.add_texts(["a dog"], metadatas=[{"c": 3}], ids=["x"])
    (doc,) = lc.get_by_ids(["x"])
    assert doc.page_content == "a dog" and doc.metadata == {"c": 3}
    assert len(lc.similarity_search("pet", k=10)) == 1


@pytest.mark.parametrize("case", [c for c in CASES if c.mongo is not None], ids=lambda c: c.name)
def test_filter_cases_over_tcp(server_uri: str, case: Case) -> None:
    name = "cases_" + str(abs(hash(server_uri)) % 10_000)
    store = Store(StoreOptions(name), ConnectionConfig(server_uri))
    if store.layout() is None:
        ids = list(ROWS)
        vec = [1.0] + [0.0] * (WordEmbeddings.dimension - 1)
        store.add(ids, ids, [vec] * len(ids), [ROWS[i] for i in ids])
        store.flush()
    lc = LCStore(WordEmbeddings(), uri=server_uri, collection_name=name)
    got = {d.id for d in lc.similarity_search_by_vector(word_vector("x"), k=1000, filter=case.mongo)}
    assert got == case.expected


def test_llama_index_and_hybrid_over_tcp(server_uri: str, collection_name: str) -> None:
    lc = LCStore(WordEmbeddings(), uri=server_uri, collection_name=collection_name, retrieval_mode=RetrievalMode.HYBRID)
    lc.add_texts(
        ["cat pet", "truck road", "zygomorphic music music song song"],
        metadatas=[{"k": 1}, {"k": 2}, {"k": 3}],
        ids=["c", "t", "z"],
    )
    assert "z" in [d.id for d in lc.similarity_search("zygomorphic", k=2)]
    li = LIStore(uri=server_uri, collection_name=collection_name)
    flt = MetadataFilters(filters=[MetadataFilter(key="k", value=2)])
    res = li.query(VectorStoreQuery(query_embedding=word_vector("cat"), similarity_top_k=3, filters=flt))
    assert res.ids == ["t"]


def test_seed_client_over_tcp(server_uri: str, collection_name: str) -> None:
    client = MilvusClient(
        collection_name=collection_name, uri=server_uri, vector_field="v", pk_field="id", overwrite=True
    )
    client.insert_data([{"id": i, "v": [float(i), 1.0], "t": str(i)} for i in range(30)])
    assert len(client.search_data([3.0, 1.0], top_k=25)[0]) == 25
    client.upsert_data([{"id": 3, "v": [3.0, 1.0], "t": "three"}])
    assert client.query_data("id == 3")[0]["t"] == "three" and len(client) == 30


def test_threads_over_tcp(server_uri: str, collection_name: str) -> None:
    store = Store(StoreOptions(collection_name), ConnectionConfig(server_uri))
    store.add(["seed"], ["t"], [[0.1] * 8], [{}])
    errors: list[BaseException] = []

    def work(w: int) -> None:
        rng = np.random.default_rng(w)
        try:
            for i in range(10):
                store.add([f"w{w}-{i}-{j}" for j in range(5)], ["t"] * 5, rng.normal(size=(5, 8)), [{"w": w}] * 5)
                store.search(rng.normal(size=8), 3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert store.count() == 1 + 4 * 10 * 5


@pytest.mark.parametrize("through", ["langchain", "llama_index", "seed_client"])
def test_recall_on_random_vectors_over_tcp(server_uri: str, collection_name: str, through: str) -> None:
    from tests.cases.recall import ALL, FLOOR, Corpus

    plain, filtered = ALL[through](Corpus.make(5000), server_uri, collection_name)
    assert plain >= FLOOR and filtered >= FLOOR, (plain, filtered)
