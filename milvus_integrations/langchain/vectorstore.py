"""`MilvusVectorStore` for LangChain: a thin translation between LangChain's types and the core store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from milvus_integrations.conventions import NOT_TEXT, row_text, user_metadata
from milvus_integrations.core.aio import run_sync
from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.errors import ConfigError, refuse_unknown
from milvus_integrations.core.filters import Expr
from milvus_integrations.core.ingest import EMBEDDING_WINDOW, WindowedAdd, check_window
from milvus_integrations.core.modes import HybridConfig, RetrievalMode
from milvus_integrations.core.options import StoreOptions
from milvus_integrations.core.records import Hit, Record
from milvus_integrations.core.store import Store
from milvus_integrations.core.tuning import bulk_gc_pause
from milvus_integrations.embeddings.base import Embedder
from milvus_integrations.embeddings.langchain import to_langchain_embeddings
from milvus_integrations.embeddings.spec import resolve_embedder
from milvus_integrations.langchain import multivector
from milvus_integrations.langchain.filters import to_ir
from milvus_integrations.langchain.multivector import SearchHow

DEFAULT_URI = "./milvus_langchain.db"


class MilvusVectorStore(VectorStore):
    """A LangChain vector store on Milvus (Lite by default; a server or Zilliz Cloud with `uri` and `token`).

    The collection is created on the first add, with the embedding's dimension; an existing collection (ours,
    langchain-milvus', or any with a primary key, a text and a vector field) is attached to and read back.
    """

    def __init__(
        self,
        embedding: Embeddings | Embedder | str | None = None,
        *,
        uri: str | None = None,
        token: str | None = None,
        collection_name: str = "langchain",
        metric: str = "COSINE",
        index_params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        search_params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        consistency_level: str = "Session",
        partition_key_field: str | None = None,
        drop_old: bool = False,
        retrieval_mode: RetrievalMode | str = RetrievalMode.DENSE,
        hybrid_ranker: str = "rrf",
        hybrid_weights: tuple[float, float] = (0.5, 0.5),
        analyzer_params: Mapping[str, Any] | None = None,
        connection_args: Mapping[str, Any] | None = None,
        embedding_function: Any = None,
        primary_field: str | None = None,
        text_field: str | None = None,
        vector_field: str | list[str] | None = None,
        builtin_function: Any = None,
        metadata_field: str | None = None,
        batch_size: int = 1000,
        flush_threshold: int | None = None,
        timeout: float | None = None,
        auto_id: bool = False,
        embedding_window: int = EMBEDDING_WINDOW,
        user: str | None = None,
        password: str | None = None,
        db_name: str | None = None,
        secure: bool | None = None,
        server_pem_path: str | None = None,
        server_name: str | None = None,
        ca_pem_path: str | None = None,
        client_pem_path: str | None = None,
        client_key_path: str | None = None,
    ) -> None:
        if embedding is not None and embedding_function is not None:
            raise ConfigError("pass embedding or embedding_function (its langchain-milvus name), not both")
        self.retrieval_mode = RetrievalMode(retrieval_mode)
        spec = embedding if embedding is not None else embedding_function
        # several vector fields (a list of embeddings, a sparse embedding, builtin functions): see .multivector
        vectors = multivector.configure(
            spec, builtin_function, vector_field, index_params, search_params, metric, self.retrieval_mode
        )
        self._router = vectors.router
        if vectors.embedding is None and self._router is None and self.retrieval_mode is not RetrievalMode.FULL_TEXT:
            raise ConfigError(f"retrieval_mode={self.retrieval_mode.value!r} needs an embedding")
        self._embedder = resolve_embedder(vectors.embedding) if vectors.embedding is not None else vectors.main
        self.hybrid = HybridConfig(hybrid_ranker, weights=hybrid_weights)
        # auto_id: Milvus numbers the rows (an INT64 primary key); otherwise ids are ours (uuid4 when none given)
        self.auto_id = auto_id
        # an add of more texts than this embeds and writes them this many at a time (see core.ingest)
        self.embedding_window = check_window(embedding_window)
        connection = ConnectionConfig.from_args(
            uri or (None if connection_args else DEFAULT_URI),
            token,
            connection_args=connection_args,
            timeout=timeout,
            user=user,
            password=password,
            db_name=db_name,
            secure=secure,
            server_pem_path=server_pem_path,
            server_name=server_name,
            ca_pem_path=ca_pem_path,
            client_pem_path=client_pem_path,
            client_key_path=client_key_path,
        )
        options = StoreOptions(
            collection_name,
            metric=metric,
            index_params=vectors.index_params,
            search_params=vectors.search_params,
            consistency_level=consistency_level,
            dense=vectors.embedding is not None,
            full_text=self.retrieval_mode is not RetrievalMode.DENSE,
            analyzer_params=analyzer_params,
            drop_old=drop_old,
            partition_key_field=partition_key_field,
            text_field=text_field,
            vector_field=vectors.vector_field,
            primary_field=primary_field,
            metadata_field=metadata_field,
            insert_batch_size=batch_size,
            flush_threshold=flush_threshold,
            auto_id=auto_id,
            not_text=NOT_TEXT,
            vectors=self._router.specs if self._router is not None else (),
        )
        self.store = Store(options, connection)

    def __repr__(self) -> str:
        return f"MilvusVectorStore({self.store!r}, mode={self.retrieval_mode.value})"

    @property
    def embeddings(self) -> Embeddings | None:
        return to_langchain_embeddings(self._embedder) if self._embedder is not None else None

    @property
    def collection_name(self) -> str:
        return self.store.name

    @property
    def embedder(self) -> Embedder | None:
        """The embedder queries and documents go through (ours, or an adapter around the one given)."""
        return self._embedder

    @property
    def vector_fields(self) -> list[str]:
        """The store's vector fields, in langchain-milvus' order: embeddings' fields, then builtin functions'."""
        layout = self.store.layout()
        return multivector.field_names(self._router, layout.vector if layout else self.store.options.vector_field)

    def collection_exists(self) -> bool:
        """Whether the collection exists yet (it is created by the first add)."""
        return self.store.layout() is not None

    def flush(self) -> None:
        """Seal written rows into indexed segments now (the store also does it when needed; see README)."""
        self.store.flush()

    # -- translation -------------------------------------------------------------------------------------
    @staticmethod
    def _document(record: Record) -> Document:
        return Document(
            page_content=row_text(record.text, record.metadata),
            metadata=user_metadata(record.metadata),
            id=str(record.id),
        )

    def _require_embedder(self) -> Embedder:
        if self._embedder is None:
            raise ConfigError("this store has no embedding (retrieval_mode='full_text'): search by text instead")
        return self._embedder

    @staticmethod
    def _filter(filter: Mapping[str, Any] | None) -> Expr | None:
        return to_ir(filter)

    # -- writes: one implementation; sync and async differ only in how texts are embedded ----------------
    def _prepare(
        self, texts: list[str], metadatas: list[dict[str, Any]] | None, ids: Sequence[str | None] | None
    ) -> tuple[list[str] | None, list[Mapping[str, Any]]]:
        if metadatas is not None and len(metadatas) != len(texts):
            raise ConfigError(f"got {len(metadatas)} metadatas for {len(texts)} texts")
        if ids is not None and len(ids) != len(texts):
            raise ConfigError(f"got {len(ids)} ids for {len(texts)} texts")
        layout = self.store.layout()  # a collection made with auto ids (langchain-milvus' from_texts) numbers rows
        auto = self.auto_id or (layout is not None and layout.auto_id)
        if auto and ids is not None and any(i is not None for i in ids):
            raise ConfigError("ids were given, but this collection has auto_id=True: Milvus makes the ids")
        with bulk_gc_pause(len(texts)):  # a large call makes many objects here (see core.tuning)
            final_ids = (
                None
                if auto
                else [str(uuid.uuid4()) if i is None else str(i) for i in (ids or [None] * len(texts))]
            )
            # the store copies each metadata dict into its row and never changes it: no copy here
            metas: list[Mapping[str, Any]] = (
                [{} if m is None else m for m in metadatas] if metadatas is not None else [{}] * len(texts)
            )
        return final_ids, metas

    def _windowed(
        self,
        texts: list[str],
        metadatas: list[dict[str, Any]] | None,
        ids: Sequence[str | None] | None,
        batch_size: int | None,
    ) -> WindowedAdd:
        """The add of `texts`, checked whole before anything is embedded (see `core.ingest`)."""
        final_ids, metas = self._prepare(texts, metadatas, ids)
        return WindowedAdd(
            self.store,
            final_ids,
            texts,
            metas,
            window=self.embedding_window,
            batch_size=batch_size,
        )

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> list[str]:
        _no_extra(kwargs, "add_texts")
        add = self._windowed(list(texts), metadatas, ids, batch_size)
        add.run(self._embed)
        return list(map(str, add.written))

    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> list[str]:
        _no_extra(kwargs, "aadd_texts")
        add = await run_sync(self._windowed, list(texts), metadatas, ids, batch_size)  # may ask the server
        await add.arun(self._aembed)  # embeds the next window while writing this one
        return list(map(str, add.written))

    def _embed(self, texts: Sequence[str]) -> Any:
        if self._router is not None:
            return self._router.embed(texts)  # every embedding's field, by name
        return self._embedder.embed_documents(list(texts)) if self._embedder is not None else None

    async def _aembed(self, texts: Sequence[str]) -> Any:
        if self._router is not None:
            return await self._router.aembed(texts)
        return await self._embedder.aembed_documents(list(texts)) if self._embedder is not None else None

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        return [self._document(r) for r in self.store.get(list(ids))]

    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        return await run_sync(self.get_by_ids, ids)

    def delete(
        self,
        ids: list[str] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
        expr: str | None = None,
        **kwargs: Any,
    ) -> bool:
        """Delete by ids, by a dict filter, or by a raw Milvus `expr`; with none of them, delete everything."""
        _no_extra(kwargs, "delete")
        if ids is None and filter is None and expr is None:
            self.store.clear()
            return True
        self.store.delete(ids, filter=self._filter(filter), expr=expr)
        return True

    async def adelete(
        self,
        ids: list[str] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
        expr: str | None = None,
        **kwargs: Any,
    ) -> bool:
        _no_extra(kwargs, "adelete")
        return await run_sync(self.delete, ids, filter=filter, expr=expr)

    # -- search: one implementation per mode; the async twins embed asynchronously, then run the same ------
    def _hits(
        self,
        query: str,
        vector: Any,
        k: int,
        filter: Mapping[str, Any] | None,
        expr: str | None,
        how: SearchHow | None = None,
    ) -> list[Hit]:
        """One query's hits: `vector` is the query vector, or, with several vector fields, each field's query."""
        how = how or SearchHow()
        if self._router is not None:
            return multivector.routed(self.store, self._router, vector, k, self._filter(filter), expr, how)
        extra: dict[str, Any] = {"fetch_k": how.fetch_k} if how.fetch_k is not None else {}
        if how.param is not None:
            extra["params"] = how.param  # search params of the dense field
        return self.store.retrieve(
            self.retrieval_mode,
            k,
            text=query,
            vector=vector,
            filter=self._filter(filter),
            expr=expr,
            hybrid=how.hybrid() or self.hybrid,
            **extra,
        )

    def _how(self, kwargs: dict[str, Any], method: str) -> SearchHow:
        """The multi-vector / fusion keywords of a search call (see `.multivector`); anything else is refused."""
        how = SearchHow.pop(kwargs)
        _no_extra(kwargs, method)
        return how.checked(method, several=self._router is not None, hybrid=self.retrieval_mode is RetrievalMode.HYBRID)

    def _query_vector(self, query: str, how: SearchHow | None = None) -> Any:
        if self._router is not None:
            return self._router.queries(query, how.fields() if how else None)
        if self.retrieval_mode is RetrievalMode.FULL_TEXT:
            return None
        return self._require_embedder().embed_query(query)

    async def _aquery_vector(self, query: str, how: SearchHow | None = None) -> Any:
        if self._router is not None:
            return await self._router.aqueries(query, how.fields() if how else None)
        if self.retrieval_mode is RetrievalMode.FULL_TEXT:
            return None
        return await self._require_embedder().aembed_query(query)

    def similarity_search_with_score(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        *,
        expr: str | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """Documents with Milvus' raw score: a similarity for COSINE/IP/BM25/hybrid, a squared distance for L2.
        With several vector fields, all are searched and fused (`ranker_type`, `ranker_params`, `reranker`: see
        `.multivector.SearchHow`), or one: `anns_field`."""
        how = self._how(kwargs, "similarity_search_with_score")
        hits = self._hits(query, self._query_vector(query, how), k, filter, expr, how)
        return [(self._document(h.record), h.score) for h in hits]

    async def asimilarity_search_with_score(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        *,
        expr: str | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        how = self._how(kwargs, "asimilarity_search_with_score")
        vector = await self._aquery_vector(query, how)
        hits = await run_sync(self._hits, query, vector, k, filter, expr, how)
        return [(self._document(h.record), h.score) for h in hits]

    def similarity_search(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, filter, **kwargs)]

    async def asimilarity_search(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in await self.asimilarity_search_with_score(query, k, filter, **kwargs)]

    def similarity_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        *,
        expr: str | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        """Nearest neighbours of `embedding` on the main vector field, or on `anns_field` (any vector field of a
        store with several: a dense or sparse vector; a text for a BM25 field)."""
        field = kwargs.pop("anns_field", None)
        _no_extra(kwargs, "similarity_search_by_vector")
        field = multivector.by_vector_field(self._router, field)
        hits = self.store.search(embedding, k, filter=self._filter(filter), expr=expr, field=field)
        return [self._document(h.record) for h in hits]

    async def asimilarity_search_by_vector(
        self, embedding: list[float], k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[Document]:
        return await run_sync(self.similarity_search_by_vector, embedding, k, filter, **kwargs)

    def _similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Relevance in [0, 1], higher is better, for every metric (read back from the collection's index)."""
        filter, expr = kwargs.pop("filter", None), kwargs.pop("expr", None)
        how = self._how(kwargs, "similarity_search_with_relevance_scores")
        hits = self._hits(query, self._query_vector(query, how), k, filter, expr, how)
        return [(self._document(h.record), h.relevance) for h in hits]

    async def _asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        filter, expr = kwargs.pop("filter", None), kwargs.pop("expr", None)
        how = self._how(kwargs, "asimilarity_search_with_relevance_scores")
        vector = await self._aquery_vector(query, how)
        hits = await run_sync(self._hits, query, vector, k, filter, expr, how)
        return [(self._document(h.record), h.relevance) for h in hits]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        raise NotImplementedError("relevance comes from the core store, computed per metric")

    # -- maximal marginal relevance ------------------------------------------------------------------------
    def max_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        *,
        expr: str | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        _no_extra(kwargs, "max_marginal_relevance_search")
        hits = self.store.mmr(
            embedding, k, fetch_k=fetch_k, lambda_mult=lambda_mult, filter=self._filter(filter), expr=expr
        )
        return [self._document(h.record) for h in hits]

    async def amax_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        return await run_sync(
            self.max_marginal_relevance_search_by_vector, embedding, k, fetch_k, lambda_mult, filter, **kwargs
        )

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        vector = self._require_embedder().embed_query(query)
        return self.max_marginal_relevance_search_by_vector(vector, k, fetch_k, lambda_mult, filter, **kwargs)

    async def amax_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        vector = await self._require_embedder().aembed_query(query)
        return await self.amax_marginal_relevance_search_by_vector(vector, k, fetch_k, lambda_mult, filter, **kwargs)

    # -- constructors ----------------------------------------------------------------------------------------
    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings | Embedder | str | None = None,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> MilvusVectorStore:
        store = cls(embedding, **kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    async def afrom_texts(
        cls,
        texts: list[str],
        embedding: Embeddings | Embedder | str | None = None,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> MilvusVectorStore:
        store = await run_sync(cls, embedding, **kwargs)
        await store.aadd_texts(texts, metadatas, ids=ids)
        return store

    def close(self) -> None:
        self.store.close()


def _no_extra(kwargs: Mapping[str, Any], method: str) -> None:
    refuse_unknown(kwargs, f"{method}()")
