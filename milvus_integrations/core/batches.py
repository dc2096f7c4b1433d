"""From what an adapter hands over (ids, texts, vectors, metadata) to a validated `writer.Batch`, creating the
collection from its template on the first add. Nothing is created or written before the whole batch passed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from milvus_integrations.core.collection import Collection
from milvus_integrations.core.errors import SchemaError
from milvus_integrations.core.layout import Layout, VectorKind
from milvus_integrations.core.validate import binary_vectors, dense_matrix, sparse_vectors
from milvus_integrations.core.validate import check_rows as _check_rows
from milvus_integrations.core.writer import Batch, Column, DenseColumn

Vectors = Sequence[Any] | np.ndarray | Mapping[str, Sequence[Any] | np.ndarray] | None


@dataclass(frozen=True)
class RowsChecked:
    """Proof from `check` that a batch's ids, texts and metadata passed validation against `layout`: an add that
    embeds its texts checks them whole before embedding, then writes window by window without checking each
    window's rows a second time (at 200k rows, the second pass cost ~0.4 s of an add)."""

    layout: Layout


def _by_field(template: Layout, vectors: Vectors) -> dict[str, Any]:
    if vectors is None:
        return {}
    if isinstance(vectors, Mapping):
        return dict(vectors)
    if template.vector is None:
        raise SchemaError("this collection keeps no dense vectors; pass vectors=None", key="vector")
    return {template.vector: vectors}


def _column(layout: Layout, name: str, values: Any, where: str) -> Column:
    field = layout.vector_field(name)
    if field.kind is VectorKind.DENSE:
        matrix = dense_matrix(values, field.dim, key=name if name != "vector" else "vector", where=where)
        lists = values if isinstance(values, list) and all(type(v) is list for v in values) else None
        return DenseColumn(matrix, lists)
    if field.kind is VectorKind.BINARY:
        return binary_vectors(values, field.dim, key=name)
    if field.kind is VectorKind.SPARSE:
        return sparse_vectors(values, key=name)
    raise SchemaError(f"{name!r} is filled by Milvus' BM25 function from the text; do not pass it", key=name)


def _dim(column: Column) -> int:
    if isinstance(column, DenseColumn):
        return int(column.matrix.shape[1]) if len(column) else 0
    if column and isinstance(column[0], bytes):
        return len(column[0]) * 8
    return 0


def check(
    collection: Collection,
    template: Layout,
    ids: Sequence[Any] | None,
    texts: Sequence[str | None] | None,
    metadatas: Sequence[Mapping[str, Any]],
) -> RowsChecked:
    """Validate ids, texts and metadata against the collection's layout, or the template the first add creates."""
    layout = collection.layout() or template
    _check_rows(layout, ids, texts, metadatas)
    return RowsChecked(layout)


def prepare(
    collection: Collection,
    template: Layout,
    ids: Sequence[Any] | None,
    texts: Sequence[str | None] | None,
    vectors: Vectors,
    metadatas: Sequence[Mapping[str, Any]] | None,
    checked: RowsChecked | None = None,
    *,
    primary_named: bool = False,
) -> tuple[Layout, Batch]:
    """The layout to write into (created from `template` if need be) and the validated batch. `primary_named`:
    errors call an id by its field's name (the seed client's rows), not "id" (the stores')."""

    def check_rows(layout: Layout, ids: Sequence[Any] | None, texts: Any, metas: Any) -> None:
        if primary_named:
            _check_rows(layout, ids, texts, metas, id_key=layout.primary, id_label=f"primary key {layout.primary!r} =")
        else:
            _check_rows(layout, ids, texts, metas)

    n = len(ids) if ids is not None else len(texts) if texts is not None else len(metadatas or ())
    metas: Sequence[Mapping[str, Any]] = metadatas if metadatas is not None else [{}] * n
    layout = collection.layout()
    target = layout or template
    given = _by_field(target, vectors)
    lengths = {"ids": len(ids) if ids is not None else n, "texts": len(texts) if texts is not None else n}
    lengths.update({"metadatas": len(metas), **{f"vectors[{k}]": len(v) for k, v in given.items()}})
    if len(set(lengths.values())) > 1:
        raise SchemaError("batch parts differ in length: " + ", ".join(f"{k} {v}" for k, v in lengths.items()))
    where = f" {collection.name!r}"
    needed = [v.name for v in target.vectors if v.kind is not VectorKind.BM25]
    missing = [name for name in needed if name not in given]
    if n and missing:
        raise SchemaError(f"vectors are required for {missing}: this collection keeps them", key=missing[0])
    unknown = [name for name in given if name not in target.vector_names]
    if unknown:
        raise SchemaError(f"{unknown[0]!r} is not a vector field; vector fields: {target.vector_names}", key=unknown[0])
    if layout is None:
        columns = {name: _column(template, name, values, where) for name, values in given.items()}
        dims = {name: _dim(c) for name, c in columns.items() if _dim(c)}
        probe = template.with_dims(dims)
        if checked is None or not checked.layout.same_rows(probe):
            check_rows(probe, ids, texts, metas)
        if not n:
            return probe, Batch(ids, texts, metas, columns)
        layout = collection.ensure(probe)
        if not layout.same_rows(probe):  # someone else created it meanwhile
            check_rows(layout, ids, texts, metas)
            columns = {name: _column(layout, name, values, where) for name, values in given.items()}
        return layout, Batch(ids, texts, metas, columns)
    columns = {name: _column(layout, name, values, where) for name, values in given.items()}
    if checked is None or not checked.layout.same_rows(layout):
        check_rows(layout, ids, texts, metas)
    return layout, Batch(ids, texts, metas, columns)
