"""Large LangChain adds with an embedding service that takes time: sync (embed a window, then write it) against async
(embed the next window while this one is written). Embedded Milvus Lite, precomputed vectors, a fixed latency per
embedding call standing in for an embedding API's round trips.

    python benchmarks/async_overlap.py --n 50000 --latency 1.0
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from milvus_integrations.langchain import MilvusVectorStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--latency", type=float, default=1.0, help="seconds per embedding call (one window)")
    ap.add_argument("--window", type=int, default=8192)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    rng = np.random.default_rng(0)
    texts = [f"text {i}" for i in range(args.n)]
    lookup = dict(zip(texts, rng.normal(size=(args.n, args.dim)).tolist(), strict=True))

    class SlowService(Embeddings):
        def embed_documents(self, batch: list[str]) -> list[list[float]]:
            time.sleep(args.latency)
            return [lookup[t] for t in batch]

        async def aembed_documents(self, batch: list[str]) -> list[list[float]]:
            await asyncio.sleep(args.latency)
            return [lookup[t] for t in batch]

        def embed_query(self, text: str) -> list[float]:
            return lookup[text]

    calls = -(-args.n // args.window)
    print(f"{args.n} texts, windows of {args.window} ({calls} embedding calls of {args.latency} s each)")
    seconds = {}
    for mode in ("sync", "async"):
        with tempfile.TemporaryDirectory() as tmp:
            store = MilvusVectorStore(
                SlowService(), uri=str(Path(tmp) / "o.db"), collection_name="o", embedding_window=args.window
            )
            start = time.perf_counter()
            if mode == "sync":
                store.add_texts(texts)
            else:
                asyncio.run(store.aadd_texts(texts))
            seconds[mode] = time.perf_counter() - start
            print(f"  {mode:5}: {seconds[mode]:6.2f} s, {args.n / seconds[mode]:7.0f} docs/s", flush=True)
    embedding = calls * args.latency
    print(
        f"async / sync: {seconds['sync'] / seconds['async']:.2f}x faster; time beyond the embedding calls: "
        f"sync {seconds['sync'] - embedding:.2f} s, async {seconds['async'] - embedding:.2f} s"
    )


if __name__ == "__main__":
    main()
