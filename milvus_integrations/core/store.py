"""The document store under both adapters: a small facade over the core's parts (collection, batches, writer,
reads, search, consistency). The adapters translate their frameworks' types to and from `Record` and `Hit`; they
hold no Milvus logic. Every method is synchronous; the adapters' async twins run them through `core.aio.run_sync`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from milvus_integrations.core import batches, codec, reads, writer
from milvus_integrations.core.batches import RowsChecked, Vectors
from milvus_integrations.core.collection import Collection
from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.consistency import Consistency
from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.filters import Expr, combine, compile_filter
from milvus_integrations.core.layout import Layout
from milvus_integrations.core.modes import HybridConfig, RetrievalMode
from milvus_integrations.core.options import StoreOptions
from milvus_integrations.core.records import Hit, Record, relevance
from milvus_integrations.core.search import FieldQuery, Query, Searcher
from milvus_integrations.core.tuning import bulk_gc_pause
from milvus_integrations.core.validate import Vector

__all__ = ["Hit", "Record", "RetrievalMode", "RowsChecked", "Store", "StoreOptions", "relevance"]


class Store:
    """One collection in the shared layout. Opens the client at construction; touches the collection lazily."""

    def __init__(self, options: StoreOptions, connection: ConnectionConfig) -> None:
        self.options = options
        self.connection = connection
        self.collection = Collection(
            connection, options.collection_name, hints=options.hints, settings=options.settings,
            drop_old=options.drop_old, expected_dim=options.dim,
        )  # fmt: skip
        self.client = self.collection.client
        self.consistency = Consistency(self.collection, options.flush_threshold)
        self.searcher = Searcher(
            self.collection, self.consistency, search_params=options.search_params,
            field_params=options.field_search_params,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"Store(collection={self.name!r}, connection={self.connection!r})"

    @property
    def name(self) -> str:
        return self.options.collection_name

    lite_engine = property(lambda self: self.collection.lite_engine)

    def layout(self) -> Layout | None:
        return self.collection.layout()

    def require_layout(self) -> Layout:
        return self.collection.require()

    def compile(self, filter: Expr | None, expr: str | None = None) -> str:
        """The Milvus expression for a filter (and a raw `expr` ANDed to it)."""
        if filter is None:
            return expr or ""
        layout = self.require_layout()
        return combine(compile_filter(filter, layout.catalog(lite=self.lite_engine)), expr or "")

    def _template(self, vectors: Vectors = ()) -> Layout:
        """What the first add creates: after `clear()`, with the dimension the collection had."""
        template = self.options.template(False if vectors is None and self.options.full_text else None)
        last, main = self.collection.last_dim, template.vector
        return template.with_dims({main: last}) if last and main and not template.dim else template

    # -- writes ------------------------------------------------------------------------------------------
    def check_rows(
        self, ids: Sequence[Any] | None, texts: Sequence[str | None], metadatas: Sequence[Mapping[str, Any]]
    ) -> RowsChecked:
        """Validate ids, texts and metadata before any vector exists (an add that embeds checks them first)."""
        return batches.check(self.collection, self._template(), ids, texts, metadatas)

    def add(
        self,
        ids: Sequence[Any] | None,
        texts: Sequence[str | None] | None,
        vectors: Vectors,
        metadatas: Sequence[Mapping[str, Any]] | None = None,
        *,
        batch_size: int | None = None,
        checked: RowsChecked | None = None,
        partition: str | None = None,
    ) -> list[Any]:
        """Upsert records (an existing id replaced), the batch validated first; `vectors`: a sequence, or by field."""
        with bulk_gc_pause(len(metadatas) if metadatas is not None else len(ids or texts or ())):
            layout, batch = batches.prepare(
                self.collection, self._template(vectors), ids, texts, vectors, metadatas, checked
            )
            if not len(batch):
                return []
            size = batch_size or self.options.insert_batch_size
            return writer.write(self.collection, self.consistency, layout, batch, batch_size=size, partition=partition)

    def delete(self, ids: Sequence[Any] | None = None, *, filter: Expr | None = None, expr: str | None = None) -> int:
        """Delete by ids and/or filter (ANDed); returns how many rows Milvus reports deleted."""
        layout = self.layout()
        if layout is None:
            return 0
        if ids is None and filter is None and not expr:
            raise ConfigError("delete needs ids, a filter or an expr; use clear() to remove everything")
        if ids is not None and not ids:
            return 0
        by_id = reads.ids_expr(self.collection, layout, ids) if ids is not None else ""
        return writer.delete(self.collection, self.consistency, combine(by_id, self.compile(filter, expr)))

    def clear(self) -> None:
        """Drop the collection; the store stays usable and recreates it (same options) on the next add."""
        self.collection.drop()
        self.consistency.forget()

    def flush(self) -> None:
        self.consistency.flush()

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, ids: Sequence[Any], *, with_vectors: bool = False) -> list[Record]:
        """Records for `ids`, in the order asked, skipping ids that are not stored."""
        layout = self.layout()
        if layout is None or not ids:
            return []
        fields = codec.output_fields(layout, with_vectors)
        found = reads.get(self.collection, self.consistency, layout, ids, fields)
        return [codec.record(layout, found[k]) for k in reads.keys(layout, ids) if k in found]

    def query(
        self,
        *,
        filter: Expr | None = None,
        expr: str | None = None,
        ids: Sequence[Any] | None = None,
        limit: int | None = None,
        with_vectors: bool = False,
    ) -> list[Record]:
        """Records matching a filter (no ranking); all of them when `limit` is None."""
        layout = self.layout()
        if layout is None or (ids is not None and not ids):
            return []
        by_id = reads.ids_expr(self.collection, layout, ids) if ids is not None else ""
        where = combine(by_id, self.compile(filter, expr))
        fields = codec.output_fields(layout, with_vectors)
        found = reads.iterate(self.collection, self.consistency, where, fields, limit=limit)
        return [codec.record(layout, e) for e in found]

    def count(self) -> int:
        return reads.count(self.collection, self.consistency) if self.layout() is not None else 0

    # -- search ------------------------------------------------------------------------------------------
    def ready(self, k: int, filter: Expr | None, expr: str | None, **more: Any) -> tuple[Layout, Query] | None:
        """The layout and the query for `searcher` (None while there is no collection); arguments checked first."""
        if "search_params" in more:
            more["params"] = more.pop("search_params")
        Query(k, **more)
        layout = self.layout()
        return None if layout is None else (layout, Query(k, self.compile(filter, expr), **more))

    def search_many(
        self, vectors: Sequence[Any], k: int = 4, *, filter: Expr | None = None, expr: str | None = None,
        field: str | None = None, **more: Any,
    ) -> list[list[Hit]]:  # fmt: skip
        """Nearest neighbours of each query (a vector; a text for BM25) on the main vector field or `field`."""
        ready = self.ready(k, filter, expr, **more)
        if ready is None:
            return [[] for _ in vectors]
        layout, q = ready
        name = field or self.searcher.main(layout)
        metric = layout.vector_field(name).metric
        return [[codec.hit(layout, h, metric) for h in hits] for hits in self.searcher.search(layout, name, vectors, q)]

    def fused(self, parts: Sequence[FieldQuery], k: int = 4, *, fuse: Any = None, **where: Any) -> list[Hit]:
        """One search per `FieldQuery`, fused by `fuse`: a `HybridConfig` (default RRF) or a RERANK `Function`."""
        ready = self.ready(k, where.pop("filter", None), where.pop("expr", None), **where)
        return [] if ready is None else self.searcher.fused(ready[0], parts, ready[1], fuse or HybridConfig())

    def search(self, vector: Vector, k: int = 4, **kwargs: Any) -> list[Hit]:
        return self.search_many([vector], k, **kwargs)[0]

    def retrieve(
        self, mode: RetrievalMode, k: int = 4, *, filter: Expr | None = None, expr: str | None = None, **how: Any
    ) -> list[Hit]:
        """The hits of one query in `mode`, best first (`how`: `text`, `vector`, `hybrid`, `fetch_k`, `params`)."""
        ready = self.ready(k, filter, expr, **({"params": how.pop("params")} if "params" in how else {}))
        return [] if ready is None else self.searcher.retrieve(*ready, mode=mode, **how)

    def mmr(
        self, vector: Vector, k: int = 4, *, fetch_k: int = 20, lambda_mult: float = 0.5, **where: Any
    ) -> list[Hit]:
        """Maximal marginal relevance over `fetch_k` dense candidates (`where`: `filter`, `expr`)."""
        ready = self.ready(k, where.pop("filter", None), where.pop("expr", None), **where)
        return [] if ready is None else self.searcher.mmr(*ready, vector, fetch_k=fetch_k, lambda_mult=lambda_mult)

    def close(self) -> None:
        self.collection.close()
