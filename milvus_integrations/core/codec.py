"""Rows as Milvus takes them from a validated batch, and `Record`s / `Hit`s from what Milvus returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from milvus_integrations.core.layout import Layout, VectorKind
from milvus_integrations.core.records import Hit, Record, relevance


def rows(
    layout: Layout,
    ids: Sequence[Any] | None,
    texts: Sequence[str | None] | None,
    vectors: Mapping[str, Sequence[Any]],
    metadatas: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The rows for a validated slice of a batch (`vectors`: field -> that slice's values). Typed fields and the
    dynamic keys sit at the top level, as pymilvus and the engine take them; with a JSON metadata field, the keys
    that are not typed fields go into it."""
    out: list[dict[str, Any]] = []
    scalars = layout.scalars
    columns = list(vectors.items())
    for i, metadata in enumerate(metadatas):
        row: dict[str, Any] = {} if ids is None else {layout.primary: ids[i]}
        for name, values in columns:
            row[name] = values[i]
        if layout.text:
            row[layout.text] = (texts[i] if texts is not None else None) or ""
        if layout.metadata_json:
            row[layout.metadata_json] = {k: v for k, v in metadata.items() if k not in scalars}
            row.update((k, v) for k, v in metadata.items() if k in scalars)
        else:
            row.update(metadata)
        out.append(row)
    return out


def output_fields(layout: Layout, with_vectors: bool) -> list[str]:
    """What a read asks for: every non-vector field (and, `with_vectors`, every vector field but BM25 outputs, which
    Milvus fills itself and servers do not return)."""
    fields = [layout.primary]
    if layout.text:
        fields.append(layout.text)
    if layout.metadata_json:
        fields.append(layout.metadata_json)
    fields.extend(layout.scalars)
    if layout.dynamic:
        fields.append("$meta")
    if with_vectors:
        fields.extend(v.name for v in layout.vectors if v.kind is not VectorKind.BM25)
    return fields


def record(layout: Layout, entity: Mapping[str, Any], pk: Any = None) -> Record:
    """A `Record` from one returned entity: the id, the text, the main vector, other vectors, and the rest as
    metadata (a JSON metadata field's contents merged in)."""
    vector_names = set(layout.vector_names)
    skip = {layout.primary, layout.text, layout.metadata_json, "$meta", *vector_names}
    metadata: dict[str, Any] = {}
    if layout.metadata_json and isinstance(entity.get(layout.metadata_json), Mapping):
        metadata.update(entity[layout.metadata_json])
    for key, value in entity.items():
        if key not in skip:
            metadata[key] = value
    main = layout.main
    vector: Any = entity.get(main.name) if main is not None else None
    if vector is not None and main is not None and main.kind is VectorKind.DENSE:
        vector = [float(x) for x in vector]
    extra = {name: entity[name] for name in vector_names if name in entity and (main is None or name != main.name)}
    return Record(
        id=entity.get(layout.primary, pk),
        text=entity.get(layout.text) if layout.text else None,
        metadata=metadata,
        vector=vector,
        vectors=extra,
    )


def hit(layout: Layout, raw: Mapping[str, Any], metric: str) -> Hit:
    """A `Hit` from one returned search hit scored under `metric` ("FUSED" for hybrid results)."""
    entity = dict(raw.get("entity", {}))
    entity.setdefault(layout.primary, raw[layout.primary] if layout.primary in raw else raw.get("id"))
    score = float(raw["distance"])
    if metric == "BM25":
        score = abs(score)  # Milvus Lite reports BM25 as a negative distance; servers as a positive score
    return Hit(record(layout, entity), score, relevance(score, metric))
