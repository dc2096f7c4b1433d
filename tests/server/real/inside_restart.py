"""A Milvus server SIGKILLed in the middle of a 20k-document add and started again on the same data directory
(issue 23): the add fails with `PartialWriteError` naming what was and wasn't written, everything reported written
is there after the restart, the same store objects work again, and re-running the add completes the collection
without duplicate ids. Runs inside the namespace of tests/server/test_real_milvus.py."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.documents import Document
from llama_index.core.schema import TextNode
from pymilvus import MilvusClient

from milvus_integrations import MilvusIntegrationError, PartialWriteError
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.milvus_server import MilvusServer

pytestmark = pytest.mark.skipif(
    not os.environ.get("MILVUS_SERVER_COMMAND"), reason="runs inside the network namespace of test_real_milvus.py"
)
N, DIM = 20_000, 32
FLAGS = ("--proxy-port", "19530")


class Precomputed:
    """Embeddings looked up by text (documents are "doc <i>")."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls > 1:  # a slow embedding service after the first window: the kill lands mid-add, not after it
            time.sleep(1.0)
        return [self.vectors[int(t.split()[1])].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def _count(client: MilvusClient, name: str) -> int:
    rows = client.query(name, filter="", output_fields=["count(*)"], consistency_level="Strong", timeout=30)
    return int(rows[0]["count(*)"])


def _distinct(client: MilvusClient, name: str, pk: str) -> set[Any]:
    it = client.query_iterator(name, batch_size=5000, output_fields=[pk], consistency_level="Strong", timeout=60)
    seen: set[Any] = set()
    while page := it.next():
        seen.update(row[pk] for row in page)
    it.close()
    return seen


def _add_in_calls(store: LIStore, nodes: list[TextNode], done: list[str]) -> None:
    """`nodes` in calls of 1,000 with a pause between them (a service adding as documents arrive), so the kill
    lands while this side is still adding; `done` gets the ids of each call that returned."""
    for start in range(0, len(nodes), 1000):
        chunk = nodes[start : start + 1000]
        store.add(chunk)
        done.extend(n.node_id for n in chunk)
        time.sleep(0.5)


def _in_thread(fn: Callable[[], Any], errors: dict[str, BaseException], key: str) -> threading.Thread:
    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            errors[key] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_server_killed_mid_add_and_restarted(tmp_path: Path) -> None:
    vectors = np.random.default_rng(1).normal(size=(N, DIM)).astype(np.float32)
    docs = [Document(page_content=f"doc {i}", metadata={"i": i}, id=f"d{i}") for i in range(N)]
    nodes = [TextNode(id_=f"n{i}", text=f"doc {i}", embedding=vectors[i].tolist()) for i in range(N)]
    server = MilvusServer(tmp_path / "milvus", *FLAGS).start()
    try:
        embeddings = Precomputed(vectors)
        lc = LCStore(
            embeddings,  # type: ignore[arg-type]
            uri=server.uri, collection_name="lc", timeout=20, batch_size=500, embedding_window=2000,
        )  # fmt: skip
        li = LIStore(uri=server.uri, collection_name="li", batch_size=100)  # many round trips: writing at the kill
        watcher = MilvusClient(server.uri, dedicated=True, timeout=5)
        errors: dict[str, BaseException] = {}
        li_done: list[str] = []  # ids of the LlamaIndex add calls that returned before the kill
        threads = [
            _in_thread(lambda: lc.add_documents(docs, ids=[d.id for d in docs]), errors, "lc"),
            _in_thread(lambda: _add_in_calls(li, nodes, li_done), errors, "li"),
        ]
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # kill once both adds have written part of their rows
            try:
                if watcher.has_collection("lc") and watcher.has_collection("li"):
                    if min(_count(watcher, "lc"), _count(watcher, "li")) >= 100:
                        break
            except Exception:  # noqa: BLE001,S110 - collections still being created
                pass
            time.sleep(0.2)
        server.kill()
        for thread in threads:
            thread.join(timeout=300)
        assert set(errors) == {"lc", "li"}, errors
        error = errors["lc"]
        assert isinstance(error, PartialWriteError), repr(error)
        assert error.written_ids and error.failed_ids
        assert sorted(error.written_ids + error.failed_ids) == sorted(d.id for d in docs)  # each id in one list
        # the LlamaIndex side: the call that met the kill wrote part of its rows (PartialWriteError naming them) or
        # none (a clear error); the calls before it returned
        li_error = errors["li"]
        assert isinstance(li_error, MilvusIntegrationError), repr(li_error)
        li_partial = [str(i) for i in li_error.written_ids] if isinstance(li_error, PartialWriteError) else []
        server.start(wait_for_port=False)  # same data directory, same port
        # the same store objects work again without being rebuilt (pymilvus reconnects; reads reload)
        lc_written = errors["lc"].written_ids  # type: ignore[attr-defined]
        li_written = li_done + list(li_partial)
        got = lc.get_by_ids(lc_written)
        assert {d.id for d in got} == set(lc_written)
        assert {n.node_id for n in li.get_nodes(node_ids=li_written)} == set(li_written)
        # re-running the adds completes each collection, without duplicates
        lc.add_documents(docs, ids=[d.id for d in docs])
        li.add(nodes)
        checker = MilvusClient(server.uri, dedicated=True, timeout=30)
        for name in ("lc", "li"):
            assert _count(checker, name) == N
            assert len(_distinct(checker, name, "pk")) == N
        assert lc.similarity_search("doc 7", k=1)[0].id == "d7"
    finally:
        server.stop()
