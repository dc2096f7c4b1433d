"""`MilvusVectorStore` for LlamaIndex: a thin translation between nodes / queries and the core store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from pydantic import ConfigDict, Field, PrivateAttr

from milvus_integrations.conventions import PEER_DOC_ID_FIELD, REF_DOC_ID_KEY
from milvus_integrations.core.aio import run_sync
from milvus_integrations.core.connection import CONNECTION_KEYWORDS, ConnectionConfig, redact_uri
from milvus_integrations.core.errors import ConfigError, refuse_unknown
from milvus_integrations.core.filters import Expr, ir
from milvus_integrations.core.layout import Layout, VectorField, VectorKind
from milvus_integrations.core.modes import HybridConfig
from milvus_integrations.core.records import Hit, Record
from milvus_integrations.core.search import FieldQuery
from milvus_integrations.core.store import Store
from milvus_integrations.core.tuning import bulk_gc_pause
from milvus_integrations.llama_index.compat import IndexManagement, Plan, index_missing, resolve
from milvus_integrations.llama_index.compat import plan as compat_plan
from milvus_integrations.llama_index.filters import to_ir
from milvus_integrations.llama_index.nodes import PEER_ID_FIELD, to_node, to_peer_row, to_row
from milvus_integrations.llama_index.scalar_filters import scalar_to_ir

DEFAULT_URI = "./milvus_llamaindex.db"
DEFAULT_MMR_FETCH = 4  # MMR looks at this many times similarity_top_k candidates
QUERY_KEYWORDS = frozenset(
    {
        "mmr_threshold",
        "mmr_prefetch_k",
        "mmr_prefetch_factor",
        "string_expr",
        "milvus_scalar_filters",
        "milvus_search_config",
        "milvus_partition_name",
        "milvus_partition_names",
        "output_fields",
    }
)


class _AsyncClient:
    """`aclient`: the store's client with every method awaitable (run in a worker thread, as the store's own async
    methods are), so code written for the peer's `AsyncMilvusClient` (``await store.aclient.query(...)``) runs."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await run_sync(method, *args, **kwargs)

        return call


