"""`MilvusVectorStore` for LlamaIndex: a thin translation between nodes / queries and the core store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

from milvus_integrations.conventions import NOT_TEXT, PEER_DOC_ID_FIELD, REF_DOC_ID_KEY
from milvus_integrations.core.aio import run_sync
from milvus_integrations.core.connection import ConnectionConfig, redact_uri
from milvus_integrations.core.errors import ConfigError, refuse_unknown
from milvus_integrations.core.filters import Expr, ir
from milvus_integrations.core.modes import HybridConfig, RetrievalMode
from milvus_integrations.core.options import StoreOptions
from milvus_integrations.core.records import Hit
from milvus_integrations.core.store import Store
from milvus_integrations.core.tuning import bulk_gc_pause
from milvus_integrations.llama_index.filters import to_ir
from milvus_integrations.llama_index.nodes import to_node, to_row

DEFAULT_URI = "./milvus_llamaindex.db"
DEFAULT_MMR_FETCH = 4  # MMR looks at this many times similarity_top_k candidates


class MilvusVectorStore(BasePydanticVectorStore):
    """A LlamaIndex vector store on Milvus (Lite by default; a server or Zilliz Cloud with `uri` and `token`).

    The dimension is inferred from the first nodes added. Rows written by the LangChain adapter are read as
    `TextNode`s; nodes written here come back whole (type, relationships, ref_doc_id).
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    stores_text: bool = True
    flat_metadata: bool = False
    uri: str = DEFAULT_URI
    token: str | None = Field(default=None, repr=False, exclude=True)
    collection_name: str = "llamaindex"
    metric: str = "COSINE"
    dim: int | None = None
    consistency_level: str = "Session"
    overwrite: bool = False
    full_text_search: bool = False
    hybrid_ranker: str = "rrf"
    index_config: dict[str, Any] | None = None
    search_config: dict[str, Any] | None = None
    batch_size: int = 1000

    _store: Store = PrivateAttr()

    def __init__(
        self,
        uri: str = DEFAULT_URI,
        collection_name: str = "llamaindex",
        token: str | None = None,
        metric: str | None = None,
        dim: int | None = None,
        *,
        consistency_level: str = "Session",
        overwrite: bool = False,
        full_text_search: bool | None = None,
        hybrid_ranker: str = "rrf",
        index_config: dict[str, Any] | None = None,
        search_config: dict[str, Any] | None = None,
        batch_size: int = 1000,
        similarity_metric: str | None = None,
        enable_sparse: bool | None = None,
        connection_args: Mapping[str, Any] | None = None,
        user: str | None = None,
        password: str | None = None,
        db_name: str | None = None,
        timeout: float | None = None,
        secure: bool | None = None,
        server_pem_path: str | None = None,
        server_name: str | None = None,
        ca_pem_path: str | None = None,
        client_pem_path: str | None = None,
        client_key_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        # connection settings as pymilvus' MilvusClient takes them (keywords or a connection_args dict); they are
        # passed through, never stored on the model (so no secret is in its fields or dumps)
        connection = ConnectionConfig.from_args(
            uri if uri != DEFAULT_URI or not connection_args else None,
            token,
            connection_args=connection_args,
            user=user,
            password=password,
            db_name=db_name,
            timeout=timeout,
            secure=secure,
            server_pem_path=server_pem_path,
            server_name=server_name,
            ca_pem_path=ca_pem_path,
            client_pem_path=client_pem_path,
            client_key_path=client_key_path,
        )
        if metric is not None and similarity_metric is not None and metric != similarity_metric:
            raise ConfigError("pass metric or similarity_metric (its name in the LlamaIndex peer), not both")
        full_text = bool(full_text_search if full_text_search is not None else enable_sparse)
        HybridConfig(hybrid_ranker)  # validated before anything is opened
        super().__init__(  # type: ignore[call-arg]
            uri=connection.uri,
            collection_name=collection_name,
            token=connection.token,
            metric=(metric or similarity_metric or "COSINE").upper(),
            dim=dim,
            consistency_level=consistency_level,
            overwrite=overwrite,
            full_text_search=full_text,
            hybrid_ranker=hybrid_ranker,
            index_config=index_config,
            search_config=search_config,
            batch_size=batch_size,
            **kwargs,
        )
        options = StoreOptions(
            collection_name,
            metric=self.metric,
            index_params=index_config,
            search_params=search_config,
            consistency_level=consistency_level,
            dim=dim,
            full_text=full_text,
            drop_old=overwrite,
            insert_batch_size=batch_size,
            not_text=NOT_TEXT,
        )
        self._store = Store(options, connection)

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (redact_uri(value) if name == "uri" and isinstance(value, str) else value)

    @classmethod
    def class_name(cls) -> str:
        return "MilvusIntegrationsVectorStore"

    @property
    def client(self) -> Any:
        return self._store.client

    @property
    def store(self) -> Store:
        return self._store

    # -- translation -------------------------------------------------------------------------------------
    def _ref_doc_key(self) -> str:
        """Where the source document id is: ours, or the LlamaIndex peer's `doc_id` field."""
        layout = self._store.layout()
        return PEER_DOC_ID_FIELD if layout is not None and PEER_DOC_ID_FIELD in layout.scalars else REF_DOC_ID_KEY

    def _where(
        self,
        filters: MetadataFilters | None = None,
        node_ids: Sequence[str] | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Expr | None:
        parts = [p for p in (to_ir(filters),) if p is not None]
        if doc_ids is not None:
            parts.append(ir.in_(self._ref_doc_key(), list(doc_ids)))
        if node_ids is not None:
            layout = self._store.layout()
            parts.append(ir.in_(layout.primary if layout else "pk", list(node_ids)))
        return ir.and_(*parts) if parts else None

    # -- writes ----------------------------------------------------------------------------------------------
    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        refuse_unknown(add_kwargs, "add()")
        if not nodes:
            return []
        with bulk_gc_pause(len(nodes)):  # from the first row made to the last written (see core.tuning)
            ids, texts, metadatas = zip(*map(to_row, nodes), strict=True)
            vectors = None
            if any(n.embedding is not None for n in nodes) or not self.full_text_search:
                missing = [i for i, n in enumerate(nodes) if n.embedding is None]
                if missing:
                    raise ConfigError(f"node {missing[0]} ({nodes[missing[0]].node_id!r}) has no embedding")
                vectors = [n.get_embedding() for n in nodes]
            self._store.add(ids, texts, vectors, metadatas)
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
    ) -> list[BaseNode]:
        if node_ids is not None and not (filters and filters.filters):
            return [to_node(r) for r in self._store.get(node_ids)]
        return [to_node(r) for r in self._store.query(filter=self._where(filters, node_ids))]

    async def aget_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
    ) -> list[BaseNode]:
        return await run_sync(self.get_nodes, node_ids, filters)

    def _hits(self, query: VectorStoreQuery, kwargs: Mapping[str, Any]) -> list[Hit]:
        options = dict(kwargs)
        mmr_threshold = options.pop("mmr_threshold", query.mmr_threshold)
        prefetch_k = options.pop("mmr_prefetch_k", None)
        prefetch_factor = options.pop("mmr_prefetch_factor", None)
        refuse_unknown(options, "query()")
        mode = query.mode
        k = (query.hybrid_top_k or query.similarity_top_k) if mode == VectorStoreQueryMode.HYBRID else None
        k = k or query.similarity_top_k
        # LlamaIndex's retrievers pass empty id lists to mean "no restriction"
        where = self._where(query.filters, query.node_ids or None, query.doc_ids or None)
        vector = query.query_embedding
        if mode == VectorStoreQueryMode.MMR:
            if vector is None:
                raise ConfigError("mmr search needs query_embedding")
            if prefetch_k is not None and prefetch_factor is not None:
                raise ConfigError("pass mmr_prefetch_k or mmr_prefetch_factor, not both")
            fetch = prefetch_k if prefetch_k is not None else int(k * (prefetch_factor or DEFAULT_MMR_FETCH))
            lam = 0.5 if mmr_threshold is None else mmr_threshold
            return self._store.mmr(vector, k, fetch_k=fetch, lambda_mult=lam, filter=where)
        if mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.SPARSE):
            if not query.query_str:
                raise ConfigError(f"{mode.value} search needs query_str")
            return self._store.retrieve(RetrievalMode.FULL_TEXT, k, text=query.query_str, filter=where)
        if vector is None:
            raise ConfigError(f"{mode.value} search needs query_embedding")
        if mode == VectorStoreQueryMode.HYBRID:
            if not query.query_str:
                raise ConfigError("hybrid search needs query_str")
            hybrid = HybridConfig(self.hybrid_ranker)
            if query.alpha is not None or hybrid.ranker == "weighted":
                alpha = 0.5 if query.alpha is None else float(query.alpha)
                hybrid = HybridConfig("weighted", weights=(alpha, 1 - alpha))
            return self._store.retrieve(
                RetrievalMode.HYBRID, k, text=query.query_str, vector=vector, filter=where, hybrid=hybrid
            )
        if mode != VectorStoreQueryMode.DEFAULT:
            raise ConfigError(f"query mode {mode.value!r} is not supported by this store")
        return self._store.retrieve(RetrievalMode.DENSE, k, vector=vector, filter=where)

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """Similarities are higher-is-better for every metric (relevance in [0, 1]; RRF or weighted for hybrid).
        Keywords (a retriever's `vector_store_kwargs`): `mmr_threshold` (MMR's lambda: 1 is plain relevance),
        `mmr_prefetch_k` or `mmr_prefetch_factor` (candidates MMR looks at); any other raises."""
        hits = self._hits(query, kwargs)
        nodes = [to_node(h.record) for h in hits]
        return VectorStoreQueryResult(
            nodes=nodes, similarities=[h.relevance for h in hits], ids=[n.node_id for n in nodes]
        )

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        return await run_sync(self.query, query, **kwargs)

    def close(self) -> None:
        self._store.close()
