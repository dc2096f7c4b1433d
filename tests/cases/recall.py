"""The recall check (issue 24): random unit vectors (the hard case for ANN indexes: no cluster structure), top-10
against an exact numpy oracle, plain and filtered, through both adapters and the seed client. Shared by the Lite,
milvus-lite-server and real-server suites."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters, VectorStoreQuery

from milvus_integrations import MilvusClient
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore

DIM, K, QUERIES, FLOOR = 384, 10, 40, 0.95


@dataclass
class Corpus:
    vectors: np.ndarray
    queries: np.ndarray
    years: np.ndarray

    @classmethod
    def make(cls, n: int, seed: int = 0) -> Corpus:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, DIM)).astype(np.float32)
        q = rng.standard_normal((QUERIES, DIM)).astype(np.float32)
        return cls(x / np.linalg.norm(x, axis=1, keepdims=True), q / np.linalg.norm(q, axis=1, keepdims=True),
                   rng.integers(1990, 2025, n))  # fmt: skip

    def truth(self, filtered: bool) -> list[set[int]]:
        idx = np.nonzero(self.years >= 2010)[0] if filtered else np.arange(len(self.vectors))
        scores = self.queries @ self.vectors[idx].T
        return [set(idx[np.argsort(-row)[:K]].tolist()) for row in scores]

    def recall(self, got: list[set[int]], filtered: bool) -> float:
        truth = self.truth(filtered)
        return sum(len(g & t) for g, t in zip(got, truth, strict=True)) / (K * len(truth))


class Lookup:
    """LangChain embeddings answering "doc <i>" / "query <i>" from the corpus."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.corpus.vectors[int(t.split()[1])].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.corpus.queries[int(text.split()[1])].tolist()


def langchain_recall(corpus: Corpus, uri: str, name: str, **kwargs: Any) -> tuple[float, float]:
    n = len(corpus.vectors)
    store = LCStore(Lookup(corpus), uri=uri, collection_name=name, drop_old=True, **kwargs)  # type: ignore[arg-type]
    store.add_texts(
        [f"doc {i}" for i in range(n)], [{"year": int(y)} for y in corpus.years], ids=[str(i) for i in range(n)]
    )
    out = []
    for filtered in (False, True):
        flt = {"year": {"$gte": 2010}} if filtered else None
        got = [
            {int(d.id or -1) for d in store.similarity_search(f"query {i}", k=K, filter=flt)} for i in range(QUERIES)
        ]
        out.append(corpus.recall(got, filtered))
    store.close()
    return out[0], out[1]


def llama_index_recall(corpus: Corpus, uri: str, name: str, **kwargs: Any) -> tuple[float, float]:
    store = LIStore(uri=uri, collection_name=name, overwrite=True, **kwargs)
    nodes = [TextNode(id_=str(i), text=f"doc {i}", metadata={"year": int(y)}, embedding=v.tolist())
             for i, (v, y) in enumerate(zip(corpus.vectors, corpus.years, strict=True))]  # fmt: skip
    store.add(nodes)
    out = []
    for filtered in (False, True):
        filters = MetadataFilters(filters=[MetadataFilter(key="year", value=2010, operator=">=")]) if filtered else None
        got = []
        for q in corpus.queries:
            result = store.query(VectorStoreQuery(query_embedding=q.tolist(), similarity_top_k=K, filters=filters))
            got.append({int(i) for i in result.ids or []})
        out.append(corpus.recall(got, filtered))
    return out[0], out[1]


def seed_client_recall(corpus: Corpus, uri: str, name: str, **kwargs: Any) -> tuple[float, float]:
    client = MilvusClient(collection_name=name, uri=uri, vector_field="v", pk_field="id", distance_metric="IP",
                          overwrite=True, **kwargs)  # fmt: skip
    rows = [
        {"id": i, "v": v.tolist(), "year": int(y)}
        for i, (v, y) in enumerate(zip(corpus.vectors, corpus.years, strict=True))
    ]
    client.insert_data(rows, batch_size=1000)
    out = []
    for filtered in (False, True):
        res = client.search_data(
            corpus.queries.tolist(), top_k=K, filter_expression="year >= 2010" if filtered else None
        )
        out.append(corpus.recall([{h["data"]["id"] for h in hits} for hits in res], filtered))
    client.close()
    return out[0], out[1]


ALL = {"langchain": langchain_recall, "llama_index": llama_index_recall, "seed_client": seed_client_recall}
