"""The shared document store under both adapters: validated batch upserts, dense / BM25 / hybrid search,
get, query and delete over one collection layout (see `layout.py`).

The adapters translate their frameworks' types to and from `Record` and `Hit`; they hold no Milvus logic.
Every method is synchronous; the adapters' async twins run them through `core.aio.run_sync`.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import math
import operator
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pymilvus import AnnSearchRequest, DataType, Function, FunctionType, RRFRanker, WeightedRanker

from milvus_integrations.core import embedded
from milvus_integrations.core.config import ConnectionConfig, redact_text, runs_lite_engine
from milvus_integrations.core.errors import (
    CollectionNotFoundError,
    ConfigError,
    MilvusIntegrationError,
    PartialWriteError,
    SchemaError,
)
from milvus_integrations.core.filters import Expr, combine, compile_filter, ir
from milvus_integrations.core.layout import (
    BM25_FUNCTION,
    ID_FIELD,
    MAX_VARCHAR,
    METRICS,
    SPARSE_FIELD,
    TEXT_FIELD,
    VECTOR_FIELD,
    Layout,
    detect_layout,
)

CONSISTENCY_LEVELS = ("Strong", "Session", "Bounded", "Eventually")
# HNSW search breadth, measured on Milvus Lite 3.2 (2 cores, 384-d clustered data, recall@10 vs exact search):
#   5k rows:  ef 64 -> 0.999 plain / 0.933 filtered; ef 128 -> 0.986 / 0.975; ef 256 -> 0.999 / 0.996; ~5 ms
#   50k rows: ef 128 -> 0.758; ef 256 -> 0.863 / 0.840; ef 512 -> 0.970 / 0.955; ef 1024 -> 0.995 / 0.985
# Latency hardly moves with ef on Lite (31 -> 37 ms plain, 109 -> 119 ms filtered at 50k, ef 256 -> 1024), so the
# defaults favour recall. A filter prunes the graph walk, so filtered searches get the wider one.
DEFAULT_EF = 512
DEFAULT_FILTERED_EF = 1024
DEFAULT_INSERT_BATCH = 1000
# Milvus Lite scans unflushed rows by brute force (~27 us per 384-d row per query, measured), while flushed
# segments are indexed. Lite's own WAL makes each returned add durable without a flush, so on Lite we flush
# lazily: before a read once READ_FLUSH_THRESHOLD rows are pending, so a bulk add is sealed once, by the first
# search after it. Writes do not flush (unless `flush_threshold` asks): Lite seals its write buffer itself at
# 128 MB, and sealing costs the same per row whenever it happens (flushing every 20k rows during a 50k add cut
# that add's rate by ~30%, measured).
READ_FLUSH_THRESHOLD = 64
_COLLECTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")

Vector = Sequence[float] | npt.NDArray[np.floating]


@dataclass
class Record:
    """One stored item, framework-neutral."""

    id: str | int
    text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: list[float] | None = None


@dataclass
class Hit:
    """A search result: the record, Milvus' raw score, and a relevance in [0, 1] (higher is better)."""

    record: Record
    score: float
    relevance: float


def relevance(score: float, metric: str) -> float:
    """Map a raw Milvus score to [0, 1], higher is better, for each metric.

    COSINE and IP return similarities in [-1, 1] (for normalized vectors): (1 + s) / 2.
    L2 returns squared distances d >= 0: 1 / (1 + d). BM25 returns unbounded positive scores: s / (1 + s).
    """
    if metric in ("COSINE", "IP"):
        return min(1.0, max(0.0, (1.0 + score) / 2.0))
    if metric == "L2":
        return 1.0 / (1.0 + max(0.0, score))
    if metric == "BM25":
        s = abs(score)
        return s / (1.0 + s)
    raise ConfigError(f"unknown metric {metric!r}")


@dataclass(frozen=True)
class StoreOptions:
    """Options validated once, at construction."""

    collection_name: str
    metric: str = "COSINE"
    index_params: Mapping[str, Any] | None = None
    search_params: Mapping[str, Any] | None = None
    consistency_level: str = "Session"
    dim: int | None = None
    full_text: bool = False
    analyzer_params: Mapping[str, Any] | None = None
    drop_old: bool = False
    partition_key_field: str | None = None
    text_field: str | None = None
    vector_field: str | None = None
    primary_field: str | None = None
    metadata_field: str | None = None
    # rows pending before a write flushes (and a read, once 64 are); None: only reads on Lite; 0: never
    flush_threshold: int | None = None
    insert_batch_size: int = DEFAULT_INSERT_BATCH

    def __post_init__(self) -> None:
        if not isinstance(self.collection_name, str) or not _COLLECTION_NAME.fullmatch(self.collection_name):
            raise ConfigError(
                f"collection_name {self.collection_name!r} is invalid: use letters, digits and underscores, "
                "starting with a letter or underscore (at most 255 characters)"
            )
        if self.metric.upper() not in METRICS:
            raise ConfigError(f"metric {self.metric!r} is not one of {', '.join(METRICS)}")
        object.__setattr__(self, "metric", self.metric.upper())
        if self.consistency_level not in CONSISTENCY_LEVELS:
            raise ConfigError(
                f"consistency_level {self.consistency_level!r} is not one of {', '.join(CONSISTENCY_LEVELS)}"
            )
        if self.dim is not None and (not isinstance(self.dim, int) or self.dim <= 0):
            raise ConfigError(f"dim must be a positive int, got {self.dim!r}")
        if self.insert_batch_size <= 0:
            raise ConfigError("insert_batch_size must be positive")
        if self.flush_threshold is not None and self.flush_threshold < 0:
            raise ConfigError("flush_threshold must be >= 0 (0 disables automatic flushes)")
        if self.index_params is not None and not isinstance(self.index_params, Mapping):
            raise ConfigError("index_params must be a dict like {'index_type': 'HNSW', 'params': {...}}")


