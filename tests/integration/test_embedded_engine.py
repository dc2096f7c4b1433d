"""Bulk adds and dense searches on an embedded Milvus Lite file go straight to the engine (see core/embedded.py).

The route must be taken with the milvus-lite we pin (a release that moves the engine registry fails here, not
silently slower), and must store and answer exactly what the pymilvus route stores and answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import milvus_lite
import numpy as np
import pytest
from pymilvus import DataType, MilvusClient

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.lite import engine
from milvus_integrations.core.lite.engine import engine_collection
from milvus_integrations.core.store import Hit, RetrievalMode, Store, StoreOptions

ROWS = 30


def full_text(store: Store, query: str, k: int = 4, **kwargs: Any) -> list[Hit]:
    return store.retrieve(RetrievalMode.FULL_TEXT, k, text=query, **kwargs)


def routed(store: Store) -> bool:
    """Whether the store's adds and dense searches take the engine route."""
    c = store.connection
    layout = store.require_layout()
    return engine.for_layout(c.uri, c.db_name, store.name, layout, is_lite_file=c.is_lite) is not None


def _fill(store: Store) -> None:
    rng = np.random.default_rng(3)
    ids = [f"d{i}" for i in range(ROWS)]
    texts = [f"text {i} with 'quotes' and \\ and %" for i in range(ROWS)]
    metas: list[dict[str, Any]] = [
        {"year": 2000 + i, "tags": ["a", str(i)], "nested": {"k": i / 3}, "flag": i % 2 == 0, "none": None}
        for i in range(ROWS)
    ]
    vectors = rng.normal(size=(ROWS, 8))
    # lists of Python floats (passed on as they are) for the first half, a float array for the rest
    store.add(ids[:15], texts[:15], vectors[:15].tolist(), metas[:15], batch_size=7)
    store.add(ids[15:], texts[15:], vectors[15:], metas[15:], batch_size=7)


def _contents(uri: str, name: str) -> list[dict[str, Any]]:
    client = MilvusClient(uri)
    rows = client.query(name, filter='pk != ""', output_fields=["*"], limit=100)
    return sorted((dict(r) for r in rows), key=lambda r: str(r["pk"]))


def test_the_engine_route_is_taken_with_the_pinned_milvus_lite(lite_uri: str) -> None:
    store = Store(StoreOptions("fast"), ConnectionConfig(lite_uri))
    store.add(["a"], ["t"], [[0.1, 0.2]], [{}])
    collection = engine_collection(lite_uri, None, "fast")
    assert isinstance(collection, milvus_lite.Collection)
    assert routed(store)
    assert engine_collection(lite_uri, None, "missing") is None
    assert engine_collection(str(Path(lite_uri).with_name("never_opened.db")), None, "fast") is None


def test_engine_and_pymilvus_routes_store_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_uri, slow_uri = str(tmp_path / "fast.db"), str(tmp_path / "slow.db")
    fast = Store(StoreOptions("same", full_text=True), ConnectionConfig(fast_uri))
    _fill(fast)
    monkeypatch.setenv("MILVUS_INTEGRATIONS_LITE_DIRECT", "0")
    slow = Store(StoreOptions("same", full_text=True), ConnectionConfig(slow_uri))
    _fill(slow)
    assert not routed(slow)
    got, want = _contents(fast_uri, "same"), _contents(slow_uri, "same")
    assert len(got) == ROWS
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys()
        np.testing.assert_allclose(a.pop("vector"), b.pop("vector"))
        assert a == b
    # visible at once to searches through pymilvus (dense and BM25), before any flush
    assert [h.record.id for h in full_text(fast, "text 7", k=1)] == ["d7"]
    query = fast.get(["d5"], with_vectors=True)[0].vector
    assert query is not None and fast.search(list(query), k=1)[0].record.id == "d5"


