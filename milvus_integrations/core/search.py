"""Ranked reads: dense, full-text (BM25) and hybrid search, and MMR over dense candidates. Which one a query runs
(`RetrievalMode`) and how hybrid results are fused (`HybridConfig`) are decided here, once, for both adapters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

from milvus_integrations.core import codec
from milvus_integrations.core.collection import Collection
from milvus_integrations.core.consistency import Consistency
from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.layout import Layout
from milvus_integrations.core.lite import engine
from milvus_integrations.core.mmr import mmr_select
from milvus_integrations.core.records import Hit
from milvus_integrations.core.validate import Vector, dense_matrix

# HNSW search breadth, measured on Milvus Lite 3.2 (2 cores, 384-d clustered data, recall@10 vs exact search):
#   5k rows:  ef 64 -> 0.999 plain / 0.933 filtered; ef 128 -> 0.986 / 0.975; ef 256 -> 0.999 / 0.996; ~5 ms
#   50k rows: ef 128 -> 0.758; ef 256 -> 0.863 / 0.840; ef 512 -> 0.970 / 0.955; ef 1024 -> 0.995 / 0.985
# Latency hardly moves with ef on Lite (31 -> 37 ms plain, 109 -> 119 ms filtered at 50k, ef 256 -> 1024), so the
# defaults favour recall. A filter prunes the graph walk, so filtered searches get the wider one.
DEFAULT_EF = 512
DEFAULT_FILTERED_EF = 1024
MAX_K = 16384
RRF_K = 60


class RetrievalMode(str, Enum):
    """What a text query runs: dense vectors, BM25 full-text, or both fused."""

    DENSE = "dense"
    FULL_TEXT = "full_text"
    HYBRID = "hybrid"


_RANKER_NAMES = {"rrf": "rrf", "rrfranker": "rrf", "weighted": "weighted", "weightedranker": "weighted"}


@dataclass(frozen=True)
class HybridConfig:
    """How hybrid results are fused: reciprocal rank fusion (`rrf_k`) or a weighted sum of scores (`weights`, one
    per search: dense first, then full-text)."""

    ranker: str = "rrf"
    rrf_k: int = RRF_K
    weights: tuple[float, ...] = (0.5, 0.5)

    def __post_init__(self) -> None:
        name = _RANKER_NAMES.get(str(self.ranker).lower()) if isinstance(self.ranker, str) else None
        if name is None:
            raise ConfigError(
                f"hybrid ranker must be 'rrf' or 'weighted' (or 'RRFRanker' / 'WeightedRanker'), got {self.ranker!r}"
            )
        object.__setattr__(self, "ranker", name)
        if isinstance(self.rrf_k, bool) or not isinstance(self.rrf_k, int) or self.rrf_k <= 0:
            raise ConfigError(f"the RRF k must be a positive int, got {self.rrf_k!r}")
        weights = tuple(self.weights)
        if not weights or any(
            isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= 1 for w in weights
        ):
            raise ConfigError(f"hybrid weights must be numbers within [0, 1], got {self.weights!r}")
        object.__setattr__(self, "weights", tuple(float(w) for w in weights))

    @classmethod
    def parse(cls, ranker: str = "rrf", params: Mapping[str, Any] | None = None) -> HybridConfig:
        """From a ranker name and the peers' parameter dicts (``{"k": 60}``, ``{"weights": [0.7, 0.3]}``)."""
        params = dict(params or {})
        unknown = set(params) - {"k", "weights"}
        if unknown:
            raise ConfigError(f"unknown hybrid ranker parameters {sorted(unknown)}; expected 'k' or 'weights'")
        config = cls(ranker, int(params.get("k", RRF_K)), tuple(params.get("weights", (0.5, 0.5))))
        if config.ranker == "rrf" and "weights" in params:
            raise ConfigError("'weights' belongs to the weighted ranker; RRF takes 'k'")
        if config.ranker == "weighted" and "k" in params:
            raise ConfigError("'k' belongs to the RRF ranker; the weighted ranker takes 'weights'")
        return config

    def fuser(self, searches: int) -> RRFRanker | WeightedRanker:
        if self.ranker == "rrf":
            return RRFRanker(self.rrf_k)
        if len(self.weights) != searches:
            raise ConfigError(f"the weighted ranker needs {searches} weights (one per search), got {len(self.weights)}")
        return WeightedRanker(*self.weights)