class Store:
    """One collection in the shared layout. Opens the client at construction; touches the collection lazily."""

    def __init__(self, options: StoreOptions, connection: ConnectionConfig) -> None:
        self.options = options
        self.connection = connection
        self.client = connection.connect()
        self._layout: Layout | None = None
        self._resolved = False
        self._lock = threading.RLock()
        self._pending = 0
        self._last_dim: int | None = options.dim
        self._lite_engine: bool | None = None
        self._unread_writes = False

    def __repr__(self) -> str:
        return f"Store(collection={self.options.collection_name!r}, connection={self.connection!r})"

    @property
    def name(self) -> str:
        return self.options.collection_name

    @property
    def read_flush_threshold(self) -> int | None:
        """Pending rows that make a read flush first (None: reads never flush)."""
        threshold = self.options.flush_threshold
        if threshold == 0 or (threshold is None and not self.lite_engine):
            return None
        return min(READ_FLUSH_THRESHOLD, threshold or READ_FLUSH_THRESHOLD)

    @property
    def lite_engine(self) -> bool:
        """Milvus Lite behind this store, embedded or over TCP (asked once, on first use)."""
        if self._lite_engine is None:
            self._lite_engine = runs_lite_engine(self.connection, self.client)
        return self._lite_engine

    # -- errors ------------------------------------------------------------------------------------------
    def _fail(self, action: str, exc: Exception) -> MilvusIntegrationError:
        message = redact_text(str(exc), (self.connection.token,))
        return MilvusIntegrationError(f"Milvus failed to {action} in collection {self.name!r}: {message}")

    # -- layout ------------------------------------------------------------------------------------------
    def layout(self) -> Layout | None:
        """The collection's layout, or None while it does not exist yet (first use: drop_old, attach)."""
        if self._resolved:
            return self._layout
        with self._lock:
            if self._resolved:
                return self._layout
            if self.options.drop_old and self.client.has_collection(self.name):
                self.client.drop_collection(self.name)
            elif self.client.has_collection(self.name):
                self._layout = self._attach()
            self._resolved = True
            return self._layout

    def require_layout(self) -> Layout:
        layout = self.layout()
        if layout is None:
            raise CollectionNotFoundError(f"collection {self.name!r} does not exist yet; add data first")
        return layout

    def _attach(self) -> Layout:
        desc = self.client.describe_collection(self.name)
        metric: str | None = None
        for index_name in self.client.list_indexes(self.name):
            info = self.client.describe_index(self.name, index_name)
            if info.get("metric_type") and info.get("metric_type") != "BM25":
                metric = str(info["metric_type"])
        opts = self.options
        layout = detect_layout(
            desc,
            metric or opts.metric,
            text_field=opts.text_field,
            vector_field=opts.vector_field,
            primary_field=opts.primary_field,
            metadata_field=opts.metadata_field,
        )
        if opts.dim is not None and layout.dim is not None and opts.dim != layout.dim:
            raise ConfigError(f"collection {self.name!r} stores {layout.dim}-d vectors but dim={opts.dim} was given")
        state = self.client.get_load_state(self.name).get("state")
        if getattr(state, "name", str(state)) != "Loaded":
            self.client.load_collection(self.name)
        self._last_dim = layout.dim
        return layout

    def _create(self, dim: int) -> Layout:
        opts = self.options
        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=True)
        schema.add_field(ID_FIELD, DataType.VARCHAR, is_primary=True, max_length=MAX_VARCHAR)
        text_kwargs: dict[str, Any] = {"max_length": MAX_VARCHAR}
        if opts.full_text:
            text_kwargs.update(enable_analyzer=True, enable_match=True)
            if opts.analyzer_params:
                text_kwargs["analyzer_params"] = dict(opts.analyzer_params)
        schema.add_field(TEXT_FIELD, DataType.VARCHAR, **text_kwargs)
        if dim:
            schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=dim)
        if opts.partition_key_field:
            schema.add_field(opts.partition_key_field, DataType.VARCHAR, max_length=MAX_VARCHAR, is_partition_key=True)
        index = self.client.prepare_index_params()
        user_index = dict(opts.index_params or {})
        if dim:
            index.add_index(
                VECTOR_FIELD,
                index_type=user_index.get("index_type", "HNSW"),
                metric_type=user_index.get("metric_type", opts.metric),
                params=dict(user_index.get("params", {"M": 16, "efConstruction": 200})),
            )
        elif not opts.full_text:
            raise ConfigError("a store without dense vectors needs full_text=True")
        if opts.full_text:
            schema.add_field(SPARSE_FIELD, DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name=BM25_FUNCTION,
                    function_type=FunctionType.BM25,
                    input_field_names=[TEXT_FIELD],
                    output_field_names=[SPARSE_FIELD],
                )
            )
            index.add_index(SPARSE_FIELD, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self.client.create_collection(self.name, schema=schema, consistency_level=opts.consistency_level)
        # Created apart, without waiting: pymilvus' combined call polls the (empty) index build for 0.5 s.
        self.client.create_index(self.name, index, sync=False)
        self.client.load_collection(self.name)
        self._last_dim = dim
        return self._attach()

    def _ensure_collection(self, dim: int) -> Layout:
        layout = self.layout()
        if layout is not None:
            return layout
        with self._lock:
            if self._layout is None:
                self._layout = self._create(dim)
            return self._layout

    @property
    def dim(self) -> int | None:
        layout = self.layout()
        return layout.dim if layout is not None else self._last_dim

    # -- validation --------------------------------------------------------------------------------------
    def _matrix(
        self, vectors: Sequence[Vector] | npt.NDArray[np.floating], expected: int | None
    ) -> npt.NDArray[np.float32]:
        if isinstance(vectors, np.ndarray) and vectors.ndim == 2:
            with np.errstate(over="ignore"):  # as below
                arr = vectors.astype(np.float32, copy=False)
        else:
            lengths = []
            for i, v in enumerate(vectors):
                if v is None or isinstance(v, str | bytes) or not hasattr(v, "__len__"):
                    raise SchemaError(
                        f"row {i}: vector must be a list of numbers, got {type(v).__name__}",
                        row=i,
                        key="vector",
                    )
                lengths.append(len(v))
            if lengths and len(set(lengths)) > 1:
                first = lengths[0]
                bad = next(i for i, n in enumerate(lengths) if n != first)
                raise SchemaError(
                    f"row {bad}: vector has {lengths[bad]} dimensions, row 0 has {first}",
                    row=bad,
                    key="vector",
                )
            try:
                with np.errstate(over="ignore"):  # a value beyond float32 becomes inf: refused below, by row
                    arr = np.asarray(vectors, dtype=np.float32)
            except (TypeError, ValueError) as exc:
                raise SchemaError(f"vectors must be lists of numbers: {exc}", key="vector") from None
            if arr.ndim != 2:
                arr = arr.reshape(len(lengths), -1) if lengths else arr.reshape(0, 0)
        if arr.shape[0] and arr.shape[1] == 0:
            raise SchemaError("row 0: vector is empty", row=0, key="vector")
        if expected is not None and arr.shape[0] and arr.shape[1] != expected:
            raise SchemaError(
                f"row 0: vector has {arr.shape[1]} dimensions but the collection {self.name!r} stores {expected}",
                row=0,
                key="vector",
            )
        finite = np.isfinite(arr).all(axis=1)
        if not finite.all():
            bad = int(np.argmin(finite))
            raise SchemaError(
                f"row {bad}: vector contains NaN, infinity or a value beyond float32's range", row=bad, key="vector"
            )
        return arr

    @staticmethod
    def _check_metadata(i: int, metadata: Mapping[str, Any], reserved: frozenset[str]) -> None:
        if not isinstance(metadata, Mapping):
            raise SchemaError(f"row {i}: metadata must be a dict, got {type(metadata).__name__}", row=i)
        for key, value in metadata.items():
            if not isinstance(key, str) or not key:
                raise SchemaError(f"row {i}: metadata key {key!r} must be a non-empty string", row=i, key=str(key))
            if "\x00" in key or key.startswith("$"):
                raise SchemaError(f"row {i}: metadata key {key!r} is not allowed", row=i, key=key)
            if key in reserved:
                raise SchemaError(
                    f"row {i}: metadata key {key!r} collides with the collection's field of that name; rename it",
                    row=i,
                    key=key,
                )
            if isinstance(value, str | bool | int) or value is None:
                continue
            if isinstance(value, float):
                if not math.isfinite(value):
                    raise SchemaError(f"row {i}: metadata value for key {key!r} is {value}, not JSON", row=i, key=key)
                continue
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise SchemaError(
                    f"row {i}: metadata value for key {key!r} is not JSON-serializable ({exc})",
                    row=i,
                    key=key,
                ) from None

    def _check_rows(
        self,
        layout: Layout,
        ids: Sequence[str | int],
        texts: Sequence[str | None],
        metadatas: Sequence[Mapping[str, Any]],
    ) -> None:
        """Validate every row of a batch against `layout` (vectors are checked by `_matrix`), naming row and key."""
        reserved = layout.reserved
        seen: dict[str | int, int] = {}
        for i, (id_, text, metadata) in enumerate(zip(ids, texts, metadatas, strict=True)):
            if layout.primary_is_int:
                if not isinstance(id_, int) or isinstance(id_, bool):
                    raise SchemaError(f"row {i}: id must be an int for this collection, got {id_!r}", row=i, key="id")
            elif not isinstance(id_, str) or not id_:
                raise SchemaError(f"row {i}: id must be a non-empty string, got {id_!r}", row=i, key="id")
            elif len(id_.encode()) > MAX_VARCHAR or "\x00" in id_:
                raise SchemaError(f"row {i}: id is too long or contains NUL", row=i, key="id")
            if id_ in seen:
                raise SchemaError(f"row {i}: id {id_!r} repeats row {seen[id_]} in the same batch", row=i, key="id")
            seen[id_] = i
            if text is not None and not isinstance(text, str):
                raise SchemaError(f"row {i}: text must be a string, got {type(text).__name__}", row=i, key="text")
            if text is not None and len(text.encode()) > MAX_VARCHAR:
                raise SchemaError(
                    f"row {i}: text is {len(text.encode())} bytes; Milvus VARCHAR holds at most {MAX_VARCHAR}",
                    row=i,
                    key="text",
                )
            self._check_metadata(i, metadata, reserved)
            if layout.partition_key and layout.partition_key not in metadata:
                raise SchemaError(
                    f"row {i}: the partition key {layout.partition_key!r} is missing from metadata",
                    row=i,
                    key=layout.partition_key,
                )

    @staticmethod
    def _rows(
        layout: Layout,
        ids: Sequence[str | int],
        texts: Sequence[str | None],
        vectors: Sequence[list[float]] | None,
        metadatas: Sequence[Mapping[str, Any]],
    ) -> list[dict[str, Any]]:
        """The rows Milvus takes for a validated slice of a batch, built one write chunk at a time so that an add
        holds one chunk of rows, never the whole batch's."""
        rows: list[dict[str, Any]] = []
        for i, (id_, text, metadata) in enumerate(zip(ids, texts, metadatas, strict=True)):
            row: dict[str, Any] = {layout.primary: id_}
            if layout.vector and vectors is not None:
                row[layout.vector] = vectors[i]
            if layout.text:
                row[layout.text] = text or ""
            if layout.metadata_json:
                row[layout.metadata_json] = dict(metadata)
            else:
                row.update(metadata)
            rows.append(row)
        return rows

    # -- writes ------------------------------------------------------------------------------------------
    def add(
        self,
        ids: Sequence[str | int],
        texts: Sequence[str | None],
        vectors: Sequence[Vector] | npt.NDArray[np.floating] | None,
        metadatas: Sequence[Mapping[str, Any]] | None = None,
        *,
        batch_size: int | None = None,
        checked: RowsChecked | None = None,
    ) -> list[str | int]:
        """Upsert records (an existing id is replaced). The whole batch is validated before anything is written.

        `vectors` may be None only for a full-text-only store (full_text=True and no dense vectors). `checked`,
        from `check_rows` on these very rows, skips their second validation while the layout stays the same.
        """
        with bulk_gc_pause(len(ids)):
            return self._add(ids, texts, vectors, metadatas, batch_size=batch_size, checked=checked)

    def check_rows(
        self,
        ids: Sequence[str | int],
        texts: Sequence[str | None],
        metadatas: Sequence[Mapping[str, Any]],
        *,
        dense: bool,
    ) -> RowsChecked:
        """Validate ids, texts and metadata (everything but the vectors) against the collection's layout, or the
        one the first add would create (`dense`: with vectors), before any vector exists: an add that embeds its
        texts checks them first."""
        if not len(ids) == len(texts) == len(metadatas):
            raise SchemaError(f"ids, texts and metadatas differ in length ({len(ids)}, {len(texts)}, {len(metadatas)})")
        layout = self.layout() or self._probe(self._last_dim or 1, dense=dense)
        self._check_rows(layout, ids, texts, metadatas)
        return RowsChecked(_row_shape(layout))

    def _probe(self, dim: int, *, dense: bool) -> Layout:
        """The layout `_ensure_collection` creates for this store."""
        return Layout(
            dim=dim,
            vector=VECTOR_FIELD if dense else None,
            sparse=SPARSE_FIELD if self.options.full_text else None,
            partition_key=self.options.partition_key_field,
        )

    def _add(
        self,
        ids: Sequence[str | int],
        texts: Sequence[str | None],
        vectors: Sequence[Vector] | npt.NDArray[np.floating] | None,
        metadatas: Sequence[Mapping[str, Any]] | None,
        *,
        batch_size: int | None,
        checked: RowsChecked | None,
    ) -> list[str | int]:
        n = len(ids)
        metas: Sequence[Mapping[str, Any]] = metadatas if metadatas is not None else [{}] * n
        if not (len(texts) == n and (vectors is None or len(vectors) == n) and len(metas) == n):
            count = "None" if vectors is None else len(vectors)
            raise SchemaError(
                f"ids, texts, vectors and metadatas differ in length ({n}, {len(texts)}, {count}, {len(metas)})"
            )
        if n == 0:
            return []
        layout = self.layout()
        checked_vectors: _CheckedVectors | None = None
        if vectors is not None:
            matrix = self._matrix(vectors, layout.dim if layout else self._last_dim)
            lists = vectors if isinstance(vectors, list) and all(type(v) is list for v in vectors) else None
            checked_vectors = _CheckedVectors(matrix, lists)
        elif not self.options.full_text or (layout is not None and layout.vector is not None):
            raise SchemaError("vectors are required: this store keeps dense vectors", key="vector")
        if layout is None:
            # validate against the layout we are about to create, before creating anything
            dim = checked_vectors.matrix.shape[1] if checked_vectors is not None else 0
            probe = self._probe(dim, dense=bool(dim))
            if checked is None or checked.shape != _row_shape(probe):
                self._check_rows(probe, ids, texts, metas)
            layout = self._ensure_collection(dim)
            if _row_shape(layout) != _row_shape(probe):
                self._check_rows(layout, ids, texts, metas)
        elif checked is None or checked.shape != _row_shape(layout):
            self._check_rows(layout, ids, texts, metas)
        self._write(layout, ids, texts, checked_vectors, metas, batch_size or self.options.insert_batch_size)
        return list(ids)

    def _engine(self, layout: Layout) -> Any | None:
        """The embedded Lite engine's own `Collection` for this collection (see `core.embedded`), when rows in
        `layout` go in as `_rows` builds them and come out as pymilvus returns them: our own layout."""
        if not self.connection.is_lite or layout.primary_is_int or layout.metadata_json or not layout.dynamic:
            return None
        if set(layout.scalars) - {layout.partition_key}:
            return None
        return embedded.engine_collection(self.connection.uri, self.connection.db_name, self.name)

    def _engine_insert(self, layout: Layout) -> Callable[[list[dict[str, Any]]], Any] | None:
        """The engine's insert for this collection, under the file's lock, or None (use pymilvus)."""
        collection = self._engine(layout)
        if collection is None:
            return None
        lock = self.connection.lite_lock()

        def insert(chunk: list[dict[str, Any]]) -> Any:
            with lock:
                return collection.insert(chunk)

        return insert

    def _write(
        self,
        layout: Layout,
        ids: Sequence[str | int],
        texts: Sequence[str | None],
        vectors: _CheckedVectors | None,
        metadatas: Sequence[Mapping[str, Any]],
        batch_size: int,
    ) -> None:
        written: list[Any] = []
        engine_insert = self._engine_insert(layout)
        # The caller's own lists go to the engine as they are when they hold exact Python floats (what embedding
        # clients return) -- or, on the embedded engine, which checks every element's type itself, when that
        # check accepts them; otherwise rows get lists made from the validated float32 matrix.
        given = None if vectors is None else vectors.lists if engine_insert is not None else vectors.plain()
        for start in range(0, len(ids), batch_size):
            end = start + batch_size
            vecs = given[start:end] if given is not None else vectors.rows(start, end) if vectors is not None else None
            chunk = self._rows(layout, ids[start:end], texts[start:end], vecs, metadatas[start:end])
            try:
                # Replace semantics on every engine: a server needs upsert (insert would keep duplicate keys);
                # Milvus Lite's insert replaces the whole row, while its upsert merges old dynamic keys in.
                if engine_insert is not None:
                    try:
                        engine_insert(chunk)
                    except embedded.refused_rows():
                        if vectors is None or given is None:
                            raise
                        # Lite refuses numbers that our float32 check took (numpy scalars, bools, huge ints)
                        # before it writes the chunk (with a partition key, pyarrow may refuse a later bucket
                        # after an earlier one: writing it again replaces those rows): give it Python floats.
                        matrix_rows = vectors.rows(start, end)
                        engine_insert(
                            self._rows(layout, ids[start:end], texts[start:end], matrix_rows, metadatas[start:end])
                        )
                elif self.lite_engine:
                    self.client.insert(self.name, chunk)
                else:
                    self.client.upsert(self.name, chunk)
            except Exception as exc:
                raise PartialWriteError(
                    f"upsert into {self.name!r} failed after {len(written)} of {len(ids)} rows were written: "
                    f"{redact_text(str(exc), (self.connection.token,))}",
                    written_ids=written,
                    failed_ids=list(ids[start:]),
                ) from None
            written.extend(ids[start:end])
        self._note_writes(len(ids))

    def _note_writes(self, rows: int) -> None:
        with self._lock:
            self._pending += rows
            self._unread_writes = True
            threshold = self.options.flush_threshold
            due = threshold is not None and threshold > 0 and self._pending >= threshold
        if due:
            self.flush()

    def _before_read(self) -> dict[str, Any]:
        """Prepare a read; returns extra arguments for the read call.

        On Lite, seal a pending tail large enough to slow the read down more than a flush costs. On a server, the
        first read after this store wrote or deleted runs with Strong consistency, so it sees those writes
        (Session consistency did not guarantee that for deletes on Milvus 2.3, measured).
        """
        threshold = self.read_flush_threshold
        if threshold is not None and self._pending >= threshold:
            self.flush()
        if self._unread_writes and not self.lite_engine:
            self._unread_writes = False
            return {"consistency_level": "Strong"}
        return {}

    def flush(self) -> None:
        """Seal pending rows into segments that Milvus indexes (on Lite: fast to search instead of scanned)."""
        if self.layout() is None:
            return
        with self._lock:
            self._pending = 0
        self.client.flush(self.name)

    def delete(
        self, ids: Sequence[str | int] | None = None, *, filter: Expr | None = None, expr: str | None = None
    ) -> int:
        """Delete by ids and/or filter; returns how many rows Milvus reports deleted."""
        layout = self.layout()
        if layout is None:
            return 0
        if ids is None and filter is None and not expr:
            raise ConfigError("delete needs ids, a filter or an expr; use clear() to remove everything")
        where = combine(
            self._ids_expr(layout, ids) if ids is not None else "",
            self.compile(filter),
            expr or "",
        )
        if ids is not None and not ids:
            return 0
        try:
            result = self.client.delete(self.name, filter=where)
        except Exception as exc:
            raise self._fail("delete", exc) from None
        self._note_writes(1)
        count = result.get("delete_count", 0) if isinstance(result, Mapping) else 0
        return int(count)

    def clear(self) -> None:
        """Drop the collection; the store stays usable and recreates it (same options) on the next add."""
        with self._lock:
            if self.client.has_collection(self.name):
                self.client.drop_collection(self.name)
            if self._layout is not None:
                self._last_dim = self._layout.dim
            self._layout = None
            self._resolved = True
            self._pending = 0

    # -- reads -------------------------------------------------------------------------------------------
    def _ids_expr(self, layout: Layout, ids: Sequence[str | int]) -> str:
        return compile_filter(ir.in_(layout.primary, ids), layout.catalog(lite=self.lite_engine))

    def compile(self, filter: Expr | None) -> str:
        if filter is None:
            return ""
        layout = self.require_layout()
        return compile_filter(filter, layout.catalog(lite=self.lite_engine))

    def _output_fields(self, layout: Layout, with_vectors: bool) -> list[str]:
        fields = [layout.primary]
        if layout.text:
            fields.append(layout.text)
        if layout.metadata_json:
            fields.append(layout.metadata_json)
        fields.extend(layout.scalars)
        if layout.dynamic:
            fields.append("$meta")
        if with_vectors and layout.vector:
            fields.append(layout.vector)
        return fields

    def _record(self, layout: Layout, entity: Mapping[str, Any], pk: Any = None) -> Record:
        skip = {layout.primary, layout.vector, layout.text, layout.sparse, layout.metadata_json, "$meta"}
        metadata: dict[str, Any] = {}
        if layout.metadata_json and isinstance(entity.get(layout.metadata_json), Mapping):
            metadata.update(entity[layout.metadata_json])
        for key, value in entity.items():
            if key not in skip:
                metadata[key] = value
        vector = entity.get(layout.vector) if layout.vector else None
        return Record(
            id=entity.get(layout.primary, pk),
            text=entity.get(layout.text) if layout.text else None,
            metadata=metadata,
            vector=[float(x) for x in vector] if vector is not None else None,
        )

    def _search_params(
        self, layout: Layout, k: int, overrides: Mapping[str, Any] | None, filtered: bool = False
    ) -> dict[str, Any]:
        base = dict(self.options.search_params or {})
        params = dict(base.get("params", {}))
        params.update((overrides or {}).get("params", {}))
        params["ef"] = max(int(params.get("ef", DEFAULT_FILTERED_EF if filtered else DEFAULT_EF)), k)
        return {"metric_type": layout.metric, "params": params}

    def search(
        self,
        vector: Vector,
        k: int = 4,
        *,
        filter: Expr | None = None,
        expr: str | None = None,
        with_vectors: bool = False,
        search_params: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        """Dense nearest neighbours, best first."""
        return self.search_many(
            [vector], k, filter=filter, expr=expr, with_vectors=with_vectors, search_params=search_params
        )[0]

    def search_many(
        self,
        vectors: Sequence[Vector],
        k: int = 4,
        *,
        filter: Expr | None = None,
        expr: str | None = None,
        with_vectors: bool = False,
        search_params: Mapping[str, Any] | None = None,
    ) -> list[list[Hit]]:
        _check_k(k)
        layout = self.layout()
        if layout is None:
            return [[] for _ in vectors]
        dense = self._require_dense(layout)
        matrix = self._matrix(vectors, layout.dim)
        where = combine(self.compile(filter), expr or "")
        extra = self._before_read()
        params = self._search_params(layout, k, search_params, filtered=bool(where))
        output_fields = self._output_fields(layout, with_vectors)
        engine = self._engine(layout)
        try:
            if engine is not None:
                # Same call as the one Lite's gRPC server makes for pymilvus' request, without the protobuf
                # round trip through this very process (see core.embedded).
                with self.connection.lite_lock():
                    results = engine.search(
                        query_vectors=matrix.tolist(),
                        top_k=k,
                        metric_type=params["metric_type"],
                        expr=where or None,
                        output_fields=output_fields,
                        anns_field=dense,
                        search_params=params["params"],
                    )
            else:
                results = self.client.search(
                    self.name,
                    data=matrix.tolist(),
                    anns_field=dense,
                    limit=k,
                    filter=where,
                    output_fields=output_fields,
                    search_params=params,
                    **extra,
                )
        except Exception as exc:
            raise self._fail("search", exc) from None
        return [[self._hit(layout, h, layout.metric) for h in hits] for hits in results]

    def _hit(self, layout: Layout, hit: Mapping[str, Any], metric: str) -> Hit:
        entity = dict(hit.get("entity", {}))
        entity.setdefault(layout.primary, hit[layout.primary] if layout.primary in hit else hit.get("id"))
        score = float(hit["distance"])
        if metric == "BM25":
            score = abs(score)  # Milvus Lite reports BM25 as a negative distance; servers as a positive score
        return Hit(self._record(layout, entity), score, relevance(score, metric))

    def _require_dense(self, layout: Layout) -> str:
        if not layout.vector:
            raise ConfigError(f"collection {self.name!r} keeps no dense vectors: use full-text search")
        return layout.vector

    def _require_full_text(self, layout: Layout) -> str:
        if not layout.sparse:
            raise ConfigError(f"collection {self.name!r} has no BM25 field; create it with full-text search enabled")
        return layout.sparse

    def text_search(self, query: str, k: int = 4, *, filter: Expr | None = None, expr: str | None = None) -> list[Hit]:
        """BM25 full-text search, best first."""
        _check_k(k)
        layout = self.layout()
        if layout is None:
            return []
        sparse = self._require_full_text(layout)
        if not isinstance(query, str):
            raise ConfigError("full-text search needs a query string")
        extra = self._before_read()
        try:
            results = self.client.search(
                self.name,
                data=[query],
                anns_field=sparse,
                limit=k,
                filter=combine(self.compile(filter), expr or ""),
                output_fields=self._output_fields(layout, False),
                search_params={"metric_type": "BM25"},
                **extra,
            )
        except Exception as exc:
            raise self._fail("run a full-text search", exc) from None
        return [self._hit(layout, h, "BM25") for h in results[0]]

    def hybrid_search(
        self,
        vector: Vector,
        query: str,
        k: int = 4,
        *,
        filter: Expr | None = None,
        expr: str | None = None,
        ranker: Literal["rrf", "weighted"] = "rrf",
        weights: tuple[float, float] = (0.5, 0.5),
        rrf_k: int = 60,
        fetch_k: int | None = None,
    ) -> list[Hit]:
        """Dense + BM25 results fused by RRF (default) or weighted scores; returns k hits when k match."""
        _check_k(k)
        layout = self.layout()
        if layout is None:
            return []
        sparse = self._require_full_text(layout)
        dense = self._require_dense(layout)
        where = combine(self.compile(filter), expr or "")
        fetch = max(fetch_k or 2 * k, k)
        matrix = self._matrix([vector], layout.dim)
        extra = self._before_read()
        dense_req = AnnSearchRequest(
            data=matrix.tolist(),
            anns_field=dense,
            param=self._search_params(layout, fetch, None, filtered=bool(where)),
            limit=fetch,
            expr=where or None,
        )
        text_req = AnnSearchRequest(
            data=[query], anns_field=sparse, param={"metric_type": "BM25"}, limit=fetch, expr=where or None
        )
        if ranker == "rrf":
            fuse: RRFRanker | WeightedRanker = RRFRanker(rrf_k)
        elif ranker == "weighted":
            fuse = WeightedRanker(*weights)
        else:
            raise ConfigError(f"ranker must be 'rrf' or 'weighted', got {ranker!r}")
        try:
            results = self.client.hybrid_search(
                self.name,
                [dense_req, text_req],
                ranker=fuse,
                limit=k,
                output_fields=self._output_fields(layout, False),
                **extra,
            )
        except Exception as exc:
            raise self._fail("run a hybrid search", exc) from None
        hits = []
        for h in results[0]:
            score = float(h["distance"])
            entity = dict(h.get("entity", {}))
            entity.setdefault(layout.primary, h.get(layout.primary))
            hits.append(Hit(self._record(layout, entity), score, min(1.0, max(0.0, score))))
        return hits

    def get(self, ids: Sequence[str | int], *, with_vectors: bool = False) -> list[Record]:
        """Records for `ids`, in the order asked, skipping ids that are not stored."""
        layout = self.layout()
        if layout is None or not ids:
            return []
        found: dict[Any, Record] = {}
        extra = self._before_read()
        for chunk in _chunks(list(dict.fromkeys(ids)), 1000):
            try:
                # not client.get(ids=...): pymilvus splices string ids into its expression unescaped
                rows = self.client.query(
                    self.name,
                    filter=self._ids_expr(layout, chunk),
                    output_fields=self._output_fields(layout, with_vectors),
                    limit=len(chunk),
                    **extra,
                )
            except Exception as exc:
                raise self._fail("get records", exc) from None
            for row in rows:
                rec = self._record(layout, row)
                found[rec.id] = rec
        return [found[i] for i in ids if i in found]

    def query(
        self,
        *,
        filter: Expr | None = None,
        expr: str | None = None,
        ids: Sequence[str | int] | None = None,
        limit: int | None = None,
        with_vectors: bool = False,
    ) -> list[Record]:
        """Records matching a filter (no ranking); all of them when `limit` is None."""
        layout = self.layout()
        if layout is None:
            return []
        where = combine(self.compile(filter), expr or "")
        if ids is not None:
            if not ids:
                return []
            where = combine(self._ids_expr(layout, ids), where)
        return list(self._iterate(layout, where, limit, with_vectors))

    def _iterate(self, layout: Layout, where: str, limit: int | None, with_vectors: bool) -> Iterator[Record]:
        page = 1000
        remaining = limit
        extra = self._before_read()
        try:
            iterator = self.client.query_iterator(
                self.name,
                batch_size=page,
                limit=-1 if limit is None else limit,
                filter=where,
                output_fields=self._output_fields(layout, with_vectors),
                **extra,
            )
        except Exception as exc:
            raise self._fail("query", exc) from None
        try:
            while True:
                batch = iterator.next()
                if not batch:
                    return
                for row in batch:
                    yield self._record(layout, row)
                    if remaining is not None:
                        remaining -= 1
                        if remaining <= 0:
                            return
        finally:
            iterator.close()

    def count(self) -> int:
        layout = self.layout()
        if layout is None:
            return 0
        rows = self.client.query(self.name, filter="", output_fields=["count(*)"], **self._before_read())
        return int(rows[0]["count(*)"])

    def close(self) -> None:
        self.client.close()


BULK_ROWS = 1000


@contextlib.contextmanager
def bulk_gc_pause(rows: int) -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch of at least `BULK_ROWS` rows is added.

    An add allocates a few containers per row (row dicts, the engine's own per-row objects) that live until their
    chunk is written: for a large batch enough of them outlive the young generations to set off a full collection,
    which walks every object in the process -- the caller's documents or nodes and their vectors included. That was
    0.54-0.66 s of a 50k-node LlamaIndex add (~11% of it, measured with gc callbacks). None of these objects form
    reference cycles, so reference counting frees them as usual and nothing is left for the collector; it is
    turned back on when the add returns or raises. Nothing changes when it is already off (or turned off by the
    caller) or for smaller batches.
    """
    if rows < BULK_ROWS or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True)
class _CheckedVectors:
    """A batch's vectors after `Store._matrix` accepted them: the float32 matrix, and the caller's own lists of
    lists when it passed those (rows can carry them as they are instead of new lists made from the matrix, ~15 us
    per 384-d row)."""

    matrix: npt.NDArray[np.float32]
    lists: list[list[Any]] | None

    def plain(self) -> list[list[Any]] | None:
        """The caller's lists when every element is an exact Python float, else None."""
        lists = self.lists
        if lists is None:
            return None
        total = sum(map(len, lists))
        if not total or operator.countOf(map(type, itertools.chain.from_iterable(lists)), float) != total:
            return None  # (countOf of exact types: ~25% quicker than collecting them in a set)
        return lists

    def rows(self, start: int, end: int) -> list[list[float]]:
        rows: list[list[float]] = self.matrix[start:end].tolist()
        return rows


@dataclass(frozen=True)
class RowsChecked:
    """Proof from `Store.check_rows` that a batch's ids, texts and metadata passed validation against a layout of
    this shape."""

    shape: tuple[Any, ...]


def _row_shape(layout: Layout) -> tuple[Any, ...]:
    """What `Store._check_rows` and `Store._rows` depend on."""
    return (
        layout.primary,
        layout.primary_is_int,
        layout.text,
        layout.vector,
        layout.metadata_json,
        layout.reserved,
        layout.partition_key,
    )


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
        raise ConfigError(f"k must be a positive int, got {k!r}")
    if k > 16384:
        raise ConfigError(f"k={k} exceeds Milvus' limit of 16384 results per query")


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
