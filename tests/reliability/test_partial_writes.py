"""A write that fails part-way says exactly which ids were stored; secrets stay out of errors and logs.

The failure is injected at the pymilvus client (Milvus' side of the boundary), never in our own code.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.errors import PartialWriteError
from milvus_integrations.core.lite import engine as embedded
from milvus_integrations.core.lite.engine import engine_collection
from milvus_integrations.core.store import Store, StoreOptions
from milvus_integrations.langchain import MilvusVectorStore
from tests.support.fake_embeddings import WordEmbeddings


class FailingOnSecondWrite:
    """Delegates to a real pymilvus client; its second insert/upsert raises like a dropped connection."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in ("insert", "upsert"):
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            self.writes += 1
            if self.writes == 2:
                raise ConnectionError("connection reset by peer (token=root:Hunter2-secret)")
            return attr(*args, **kwargs)

        return write


@pytest.mark.parametrize("route", ["pymilvus", "engine"])
def test_partial_write_names_written_and_failed_ids(lite_uri: str, route: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(StoreOptions("partial", insert_batch_size=2), ConnectionConfig(lite_uri, token="root:Hunter2-secret"))
    store.add(["seed"], ["t"], [[0.1] * 4], [{}])
    if route == "pymilvus":
        monkeypatch.setenv("MILVUS_INTEGRATIONS_LITE_DIRECT", "0")
        store.collection.client = FailingOnSecondWrite(store.collection.client)  # type: ignore[assignment]
    else:  # bulk adds on an embedded Lite file go into the engine itself (core/lite/engine.py): fail it there
        engine = FailingOnSecondWrite(engine_collection(lite_uri, None, "partial"))
        monkeypatch.setattr(embedded, "engine_collection", lambda *args: engine)
    ids = [f"r{i}" for i in range(5)]
    with pytest.raises(PartialWriteError) as info:
        store.add(ids, ["t"] * 5, np.ones((5, 4)), [{}] * 5)
    err = info.value
    assert err.written_ids == ["r0", "r1"] and err.failed_ids == ["r2", "r3", "r4"]
    assert "after 2 of 5 rows" in str(err) and "Hunter2-secret" not in str(err)
    assert sorted(str(r.id) for r in store.get(ids + ["seed"])) == ["r0", "r1", "seed"]


def test_secrets_never_reach_repr_errors_or_logs(lite_uri: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Hunter2-secret"
    store = MilvusVectorStore(WordEmbeddings(), uri=lite_uri, token=f"root:{secret}", collection_name="s")
    store.add_texts(["a cat"], ids=["a"])
    with pytest.raises(Exception) as info:
        store.similarity_search("cat", k=1, expr="this is not an expression")
    text = repr(store) + str(store.store) + repr(store.store.connection) + str(info.value) + repr(info.value)
    assert secret not in text
    assert all(secret not in r.getMessage() for r in caplog.records)
    with pytest.raises(ConnectionError) as bad:
        ConnectionConfig("http://root:pw-" + secret + "@127.0.0.1:1", token=secret).connect()
    assert secret not in str(bad.value)
