"""Several vector fields in one collection: what each one is (`VectorSpec`) and how the peers' keywords name them
(`plan`). A store given specs creates them all (each with its own index), writes every one of them per row, and
searches one by name or all of them fused (`core.search.Searcher.fused`).

Kinds: DENSE (an embedding, its dimension from the data), SPARSE (a user sparse embedding, ``{index: weight}``;
metric IP) and BM25 (filled by Milvus' BM25 function from the text; searched with the query text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.functions import BM25Spec
from milvus_integrations.core.layout import METRICS, VectorField, VectorKind


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
