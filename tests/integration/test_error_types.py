"""Everything the package raises for bad input, bad configuration or a failed call is a `MilvusIntegrationError`
(issue 18): the public API driven with bad input, each error's type checked."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery

from milvus_integrations import (
    CollectionNotFoundError,
    ConfigError,
    FilterError,
    MilvusClient,
    MilvusConnectionError,
    MilvusIntegrationError,
    MilvusOperationError,
    SchemaError,
    UnknownKeywordError,
)
from milvus_integrations.embeddings import LocalEmbedder, OpenAIEmbedder
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.fake_embeddings import WordEmbeddings, word_vector


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def lc(tmp_path: Path) -> LCStore:
    store = LCStore(WordEmbeddings(), uri=str(tmp_path / "e.db"), collection_name="e")
    store.add_texts(["a cat", "a dog"], [{"n": 1}, {"n": 2}], ids=["c", "d"])
    return store


@pytest.fixture
def li(tmp_path: Path) -> LIStore:
    store = LIStore(uri=str(tmp_path / "li.db"), collection_name="e")
    store.add([TextNode(id_="n", text="a cat", embedding=word_vector("cat"))])
    return store


def cases(
    lc: LCStore, li: LIStore, tmp_path: Path
) -> list[tuple[str, type[MilvusIntegrationError], Callable[[], Any]]]:
    q = VectorStoreQuery(query_embedding=word_vector("cat"), similarity_top_k=1)
    return [
        ("a uri that is no .db file", ConfigError, lambda: LCStore(WordEmbeddings(), uri=str(tmp_path / "x.txt"))),
        ("k = 0", ConfigError, lambda: lc.similarity_search("cat", k=0)),
        ("an unknown filter operator", FilterError, lambda: lc.similarity_search("cat", filter={"n": {"$near": 1}})),
        ("metadata that is not JSON", SchemaError, lambda: lc.add_texts(["x"], [{"o": object()}])),
        ("an unknown search keyword", UnknownKeywordError, lambda: lc.similarity_search("cat", bogus=1)),
        ("MMR's lambda out of range", ConfigError, lambda: lc.max_marginal_relevance_search("cat", lambda_mult=2)),
        ("a raw expression Milvus refuses", MilvusOperationError, lambda: lc.similarity_search("cat", expr="n >>> (")),
        ("an unknown hybrid ranker", ConfigError, lambda: LIStore(uri=str(tmp_path / "r.db"), hybrid_ranker="max")),
        ("a node without an embedding", ConfigError, lambda: li.add([TextNode(id_="z", text="no vector")])),
        ("an unknown query keyword", UnknownKeywordError, lambda: li.query(q, not_a_kwarg=1)),
        ("an unknown delete keyword", UnknownKeywordError, lambda: li.delete("doc", bogus=True)),
        ("a bad seed metric", ConfigError, lambda: MilvusClient(uri=str(tmp_path / "s.db"), distance_metric="EUCLID")),
        (
            "a seed search before any insert",
            CollectionNotFoundError,
            lambda: MilvusClient(uri=str(tmp_path / "s2.db")).search_data([1.0]),
        ),
        ("a bad local batch size", ConfigError, lambda: LocalEmbedder(batch_size=0)),
        ("a bad OpenAI batch size", ConfigError, lambda: OpenAIEmbedder(batch_size=0)),
        ("one string to embed_documents", ConfigError, lambda: LocalEmbedder().embed_documents("one string")),  # type: ignore[arg-type]
        (
            "a server nobody listens on",
            MilvusConnectionError,
            lambda: LCStore(WordEmbeddings(), uri=f"http://127.0.0.1:{_closed_port()}", timeout=3),
        ),
    ]


def test_every_error_is_ours(lc: LCStore, li: LIStore, tmp_path: Path) -> None:
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    for name, kind, call in cases(lc, li, tmp_path):
        with pytest.raises(MilvusIntegrationError) as info:
            call()
        assert isinstance(info.value, kind), f"{name}: {type(info.value).__name__}: {info.value}"
        assert str(info.value), name
    # built-in kinds stay catchable as such
    assert issubclass(ConfigError, ValueError) and issubclass(UnknownKeywordError, TypeError)
    assert issubclass(MilvusConnectionError, ConnectionError)
