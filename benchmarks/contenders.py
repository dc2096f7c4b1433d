"""One contender of the benchmark, run in its own process (and, for the peers, its own venv).

Usage: python contenders.py NAME DATA.npz OUT.json
Prints nothing; writes {"ingest_s", "search_ms", "search_filtered_ms", "ids", "ids_filtered", "peak_rss_mb"} to OUT.
Only the standard library, numpy and the contender's own packages are imported here.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

K = 10
SETTLE_S = 5.0  # then the plain queries again: Milvus Lite indexes new segments in the background
FILTER_YEAR = 2010


class Data:
    def __init__(self, path: str) -> None:
        z = np.load(path)
        self.vectors = z["vectors"]
        self.queries = z["queries"]
        self.years = z["years"].tolist()
        self.sources = [f"doc{i % 50}.txt" for i in range(len(self.vectors))]
        self.ids = [f"id{i}" for i in range(len(self.vectors))]
        self.texts = [f"document {i} about topic {i % 97}" for i in range(len(self.vectors))]
        # Embeddings arrive as lists of floats (what embedding clients return), for every contender, untimed.
        self.vector_lists = self.vectors.tolist()
        self.lookup = dict(zip(self.texts, self.vector_lists, strict=True))
        self.query_texts = [f"query {i}" for i in range(len(self.queries))]
        self.lookup.update({t: self.queries[i].tolist() for i, t in enumerate(self.query_texts)})

    def row_batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """Row dicts as a raw pymilvus user builds them (pk, text, vector, metadata keys), `size` at a time."""
        for s in range(0, len(self.ids), size):
            yield [
                {
                    "pk": self.ids[i],
                    "text": self.texts[i],
                    "vector": self.vector_lists[i],
                    "source": self.sources[i],
                    "year": self.years[i],
                }
                for i in range(s, min(s + size, len(self.ids)))
            ]


def timed_queries(run: Callable[[int], list[str]], n: int) -> tuple[list[float], list[list[str]], float]:
    """Latencies (ms) and ids of queries 0..n-1, after one warm-up query whose latency is returned apart: right
    after an add it also pays for whatever the store does lazily (ours seals the new rows then)."""
    start = time.perf_counter()
    run(0)
    first = (time.perf_counter() - start) * 1000
    times, ids = [], []
    for i in range(n):
        start = time.perf_counter()
        ids.append(run(i))
        times.append((time.perf_counter() - start) * 1000)
    return times, ids, first


def lookup_embeddings(d: Data) -> Any:
    from langchain_core.embeddings import Embeddings

    class Precomputed(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [d.lookup[t] for t in texts]

        def embed_query(self, text: str) -> list[float]:
            return d.lookup[text]

    return Precomputed()


def langchain_store(d: Data, cls: Any, **kwargs: Any) -> dict[str, Any]:
    store = cls(lookup_embeddings(d), collection_name="bench", **kwargs)
    meta = [{"source": s, "year": y} for s, y in zip(d.sources, d.years, strict=True)]
    start = time.perf_counter()
    store.add_texts(d.texts, meta, ids=d.ids)
    ingest = time.perf_counter() - start
    flt = {"year": {"$gte": FILTER_YEAR}}
    if "langchain_milvus" in cls.__module__:
        flt_kw: dict[str, Any] = {"expr": f"year >= {FILTER_YEAR}"}
    else:
        flt_kw = {"filter": flt}

    def run(i: int, **kw: Any) -> list[str]:
        docs = store.similarity_search_by_vector(d.queries[i].tolist(), k=K, **kw)
        return [str(x.id or x.metadata.get("pk")) for x in docs]  # langchain-milvus keeps the pk in metadata

    plain = timed_queries(run, len(d.queries))
    filtered = timed_queries(lambda i: run(i, **flt_kw), len(d.queries))
    time.sleep(SETTLE_S)
    return {"ingest_s": ingest, "plain": plain, "filtered": filtered, "settled": timed_queries(run, len(d.queries))}


def ours_langchain(d: Data, uri: str) -> dict[str, Any]:
    from milvus_integrations.langchain import MilvusVectorStore

    return langchain_store(d, MilvusVectorStore, uri=uri)


def peer_langchain(d: Data, uri: str) -> dict[str, Any]:
    from langchain_milvus import Milvus

    return langchain_store(
        d,
        Milvus,
        connection_args={"uri": uri},
        auto_id=False,
        index_params={"index_type": "HNSW", "metric_type": "COSINE", "params": {"M": 16, "efConstruction": 200}},
    )


def llama_index_store(d: Data, store: Any, filter_cls: Any) -> dict[str, Any]:
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import (
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
        VectorStoreQuery,
    )

    nodes = [
        TextNode(
            id_=d.ids[i],
            text=d.texts[i],
            metadata={"source": d.sources[i], "year": d.years[i]},
            embedding=d.vector_lists[i],
        )
        for i in range(len(d.ids))
    ]
    start = time.perf_counter()
    store.add(nodes)
    ingest = time.perf_counter() - start
    flt = MetadataFilters(filters=[MetadataFilter(key="year", value=FILTER_YEAR, operator=FilterOperator.GTE)])

    def run(i: int, filters: Any = None) -> list[str]:
        res = store.query(VectorStoreQuery(query_embedding=d.queries[i].tolist(), similarity_top_k=K, filters=filters))
        return list(res.ids or [])

    plain = timed_queries(run, len(d.queries))
    filtered = timed_queries(lambda i: run(i, flt), len(d.queries))
    time.sleep(SETTLE_S)
    return {"ingest_s": ingest, "plain": plain, "filtered": filtered, "settled": timed_queries(run, len(d.queries))}


def ours_llamaindex(d: Data, uri: str) -> dict[str, Any]:
    from milvus_integrations.llama_index import MilvusVectorStore

    return llama_index_store(d, MilvusVectorStore(uri=uri, collection_name="bench"), None)


def peer_llamaindex(d: Data, uri: str) -> dict[str, Any]:
    from llama_index.vector_stores.milvus import MilvusVectorStore

    store = MilvusVectorStore(
        uri=uri, collection_name="bench", dim=d.vectors.shape[1], overwrite=True, similarity_metric="COSINE"
    )
    return llama_index_store(d, store, None)


def raw_pymilvus(d: Data, uri: str, flush: bool) -> dict[str, Any]:
    from pymilvus import DataType, MilvusClient

    client = MilvusClient(uri)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=True)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("text", DataType.VARCHAR, max_length=65535)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=d.vectors.shape[1])
    index = client.prepare_index_params()
    index.add_index("vector", index_type="HNSW", metric_type="COSINE", params={"M": 16, "efConstruction": 200})
    client.create_collection("bench", schema=schema, index_params=index)
    start = time.perf_counter()
    for rows in d.row_batches(1000):
        client.insert("bench", rows)
    if flush:
        client.flush("bench")
    ingest = time.perf_counter() - start

    def run(i: int, expr: str = "") -> list[str]:
        res = client.search(
            "bench",
            [d.queries[i].tolist()],
            anns_field="vector",
            limit=K,
            filter=expr,
            search_params={"metric_type": "COSINE", "params": {"ef": 64}},
        )
        return [str(h["pk"]) for h in res[0]]

    plain = timed_queries(run, len(d.queries))
    filtered = timed_queries(lambda i: run(i, f"year >= {FILTER_YEAR}"), len(d.queries))
    time.sleep(SETTLE_S)
    return {"ingest_s": ingest, "plain": plain, "filtered": filtered, "settled": timed_queries(run, len(d.queries))}


def lite_engine(d: Data, uri: str) -> dict[str, Any]:
    """Milvus Lite's own Python API, no pymilvus: the ceiling for ingest on this engine. Rows built as raw's are;
    the cyclic garbage collector is paused during the inserts as our adds pause it (a full collection in the middle
    of the loop cost this contender up to half its rate)."""
    from milvus_lite import CollectionSchema, DataType, FieldSchema, MilvusLite

    db = MilvusLite(uri)
    schema = CollectionSchema(
        fields=[
            FieldSchema(name="pk", dtype=DataType.VARCHAR, is_primary=True, max_length=64),
            FieldSchema(name="text", dtype=DataType.VARCHAR, max_length=65535),
            FieldSchema(name="vector", dtype=DataType.FLOAT_VECTOR, dim=d.vectors.shape[1]),
        ],
        enable_dynamic_field=True,
    )
    col = db.create_collection("bench", schema)
    col.create_index(
        "vector", {"index_type": "HNSW", "metric_type": "COSINE", "params": {"M": 16, "efConstruction": 200}}
    )
    col.load()
    gc.disable()
    start = time.perf_counter()
    for rows in d.row_batches(1000):
        col.insert(rows)
    ingest = time.perf_counter() - start
    gc.enable()
    col.flush()

    def run(i: int, expr: str | None = None) -> list[str]:
        hits = col.search([d.queries[i].tolist()], top_k=K, expr=expr, search_params={"ef": 64})
        return [str(h["id"]) for h in hits[0]]

    plain = timed_queries(run, len(d.queries))
    filtered = timed_queries(lambda i: run(i, f"year >= {FILTER_YEAR}"), len(d.queries))
    time.sleep(SETTLE_S)
    return {"ingest_s": ingest, "plain": plain, "filtered": filtered, "settled": timed_queries(run, len(d.queries))}


CONTENDERS: dict[str, Callable[[Data, str], dict[str, Any]]] = {
    "ours-langchain": ours_langchain,
    "ours-llamaindex": ours_llamaindex,
    "raw-pymilvus": lambda d, uri: raw_pymilvus(d, uri, flush=False),
    "raw-pymilvus-flushed": lambda d, uri: raw_pymilvus(d, uri, flush=True),
    "peer-llamaindex": peer_llamaindex,
    "peer-langchain": peer_langchain,
    "lite-engine": lite_engine,
}


def main(name: str, data_path: str, out: str) -> None:
    import logging

    logging.disable(logging.WARNING)
    d = Data(data_path)
    with tempfile.TemporaryDirectory() as tmp:
        result = CONTENDERS[name](d, str(Path(tmp) / "bench.db"))
    plain_t, plain_ids, first_ms = result["plain"]
    settled = result["settled"][0]
    filt_t, filt_ids, _ = result["filtered"]
    Path(out).write_text(
        json.dumps(
            {
                "ingest_s": result["ingest_s"],
                "first_query_ms": first_ms,
                "search_ms": plain_t,
                "search_filtered_ms": filt_t,
                "search_settled_ms": settled,
                "ids": plain_ids,
                "ids_filtered": filt_ids,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
