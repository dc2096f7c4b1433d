"""Reads without ranking: entities by primary key, by expression (paged, any number of them), and counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from milvus_integrations.core.collection import Collection
from milvus_integrations.core.consistency import Consistency
from milvus_integrations.core.filters import compile_filter, ir
from milvus_integrations.core.layout import Layout

PAGE = 1000


def keys(layout: Layout, ids: Sequence[Any]) -> list[Any]:
    """`ids` as the primary field holds them: frameworks pass ids as strings, an INT64 key (auto ids) wants ints.
    An id that cannot be an int matches nothing (None)."""
    if not layout.primary_is_int:
        return list(ids)
    out: list[Any] = []
    for id_ in ids:
        if isinstance(id_, int) and not isinstance(id_, bool):
            out.append(id_)
        elif isinstance(id_, str) and id_.strip().lstrip("-").isdigit():
            out.append(int(id_))
        else:
            out.append(None)
    return out


def ids_expr(collection: Collection, layout: Layout, ids: Sequence[Any]) -> str:
    """``pk in [...]`` written by our escaper (pymilvus' own ids= path splices strings in unescaped)."""
    wanted = [k for k in keys(layout, ids) if k is not None]
    return compile_filter(ir.in_(layout.primary, wanted), layout.catalog(lite=collection.lite_engine))


def get(
    collection: Collection,
    consistency: Consistency,
    layout: Layout,
    ids: Sequence[Any],
    output_fields: list[str],
    *,
    partitions: Sequence[str] | None = None,
    timeout: float | None = None,
) -> dict[Any, dict[str, Any]]:
    """The stored entities of `ids`, by key (see `keys`; ids not stored are absent)."""
    found: dict[Any, dict[str, Any]] = {}
    unique = [k for k in dict.fromkeys(keys(layout, ids)) if k is not None]
    extra = consistency.before_read()
    if partitions:
        extra["partition_names"] = list(partitions)
    if timeout is not None:
        extra["timeout"] = timeout
    for start in range(0, len(unique), PAGE):
        chunk = unique[start : start + PAGE]
        try:
            rows = collection.client.query(
                collection.name,
                filter=ids_expr(collection, layout, chunk),
                output_fields=output_fields,
                limit=len(chunk),
                **extra,
            )
        except Exception as exc:
            raise collection.fail("get records", exc) from None
        for row in rows:
            found[row[layout.primary]] = dict(row)
    return found


def iterate(
    collection: Collection,
    consistency: Consistency,
    where: str,
    output_fields: list[str],
    *,
    limit: int | None = None,
    partitions: Sequence[str] | None = None,
    timeout: float | None = None,
) -> Iterator[dict[str, Any]]:
    """Every entity matching `where` ("" for all), a page at a time, at most `limit` of them."""
    remaining = limit
    extra = consistency.before_read()
    if partitions:
        extra["partition_names"] = list(partitions)
    if timeout is not None:
        extra["timeout"] = timeout
    try:
        iterator = collection.client.query_iterator(
            collection.name,
            batch_size=PAGE,
            limit=-1 if limit is None else limit,
            filter=where,
            output_fields=output_fields,
            **extra,
        )
    except Exception as exc:
        raise collection.fail("query", exc) from None
    try:
        while True:
            try:
                page = iterator.next()
            except Exception as exc:
                raise collection.fail("query", exc) from None
            if not page:
                return
            for row in page:
                yield dict(row)
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        return
    finally:
        iterator.close()


def count(collection: Collection, consistency: Consistency, where: str = "") -> int:
    try:
        rows = collection.client.query(
            collection.name, filter=where, output_fields=["count(*)"], **consistency.before_read()
        )
    except Exception as exc:
        raise collection.fail("count", exc) from None
    return int(rows[0]["count(*)"])