class MilvusVectorStore(BasePydanticVectorStore):
    """A LlamaIndex vector store on Milvus (Lite by default; a server or Zilliz Cloud with `uri` and `token`).

    Takes llama-index-vector-stores-milvus' constructor keywords (`compat.KEYWORDS`; `id_field`, `text_field`,
    `vector_field` and `metric` are aliases). Without `dim` the dimension is inferred from the first nodes added
    and the collection is created then; with `dim` it is created at construction. Rows written by the LangChain
    adapter or by the peer are read as nodes; nodes written here come back whole (type, relationships, ref_doc_id).
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    stores_text: bool = True
    flat_metadata: bool = False
    uri: str = DEFAULT_URI
    token: str | None = Field(default=None, repr=False, exclude=True)
    collection_name: str = "llamaindex"
    dim: int | None = None
    metric: str = "COSINE"
    similarity_metric: str = "COSINE"
    consistency_level: str = "Session"
    overwrite: bool = False
    upsert_mode: bool = True
    enable_dense: bool = True
    enable_sparse: bool = False
    full_text_search: bool = False
    embedding_field: str | None = None
    text_key: str | None = None
    primary_field: str | None = None
    doc_id_field: str | None = None
    sparse_embedding_field: str | None = None
    sparse_embedding_function: Any = Field(default=None, exclude=True)
    output_fields: list[str] | None = None
    hybrid_ranker: str = "RRFRanker"
    hybrid_ranker_params: dict[str, Any] = Field(default_factory=dict)
    index_config: dict[str, Any] | None = None
    sparse_index_config: dict[str, Any] | None = None
    search_config: dict[str, Any] | None = None
    collection_properties: dict[str, Any] | None = None
    index_management: IndexManagement = IndexManagement.CREATE_IF_NOT_EXISTS
    use_async_client: bool = True
    batch_size: int = 1000

    _store: Store = PrivateAttr()
    _plan: Plan = PrivateAttr()

    def __init__(
        self,
        uri: str = DEFAULT_URI,
        collection_name: str = "llamaindex",
        token: str | None = None,
        dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        # connection settings as pymilvus' MilvusClient takes them (keywords or a connection_args dict): passed
        # through to the client, never stored on the model (so no secret is in its fields or dumps)
        connection_args = kwargs.pop("connection_args", None)
        passed = {name: kwargs.pop(name) for name in CONNECTION_KEYWORDS[2:] if name in kwargs}
        connection = ConnectionConfig.from_args(
            uri if uri != DEFAULT_URI or not connection_args else None, token, connection_args=connection_args, **passed
        )
        settings = resolve(kwargs)
        plan = compat_plan(settings, collection_name, dim)
        get = settings.get
        super().__init__(  # type: ignore[call-arg]
            uri=connection.uri,
            collection_name=collection_name,
            token=connection.token,
            dim=dim,
            metric=plan.options.metric,
            similarity_metric=plan.options.metric,
            consistency_level=plan.options.consistency_level,
            overwrite=plan.options.drop_old,
            upsert_mode=True,
            enable_dense=bool(get("enable_dense", True)),
            enable_sparse=plan.sparse_field is not None,
            full_text_search=plan.sparse_field is not None and plan.encoder is None,
            embedding_field=get("embedding_field"),
            text_key=get("text_key"),
            primary_field=get("primary_field"),
            doc_id_field=get("doc_id_field"),
            sparse_embedding_field=plan.sparse_field,
            sparse_embedding_function=get("sparse_embedding_function"),
            output_fields=list(get("output_fields")) if get("output_fields") is not None else None,
            hybrid_ranker=str(get("hybrid_ranker", "RRFRanker")),
            hybrid_ranker_params=dict(get("hybrid_ranker_params", {}) or {}),
            index_config=get("index_config"),
            sparse_index_config=get("sparse_index_config"),
            search_config=get("search_config"),
            collection_properties=get("collection_properties"),
            index_management=plan.index_management,
            use_async_client=bool(get("use_async_client", True)),
            batch_size=plan.options.insert_batch_size,
        )
        self._plan = plan
        self._store = Store(plan.options, connection)
        if plan.index_management is IndexManagement.CREATE_IF_NOT_EXISTS:
            index_missing(self._store)
        if dim is not None:  # created now, as the peer does
            self._store.collection.ensure(self._store.options.template())

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (redact_uri(value) if name == "uri" and isinstance(value, str) else value)

    @classmethod
    def class_name(cls) -> str:
        return "MilvusIntegrationsVectorStore"

    @property
    def client(self) -> Any:
        """The pymilvus `MilvusClient` this store uses."""
        return self._store.client

    @property
    def aclient(self) -> Any:
        """`client` with awaitable methods (see `_AsyncClient`); there is no second connection."""
        return _AsyncClient(self._store.client)

    @property
    def store(self) -> Store:
        return self._store

    # -- translation -------------------------------------------------------------------------------------
    def _peer_rows(self, layout: Layout | None) -> bool:
        """Whether rows are written as the peer writes them (its node JSON under `_node_content`, `doc_id`): in a
        collection whose primary key is the peer's `id`, or that has a typed `doc_id` field."""
        return layout is not None and (layout.primary == PEER_ID_FIELD or self._ref_doc_key() in layout.scalars)

    def _ref_doc_key(self) -> str:
        """Where the source document id is: `doc_id_field`, the peer's `doc_id`, or our bookkeeping key."""
        if self.doc_id_field:
            return self.doc_id_field
        layout = self._store.layout()
        if layout is not None and (PEER_DOC_ID_FIELD in layout.scalars or layout.primary == PEER_ID_FIELD):
            return PEER_DOC_ID_FIELD
        return REF_DOC_ID_KEY

    def _where(
        self,
        filters: MetadataFilters | None = None,
        node_ids: Sequence[str] | None = None,
        doc_ids: Sequence[str] | None = None,
        scalar_filters: Any = None,
    ) -> Expr | None:
        parts = [p for p in (to_ir(filters), scalar_to_ir(scalar_filters)) if p is not None]
        if doc_ids is not None:
            parts.append(ir.in_(self._ref_doc_key(), list(doc_ids)))
        if node_ids is not None:
            layout = self._store.layout()
            parts.append(ir.in_(layout.primary if layout else "pk", list(node_ids)))
        return ir.and_(*parts) if parts else None

    def _sparse_field(self, layout: Layout) -> VectorField:
        """The sparse field a SPARSE / TEXT_SEARCH / HYBRID query searches."""
        if self._plan.sparse_field in layout.vector_names:
            return layout.vector_field(str(self._plan.sparse_field))
        sparse = [v for v in layout.vectors if v.kind in (VectorKind.SPARSE, VectorKind.BM25)]
        if not sparse:
            raise ConfigError(
                f"collection {self.collection_name!r} has no sparse field: this query mode needs a store made with "
                "enable_sparse=True (BM25, or a sparse_embedding_function)"
            )
        return sparse[0]

    def _sparse_query(self, field: VectorField, text: str) -> Any:
        if field.kind is VectorKind.BM25:
            return text
        if self._plan.encoder is None:
            raise ConfigError(f"sparse field {field.name!r} holds user sparse vectors: pass sparse_embedding_function")
        return self._plan.encoder.embed_query(text)

    # -- writes ----------------------------------------------------------------------------------------------
    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Upsert nodes (an existing id is replaced). Keywords: `milvus_partition_name`, `force_flush`."""
        partition = add_kwargs.pop("milvus_partition_name", None)
        force_flush = bool(add_kwargs.pop("force_flush", False))
        refuse_unknown(add_kwargs, "add()")
        if not nodes:
            return []
        with bulk_gc_pause(len(nodes)):  # from the first row made to the last written (see core.tuning)
            layout = self._store.layout() or self._store.options.template()
            peer = self._peer_rows(layout)
            rows = [to_peer_row(n, self._ref_doc_key()) if peer else to_row(n) for n in nodes]
            if layout.text is None and self.text_key:  # the text under a dynamic key (a collection made elsewhere)
                rows = [(i, t, {**m, self.text_key: t}) for i, t, m in rows]
            ids, texts, metadatas = zip(*rows, strict=True)
            vectors: dict[str, Any] = {}
            for field in layout.vectors:
                if field.kind in (VectorKind.DENSE, VectorKind.BINARY):
                    missing = [i for i, n in enumerate(nodes) if n.embedding is None]
                    if missing:
                        raise ConfigError(f"node {missing[0]} ({nodes[missing[0]].node_id!r}) has no embedding")
                    vectors[field.name] = [n.get_embedding() for n in nodes]
                elif field.kind is VectorKind.SPARSE:
                    if self._plan.encoder is None:
                        raise ConfigError(
                            f"sparse field {field.name!r} needs values: pass sparse_embedding_function to the store"
                        )
                    vectors[field.name] = self._plan.encoder.embed_documents(list(texts))
            self._store.add(ids, texts, vectors, metadatas, partition=partition)
            if force_flush:
                self._store.flush()
        return list(ids)

    async def async_add(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[str]:
        return await run_sync(self.add, nodes, **kwargs)

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Delete the nodes of one source document (matched exactly, never spliced into an expression)."""
        refuse_unknown(delete_kwargs, "delete()")
        self._store.delete(filter=ir.eq(self._ref_doc_key(), ref_doc_id))

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        await run_sync(self.delete, ref_doc_id, **delete_kwargs)

    def delete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        refuse_unknown(delete_kwargs, "delete_nodes()")
        if node_ids is None and (filters is None or not filters.filters):
            raise ConfigError("delete_nodes needs node_ids or filters; use clear() to delete everything")
        self._store.delete(filter=self._where(filters, node_ids))

    async def adelete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        await run_sync(self.delete_nodes, node_ids, filters, **delete_kwargs)

    def clear(self) -> None:
        """Remove every node; the store stays usable (the collection is recreated on the next add)."""
        self._store.clear()

    async def aclear(self) -> None:
        await run_sync(self.clear)

    # -- reads -----------------------------------------------------------------------------------------------
    def get_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **kwargs: Any,
    ) -> list[BaseNode]:
        """Nodes by id and/or filters, with their embeddings. Keyword: `milvus_scalar_filters`."""
        scalar = kwargs.pop("milvus_scalar_filters", None)
        refuse_unknown(kwargs, "get_nodes()")
        if node_ids is not None and not (filters and filters.filters) and scalar is None:
            return [self._node(r) for r in self._store.get(node_ids, with_vectors=True)]
        where = self._where(filters, node_ids, scalar_filters=scalar)
        return [self._node(r) for r in self._store.query(filter=where, with_vectors=True)]

    async def aget_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **kwargs: Any,
    ) -> list[BaseNode]:
        return await run_sync(self.get_nodes, node_ids, filters, **kwargs)

    def _node(self, record: Record, output_fields: Sequence[str] | None = None) -> BaseNode:
        node = to_node(record)
        if not record.text and self.text_key and isinstance(node.metadata.get(self.text_key), str):
            node.set_content(node.metadata.pop(self.text_key))  # the text under a dynamic key
        keep = output_fields if output_fields is not None else self.output_fields
        if keep is not None:
            node.metadata = {k: v for k, v in node.metadata.items() if k in keep}
        return node

    def _hits(self, query: VectorStoreQuery, kwargs: dict[str, Any]) -> list[Hit]:
        unknown = {k: v for k, v in kwargs.items() if k not in QUERY_KEYWORDS}
        refuse_unknown(unknown, "query()")
        mmr_threshold = kwargs.get("mmr_threshold", query.mmr_threshold)
        prefetch_k = kwargs.get("mmr_prefetch_k")
        prefetch_factor = kwargs.get("mmr_prefetch_factor")
        partitions = kwargs.get("milvus_partition_names") or (
            [kwargs["milvus_partition_name"]] if kwargs.get("milvus_partition_name") else None
        )
        more: dict[str, Any] = {"partitions": partitions, "params": kwargs.get("milvus_search_config")}
        mode = query.mode
        k = (query.hybrid_top_k or query.similarity_top_k) if mode == VectorStoreQueryMode.HYBRID else None
        k = k or query.similarity_top_k
        # LlamaIndex's retrievers pass empty id lists to mean "no restriction"
        where = self._where(
            query.filters, query.node_ids or None, query.doc_ids or None, kwargs.get("milvus_scalar_filters")
        )
        expr = kwargs.get("string_expr") or None
        if expr is not None and not isinstance(expr, str):
            raise ConfigError(f"string_expr must be a Milvus expression string, got {type(expr).__name__}")
        vector = query.query_embedding
        if mode == VectorStoreQueryMode.MMR:
            if vector is None:
                raise ConfigError("mmr search needs query_embedding")
            if prefetch_k is not None and prefetch_factor is not None:
                raise ConfigError("pass mmr_prefetch_k or mmr_prefetch_factor, not both")
            fetch = prefetch_k if prefetch_k is not None else int(k * (prefetch_factor or DEFAULT_MMR_FETCH))
            lam = 0.5 if mmr_threshold is None else mmr_threshold
            return self._store.mmr(vector, k, fetch_k=fetch, lambda_mult=lam, filter=where, expr=expr, **more)
        if mode not in (
            VectorStoreQueryMode.DEFAULT,
            VectorStoreQueryMode.HYBRID,
            VectorStoreQueryMode.SPARSE,
            VectorStoreQueryMode.TEXT_SEARCH,
        ):
            raise ConfigError(f"query mode {mode.value!r}: this store does not support it")
        layout = self._store.layout()
        if layout is None:
            return []
        if mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.SPARSE):
            if not query.query_str:
                raise ConfigError(f"{mode.value} search needs query_str")
            field = self._sparse_field(layout)
            data = self._sparse_query(field, query.query_str)
            more.pop("params")
            return self._store.search_many([data], k, filter=where, expr=expr, field=field.name, **more)[0]
        if vector is None:
            raise ConfigError(f"{mode.value} search needs query_embedding")
        if mode == VectorStoreQueryMode.HYBRID:
            if not query.query_str:
                raise ConfigError("hybrid search needs query_str")
            field = self._sparse_field(layout)
            hybrid = self._plan.hybrid
            if query.alpha is not None:
                hybrid = HybridConfig("weighted", weights=(float(query.alpha), 1 - float(query.alpha)))
            dense = FieldQuery(str(layout.vector), vector, params=more.pop("params"))
            parts = [dense, FieldQuery(field.name, self._sparse_query(field, query.query_str))]
            return self._store.fused(parts, k, fuse=hybrid, filter=where, expr=expr, **more)
        return self._store.search_many([vector], k, filter=where, expr=expr, **more)[0]

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """Similarities are higher-is-better for every metric (relevance in [0, 1]; RRF or weighted for hybrid).
        Keywords (a retriever's `vector_store_kwargs`): `string_expr` (a Milvus expression ANDed with the filters),
        `milvus_scalar_filters` (`ScalarMetadataFilters`), `mmr_threshold` (MMR's lambda: 1 is plain relevance),
        `mmr_prefetch_k` or `mmr_prefetch_factor`, `milvus_search_config`, `milvus_partition_name(s)`,
        `output_fields` (metadata keys returned); any other raises."""
        hits = self._hits(query, kwargs)
        keep = kwargs.get("output_fields", query.output_fields)
        nodes = [self._node(h.record, keep) for h in hits]
        return VectorStoreQueryResult(
            nodes=nodes, similarities=[h.relevance for h in hits], ids=[n.node_id for n in nodes]
        )

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        return await run_sync(self.query, query, **kwargs)

    def close(self) -> None:
        self._store.close()
