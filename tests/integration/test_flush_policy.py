"""When the store seals (flushes) Milvus Lite's write buffer: before a read once 64 rows are pending, after a write
only when `flush_threshold` asks, never with 0. Sealed rows are what Lite has written to segment files."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.store import Store, StoreOptions


def sealed_rows(uri: str, name: str) -> int:
    files = Path(uri).glob(f"collections/{name}/partitions/*/data/*.parquet")
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def add(store: Store, start: int, n: int) -> None:
    ids = [f"r{i}" for i in range(start, start + n)]
    store.add(ids, ["t"] * n, [[1.0, float(i)] for i in range(start, start + n)], [{}] * n)


def test_a_bulk_add_is_sealed_by_the_first_read_after_it(lite_uri: str) -> None:
    store = Store(StoreOptions("c"), ConnectionConfig(lite_uri))
    add(store, 0, 100)
    assert sealed_rows(lite_uri, "c") == 0  # the add itself does not flush
    assert len(store.search([1.0, 5.0], k=3)) == 3
    assert sealed_rows(lite_uri, "c") == 100
    add(store, 100, 10)  # a small tail stays in the buffer, and reads still see it
    assert store.get(["r105"])[0].id == "r105"
    assert sealed_rows(lite_uri, "c") == 100
    assert store.count() == 110


def test_flush_threshold_flushes_after_writes(lite_uri: str) -> None:
    store = Store(StoreOptions("c", flush_threshold=50), ConnectionConfig(lite_uri))
    add(store, 0, 30)
    assert sealed_rows(lite_uri, "c") == 0
    add(store, 30, 30)
    assert sealed_rows(lite_uri, "c") == 60


def test_flush_threshold_zero_never_flushes(lite_uri: str) -> None:
    store = Store(StoreOptions("c", flush_threshold=0), ConnectionConfig(lite_uri))
    add(store, 0, 100)
    assert len(store.search([1.0, 5.0], k=3)) == 3
    assert sealed_rows(lite_uri, "c") == 0
    store.flush()
    assert sealed_rows(lite_uri, "c") == 100


def test_writes_alone_never_flush_by_default(lite_uri: str) -> None:
    store = Store(StoreOptions("c"), ConnectionConfig(lite_uri))
    add(store, 0, 25_000)  # Lite's own buffer (128 MB) is far away; sealing waits for the first read
    assert sealed_rows(lite_uri, "c") == 0
    store.search([1.0, 5.0], k=1)
    assert sealed_rows(lite_uri, "c") == 25_000
