"""The seed `MilvusClient`: the API of the classic pymilvus "MilvusClient" page, on today's pymilvus client.

Same names, arguments, defaults and result shapes (``[[{"score": ..., "data": {...}}]]``), with the seed's bugs
fixed: the HNSW ``ef`` grows with ``top_k``, the collection is created on the first insert from the whole first
batch, and keys the schema does not know are kept in the dynamic field instead of being dropped. It runs on the same
collection / validation / write / read stack as the stores; only the row shapes and the schema inference are its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from milvus_integrations.core import batches, reads, writer
from milvus_integrations.core.collection import Collection, CreateSettings
from milvus_integrations.core.connection import CONNECTION_KEYWORDS, ConnectionConfig
from milvus_integrations.core.consistency import Consistency
from milvus_integrations.core.errors import CollectionNotFoundError, ConfigError, SchemaError, refuse_unknown
from milvus_integrations.core.infer import infer_layout, split_rows
from milvus_integrations.core.layout import BINARY_METRICS, METRICS, Hints, Layout, VectorKind
from milvus_integrations.core.search import Query, Searcher
from milvus_integrations.core.writer import WriteMode

DEFAULT_URI = "./milvus_client.db"

Row = Mapping[str, Any]


class MilvusClient:
    """A collection-bound client whose schema is inferred from the data inserted first."""

    def __init__(
        self,
        collection_name: str = "ClientCollection",
        pk_field: str | None = None,
        vector_field: str | None = None,
        uri: str = DEFAULT_URI,
        token: str | None = None,
        num_shards: int | None = None,
        partitions: Sequence[str] | None = None,
        consistency_level: str = "Session",
        replica_number: int = 1,
        index_params: Mapping[str, Any] | None = None,
        distance_metric: str = "L2",
        timeout: float | None = None,
        overwrite: bool = False,
        **connection: Any,
    ) -> None:
        """The classic page's arguments; `connection` takes the other connection keywords of pymilvus'
        `MilvusClient` (`user`, `password`, `db_name`, `secure`, `server_pem_path`, `server_name`, `ca_pem_path`,
        `client_pem_path`, `client_key_path`); anything else raises `UnknownKeywordError`."""
        if not isinstance(distance_metric, str) or distance_metric.upper() not in METRICS + BINARY_METRICS:
            raise ConfigError(f"distance_metric {distance_metric!r} is not one of {METRICS + BINARY_METRICS}")
        if index_params is not None and not isinstance(index_params, Mapping):
            raise ConfigError("index_params must be a dict like {'index_type': 'HNSW', 'params': {...}}")
        self.collection_name = collection_name
        self.pk_field = pk_field
        self.vector_field = vector_field
        self.num_shards = num_shards
        self.consistency_level = consistency_level
        self.replica_number = replica_number
        self.index_params = dict(index_params) if index_params else None
        self.distance_metric = distance_metric.upper()
        self.timeout = timeout
        self._partitions = list(partitions or [])
        unknown = set(connection) - (set(CONNECTION_KEYWORDS) - {"uri", "token", "timeout"})
        refuse_unknown(dict.fromkeys(unknown), "MilvusClient()")
        self._connection = ConnectionConfig.from_args(uri, token, timeout=timeout, **connection)
        self._collection = Collection(
            self._connection,
            collection_name,
            hints=Hints(vector_field=vector_field, want_text=False),
            settings=self._settings(None),
            drop_old=overwrite,
        )
        self._client = self._collection.client
        self._consistency = Consistency(self._collection)
        self._searcher = Searcher(self._collection, self._consistency)  # the stores' recall-oriented ef
        layout = self._collection.layout()
        if layout is not None:
            self._adopt(layout)
            self.add_partitions(self._partitions)

    def __repr__(self) -> str:
        return f"MilvusClient(collection_name={self.collection_name!r}, connection={self._connection!r})"

    def _settings(self, vector: str | None) -> CreateSettings:
        return CreateSettings(
            consistency_level=self.consistency_level,
            index_params={vector: self.index_params} if vector and self.index_params else {},
            num_shards=self.num_shards,
            partitions=tuple(self._partitions),
            replica_number=self.replica_number,
        )

    def _adopt(self, layout: Layout) -> None:
        self.pk_field, self.vector_field = layout.primary, layout.vector
        self.distance_metric = layout.metric

    # -- lifecycle ---------------------------------------------------------------------------------------
    def __enter__(self) -> MilvusClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._collection.close()

    # -- writes ------------------------------------------------------------------------------------------
    def insert_data(
        self,
        data: Sequence[Row] | Row,
        timeout: float | None = None,
        batch_size: int = 100,
        partition: str | None = None,
        progress_bar: bool = False,
    ) -> list[Any]:
        """Insert rows (dicts). The first insert into a new collection infers and creates its schema."""
        return self._write(WriteMode.INSERT, data, timeout, batch_size, partition, progress_bar)

    def upsert_data(
        self,
        data: Sequence[Row] | Row,
        timeout: float | None = None,
        batch_size: int = 100,
        partition: str | None = None,
        progress_bar: bool = False,
    ) -> list[Any]:
        """Insert rows, replacing any row whose primary key is already stored."""
        return self._write(WriteMode.REPLACE, data, timeout, batch_size, partition, progress_bar)

    def _write(
        self,
        mode: WriteMode,
        data: Sequence[Row] | Row,
        timeout: float | None,
        batch_size: int,
        partition: str | None,
        progress_bar: bool,
    ) -> list[Any]:
        rows = [data] if isinstance(data, Mapping) else list(data)
        if not rows:
            return []
        layout = self._collection.layout()
        template = layout or infer_layout(
            rows, vector_field=self.vector_field, pk_field=self.pk_field, metric=self.distance_metric
        )
        if mode is WriteMode.REPLACE and template.auto_id:
            raise ConfigError("upsert_data needs a pk_field: with auto ids there is nothing to match rows on")
        ids, vectors, metas = split_rows(template, rows)
        if layout is None:
            self._collection.settings = self._settings(template.vector)
        layout, batch = batches.prepare(self._collection, template, ids, None, vectors, metas, primary_named=True)
        self._adopt(layout)
        if partition is not None and not self._client.has_partition(self.collection_name, partition):
            raise ConfigError(f"partition {partition!r} does not exist; create it with add_partitions")
        with _progress(progress_bar, len(rows)) as tick:
            return writer.write(
                self._collection,
                self._consistency,
                layout,
                batch,
                mode=mode,
                batch_size=batch_size,
                partition=partition,
                timeout=timeout or self.timeout,
                progress=tick,
            )

    def delete_by_pk(self, pks: Any, timeout: float | None = None) -> None:
        layout = self._require()
        ids = list(pks) if isinstance(pks, list | tuple) else [pks]
        if ids:
            writer.delete(self._collection, self._consistency, reads.ids_expr(self._collection, layout, ids))

    # -- reads -------------------------------------------------------------------------------------------
    def _require(self) -> Layout:
        layout = self._collection.layout()
        if layout is None:
            raise CollectionNotFoundError(f"collection {self.collection_name!r} does not exist yet: insert data first")
        return layout

    @staticmethod
    def _return_fields(layout: Layout, return_fields: Sequence[str] | None) -> list[str]:
        if return_fields is not None:
            return list(return_fields)
        return [*layout.scalars, *(["$meta"] if layout.dynamic else [])]

    def search_data(
        self,
        data: Sequence[Sequence[float]] | Sequence[float],
        top_k: int = 10,
        filter_expression: str | None = None,
        return_fields: Sequence[str] | None = None,
        partitions: Sequence[str] | None = None,
        search_params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Nearest neighbours of each query vector: ``[[{"score": distance, "data": {...}}, ...], ...]``."""
        layout = self._require()
        if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k <= 0:
            raise ConfigError(f"top_k must be a positive int, got {top_k!r}")
        q = Query(
            top_k,
            filter_expression or "",
            params=search_params,
            partitions=partitions,
            output_fields=self._return_fields(layout, return_fields),
            timeout=timeout or self.timeout,
        )
        results = self._searcher.dense(layout, _as_queries(data), q)
        pk = layout.primary
        return [
            [{"score": float(h["distance"]), "data": {pk: h.get(pk, h.get("id")), **h.get("entity", {})}} for h in hits]
            for hits in results
        ]

    def query_data(
        self,
        filter_expression: str,
        return_fields: Sequence[str] | None = None,
        partitions: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        """Rows matching a Milvus boolean expression (all of them, in pages)."""
        layout = self._require()
        fields = self._return_fields(layout, return_fields)
        if layout.primary not in fields:
            fields = [layout.primary, *fields]
        rows = reads.iterate(
            self._collection,
            self._consistency,
            filter_expression,
            fields,
            partitions=partitions,
            timeout=timeout or self.timeout,
        )
        return list(rows)

    def get_vectors_by_pk(self, pks: Any, timeout: float | None = None) -> list[dict[str, Any]]:
        """``[{vector_field: [...], pk_field: pk}]`` for each stored pk."""
        layout = self._require()
        ids = list(pks) if isinstance(pks, list | tuple) else [pks]
        if not ids or layout.vector is None:
            return []
        vf, pk = layout.vector, layout.primary
        found = reads.get(self._collection, self._consistency, layout, ids, [pk, vf], timeout=timeout or self.timeout)
        out = []
        for row in found.values():
            vec = row[vf]
            if layout.main is not None and layout.main.kind is VectorKind.DENSE:
                vec = [float(x) for x in vec]
            elif isinstance(vec, list) and len(vec) == 1 and isinstance(vec[0], bytes):
                vec = vec[0]
            out.append({vf: vec, pk: row[pk]})
        return out

    # -- partitions and collection -----------------------------------------------------------------------
    def add_partitions(self, partitions: Sequence[str]) -> None:
        names = [partitions] if isinstance(partitions, str) else list(partitions)
        if self._collection.layout() is None:
            self._partitions.extend(p for p in names if p not in self._partitions)
            return
        for name in names:
            if not self._client.has_partition(self.collection_name, name):
                self._client.create_partition(self.collection_name, name)

    def delete_partitions(self, partitions: Sequence[str]) -> None:
        names = [partitions] if isinstance(partitions, str) else list(partitions)
        if self._collection.layout() is None:
            self._partitions = [p for p in self._partitions if p not in names]
            return
        for name in names:
            if self._client.has_partition(self.collection_name, name):
                try:
                    self._client.release_partitions(self.collection_name, [name])
                except Exception:  # noqa: S110 - Lite does not track partition load state
                    pass
                self._client.drop_partition(self.collection_name, name)

    def delete_collection(self) -> None:
        self._collection.drop()
        self._consistency.forget()

    @property
    def num_entities(self) -> int:
        if self._collection.layout() is None:
            return 0
        return reads.count(self._collection, self._consistency)

    def __len__(self) -> int:
        return self.num_entities


def _as_queries(data: Any) -> list[Any]:
    """One vector (list of numbers, bytes, numpy 1-d) becomes a batch of one."""
    if hasattr(data, "tolist"):
        data = data.tolist()
    if isinstance(data, bytes):
        return [data]
    if not isinstance(data, list | tuple) or not data:
        raise SchemaError("search data must be a vector or a list of vectors")
    first = data[0]
    if isinstance(first, int | float) and not isinstance(first, bool):
        return [[float(x) for x in data]]
    return [v.tolist() if hasattr(v, "tolist") else (v if isinstance(v, bytes) else list(v)) for v in data]


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[int], None] | None]:
    if not enabled:
        yield None
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield None
        return
    bar = tqdm(total=total, unit="rows")
    try:
        yield bar.update
    finally:
        bar.close()
