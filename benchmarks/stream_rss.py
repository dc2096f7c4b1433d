"""Stream N documents in batches into Milvus Lite and report memory as the corpus grows.

    python benchmarks/stream_rss.py --n 200000 --batch 5000            # ours (the store under both adapters)
    python benchmarks/stream_rss.py --n 200000 --batch 5000 --raw      # raw pymilvus rows, same batches
    python benchmarks/stream_rss.py --n 200000 --batch 5000 --engine   # Milvus Lite's own API, same rows: the floor
    python benchmarks/stream_rss.py --n 200000 --batch 5000 --server   # ours, Lite in its own process (TCP)
    python benchmarks/stream_rss.py --n 200000 --one-call --server     # one LangChain add_texts of all N texts
    python benchmarks/stream_rss.py --n 200000 --one-call --server --window 200000   # ... embedded all at once

Vectors are generated per batch (never the whole corpus in memory). Milvus Lite keeps every sealed segment's vectors
and its HNSW index in memory, so the process grows with the corpus whoever writes; running both modes shows what is
the engine's and what is ours (`--engine` writes the same rows with Lite's own API, no pymilvus and no store: what
any writer to an embedded file holds); `--server` runs Lite as `milvus-lite server` on 127.0.0.1 (as a Milvus
server would be), so this process holds only the client. Columns: current and peak RSS of this process, the
engine's floor (the corpus' float32 vectors held twice: segment arrays and the faiss HNSW copy), and with --server
the server's RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from milvus_integrations.core.connection import ConnectionConfig  # noqa: E402
from milvus_integrations.core.store import Store, StoreOptions  # noqa: E402
from tests.support.servers import LiteServer  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def raw_writer(uri: str, dim: int) -> Any:
    from pymilvus import DataType, MilvusClient

    client = MilvusClient(uri)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=True)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("text", DataType.VARCHAR, max_length=65535)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="HNSW", metric_type="COSINE", params={"M": 16, "efConstruction": 200})
    client.create_collection("stream", schema=schema, index_params=index)

    def write(ids: list[str], texts: list[str], vectors: np.ndarray, metas: list[dict[str, Any]]) -> None:
        columns = zip(ids, texts, vectors.tolist(), metas, strict=True)
        rows = [{"pk": i, "text": t, "vector": v, **m} for i, t, v, m in columns]
        client.insert("stream", rows)

    return write, lambda: client.query("stream", filter="", output_fields=["count(*)"])[0]["count(*)"]


def engine_writer(uri: str, dim: int) -> Any:
    from milvus_lite import CollectionSchema, DataType, FieldSchema, MilvusLite

    db = MilvusLite(uri)
    schema = CollectionSchema(
        fields=[
            FieldSchema(name="pk", dtype=DataType.VARCHAR, is_primary=True, max_length=64),
            FieldSchema(name="text", dtype=DataType.VARCHAR, max_length=65535),
            FieldSchema(name="vector", dtype=DataType.FLOAT_VECTOR, dim=dim),
        ],
        enable_dynamic_field=True,
    )
    col = db.create_collection("stream", schema)
    col.create_index(
        "vector", {"index_type": "HNSW", "metric_type": "COSINE", "params": {"M": 16, "efConstruction": 200}}
    )
    col.load()

    def write(ids: list[str], texts: list[str], vectors: np.ndarray, metas: list[dict[str, Any]]) -> None:
        columns = zip(ids, texts, vectors.tolist(), metas, strict=True)
        col.insert([{"pk": i, "text": t, "vector": v, **m} for i, t, v, m in columns])

    return write, lambda: col.num_entities


def one_call(uri: str, args: argparse.Namespace, server: LiteServer | None) -> None:
    """A single LangChain `add_texts` of all N texts, as `from_documents(corpus)` does, with an embedder that returns
    lists of Python floats like real ones; `embedding_window` bounds how many texts are embedded before writing."""
    from langchain_core.embeddings import Embeddings

    from milvus_integrations.langchain import MilvusVectorStore

    rng = np.random.default_rng(0)

    class RandomEmbeddings(Embeddings):
        calls = 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            self.calls += 1
            vectors: list[list[float]] = rng.normal(size=(len(texts), args.dim)).tolist()
            return vectors

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    embedding = RandomEmbeddings()
    store = MilvusVectorStore(embedding, uri=uri, collection_name="stream", embedding_window=args.window)
    texts = [f"text {i}" for i in range(args.n)]
    base = current_mb()
    start = time.perf_counter()
    store.add_texts(texts, [{"i": i} for i in range(args.n)])
    seconds = time.perf_counter() - start
    served = current_mb(server.process.pid) if server and server.process else float("nan")
    print(
        f"one add_texts of {args.n} texts, embedding_window {args.window} ({embedding.calls} embedding calls), "
        f"{'Lite server over TCP' if server else 'embedded Lite'}: {args.n / seconds:.0f} docs/s; this process "
        f"{base:.0f} MB before, peak {peak_mb():.0f} MB, {current_mb():.0f} MB after; server {served:.0f} MB"
    )
    print(f"rows stored: {store.store.count()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--raw", action="store_true", help="write with raw pymilvus rows instead of our store")
    ap.add_argument("--engine", action="store_true", help="write with Milvus Lite's own API (embedded only)")
    ap.add_argument("--server", action="store_true", help="run Milvus Lite as a TCP server in its own process")
    ap.add_argument("--one-call", action="store_true", help="one LangChain add_texts of all N texts")
    ap.add_argument("--window", type=int, default=8192, help="embedding_window for --one-call")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    rng = np.random.default_rng(0)
    server = LiteServer() if args.server else None
    with tempfile.TemporaryDirectory() as tmp, server or contextlib.nullcontext() as server_uri:
        uri = server_uri or str(Path(tmp) / "stream.db")
        if args.engine and server:
            ap.error("--engine writes into an embedded file; it cannot be combined with --server")
        if args.one_call:
            return one_call(uri, args, server)
        if args.raw:
            write, count = raw_writer(uri, args.dim)
        elif args.engine:
            write, count = engine_writer(uri, args.dim)
        else:
            store = Store(StoreOptions("stream"), ConnectionConfig(uri))
            write, count = store.add, store.count
        start = time.perf_counter()
        writer = "raw pymilvus" if args.raw else "Lite's own API" if args.engine else "ours"
        mode = writer + (", Lite server over TCP" if server else ", embedded Lite")
        print(f"{'docs':>8} {'RSS MB':>8} {'peak MB':>8} {'floor MB':>9} {'docs/s':>8} {'server MB':>10}  ({mode})")
        for offset in range(0, args.n, args.batch):
            size = min(args.batch, args.n - offset)
            vectors = rng.normal(size=(size, args.dim)).astype(np.float32)
            ids = [f"d{offset + i}" for i in range(size)]
            write(ids, [f"text {offset + i}" for i in range(size)], vectors, [{"i": offset + i} for i in range(size)])
            done = offset + size
            if done % (args.batch * 10) == 0 or done == args.n:
                floor = 2 * done * args.dim * 4 / 2**20
                rate = done / (time.perf_counter() - start)
                served = current_mb(server.process.pid) if server and server.process else float("nan")
                print(
                    f"{done:>8} {current_mb():>8.0f} {peak_mb():>8.0f} {floor:>9.0f} {rate:>8.0f} {served:>10.0f}",
                    flush=True,
                )
        print(f"rows stored: {count()}")


if __name__ == "__main__":
    main()
