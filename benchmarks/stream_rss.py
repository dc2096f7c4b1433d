"""Ingest N documents in batches through the LangChain adapter and report peak RSS as the corpus grows.

    python benchmarks/stream_rss.py --n 200000 --batch 5000

Vectors are generated per batch (never the whole corpus in memory), so any growth is the store's or Milvus Lite's.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from milvus_integrations.core.config import ConnectionConfig  # noqa: E402
from milvus_integrations.core.store import Store, StoreOptions  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--dim", type=int, default=384)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(StoreOptions("stream"), ConnectionConfig(str(Path(tmp) / "stream.db")))
        start = time.perf_counter()
        print(f"{'docs':>8} {'peak RSS MB':>12} {'docs/s':>8}")
        for offset in range(0, args.n, args.batch):
            size = min(args.batch, args.n - offset)
            vectors = rng.normal(size=(size, args.dim)).astype(np.float32)
            ids = [f"d{offset + i}" for i in range(size)]
            store.add(
                ids, [f"text {offset + i}" for i in range(size)], vectors, [{"i": offset + i} for i in range(size)]
            )
            done = offset + size
            if done % (args.batch * 10) == 0 or done == args.n:
                print(f"{done:>8} {rss_mb():>12.0f} {done / (time.perf_counter() - start):>8.0f}", flush=True)
        print(f"rows stored: {store.count()}")


if __name__ == "__main__":
    main()
