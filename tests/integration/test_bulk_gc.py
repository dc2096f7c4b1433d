"""Bulk adds pause Python's cyclic garbage collector while they run, and only then (see `bulk_gc_pause`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import milvus_lite
import numpy as np
import pytest
from llama_index.core.schema import TextNode

from milvus_integrations.core.config import ConnectionConfig
from milvus_integrations.core.errors import SchemaError
from milvus_integrations.core.store import BULK_ROWS, Store, StoreOptions
from milvus_integrations.llama_index import MilvusVectorStore


@pytest.fixture
def collector_during_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether the collector was on at each engine write (a spy on Milvus Lite's insert, not on our code)."""
    seen: list[bool] = []
    insert = milvus_lite.Collection.insert

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return insert(self, *args, **kwargs)

    monkeypatch.setattr(milvus_lite.Collection, "insert", spy)
    was = gc.isenabled()
    yield seen
    if was:
        gc.enable()


def _batch(n: int, start: int = 0) -> tuple[list[str], list[str], np.ndarray, list[dict[str, Any]]]:
    ids = [f"d{i}" for i in range(start, start + n)]
    vectors = np.random.default_rng(start).normal(size=(n, 4))
    return ids, [f"text {i}" for i in ids], vectors, [{"i": i} for i in range(n)]


def test_the_collector_is_paused_during_a_bulk_add_only(lite_uri: str, collector_during_writes: list[bool]) -> None:
    store = Store(StoreOptions("gc", insert_batch_size=500), ConnectionConfig(lite_uri))
    assert gc.isenabled()
    store.add(*_batch(BULK_ROWS + 1))
    assert collector_during_writes == [False, False, False]
    assert gc.isenabled()
    collector_during_writes.clear()
    store.add(*_batch(BULK_ROWS - 1, start=5000))
    assert collector_during_writes == [True, True]
    assert store.count() == 2 * BULK_ROWS


def test_the_collector_is_back_on_after_a_failed_add(lite_uri: str, collector_during_writes: list[bool]) -> None:
    store = Store(StoreOptions("gc"), ConnectionConfig(lite_uri))
    ids, texts, vectors, metas = _batch(2 * BULK_ROWS)
    metas[1500] = {"bad": object()}
    with pytest.raises(SchemaError, match="row 1500"):
        store.add(ids, texts, vectors, metas)
    assert gc.isenabled()
    assert collector_during_writes == []


def test_a_collector_the_caller_turned_off_stays_off(lite_uri: str, collector_during_writes: list[bool]) -> None:
    store = Store(StoreOptions("gc"), ConnectionConfig(lite_uri))
    gc.disable()
    store.add(*_batch(BULK_ROWS))
    assert not gc.isenabled()
    assert collector_during_writes == [False]


def test_llama_index_bulk_adds_pause_it_from_the_first_row_made(
    lite_uri: str, collector_during_writes: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[bool] = []
    row = MilvusVectorStore._row

    def spy(node: Any) -> Any:
        made.append(gc.isenabled())
        return row(node)

    monkeypatch.setattr(MilvusVectorStore, "_row", staticmethod(spy))
    store = MilvusVectorStore(uri=lite_uri, collection_name="gc")
    nodes = [TextNode(id_=f"n{i}", text=f"t{i}", embedding=[1.0, float(i)]) for i in range(BULK_ROWS)]
    store.add(nodes)
    assert set(made) == {False} and set(collector_during_writes) == {False}
    assert gc.isenabled()
    made.clear()
    store.add(nodes[:10])
    assert set(made) == {True}
    assert len(store.get_nodes(node_ids=["n0", f"n{BULK_ROWS - 1}"])) == 2


def test_langchain_bulk_adds_pause_it_and_leave_the_callers_metadata_alone(
    lite_uri: str, collector_during_writes: list[bool]
) -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from milvus_integrations.langchain import MilvusVectorStore as LangChainStore

    store = LangChainStore(embedding=DeterministicFakeEmbedding(size=4), uri=lite_uri, collection_name="gc_lc")
    metadatas: list[dict[str, Any]] = [{"i": i, "tags": ["a"]} for i in range(BULK_ROWS)]
    ids = store.add_texts([f"t{i}" for i in range(BULK_ROWS)], metadatas)
    assert set(collector_during_writes) == {False} and gc.isenabled()
    assert metadatas == [{"i": i, "tags": ["a"]} for i in range(BULK_ROWS)]
    assert store.get_by_ids([ids[7]])[0].metadata == {"i": 7, "tags": ["a"]}
    collector_during_writes.clear()
    store.add_texts(["small"], None)
    assert collector_during_writes == [True]