def check_k(k: object, name: str = "k") -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
        raise ConfigError(f"{name} must be a positive int, got {k!r}")
    if k > MAX_K:
        raise ConfigError(f"{name}={k} exceeds Milvus' limit of {MAX_K} results per query")
    return k


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
        default_ef: int = DEFAULT_EF,
        filtered_ef: int = DEFAULT_FILTERED_EF,
    ) -> None:
        if search_params is not None and not isinstance(search_params, Mapping):
            raise ConfigError("search_params must be a dict like {'params': {'ef': 256}}")
        self.collection = collection
        self.consistency = consistency
        self.search_params = dict(search_params or {})
        self.default_ef = default_ef
        self.filtered_ef = filtered_ef

    # -- requests ----------------------------------------------------------------------------------------
    def params(self, layout: Layout, metric: str, q: Query, k: int | None = None) -> dict[str, Any]:
        """Search params for the main vector field: defaults, then the collection's, then the call's; HNSW's `ef`
        is at least k."""
        params: dict[str, Any] = {}
        for source in (self.search_params, dict(q.params or {})):
            inner = source.get("params", {k_: v for k_, v in source.items() if k_ not in ("metric_type", "params")})
            params.update(inner)
        main = layout.main
        if main is not None and main.kind.value == "dense":
            ef = params.get("ef", self.filtered_ef if q.where else self.default_ef)
            params["ef"] = max(int(ef), k or q.k)
        return {"metric_type": metric, "params": params}

    def _extra(self, q: Query) -> dict[str, Any]:
        extra = self.consistency.before_read()
        if q.partitions:
            extra["partition_names"] = list(q.partitions)
        if q.timeout is not None:
            extra["timeout"] = q.timeout
        return extra

    def _fields(self, layout: Layout, q: Query) -> list[str]:
        return list(q.output_fields) if q.output_fields is not None else codec.output_fields(layout, q.with_vectors)

    # -- the three searches ------------------------------------------------------------------------------
    def dense(self, layout: Layout, vectors: Sequence[Vector] | Any, q: Query) -> list[list[dict[str, Any]]]:
        """Raw nearest neighbours of each query vector, best first."""
        main = layout.main
        if main is None:
            raise ConfigError(f"collection {self.collection.name!r} keeps no dense vectors: use full-text search")
        if main.kind.value == "dense":
            data: list[Any] = dense_matrix(vectors, main.dim, where=f" {self.collection.name!r}").tolist()
        else:
            data = list(vectors)
        extra = self._extra(q)
        params = self.params(layout, main.metric, q)
        fields = self._fields(layout, q)
        connection = self.collection.connection
        fast = None
        if not q.partitions and q.timeout is None:
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
                        anns_field=main.name,
                        search_params=params["params"],
                    )
            else:
                results = self.collection.client.search(
                    self.collection.name,
                    data=data,
                    anns_field=main.name,
                    limit=q.k,
                    filter=q.where,
                    output_fields=fields,
                    search_params=params,
                    **extra,
                )
        except Exception as exc:
            raise self.collection.fail("search", exc) from None
        return [list(hits) for hits in results]

    def text(self, layout: Layout, query: str, q: Query) -> list[dict[str, Any]]:
        """Raw BM25 full-text results, best first."""
        sparse = self._full_text_field(layout)
        if not isinstance(query, str):
            raise ConfigError("full-text search needs a query string")
        extra = self._extra(q)
        try:
            results = self.collection.client.search(
                self.collection.name,
                data=[query],
                anns_field=sparse,
                limit=q.k,
                filter=q.where,
                output_fields=self._fields(layout, q),
                search_params={"metric_type": "BM25"},
                **extra,
            )
        except Exception as exc:
            raise self.collection.fail("run a full-text search", exc) from None
        return list(results[0])

    def hybrid(
        self, layout: Layout, vector: Vector, query: str, q: Query, config: HybridConfig, fetch_k: int | None = None
    ) -> list[dict[str, Any]]:
        """Dense + BM25 results fused by `config`; returns k hits when k match."""
        sparse = self._full_text_field(layout)
        main = layout.main
        if main is None:
            raise ConfigError(f"collection {self.collection.name!r} keeps no dense vectors: use full-text search")
        fetch = max(check_k(fetch_k, "fetch_k") if fetch_k is not None else 2 * q.k, q.k)
        matrix = dense_matrix([vector], main.dim, where=f" {self.collection.name!r}")
        extra = self._extra(q)
        requests = [
            AnnSearchRequest(
                data=matrix.tolist(),
                anns_field=main.name,
                param=self.params(layout, main.metric, q, fetch),
                limit=fetch,
                expr=q.where or None,
            ),
            AnnSearchRequest(
                data=[query], anns_field=sparse, param={"metric_type": "BM25"}, limit=fetch, expr=q.where or None
            ),
        ]
        try:
            results = self.collection.client.hybrid_search(
                self.collection.name,
                requests,
                ranker=config.fuser(len(requests)),
                limit=q.k,
                output_fields=self._fields(layout, q),
                **extra,
            )
        except Exception as exc:
            raise self.collection.fail("run a hybrid search", exc) from None
        return list(results[0])

    def _full_text_field(self, layout: Layout) -> str:
        if not layout.sparse:
            raise ConfigError(
                f"collection {self.collection.name!r} has no BM25 field; create it with full-text search enabled"
            )
        return layout.sparse

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
            return [codec.hit(layout, h, layout.metric) for h in self.dense(layout, [vector], q)[0]]
        if text is None:
            raise ConfigError(f"a {mode.value} search needs the query text")
        if mode is RetrievalMode.FULL_TEXT:
            return [codec.hit(layout, h, "BM25") for h in self.text(layout, text, q)]
        if mode is RetrievalMode.HYBRID:
            if vector is None:
                raise ConfigError("a hybrid search needs a query vector (an embedding)")
            raw = self.hybrid(layout, vector, text, q, hybrid or HybridConfig(), fetch_k)
            return [codec.hit(layout, h, "FUSED") for h in raw]
        raise ConfigError(f"unknown retrieval mode {mode!r}")  # exhaustive: every RetrievalMode above

    def mmr(self, layout: Layout, q: Query, vector: Vector, *, fetch_k: int, lambda_mult: float) -> list[Hit]:
        """Maximal marginal relevance: `fetch_k` dense candidates, then `q.k` of them chosen by MMR."""
        check_k(fetch_k, "fetch_k")
        candidates = Query(max(fetch_k, q.k), q.where, True, q.params, q.partitions, q.output_fields, q.timeout)
        raw = self.dense(layout, [vector], candidates)[0]
        hits = [codec.hit(layout, h, layout.metric) for h in raw]
        chosen = mmr_select(vector, [h.record.vector or [] for h in hits], q.k, lambda_mult)
        if not q.with_vectors:
            for i in chosen:
                hits[i].record.vector = None
        return [hits[i] for i in chosen]