def test_the_engine_gets_the_callers_lists_and_their_floats_when_it_refuses_them(
    lite_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine checks every vector element's type itself, so the caller's lists go to it as they are (ints
    included); a chunk it refuses -- numpy scalars, bools, an int beyond int64 for pyarrow -- is written again
    from the validated float32 matrix, that chunk only, and nothing else is written twice or lost."""
    store = Store(StoreOptions("given"), ConnectionConfig(lite_uri))
    store.add(["seed"], ["t"], [[0.5, 0.5, 0.5]], [{}])
    seen: list[list[Any]] = []
    insert = milvus_lite.Collection.insert

    def spy(self: Any, records: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        seen.append([r["vector"] for r in records])
        return insert(self, records, *args, **kwargs)

    monkeypatch.setattr(milvus_lite.Collection, "insert", spy)
    ints = [[1, 2, 3], [4, 5, 6]]
    store.add(["i0", "i1"], ["a", "b"], ints, [{}, {}])  # type: ignore[arg-type]
    assert seen == [ints] and seen[0][0] is ints[0]
    seen.clear()
    vectors: list[list[Any]] = [[0.25, 0.5, 1.0] for _ in range(6)]
    vectors[3] = [2**70, 0.5, 1.0]  # chunk 2 of 3 (batch_size 2): beyond int64, pyarrow refuses it
    vectors[5] = [0.25, np.float32(0.5), True]  # chunk 3: Lite's own check refuses it
    store.add([f"v{i}" for i in range(6)], ["t"] * 6, vectors, [{}] * 6, batch_size=2)
    # chunk 1 as given; chunk 2 as given (refused), then from the matrix; chunk 3 likewise
    assert [chunk[0] for chunk in seen] == [vectors[0], vectors[2], vectors[2], vectors[4], vectors[4]]
    assert [chunk[0] is vectors[i] for chunk, i in zip(seen, (0, 2, 2, 4, 4), strict=True)] == [
        True,
        True,
        False,
        True,
        False,
    ]
    assert all(type(x) is float for chunk in (seen[2], seen[4]) for row in chunk for x in row)
    got = {r.id: r.vector for r in store.get([f"v{i}" for i in range(6)] + ["i0"], with_vectors=True)}
    assert got["v5"] == [0.25, 0.5, 1.0] and got["v3"] == [float(np.float32(2**70)), 0.5, 1.0]
    assert got["i0"] == [1.0, 2.0, 3.0] and len(got) == 7
    assert len(store.client.query("given", filter='pk != ""', output_fields=["pk"], limit=100)) == 9


def test_foreign_layouts_keep_the_pymilvus_route(lite_uri: str) -> None:
    client = MilvusClient(lite_uri)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("body", DataType.VARCHAR, max_length=1000)
    schema.add_field("emb", DataType.FLOAT_VECTOR, dim=2)
    schema.add_field("year", DataType.INT64)
    index = client.prepare_index_params()
    index.add_index("emb", index_type="FLAT", metric_type="L2")
    client.create_collection("typed", schema=schema, index_params=index)
    store = Store(StoreOptions("typed"), ConnectionConfig(lite_uri))
    assert not routed(store)
    store.add(["x"], ["body"], [[1.0, 2.0]], [{"year": 2001}])
    assert store.get(["x"])[0].metadata == {"year": 2001}


@pytest.mark.parametrize("metric", ["COSINE", "IP", "L2"])
def test_searches_on_the_engine_route_answer_as_pymilvus_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, metric: str
) -> None:
    # Lite's gRPC server calls the same method from its own threads: count the calls made in this one
    calls: list[int] = []
    engine_search = milvus_lite.Collection.search
    me = threading.get_ident()

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == me:
            calls.append(1)
        return engine_search(self, *args, **kwargs)

    monkeypatch.setattr(milvus_lite.Collection, "search", counted)
    fast = Store(StoreOptions("same", metric=metric), ConnectionConfig(str(tmp_path / "fast.db")))
    _fill(fast)
    with monkeypatch.context() as off:
        off.setenv("MILVUS_INTEGRATIONS_LITE_DIRECT", "0")
        slow = Store(StoreOptions("same", metric=metric), ConnectionConfig(str(tmp_path / "slow.db")))
        _fill(slow)
        assert not routed(slow)
    queries = np.random.default_rng(5).normal(size=(3, 8))
    cases: list[dict[str, Any]] = [{}, {"expr": "year >= 2010 and flag == true"}, {"with_vectors": True}]
    for kwargs in cases:
        calls.clear()
        got = fast.search_many(list(queries), k=7, **kwargs)
        assert len(calls) == 1, "the engine's own search was not used"
        with monkeypatch.context() as off:
            off.setenv("MILVUS_INTEGRATIONS_LITE_DIRECT", "0")
            want = slow.search_many(list(queries), k=7, **kwargs)
        assert len(calls) == 1, "the pymilvus route must not call the engine in this thread"
        for hits_a, hits_b in zip(got, want, strict=True):
            assert len(hits_a) == 7
            assert [h.record.id for h in hits_a] == [h.record.id for h in hits_b]
            for a, b in zip(hits_a, hits_b, strict=True):
                assert a.score == pytest.approx(b.score, rel=1e-5)
                assert a.relevance == pytest.approx(b.relevance, rel=1e-5)
                assert (a.record.text, a.record.metadata) == (b.record.text, b.record.metadata)
                if kwargs.get("with_vectors"):
                    assert a.record.vector is not None and b.record.vector is not None
                    np.testing.assert_allclose(a.record.vector, b.record.vector, rtol=1e-6)
                else:
                    assert a.record.vector is None


PROBE = """
import os, sys, tempfile, threading
from milvus_integrations.core.connection import ConnectionConfig
try:
    ConnectionConfig(os.path.join(tempfile.mkdtemp(), "t.db")).connect()
except Exception as exc:
    print(type(exc).__name__, exc)
    sys.exit(0)
import faiss
seen = []
worker = threading.Thread(target=lambda: seen.append(faiss.omp_get_max_threads()))
worker.start()
worker.join()
print(seen[0], os.environ.get("OMP_NUM_THREADS"))
"""


def _probe(**env: str) -> str:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MILVUS_INTEGRATIONS_LITE_INDEX_THREADS")
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True, timeout=120, check=True
    )
    return out.stdout.strip()


def test_index_threads_are_left_alone_unless_asked() -> None:
    cores = len(os.sched_getaffinity(0))
    # faiss' OpenMP pool, as a background thread (where Lite builds indexes) sees it; the environment is put back
    assert _probe() == f"{cores} None"  # by default, nothing is changed
    assert _probe(MILVUS_INTEGRATIONS_LITE_INDEX_THREADS="3") == "3 None"
    assert _probe(OMP_NUM_THREADS="2") == "2 2"  # the user's choice wins
    assert _probe(MILVUS_INTEGRATIONS_LITE_INDEX_THREADS="0") == f"{cores} None"  # faiss left alone
    assert _probe(MILVUS_INTEGRATIONS_LITE_INDEX_THREADS="many").startswith(
        "ConfigError MILVUS_INTEGRATIONS_LITE_INDEX_THREADS must be an integer, got 'many'"
    )
