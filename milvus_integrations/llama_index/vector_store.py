"""`MilvusVectorStore` for LlamaIndex: a thin translation between nodes / queries and the core store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.schema import BaseNode, MetadataMode, TextNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from pydantic import ConfigDict, Field, PrivateAttr

from milvus_integrations.core.aio import run_sync
from milvus_integrations.core.config import ConnectionConfig, redact_uri
from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.filters import Expr, ir
from milvus_integrations.core.layout import (
    NODE_CONTENT_KEY,
    NODE_TYPE_KEY,
    PEER_NODE_CONTENT_KEY,
    REF_DOC_ID_KEY,
    user_metadata,
)
from milvus_integrations.core.mmr import mmr_select
from milvus_integrations.core.store import Hit, Record, Store, StoreOptions, bulk_gc_pause
from milvus_integrations.llama_index.filters import to_ir

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
        **kwargs: Any,
    ) -> None:
        if metric is not None and similarity_metric is not None and metric != similarity_metric:
            raise ConfigError("pass metric or similarity_metric (its name in the LlamaIndex peer), not both")
        full_text = bool(full_text_search if full_text_search is not None else enable_sparse)
        if hybrid_ranker not in ("rrf", "weighted"):
            raise ConfigError(f"hybrid_ranker must be 'rrf' or 'weighted', got {hybrid_ranker!r}")
        super().__init__(  # type: ignore[call-arg]
            uri=uri,
            collection_name=collection_name,
            token=token,
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
        )
        self._store = Store(options, ConnectionConfig(uri=uri, token=token))

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
    @staticmethod
    def _row(node: BaseNode) -> tuple[str, str, Mapping[str, Any]]:
        # The node's JSON without what is stored in its own fields (text, vector, metadata as top-level keys), nor
        # fields left at their defaults: it lives in Milvus' dynamic JSON, which Lite parses for every row a
        # metadata filter looks at (a default TextNode's 318 bytes made filtered queries ~2x slower, measured).
        # (The id is left out of the dump too, and put back below: comparing it with its default would draw a
        # uuid4 per node, half the dump's cost.)
        payload = node.model_dump(
            mode="json", exclude={"id_", "embedding", "metadata", "text", "text_resource"}, exclude_defaults=True
        )
        text = node.get_content(metadata_mode=MetadataMode.NONE)
        # A plain TextNode (id, text, metadata, embedding) needs no bookkeeping: it is rebuilt from the row itself,
        # as a row the LangChain adapter wrote is; its metadata is passed on as it is (the store copies it into the
        # row), not copied here as well.
        if type(node) is TextNode and not set(payload) - {"class_name"}:  # no relationships, so no ref_doc_id
            return node.node_id, text, node.metadata
        payload["id_"] = node.node_id
        payload["class_name"] = node.class_name()
        metadata: dict[str, Any] = dict(node.metadata)
        metadata[NODE_CONTENT_KEY] = json.dumps(payload, ensure_ascii=False)
        metadata[NODE_TYPE_KEY] = node.class_name()
        if node.ref_doc_id is not None:
            metadata[REF_DOC_ID_KEY] = node.ref_doc_id
        return node.node_id, text, metadata

    @staticmethod
    def _node(record: Record) -> BaseNode:
        user = user_metadata(record.metadata)
        ours = record.metadata.get(NODE_CONTENT_KEY)
        peer = record.metadata.get(PEER_NODE_CONTENT_KEY)
        if isinstance(ours, str):
            node = metadata_dict_to_node(
                {"_node_content": ours, "_node_type": record.metadata.get(NODE_TYPE_KEY)}, text=record.text or ""
            )
        elif isinstance(peer, str):  # written by llama-index-vector-stores-milvus
            node = metadata_dict_to_node(dict(record.metadata), text=record.text or None)
        else:  # written by the LangChain adapter or another tool
            node = TextNode(id_=str(record.id), text=record.text or "")
        node.metadata = user
        if record.vector is not None:
            node.embedding = record.vector
        return node

    def _ref_doc_key(self) -> str:
        """Where the source document id is: ours, or the LlamaIndex peer's `doc_id` field."""
        layout = self._store.layout()
        return "doc_id" if layout is not None and "doc_id" in layout.scalars else REF_DOC_ID_KEY

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
        if add_kwargs:
            raise TypeError(f"add() got unexpected keyword arguments: {', '.join(sorted(add_kwargs))}")
        if not nodes:
            return []
        with bulk_gc_pause(len(nodes)):  # from the first row made to the last written (see the store's add)
            ids, texts, metadatas = zip(*map(self._row, nodes), strict=True)
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
        if delete_kwargs:
            raise TypeError(f"delete() got unexpected keyword arguments: {', '.join(sorted(delete_kwargs))}")
        self._store.delete(filter=ir.eq(self._ref_doc_key(), ref_doc_id))

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        await run_sync(self.delete, ref_doc_id, **delete_kwargs)

    def delete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
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
            return [self._node(r) for r in self._store.get(node_ids)]
        return [self._node(r) for r in self._store.query(filter=self._where(filters, node_ids))]

    async def aget_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
    ) -> list[BaseNode]:
        return await run_sync(self.get_nodes, node_ids, filters)

    def _hits(self, query: VectorStoreQuery) -> list[Hit]:
        k = query.hybrid_top_k or query.similarity_top_k if query.mode == VectorStoreQueryMode.HYBRID else None
        k = k or query.similarity_top_k
        # LlamaIndex's retrievers pass empty id lists to mean "no restriction"
        where = self._where(query.filters, query.node_ids or None, query.doc_ids or None)
        mode = query.mode
        if mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.SPARSE):
            if not query.query_str:
                raise ConfigError(f"{mode.value} search needs query_str")
            return self._store.text_search(query.query_str, k, filter=where)
        if query.query_embedding is None:
            raise ConfigError(f"{mode.value} search needs query_embedding")
        if mode == VectorStoreQueryMode.HYBRID:
            if not query.query_str:
                raise ConfigError("hybrid search needs query_str")
            if query.alpha is None and self.hybrid_ranker == "rrf":
                return self._store.hybrid_search(query.query_embedding, query.query_str, k, filter=where)
            alpha = 0.5 if query.alpha is None else float(query.alpha)
            return self._store.hybrid_search(
                query.query_embedding, query.query_str, k, filter=where, ranker="weighted", weights=(alpha, 1 - alpha)
            )
        if mode == VectorStoreQueryMode.MMR:
            fetch = k * DEFAULT_MMR_FETCH
            hits = self._store.search(query.query_embedding, fetch, filter=where, with_vectors=True)
            lam = 0.5 if query.mmr_threshold is None else float(query.mmr_threshold)
            chosen = mmr_select(query.query_embedding, [h.record.vector or [] for h in hits], k, lam)
            return [hits[i] for i in chosen]
        if mode != VectorStoreQueryMode.DEFAULT:
            raise ConfigError(f"query mode {mode.value!r} is not supported by this store")
        return self._store.search(query.query_embedding, k, filter=where)

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """Similarities are higher-is-better for every metric (relevance in [0, 1]; RRF or weighted for hybrid)."""
        hits = self._hits(query)
        nodes = [self._node(h.record) for h in hits]
        return VectorStoreQueryResult(
            nodes=nodes, similarities=[h.relevance for h in hits], ids=[n.node_id for n in nodes]
        )

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        return await run_sync(self.query, query, **kwargs)

    def close(self) -> None:
        self._store.close()
