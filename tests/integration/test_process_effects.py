"""Nothing process-wide changes by default (the collector, os.environ, faiss' OpenMP pool); the opt-in knobs of
`core.tuning` do what the README says. Spies sit on Milvus Lite's own insert, not on our code."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import milvus_lite
import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from llama_index.core.schema import TextNode

from milvus_integrations.core import tuning
from milvus_integrations.core.errors import ConfigError, SchemaError
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore

N = 20_000


@pytest.fixture
def collector_during_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether the collector was on at each engine write."""
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


def _nodes(n: int) -> list[TextNode]:
    vectors = np.random.default_rng(0).normal(size=(n, 4)).tolist()
    return [TextNode(id_=f"n{i}", text=f"t{i}", embedding=vectors[i]) for i in range(n)]


def test_the_collector_stays_on_through_large_adds_by_default(
    lite_uri: str, collector_during_writes: list[bool]
) -> None:
    li = LIStore(uri=lite_uri, collection_name="gc_li")
    li.add(_nodes(N))
    lc = LCStore(DeterministicFakeEmbedding(size=4), uri=lite_uri, collection_name="gc_lc")
    lc.add_texts([f"t{i}" for i in range(N)], [{"i": i} for i in range(N)])
    asyncio.run(lc.aadd_texts([f"a{i}" for i in range(N)]))  # the writes run in a worker thread

    def in_a_thread() -> None:
        lc.add_texts([f"w{i}" for i in range(N)])

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert len(collector_during_writes) >= 4 * N // 1000 and all(collector_during_writes)
    assert gc.isenabled()
    assert lc.store.count() == 3 * N and li.store.count() == N


def test_opt_in_pause_covers_the_add_and_ends_with_it(
    lite_uri: str, collector_during_writes: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(tuning.PAUSE_GC, "1")
    store = LIStore(uri=lite_uri, collection_name="gc")
    store.add(_nodes(tuning.BULK_ROWS))
    assert collector_during_writes == [False] and gc.isenabled()
    collector_during_writes.clear()
    store.add(_nodes(10))  # below the bulk size: untouched
    assert collector_during_writes == [True]
    bad = _nodes(2 * tuning.BULK_ROWS)
    bad[1500].metadata = {"x": object()}
    with pytest.raises(SchemaError, match="row 1500"):
        store.add(bad)
    assert gc.isenabled()
    gc.disable()  # a collector the caller turned off stays off
    store.add(_nodes(tuning.BULK_ROWS))
    assert not gc.isenabled()


def test_concurrent_opt_in_pauses_resume_once_after_the_last(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tuning.PAUSE_GC, "1")
    inside, release = threading.Event(), threading.Event()

    def long_add() -> None:
        with tuning.bulk_gc_pause(tuning.BULK_ROWS):
            inside.set()
            release.wait(10)

    other = threading.Thread(target=long_add)
    other.start()
    inside.wait(10)
    with tuning.bulk_gc_pause(tuning.BULK_ROWS):
        assert not gc.isenabled()
    assert not gc.isenabled()  # the first add still runs: its pause holds
    release.set()
    other.join()
    assert gc.isenabled()


@pytest.mark.parametrize("name", [tuning.PAUSE_GC, tuning.INDEX_THREADS])
def test_bad_knob_values_are_refused(monkeypatch: pytest.MonkeyPatch, lite_uri: str, name: str) -> None:
    monkeypatch.setenv(name, "lots")
    with pytest.raises(ConfigError, match=name):
        with tuning.bulk_gc_pause(tuning.BULK_ROWS):
            tuning.before_lite_starts()


CHILD = """
import json, os, sys
before = dict(os.environ)
from milvus_integrations.langchain import MilvusVectorStore
from langchain_core.embeddings import DeterministicFakeEmbedding
store = MilvusVectorStore(DeterministicFakeEmbedding(size=4), uri=sys.argv[1], collection_name="env")
store.add_texts(["a", "b"])
store.similarity_search("a", k=1)
import faiss
print(json.dumps({"env_same": dict(os.environ) == before, "omp": faiss.omp_get_max_threads()}))
"""


def _child(uri: str, **env: str) -> dict[str, Any]:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", tuning.INDEX_THREADS)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, uri], env={**base, **env}, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_environment_and_openmp_pool_are_left_alone_unless_asked(tmp_path: Path) -> None:
    control = subprocess.run(
        [sys.executable, "-c", "import faiss; print(faiss.omp_get_max_threads())"],
        env={k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    cores = int(control.stdout.strip())
    default = _child(str(tmp_path / "a.db"))
    assert default == {"env_same": True, "omp": cores}
    opted = _child(str(tmp_path / "b.db"), **{tuning.INDEX_THREADS: "1"})
    assert opted["omp"] == 1
    # the knob's own variable is in the child's environment from the start; OMP_NUM_THREADS never stays
    assert opted["env_same"]
