"""Several vector fields in one collection: what each one is (`VectorSpec`) and how the peers' keywords name them
(`plan`). A store given specs creates them all (each with its own index), writes every one of them per row, and
searches one by name or all of them fused (`core.search.Searcher.fused`).

Kinds: DENSE (an embedding, its dimension from the data), SPARSE (a user sparse embedding, ``{index: weight}``;
metric IP) and BM25 (filled by Milvus' BM25 function from the text; searched with the query text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymilvus import Function, FunctionType

from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.functions import BM25Spec
from milvus_integrations.core.layout import METRICS, VectorField, VectorKind
from milvus_integrations.core.modes import HybridConfig
from milvus_integrations.core.search import FieldQuery


@dataclass(frozen=True)
class VectorSpec:
    """One vector field of a new collection: its `name`, `kind`, `metric` (default: COSINE for dense, IP for
    sparse, BM25 for BM25), `index_params` / `search_params` of its own, and the `bm25` function filling it."""

    name: str
    kind: VectorKind = VectorKind.DENSE
    dim: int | None = None
    metric: str | None = None
    index_params: Mapping[str, Any] | None = None
    search_params: Mapping[str, Any] | None = None
    bm25: BM25Spec | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"a vector field name must be a non-empty string, got {self.name!r}")
        for what in ("index_params", "search_params"):
            value = getattr(self, what)
            if value is not None and not isinstance(value, Mapping):
                raise ConfigError(f"{what} for vector field {self.name!r} must be a dict, got {type(value).__name__}")
        if (self.kind is VectorKind.BM25) != (self.bm25 is not None):
            raise ConfigError(f"vector field {self.name!r}: a BM25 field needs its BM25 function, and only it")
        metric = self.metric or _metric(self.index_params) or _default_metric(self.kind)
        metric = str(metric).upper()
        allowed = METRICS if self.kind is VectorKind.DENSE else ("IP",) if self.kind is VectorKind.SPARSE else ("BM25",)
        if metric not in allowed:
            raise ConfigError(f"metric {metric!r} does not fit {self.kind.value} vector field {self.name!r}: {allowed}")
        object.__setattr__(self, "metric", metric)

    @property
    def field(self) -> VectorField:
        return VectorField(self.name, self.kind, self.dim, str(self.metric))


def _metric(params: Mapping[str, Any] | None) -> str | None:
    value = (params or {}).get("metric_type")
    return str(value) if value else None


def _default_metric(kind: VectorKind) -> str:
    return {VectorKind.SPARSE: "IP", VectorKind.BM25: "BM25"}.get(kind, "COSINE")


def as_list(value: Any) -> list[Any]:
    """The peers' "one or a list" keywords as a list (None: empty)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def plan(
    embeddings: Sequence[VectorKind],
    functions: Sequence[BM25Spec],
    vector_field: str | Sequence[str] | None,
    *,
    index_params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    search_params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    metric: str = "COSINE",
    default_name: str = "vector",
) -> tuple[VectorSpec, ...]:
    """The vector fields for `embeddings` (the kind each embedding makes, in order) and BM25 `functions`, named as
    langchain-milvus names them: `vector_field` names not filled by a function go to the embeddings in order; more
    embeddings than names get ``vector_2``, ``vector_3``...; the functions' output fields come last. `index_params`
    and `search_params` are one dict (one vector field) or a list with one per field, in that order.
    """
    names = [str(n) for n in as_list(vector_field)] or ([default_name] if embeddings else [])
    if len(set(names)) != len(names):
        raise ConfigError(f"vector_field names repeat: {names}")
    outputs = [f.output_field for f in functions]
    if len(set(outputs)) != len(outputs):
        raise ConfigError(f"two builtin functions write the same field: {outputs}")
    for_embeddings = [n for n in names if n not in outputs]
    if len(for_embeddings) > len(embeddings):
        raise ConfigError(
            f"vector_field names {for_embeddings} are more than the {len(embeddings)} embedding(s) and are no "
            f"builtin function's output ({outputs}); give one name per embedding"
        )
    for_embeddings += [f"vector_{i + 1}" for i in range(len(for_embeddings), len(embeddings))]
    clash = set(for_embeddings) & set(outputs)
    if clash:
        raise ConfigError(f"vector fields {sorted(clash)} are both an embedding's and a builtin function's")
    all_names = for_embeddings + outputs
    indexes = _per_field(index_params, all_names, "index_params")
    searches = _per_field(search_params, all_names, "search_params")
    specs: list[VectorSpec] = []
    for i, (name, kind) in enumerate(zip(for_embeddings, embeddings, strict=True)):
        chosen = metric if kind is VectorKind.DENSE and not _metric(indexes[i]) else None
        specs.append(VectorSpec(name, kind, None, chosen, indexes[i], searches[i]))
    offset = len(for_embeddings)
    for j, function in enumerate(functions):
        specs.append(VectorSpec(function.output_field, VectorKind.BM25, None, None, indexes[offset + j],
                                searches[offset + j], function))  # fmt: skip
    return tuple(specs)


