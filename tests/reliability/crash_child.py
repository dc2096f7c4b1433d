"""Child process for the crash test: adds batches forever, printing each batch number once its add returned."""

from __future__ import annotations

import sys

import numpy as np

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.store import Store, StoreOptions


def main(uri: str, flush_threshold: int) -> None:
    store = Store(StoreOptions("crash", flush_threshold=flush_threshold), ConnectionConfig(uri))
    rng = np.random.default_rng(0)
    batch = 0
    while True:
        ids = [f"b{batch}-{j}" for j in range(10)]
        store.add(ids, [f"text {batch}"] * 10, rng.normal(size=(10, 16)), [{"batch": batch}] * 10)
        print(batch, flush=True)
        batch += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
