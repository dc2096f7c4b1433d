"""Ranked reads: dense, full-text (BM25) and hybrid search, and MMR over dense candidates. Which one a query runs
(`RetrievalMode`) and how hybrid results are fused (`HybridConfig`) are decided here, once, for both adapters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pymilvus import AnnSearchRequest

from milvus_integrations.core import codec
from milvus_integrations.core.collection import Collection
from milvus_integrations.core.consistency import Consistency
from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.layout import Layout, VectorKind
from milvus_integrations.core.lite import engine
from milvus_integrations.core.mmr import mmr_select
from milvus_integrations.core.modes import HybridConfig, RetrievalMode, check_k
from milvus_integrations.core.records import Hit
from milvus_integrations.core.validate import Vector, dense_matrix, sparse_vectors

# HNSW search breadth, measured on Milvus Lite 3.2 (2 cores, 384-d clustered data, recall@10 vs exact search):
#   5k rows:  ef 64 -> 0.999 plain / 0.933 filtered; ef 128 -> 0.986 / 0.975; ef 256 -> 0.999 / 0.996; ~5 ms
#   50k rows: ef 128 -> 0.758; ef 256 -> 0.863 / 0.840; ef 512 -> 0.970 / 0.955; ef 1024 -> 0.995 / 0.985
# Latency hardly moves with ef on Lite (31 -> 37 ms plain, 109 -> 119 ms filtered at 50k, ef 256 -> 1024), so the
# defaults favour recall. A filter prunes the graph walk, so filtered searches get the wider one.
DEFAULT_EF = 512
DEFAULT_FILTERED_EF = 1024
# Candidates each field of a fused search fetches at least (langchain-milvus' default fetch_k): with fewer, a hit
# missing from one field's list scores as if that field gave it nothing, and a small k would rank differently.
MIN_FETCH = 4


@dataclass(frozen=True)
class FieldQuery:
    """One vector field's part of a search: `data` is a dense vector, a sparse ``{index: weight}`` dict, bytes, or
    the query text for a BM25 field; `params` its search params; `limit` how many candidates it fetches (fused)."""

    field: str
    data: Any
    params: Mapping[str, Any] | None = None
    limit: int | None = None


@dataclass(frozen=True)
class Query:
    """One search's arguments: `where` is the compiled filter ("" for none)."""

    k: int
    where: str = ""
    with_vectors: bool = False
    params: Mapping[str, Any] | None = None  # per-call search params: {"params": {"ef": ...}} or {"ef": ...}
    partitions: Sequence[str] | None = None
    output_fields: Sequence[str] | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        check_k(self.k)


