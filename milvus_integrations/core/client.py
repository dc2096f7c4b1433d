"""The seed `MilvusClient`: the API of the classic pymilvus "MilvusClient" page, on today's pymilvus client.

Same names, arguments, defaults and result shapes (``[[{"score": ..., "data": {...}}]]``), with the seed's bugs
fixed: the HNSW ``ef`` grows with ``top_k``, the collection is created on the first insert from the whole first
batch, and keys the schema does not know are kept in the dynamic field instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from pymilvus import DataType

from milvus_integrations.core.config import ConnectionConfig, redact_text, runs_lite_engine
from milvus_integrations.core.errors import (
    CollectionNotFoundError,
    ConfigError,
    MilvusIntegrationError,
    PartialWriteError,
    SchemaError,
)
from milvus_integrations.core.filters import FieldCatalog, compile_filter, ir
from milvus_integrations.core.schema import (
    InferredSchema,
    infer_schema,
    normalize_row,
    schema_from_description,
    validate_rows,
)

DEFAULT_URI = "./milvus_client.db"
DEFAULT_EF = 64
_FLOAT_METRICS = ("L2", "IP", "COSINE")
_BINARY_METRICS = ("HAMMING", "JACCARD")

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
    ) -> None:
        if distance_metric.upper() not in _FLOAT_METRICS + _BINARY_METRICS:
            raise ConfigError(f"distance_metric {distance_metric!r} is not one of {_FLOAT_METRICS + _BINARY_METRICS}")
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
        self._connection = ConnectionConfig(uri=uri, token=token, timeout=timeout)
        self._client = self._connection.connect()
        self._schema: InferredSchema | None = None
        if overwrite and self._client.has_collection(collection_name):
            self._client.drop_collection(collection_name)
        if self._client.has_collection(collection_name):
            self._attach()
            self.add_partitions([p for p in self._partitions if not self._client.has_partition(collection_name, p)])

    def __repr__(self) -> str:
        return f"MilvusClient(collection_name={self.collection_name!r}, connection={self._connection!r})"

    # -- lifecycle ---------------------------------------------------------------------------------------
    def __enter__(self) -> MilvusClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _fail(self, action: str, exc: Exception) -> MilvusIntegrationError:
        message = redact_text(str(exc), (self._connection.token,))
        return MilvusIntegrationError(f"Milvus failed to {action} in {self.collection_name!r}: {message}")

    def _attach(self) -> None:
        desc = self._client.describe_collection(self.collection_name)
        schema = schema_from_description(desc)
        if self.vector_field is not None and self.vector_field != schema.vector:
            if self.vector_field not in schema.by_name:
                raise ConfigError(f"vector_field {self.vector_field!r} is not a field of {self.collection_name!r}")
            schema = InferredSchema(schema.fields, pk=schema.pk, vector=self.vector_field, dynamic=schema.dynamic)
        self._schema = schema
        self.pk_field, self.vector_field = schema.pk, schema.vector
        info = self._client.describe_index(self.collection_name, schema.vector) or {}
        if info.get("metric_type"):
            self.distance_metric = str(info["metric_type"])
        state = self._client.get_load_state(self.collection_name).get("state")
        if getattr(state, "name", str(state)) != "Loaded":
            self._client.load_collection(self.collection_name, replica_number=self.replica_number)

    def _create(self, schema: InferredSchema) -> None:
        milvus_schema = self._client.create_schema(auto_id=schema.auto_id, enable_dynamic_field=schema.dynamic)
        for spec in schema.fields:
            kwargs: dict[str, Any] = {}
            if spec.dtype == DataType.VARCHAR:
                kwargs["max_length"] = 65535
            if spec.dim is not None:
                kwargs["dim"] = spec.dim
            milvus_schema.add_field(spec.name, spec.dtype, is_primary=spec.is_primary, auto_id=spec.auto_id, **kwargs)
        binary = schema.vector_spec.dtype == DataType.BINARY_VECTOR
        metric = self.distance_metric
        if binary and metric not in _BINARY_METRICS:
            metric = "HAMMING"
        user = dict(self.index_params or {})
        index = self._client.prepare_index_params()
        index.add_index(
            schema.vector,
            index_type=user.get("index_type", "BIN_FLAT" if binary else "HNSW"),
            metric_type=user.get("metric_type", metric),
            params=dict(user.get("params", {} if binary else {"M": 16, "efConstruction": 200})),
        )
        extra: dict[str, Any] = {}
        if self.num_shards is not None:
            extra["num_shards"] = self.num_shards
        self._client.create_collection(
            self.collection_name, schema=milvus_schema, consistency_level=self.consistency_level, **extra
        )
        # Created apart, without waiting: pymilvus' combined call polls the (empty) index build for 0.5 s.
        self._client.create_index(self.collection_name, index, sync=False)
        self._client.load_collection(self.collection_name, replica_number=self.replica_number)
        self.add_partitions(self._partitions)
        self._attach()

    # -- writes ------------------------------------------------------------------------------------------
    def _prepare(self, data: Sequence[Row] | Row) -> tuple[list[Row], InferredSchema, bool]:
        rows = [data] if isinstance(data, Mapping) else list(data)
        if self._schema is not None:
            validate_rows(rows, self._schema)
            return rows, self._schema, False
        schema = infer_schema(rows, vector_field=self.vector_field, pk_field=self.pk_field)
        return rows, schema, True

    def insert_data(
        self,
        data: Sequence[Row] | Row,
        timeout: float | None = None,
        batch_size: int = 100,
        partition: str | None = None,
        progress_bar: bool = False,
    ) -> list[Any]:
        """Insert rows (dicts). The first insert into a new collection infers and creates its schema."""
        return self._write("insert", data, timeout, batch_size, partition, progress_bar)

    def upsert_data(
        self,
        data: Sequence[Row] | Row,
        timeout: float | None = None,
        batch_size: int = 100,
        partition: str | None = None,
        progress_bar: bool = False,
    ) -> list[Any]:
        """Insert rows, replacing any row whose primary key is already stored."""
        return self._write("upsert", data, timeout, batch_size, partition, progress_bar)

    def _write(
        self,
        mode: str,
        data: Sequence[Row] | Row,
        timeout: float | None,
        batch_size: int,
        partition: str | None,
        progress_bar: bool,
    ) -> list[Any]:
        if batch_size <= 0:
            raise ConfigError("batch_size must be positive")
        rows, schema, create = self._prepare(data)
        if not rows:
            return []
        if mode == "upsert" and schema.auto_id:
            raise ConfigError("upsert_data needs a pk_field: with auto ids there is nothing to match rows on")
        if create:
            try:
                self._create(schema)
            except Exception as exc:
                self._schema = None
                if self._client.has_collection(self.collection_name):
                    self._client.drop_collection(self.collection_name)
                raise self._fail("create the collection", exc) from None
        if partition is not None and not self._client.has_partition(self.collection_name, partition):
            raise ConfigError(f"partition {partition!r} does not exist; create it with add_partitions")
        # Lite's insert replaces a stored key; its upsert would merge old dynamic keys in. Servers need upsert.
        use_upsert = mode == "upsert" and not runs_lite_engine(self._connection, self._client)
        written: list[Any] = []
        for start in self._progress(range(0, len(rows), batch_size), len(rows), batch_size, progress_bar):
            chunk = [normalize_row(r, schema) for r in rows[start : start + batch_size]]
            kwargs: dict[str, Any] = {"timeout": timeout or self.timeout}
            if partition is not None:
                kwargs["partition_name"] = partition
            try:
                call = self._client.upsert if use_upsert else self._client.insert
                result = call(self.collection_name, chunk, **kwargs)
            except Exception as exc:
                raise PartialWriteError(
                    f"{mode} into {self.collection_name!r} failed after {len(written)} of {len(rows)} rows: "
                    f"{redact_text(str(exc), (self._connection.token,))}",
                    written_ids=written,
                    failed_ids=[r.get(schema.pk) for r in rows[start:]],
                ) from None
            written.extend(result.get("ids", []) if isinstance(result, Mapping) else [])
        self._client.flush(self.collection_name)
        return written

    @staticmethod
    def _progress(steps: range, total: int, batch: int, enabled: bool) -> Iterable[int]:
        if not enabled:
            return steps
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return steps
        return _ticking(steps, tqdm(total=total, unit="rows"), batch, total)

    def delete_by_pk(self, pks: Any, timeout: float | None = None) -> None:
        schema = self._require()
        ids = pks if isinstance(pks, list | tuple) else [pks]
        if not ids:
            return
        try:
            self._client.delete(
                self.collection_name, filter=self._pk_expr(schema, ids), timeout=timeout or self.timeout
            )
        except Exception as exc:
            raise self._fail("delete", exc) from None

    @staticmethod
    def _pk_expr(schema: InferredSchema, pks: Sequence[Any]) -> str:
        """`pk in [...]` written by our escaper (pymilvus' own ids= path splices strings in unescaped)."""
        return compile_filter(ir.in_(schema.pk, pks), FieldCatalog.of([schema.pk], dynamic=False))

    # -- reads -------------------------------------------------------------------------------------------
    def _require(self) -> InferredSchema:
        if self._schema is None:
            raise CollectionNotFoundError(f"collection {self.collection_name!r} does not exist yet: insert data first")
        return self._schema

    def _return_fields(self, schema: InferredSchema, return_fields: Sequence[str] | None) -> list[str]:
        if return_fields is not None:
            return list(return_fields)
        fields = schema.scalar_names()
        if schema.dynamic:
            fields.append("$meta")
        return fields

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
        schema = self._require()
        if not isinstance(top_k, int) or top_k <= 0:
            raise ConfigError(f"top_k must be a positive int, got {top_k!r}")
        vectors = _as_queries(data)
        params = dict((search_params or {}).get("params", {}))
        if schema.vector_spec.dtype == DataType.FLOAT_VECTOR:
            params["ef"] = max(int(params.get("ef", DEFAULT_EF)), top_k)
        request = {"metric_type": self.distance_metric, "params": params}
        try:
            results = self._client.search(
                self.collection_name,
                data=vectors,
                anns_field=schema.vector,
                limit=top_k,
                filter=filter_expression or "",
                output_fields=self._return_fields(schema, return_fields),
                search_params=request,
                partition_names=list(partitions) if partitions else None,
                timeout=timeout or self.timeout,
            )
        except Exception as exc:
            raise self._fail("search", exc) from None
        return [
            [
                {"score": float(hit["distance"]), "data": {schema.pk: hit.get(schema.pk), **hit.get("entity", {})}}
                for hit in hits
            ]
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
        schema = self._require()
        fields = self._return_fields(schema, return_fields)
        if schema.pk not in fields:
            fields = [schema.pk, *fields]
        try:
            iterator = self._client.query_iterator(
                self.collection_name,
                batch_size=1000,
                filter=filter_expression,
                output_fields=fields,
                partition_names=list(partitions) if partitions else None,
                timeout=timeout or self.timeout,
            )
        except Exception as exc:
            raise self._fail("query", exc) from None
        rows: list[dict[str, Any]] = []
        try:
            while batch := iterator.next():
                rows.extend(dict(r) for r in batch)
        finally:
            iterator.close()
        return rows

    def get_vectors_by_pk(self, pks: Any, timeout: float | None = None) -> list[dict[str, Any]]:
        """``[{vector_field: [...], pk_field: pk}]`` for each stored pk."""
        schema = self._require()
        ids = list(pks) if isinstance(pks, list | tuple) else [pks]
        if not ids:
            return []
        try:
            rows = self._client.query(
                self.collection_name,
                filter=self._pk_expr(schema, ids),
                output_fields=[schema.pk, schema.vector],
                limit=len(ids),
                timeout=timeout or self.timeout,
            )
        except Exception as exc:
            raise self._fail("get vectors", exc) from None
        out = []
        for row in rows:
            vec = row[schema.vector]
            if schema.vector_spec.dtype == DataType.FLOAT_VECTOR:
                vec = [float(x) for x in vec]
            elif isinstance(vec, list) and len(vec) == 1 and isinstance(vec[0], bytes):
                vec = vec[0]
            out.append({schema.vector: vec, schema.pk: row[schema.pk]})
        return out

    # -- partitions and collection -----------------------------------------------------------------------
    def add_partitions(self, partitions: Sequence[str]) -> None:
        if isinstance(partitions, str):
            partitions = [partitions]
        if self._schema is None and not self._client.has_collection(self.collection_name):
            self._partitions.extend(p for p in partitions if p not in self._partitions)
            return
        for name in partitions:
            if not self._client.has_partition(self.collection_name, name):
                self._client.create_partition(self.collection_name, name)

    def delete_partitions(self, partitions: Sequence[str]) -> None:
        if isinstance(partitions, str):
            partitions = [partitions]
        if self._schema is None:
            self._partitions = [p for p in self._partitions if p not in partitions]
            return
        for name in partitions:
            if self._client.has_partition(self.collection_name, name):
                try:
                    self._client.release_partitions(self.collection_name, [name])
                except Exception:  # noqa: S110 - Lite does not track partition load state
                    pass
                self._client.drop_partition(self.collection_name, name)

    def delete_collection(self) -> None:
        if self._client.has_collection(self.collection_name):
            self._client.drop_collection(self.collection_name)
        self._schema = None

    @property
    def num_entities(self) -> int:
        if self._schema is None:
            return 0
        rows = self._client.query(self.collection_name, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

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


def _ticking(steps: range, bar: Any, batch: int, total: int) -> Iterator[int]:
    try:
        for start in steps:
            yield start
            bar.update(min(batch, total - start))
    finally:
        bar.close()