def _per_field(value: Any, names: Sequence[str], what: str) -> list[Mapping[str, Any] | None]:
    given = as_list(value)
    if not given:
        return [None] * len(names)
    if len(given) != len(names):
        raise ConfigError(
            f"{what} has {len(given)} dict(s) for {len(names)} vector field(s) {list(names)}: give one per field, "
            "in that order"
        )
    for item in given:
        if not isinstance(item, Mapping):
            raise ConfigError(f"{what} must be a dict or a list of dicts, got {type(item).__name__}")
    return list(given)


# -- routing: which embedding fills which field, and what a text query searches -------------------------------
class Encoder(Protocol):
    """What fills a DENSE or SPARSE field: an `Embedder`, or a `core.functions.SparseEncoder`."""

    def embed_documents(self, texts: Sequence[str]) -> Any: ...

    def embed_query(self, text: str) -> Any: ...

    async def aembed_documents(self, texts: Sequence[str]) -> Any: ...

    async def aembed_query(self, text: str) -> Any: ...


class Router:
    """The vector fields of a multi-vector store and the encoder of each DENSE / SPARSE one (BM25 fields are
    filled by Milvus and searched with the query text). Sync and async embed the same way."""

    def __init__(self, specs: Sequence[VectorSpec], encoders: Mapping[str, Encoder]) -> None:
        self.specs = tuple(specs)
        missing = [s.name for s in self.specs if s.kind is not VectorKind.BM25 and s.name not in encoders]
        if missing:
            raise ConfigError(f"vector fields {missing} have no embedding to fill them")
        self.encoders = dict(encoders)

    @property
    def fields(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def main(self) -> str | None:
        """The first dense field (plain vector searches and MMR use it)."""
        return next((s.name for s in self.specs if s.kind is VectorKind.DENSE), None)

    def embed(self, texts: Sequence[str]) -> dict[str, Any]:
        """Every encoded field's vectors for `texts` (a store's add takes them by field)."""
        return {name: encoder.embed_documents(list(texts)) for name, encoder in self.encoders.items()}

    async def aembed(self, texts: Sequence[str]) -> dict[str, Any]:
        return {name: await encoder.aembed_documents(list(texts)) for name, encoder in self.encoders.items()}

    def queries(self, text: str, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """What each of `fields` (default: all) searches with for the query `text`."""
        return {n: self.encoders[n].embed_query(text) if n in self.encoders else text for n in self._pick(fields)}

    async def aqueries(self, text: str, fields: Sequence[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self._pick(fields):
            out[name] = await self.encoders[name].aembed_query(text) if name in self.encoders else text
        return out

    def _pick(self, fields: Sequence[str] | None) -> list[str]:
        if fields is None:
            return self.fields
        unknown = [f for f in fields if f not in self.fields]
        if unknown:
            raise ConfigError(f"{unknown[0]!r} is not a vector field of this store; vector fields: {self.fields}")
        return list(fields)

    def parts(
        self, data: Mapping[str, Any], *, param: Any = None, fetch_k: int | None = None
    ) -> list[FieldQuery]:
        """One `FieldQuery` per field of `data`; `param` is one search-params dict per field (a list, in field
        order) or None for each field's own."""
        params = _per_field(param, list(data), "param") if param is not None else [None] * len(data)
        return [FieldQuery(n, q, params=p, limit=fetch_k) for (n, q), p in zip(data.items(), params, strict=True)]


def fusion(
    ranker_type: str | None, ranker_params: Mapping[str, Any] | None, reranker: Any, searches: int
) -> HybridConfig | Function:
    """How a search over several fields is fused, from langchain-milvus' keywords: a pymilvus RERANK `Function`
    (`reranker`), or `ranker_type` "rrf" / "weighted" with `ranker_params` ``{"k": 60}`` / ``{"weights": [...]}``.
    Neither: the peer's default, a weighted sum with weight 1.0 per field."""
    if reranker is not None:
        if ranker_type is not None or ranker_params is not None:
            raise ConfigError("pass reranker= or ranker_type=/ranker_params=, not both")
        if not isinstance(reranker, Function) or reranker.type != FunctionType.RERANK:
            raise ConfigError(f"reranker must be a pymilvus Function of type RERANK, got {reranker!r}")
        return reranker
    if ranker_params is not None and not isinstance(ranker_params, Mapping):
        raise ConfigError(f"ranker_params must be a dict like {{'k': 60}} or {{'weights': [...]}}: {ranker_params!r}")
    if ranker_type is None:
        if ranker_params:
            raise ConfigError("ranker_params needs ranker_type='rrf' or 'weighted'")
        return HybridConfig("weighted", weights=(1.0,) * searches)
    params = dict(ranker_params or {})
    config = HybridConfig.parse(ranker_type, params)
    if config.ranker == "weighted" and "weights" not in params:
        return HybridConfig("weighted", weights=(1.0,) * searches)
    return config