class Searcher:
    """Searches of one collection; `search_params` are the collection-wide defaults (per call, `Query.params`)."""

    def __init__(
        self,
        collection: Collection,
        consistency: Consistency,
        *,
        search_params: Mapping[str, Any] | None = None,
        field_params: Mapping[str, Mapping[str, Any]] | None = None,
        default_ef: int = DEFAULT_EF,
        filtered_ef: int = DEFAULT_FILTERED_EF,
    ) -> None:
        if search_params is not None and not isinstance(search_params, Mapping):
            raise ConfigError("search_params must be a dict like {'params': {'ef': 256}}")
        self.collection = collection
        self.consistency = consistency
        self.search_params = dict(search_params or {})
        self.field_params = {name: dict(p) for name, p in (field_params or {}).items()}  # per vector field
        self.default_ef = default_ef
        self.filtered_ef = filtered_ef

    # -- requests ----------------------------------------------------------------------------------------
    def params(self, layout: Layout, part: FieldQuery, q: Query, k: int | None = None) -> dict[str, Any]:
        """Search params for one field: defaults, the field's own (`field_params`), then the collection's (the main
        field) and the call's, or the part's own; HNSW's `ef` is at least k. On Milvus Lite, sparse fields get no
        drop ratio (Lite refuses a non-zero one)."""
        field = layout.vector_field(part.field)
        params: dict[str, Any] = {}
        sources: list[Mapping[str, Any] | None] = [self.field_params.get(field.name)]
        if part.params is not None:
            sources.append(part.params)
        else:  # the collection-wide params are the main field's; the call's go to the field searched
            sources += [self.search_params, q.params] if field.name == layout.vector else [q.params]
        for source in sources:
            source = dict(source or {})
            params.update(
                source.get("params", {k_: v for k_, v in source.items() if k_ not in ("metric_type", "params")})
            )
        if field.kind is VectorKind.DENSE:
            ef = params.get("ef", self.filtered_ef if q.where else self.default_ef)
            params["ef"] = max(int(ef), k or q.k)
        elif field.kind in (VectorKind.SPARSE, VectorKind.BM25) and self.collection.lite_engine:
            params.pop("drop_ratio_search", None)
        return {"metric_type": field.metric, "params": params}

    def _data(self, layout: Layout, field: str, data: Sequence[Any]) -> list[Any]:
        """The queries for `field`, checked as rows are."""
        spec = layout.vector_field(field)
        if spec.kind is VectorKind.DENSE:
            return list(dense_matrix(data, spec.dim, key=field, where=f" {self.collection.name!r}").tolist())
        if spec.kind is VectorKind.SPARSE:
            return list(sparse_vectors(data, key=field))
        if spec.kind is VectorKind.BM25:
            if not all(isinstance(text, str) for text in data):
                raise ConfigError(f"a full-text search on {field!r} needs a query string")
            return list(data)
        return list(data)

    def _extra(self, q: Query) -> dict[str, Any]:
        extra = self.consistency.before_read()
        if q.partitions:
            extra["partition_names"] = list(q.partitions)
        if q.timeout is not None:
            extra["timeout"] = q.timeout
        return extra

    def _fields(self, layout: Layout, q: Query) -> list[str]:
        return list(q.output_fields) if q.output_fields is not None else codec.output_fields(layout, q.with_vectors)

    # -- one field, or several fused ----------------------------------------------------------------------
    def search(self, layout: Layout, field: str, queries: Sequence[Any], q: Query) -> list[list[dict[str, Any]]]:
        """Raw nearest neighbours on one vector field for each query, best first."""
        data = self._data(layout, field, queries)
        extra = self._extra(q)
        params = self.params(layout, FieldQuery(field, None), q)
        fields = self._fields(layout, q)
        connection = self.collection.connection
        fast = None
        if field == layout.vector and not q.partitions and q.timeout is None:
            fast = engine.for_layout(
                connection.uri, connection.db_name, self.collection.name, layout, is_lite_file=connection.is_lite
            )
        try:
            if fast is not None:
                # Same call as the one Lite's gRPC server makes for pymilvus' request, without the protobuf round
                # trip through this very process (see core.lite.engine).
                with connection.lite_lock():
                    results: Any = fast.search(
                        query_vectors=data,
                        top_k=q.k,
                        metric_type=params["metric_type"],
                        expr=q.where or None,
                        output_fields=fields,
                        anns_field=field,
                        search_params=params["params"],
                    )
            else:
                results = self.collection.client.search(
                    self.collection.name,
                    data=data,
                    anns_field=field,
                    limit=q.k,
                    filter=q.where,
                    output_fields=fields,
                    search_params=params,
                    **extra,
                )
        except Exception as exc:
            raise self.collection.fail("search", exc) from None
        return [list(hits) for hits in results]

    def fused(self, layout: Layout, parts: Sequence[FieldQuery], q: Query, fuse: HybridConfig | Any) -> list[Hit]:
        """One search per part, fused by `fuse` (a `HybridConfig`, or a pymilvus RERANK `Function`); k hits when
        k match. Each part fetches `part.limit` candidates (default 2k, at least `MIN_FETCH`). Scores are Milvus'
        fused scores; with a `HybridConfig`, relevance is the score over the best one possible (1.0: first, or a
        perfect score, on every field), with a RERANK `Function` the score clamped to [0, 1]."""
        if not parts:
            raise ConfigError("a fused search needs at least one vector field to search")
        requests = []
        for part in parts:
            limit = max(check_k(part.limit, "fetch_k") if part.limit is not None else max(2 * q.k, MIN_FETCH), q.k)
            requests.append(
                AnnSearchRequest(
                    data=self._data(layout, part.field, [part.data]),
                    anns_field=part.field,
                    param=self.params(layout, part, q, limit),
                    limit=limit,
                    expr=q.where or None,
                )
            )
        ranker = fuse.fuser(len(requests)) if isinstance(fuse, HybridConfig) else fuse
        extra = self._extra(q)
        try:
            results = self.collection.client.hybrid_search(
                self.collection.name, requests, ranker=ranker, limit=q.k, output_fields=self._fields(layout, q), **extra
            )
        except Exception as exc:
            raise self.collection.fail("run a hybrid search", exc) from None
        hits = [codec.hit(layout, h, "FUSED") for h in results[0]]
        best = fuse.best(len(requests)) if isinstance(fuse, HybridConfig) else None
        for h in hits:  # relevance: the fused score over the best one possible (first in every list / all 1.0)
            h.relevance = min(1.0, max(0.0, h.score / best)) if best else h.relevance
        return hits

    def hits(self, layout: Layout, field: str, query: Any, q: Query) -> list[Hit]:
        """`search` on one field for one query, as hits scored under that field's metric."""
        metric = layout.vector_field(field).metric
        return [codec.hit(layout, h, metric) for h in self.search(layout, field, [query], q)[0]]

    def _full_text_field(self, layout: Layout) -> str:
        if not layout.sparse:
            raise ConfigError(
                f"collection {self.collection.name!r} has no BM25 field; create it with full-text search enabled"
            )
        return layout.sparse

    def main(self, layout: Layout) -> str:
        """The main (first dense) vector field; a `ConfigError` when the collection keeps none."""
        if layout.vector is None:
            raise ConfigError(f"collection {self.collection.name!r} keeps no dense vectors: use full-text search")
        return layout.vector

    def dense(self, layout: Layout, vectors: Sequence[Vector] | Any, q: Query) -> list[list[dict[str, Any]]]:
        """Raw nearest neighbours of each query vector on the main vector field, best first."""
        return self.search(layout, self.main(layout), vectors, q)

    # -- what the adapters call --------------------------------------------------------------------------
    def retrieve(
        self,
        layout: Layout,
        q: Query,
        *,
        mode: RetrievalMode,
        text: str | None = None,
        vector: Vector | None = None,
        hybrid: HybridConfig | None = None,
        fetch_k: int | None = None,
    ) -> list[Hit]:
        """The hits of one query under `mode`, best first."""
        if mode is RetrievalMode.DENSE:
            if vector is None:
                raise ConfigError("a dense search needs a query vector (an embedding)")
            return self.hits(layout, self.main(layout), vector, q)
        if text is None:
            raise ConfigError(f"a {mode.value} search needs the query text")
        if mode is RetrievalMode.FULL_TEXT:
            return self.hits(layout, self._full_text_field(layout), text, q)
        if mode is RetrievalMode.HYBRID:
            if vector is None:
                raise ConfigError("a hybrid search needs a query vector (an embedding)")
            sparse, main = self._full_text_field(layout), self.main(layout)
            parts = [FieldQuery(main, vector, limit=fetch_k), FieldQuery(sparse, text, limit=fetch_k)]
            return self.fused(layout, parts, q, hybrid or HybridConfig())
        raise ConfigError(f"unknown retrieval mode {mode!r}")  # exhaustive: every RetrievalMode above

    def mmr(self, layout: Layout, q: Query, vector: Vector, *, fetch_k: int, lambda_mult: float) -> list[Hit]:
        """Maximal marginal relevance: `fetch_k` dense candidates, then `q.k` of them chosen by MMR."""
        check_k(fetch_k, "fetch_k")
        candidates = replace(q, k=max(fetch_k, q.k), with_vectors=True)
        hits = self.hits(layout, self.main(layout), vector, candidates)
        chosen = mmr_select(vector, [h.record.vector or [] for h in hits], q.k, lambda_mult)
        if not q.with_vectors:
            for i in chosen:
                hits[i].record.vector = None
        return [hits[i] for i in chosen]
