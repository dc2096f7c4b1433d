"""Several threads and an asyncio task group add, search and delete on one store; the end state is exact."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from milvus_integrations.core.aio import run_sync
from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.filters import ir
from milvus_integrations.core.store import Store, StoreOptions

WORKERS = 4
ROUNDS = 15
BATCH = 5


def work(store: Store, worker: int, errors: list[BaseException]) -> None:
    rng = np.random.default_rng(worker)
    try:
        for i in range(ROUNDS):
            ids = [f"w{worker}-{i}-{j}" for j in range(BATCH)]
            store.add(ids, ["t"] * BATCH, rng.normal(size=(BATCH, 16)), [{"w": worker, "i": i}] * BATCH)
            hits = store.search(rng.normal(size=16), 5, filter=ir.eq("w", worker))
            assert all(h.record.metadata["w"] == worker for h in hits)
            if i % 3 == 0:
                store.delete([ids[0]])
    except BaseException as exc:  # collected and asserted by the test
        errors.append(exc)


def expected_ids() -> set[str]:
    return {
        f"w{w}-{i}-{j}"
        for w in range(WORKERS)
        for i in range(ROUNDS)
        for j in range(BATCH)
        if not (i % 3 == 0 and j == 0)
    }


def test_threads_on_one_store(lite_uri: str) -> None:
    store = Store(StoreOptions("conc"), ConnectionConfig(lite_uri))
    errors: list[BaseException] = []
    threads = [threading.Thread(target=work, args=(store, w, errors)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert {str(r.id) for r in store.query()} == expected_ids()


def test_two_stores_on_one_lite_file(lite_uri: str) -> None:
    first = Store(StoreOptions("conc"), ConnectionConfig(lite_uri))
    second = Store(StoreOptions("conc"), ConnectionConfig(lite_uri))
    first.add(["seed"], ["t"], [[0.1] * 16], [{}])
    errors: list[BaseException] = []
    threads = [threading.Thread(target=work, args=(first if w % 2 else second, w, errors)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert {str(r.id) for r in second.query()} == expected_ids() | {"seed"}


async def test_asyncio_task_group(lite_uri: str) -> None:
    store = Store(StoreOptions("conc"), ConnectionConfig(lite_uri))
    errors: list[BaseException] = []
    async with asyncio.TaskGroup() as group:
        for w in range(WORKERS):
            group.create_task(run_sync(work, store, w, errors))
    assert errors == []
    assert {str(r.id) for r in store.query()} == expected_ids()
