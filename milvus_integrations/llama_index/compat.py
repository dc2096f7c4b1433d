"""llama-index-vector-stores-milvus' constructor keywords, as data: which ones this store takes, which names mean the
same thing (`id_field` is our `primary_field`, `text_key` our `text_field`...), checked once at construction.
`Settings` is what they resolve to; `options` turns that into the core's `StoreOptions` (vector fields planned by
`core.vectors`, the BM25 function or the user's sparse embedding described by `core.functions`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pymilvus import DataType

from milvus_integrations.conventions import NOT_TEXT
from milvus_integrations.core.errors import ConfigError, UnknownKeywordError
from milvus_integrations.core.functions import BM25Spec, SparseEncoder, bm25_spec, is_sparse_embedding, sparse_encoder
from milvus_integrations.core.layout import MAX_VARCHAR, SCALAR_TYPES, ScalarField, VectorKind
from milvus_integrations.core.modes import HybridConfig
from milvus_integrations.core.options import StoreOptions
from milvus_integrations.core.vectors import VectorSpec


class IndexManagement(Enum):
    """What the store does about indexes of an existing collection (the peer's enum)."""

    NO_VALIDATION = "no_validation"  # leave them as they are
    CREATE_IF_NOT_EXISTS = "create_if_not_exists"  # index vector fields that have none


# Every keyword the constructor takes: its canonical name (aliases map to it) and what it does here. The README's
# migration table is written from this; `resolve` refuses anything else, naming it.
KEYWORDS: dict[str, str] = {
    "uri": "Milvus Lite file, server or Zilliz Cloud address",
    "token": "'user:password' or an API key (never shown in repr or errors)",
    "collection_name": "the collection (the peer's default 'llamacollection' is ours 'llamaindex')",
    "dim": "dense dimension; when given, the collection is created at construction (as the peer does)",
    "embedding_field": "name of the dense vector field of a new collection (default 'vector')",
    "primary_field": "name of the primary key field of a new collection (default 'pk')",
    "text_key": "name of the text field (default 'text')",
    "doc_id_field": "metadata key holding the source document id on a new collection (default: our bookkeeping)",
    "output_fields": "metadata keys a query returns (default: all)",
    "similarity_metric": "COSINE (our default), IP or L2",
    "consistency_level": "Strong, Session (default), Bounded or Eventually",
    "overwrite": "drop an existing collection of that name first",
    "upsert_mode": "accepted: every add here is an upsert (an existing id is replaced)",
    "batch_size": "rows per insert call",
    "enable_dense": "keep dense vectors (default True)",
    "enable_sparse": "add a sparse field: Milvus' BM25 unless sparse_embedding_function is a user sparse embedding",
    "full_text_search": "ours: enable_sparse with Milvus' BM25 function",
    "sparse_embedding_field": "name of the sparse field (default 'sparse_embedding' for a user one, 'sparse' for BM25)",
    "sparse_embedding_function": "a BaseSparseEmbeddingFunction, or a BM25BuiltInFunction",
    "sparse_index_config": "index params of the sparse field",
    "index_config": "index params of the dense field",
    "search_config": "search params of the dense field",
    "collection_properties": "collection properties set at creation (e.g. 'collection.ttl.seconds')",
    "scalar_field_names": "typed scalar fields of a new collection (with scalar_field_types)",
    "scalar_field_types": "their pymilvus DataTypes",
    "index_management": "IndexManagement (or its value): NO_VALIDATION or CREATE_IF_NOT_EXISTS (default)",
    "hybrid_ranker": "'RRFRanker' (default) or 'WeightedRanker' ('rrf' / 'weighted' too)",
    "hybrid_ranker_params": "{'k': 60} for RRF, {'weights': [dense, sparse]} for weighted",
    "use_async_client": "accepted, no effect: async methods run the sync ones in a worker thread (see `aclient`)",
}
ALIASES: dict[str, str] = {
    "id_field": "primary_field",
    "vector_field": "embedding_field",
    "text_field": "text_key",
    "metric": "similarity_metric",
}


@dataclass(frozen=True)
class Settings:
    """The constructor's keywords, validated."""

    values: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None else value


def resolve(given: Mapping[str, Any]) -> Settings:
    """Canonical names for the given keywords; unknown ones, and an alias that contradicts its canonical name, raise."""
    unknown = sorted(k for k in given if k not in KEYWORDS and k not in ALIASES)
    if unknown:
        raise UnknownKeywordError(
            f"MilvusVectorStore got unexpected keyword arguments: {', '.join(unknown)} (see compat.KEYWORDS)"
        )
    values: dict[str, Any] = {}
    named: dict[str, str] = {}
    for name, value in given.items():
        canonical = ALIASES.get(name, name)
        if canonical in values and value is not None and values[canonical] is not None and values[canonical] != value:
            raise ConfigError(f"{name}={value!r} contradicts {named[canonical]}={values[canonical]!r}; pass one")
        if value is not None or canonical not in values:
            values[canonical], named[canonical] = value, name
    return Settings(values)


def _scalars(names: Sequence[str] | None, types: Sequence[Any] | None) -> dict[str, ScalarField]:
    if names is None and types is None:
        return {}
    if names is None or types is None or len(names) != len(types):
        raise ConfigError("scalar_field_names and scalar_field_types must be given together, one type per name")
    out: dict[str, ScalarField] = {}
    for name, dtype in zip(names, types, strict=True):
        if not isinstance(dtype, DataType) or dtype not in (*SCALAR_TYPES, DataType.JSON):
            raise ConfigError(f"scalar field {name!r}: {dtype!r} is not a scalar pymilvus DataType")
        out[str(name)] = ScalarField(dtype, max_length=MAX_VARCHAR if dtype == DataType.VARCHAR else None)
    return out


@dataclass(frozen=True)
class Plan:
    """What the adapter keeps besides the options: the sparse side and the hybrid fusion."""

    options: StoreOptions
    sparse_field: str | None  # the sparse field this store creates (None: none)
    encoder: SparseEncoder | None  # a user sparse embedding
    hybrid: HybridConfig
    index_management: IndexManagement


def plan(settings: Settings, collection_name: str, dim: int | None) -> Plan:
    """The core options for the settings (every value checked here, before anything is opened)."""
    s = settings
    metric = str(s.get("similarity_metric", "COSINE")).upper()
    metric = {"EUCLIDEAN": "L2"}.get(metric, metric)
    function = s.get("sparse_embedding_function")
    enable_sparse = bool(s.get("enable_sparse", False) or s.get("full_text_search", False) or function is not None)
    dense = bool(s.get("enable_dense", True))
    text = s.get("text_key")
    encoder: SparseEncoder | None = None
    bm25: BM25Spec | None = None
    sparse_name = s.get("sparse_embedding_field")
    if enable_sparse:
        if function is not None and is_sparse_embedding(function):
            encoder = sparse_encoder(function)
            sparse_name = sparse_name or "sparse_embedding"
        elif function is not None:
            bm25 = bm25_spec(function)
            text = text or bm25.input_field
            if sparse_name and sparse_name != bm25.output_field:
                raise ConfigError(
                    f"sparse_embedding_field={sparse_name!r} but the BM25 function writes {bm25.output_field!r}"
                )
            sparse_name = bm25.output_field
        else:
            sparse_name = sparse_name or "sparse"
            bm25 = BM25Spec(text or "text", sparse_name)
    vectors: list[VectorSpec] = []
    if dense:
        index = s.get("index_config") or None
        vectors.append(VectorSpec(s.get("embedding_field", "vector"), VectorKind.DENSE, dim, metric, index))
    if encoder is not None:
        vectors.append(VectorSpec(sparse_name, VectorKind.SPARSE, None, "IP", s.get("sparse_index_config") or None))
    elif bm25 is not None:
        vectors.append(
            VectorSpec(sparse_name, VectorKind.BM25, None, None, s.get("sparse_index_config") or None, bm25=bm25)
        )
    if not vectors:
        raise ConfigError("enable_dense=False needs enable_sparse=True: a store keeps at least one vector field")
    params = dict(s.get("hybrid_ranker_params", {}) or {})
    hybrid = HybridConfig.parse(s.get("hybrid_ranker", "RRFRanker"), params)
    if hybrid.ranker == "weighted" and "weights" not in params:
        hybrid = HybridConfig("weighted", weights=(0.5, 0.5))
    management = s.get("index_management", IndexManagement.CREATE_IF_NOT_EXISTS)
    try:
        management = IndexManagement(management.value if isinstance(management, IndexManagement) else management)
    except ValueError:
        raise ConfigError(
            f"index_management {management!r} is not one of {[m.value for m in IndexManagement]}"
        ) from None
    properties = s.get("collection_properties")
    if properties is not None and not isinstance(properties, Mapping):
        raise ConfigError(f"collection_properties must be a dict, got {type(properties).__name__}")
    output_fields = s.get("output_fields")
    if output_fields is not None and (isinstance(output_fields, str) or not isinstance(output_fields, Sequence)):
        raise ConfigError(f"output_fields must be a list of field names, got {output_fields!r}")
    options = StoreOptions(
        collection_name,
        metric=metric,
        search_params=s.get("search_config") or None,
        consistency_level=s.get("consistency_level", "Session"),
        dim=dim,
        drop_old=bool(s.get("overwrite", False)),
        insert_batch_size=s.get("batch_size", 1000),
        text_field=text,
        text_field_preferred=True,
        vector_field=s.get("embedding_field"),
        primary_field=s.get("primary_field"),
        not_text=NOT_TEXT,
        scalars=_scalars(s.get("scalar_field_names"), s.get("scalar_field_types")),
        vectors=tuple(vectors),
        properties=dict(properties) if properties else None,
    )
    return Plan(options, sparse_name, encoder, hybrid, management)


def index_missing(store: Any) -> None:
    """IndexManagement.CREATE_IF_NOT_EXISTS on an existing collection: index the vector fields that have no index
    (default index of each field's kind), as the peer does for collections made without one."""
    from milvus_integrations.core.collection import default_index, lite_index  # noqa: PLC0415 - core internals

    collection = store.collection
    client = collection.client
    if not client.has_collection(store.name):
        return
    indexed = set()
    for name in client.list_indexes(store.name):
        indexed.add(client.describe_index(store.name, name).get("field_name", name))
    layout = collection.layout()
    missing = [v for v in layout.vectors if v.name not in indexed] if layout is not None else []
    if not missing:
        return
    params = client.prepare_index_params()
    for vector in missing:
        spec = dict(default_index(vector))
        if collection.lite_engine:
            spec = lite_index(vector, spec)
        params.add_index(
            vector.name,
            index_type=spec.get("index_type", "AUTOINDEX"),
            metric_type=spec.get("metric_type", vector.metric),
            params=dict(spec.get("params", {})),
        )
    client.create_index(store.name, params)
    collection.load()
