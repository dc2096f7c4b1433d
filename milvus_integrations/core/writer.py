"""The write path: a validated batch is turned into rows one chunk at a time and written with replace (or insert)
semantics; a failure part-way raises `PartialWriteError` naming what was written and what was not."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

from milvus_integrations.core import codec
from milvus_integrations.core.collection import Collection
from milvus_integrations.core.consistency import SERVER_SEAL_ROWS, Consistency
from milvus_integrations.core.errors import ConfigError, PartialWriteError
from milvus_integrations.core.layout import Layout
from milvus_integrations.core.lite import engine

DEFAULT_BATCH = 1000


class WriteMode(str, Enum):
    REPLACE = "replace"  # an existing id is replaced whole (the stores; the seed client's upsert_data)
    INSERT = "insert"  # Milvus' insert (the seed client's insert_data): a server keeps both rows of a repeated id


@dataclass(frozen=True)
class DenseColumn:
    """A batch's dense vectors after validation: the float32 matrix, and the caller's own lists of lists when it
    passed those (rows can carry them as they are instead of new lists made from the matrix, ~15 us per 384-d
    row)."""

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

    def __len__(self) -> int:
        return int(self.matrix.shape[0])


Column = DenseColumn | Sequence[Any]


@dataclass
class Batch:
    """Validated rows: ids (None for auto ids), texts, metadata, and one column per vector field written."""

    ids: Sequence[Any] | None
    texts: Sequence[str | None] | None
    metadatas: Sequence[Mapping[str, Any]]
    columns: dict[str, Column] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.metadatas)


def _sources(batch: Batch, fast: bool) -> dict[str, tuple[Column, Sequence[Any] | None]]:
    """Per vector field: the column and the lists rows may carry as they are (None: make them from the matrix).
    The caller's own lists go as given when they hold exact Python floats (what embedding clients return) -- or,
    into the embedded engine, which checks every element's type itself, whatever they hold."""
    out: dict[str, tuple[Column, Sequence[Any] | None]] = {}
    for name, column in batch.columns.items():
        if isinstance(column, DenseColumn):
            out[name] = (column, column.lists if fast else column.plain())
        else:
            out[name] = (column, column)
    return out


def _slices(sources: dict[str, tuple[Column, Sequence[Any] | None]], start: int, end: int) -> dict[str, Sequence[Any]]:
    out: dict[str, Sequence[Any]] = {}
    for name, (column, given) in sources.items():
        if given is not None:
            out[name] = given[start:end]
        else:
            assert isinstance(column, DenseColumn)
            out[name] = column.rows(start, end)
    return out


def write(
    collection: Collection,
    consistency: Consistency,
    layout: Layout,
    batch: Batch,
    *,
    mode: WriteMode = WriteMode.REPLACE,
    batch_size: int = DEFAULT_BATCH,
    partition: str | None = None,
    timeout: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    """Write `batch` in chunks of `batch_size`; returns the ids written (Milvus' own for auto ids). `progress` is
    called with the number of rows of each chunk once it is written."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
    n = len(batch)
    if not collection.lite_engine:  # a server seals its growing segment every SERVER_SEAL_ROWS (core.consistency)
        batch_size = min(batch_size, SERVER_SEAL_ROWS)
    fast = None
    if partition is None:
        connection = collection.connection
        fast = engine.for_layout(
            connection.uri, connection.db_name, collection.name, layout, is_lite_file=connection.is_lite
        )
    # Replace semantics on every engine: a server needs upsert (insert would keep duplicate keys); Milvus Lite's
    # insert replaces the whole row, while its upsert merges old dynamic keys in. Auto ids: nothing to replace.
    upsert = mode is WriteMode.REPLACE and not layout.auto_id and not collection.lite_engine
    kwargs: dict[str, Any] = {}
    if partition is not None:
        kwargs["partition_name"] = partition
    if timeout is not None:
        kwargs["timeout"] = timeout
    sources = _sources(batch, fast is not None)
    written: list[Any] = []
    for start in range(0, n, batch_size):
        end = min(start + batch_size, n)
        ids = batch.ids[start:end] if batch.ids is not None else None
        texts = batch.texts[start:end] if batch.texts is not None else None
        metas = batch.metadatas[start:end]
        try:
            vectors = _slices(sources, start, end)
            if fast is not None:
                result = _engine_insert(collection, fast, layout, batch, start, end, ids, texts, vectors, metas)
            else:
                chunk = codec.rows(layout, ids, texts, vectors, metas)
                call = collection.client.upsert if upsert else collection.client.insert
                result = call(collection.name, chunk, **kwargs)
        except Exception as exc:
            failed = list(batch.ids[start:]) if batch.ids is not None else []
            error = collection.fail("write", exc)
            raise PartialWriteError(
                f"writing to {collection.name!r} failed after {len(written)} of {n} rows were written: "
                f"{type(error).__name__}: {error}",
                written_ids=written,
                failed_ids=failed,
            ) from error
        written.extend(ids if ids is not None else _result_ids(result))
        consistency.wrote(end - start)  # per chunk: a server seals its growing segment as it fills
        if progress is not None:
            progress(end - start)
    return written


def _engine_insert(
    collection: Collection,
    fast: Any,
    layout: Layout,
    batch: Batch,
    start: int,
    end: int,
    ids: Sequence[Any] | None,
    texts: Sequence[str | None] | None,
    vectors: dict[str, Sequence[Any]],
    metas: Sequence[Mapping[str, Any]],
) -> Any:
    """Into the embedded engine, under the file's lock. The caller's own vector lists go as given -- the engine
    checks every element's type itself -- and a chunk it refuses (numpy scalars or bools in a list, an int beyond
    int64) is written again from the validated float32 matrix. With a partition key, pyarrow may refuse a later
    bucket after an earlier one: writing the chunk again replaces those rows."""
    lock = collection.connection.lite_lock()
    with lock:
        try:
            return fast.insert(codec.rows(layout, ids, texts, vectors, metas))
        except engine.refused_rows():
            dense = {n: c for n, c in batch.columns.items() if isinstance(c, DenseColumn) and c.lists is not None}
            if not dense:
                raise
            vectors.update({name: c.rows(start, end) for name, c in dense.items()})
            return fast.insert(codec.rows(layout, ids, texts, vectors, metas))


def _result_ids(result: Any) -> list[Any]:
    if isinstance(result, Mapping):
        return list(result.get("ids", []))
    if isinstance(result, list):
        return list(result)
    return []


def delete(collection: Collection, consistency: Consistency, where: str, *, partition: str | None = None) -> int:
    """Delete the rows matching the compiled expression `where`; returns how many Milvus reports deleted."""
    kwargs: dict[str, Any] = {"partition_name": partition} if partition else {}
    try:
        result = collection.client.delete(collection.name, filter=where, **kwargs)
    except Exception as exc:
        raise collection.fail("delete", exc) from None
    consistency.wrote(1)
    count = result.get("delete_count", 0) if isinstance(result, Mapping) else 0
    return int(count)
