"""Filter and delete behaviour of llama-index-vector-stores-milvus, for the README comparison. Run in its venv:

.bench/venv-llamaindex-peer/bin/python benchmarks/peer_checks/llama_index_peer_filters.py
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.vector_stores.milvus import MilvusVectorStore

logging.disable(logging.WARNING)
DIR = tempfile.mkdtemp()
TITLES = ["a 50% off sale", "50 percent", "plain"]


def fresh() -> Any:
    store = MilvusVectorStore(uri=DIR + "/p.db", collection_name="c", dim=2, overwrite=True)
    store.add(
        [
            TextNode(
                id_=f"n{i}",
                text="t",
                metadata={"title": t},
                embedding=[1.0, float(i)],
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=f"doc{i}")},
            )
            for i, t in enumerate(TITLES)
        ]
    )
    return store


def ids(store: Any, filters: MetadataFilters | None) -> Any:
    try:
        query = VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=10, filters=filters)
        return sorted(store.query(query).ids)
    except Exception as exc:
        return f"ERROR {type(exc).__name__}: {str(exc)[:80]}"


def text_match(value: str) -> MetadataFilters:
    return MetadataFilters(filters=[MetadataFilter(key="title", value=value, operator=FilterOperator.TEXT_MATCH)])


def main() -> None:
    store = fresh()
    print("TEXT_MATCH '0%' (expect ['n0']):", ids(store, text_match("0%")))
    print("TEXT_MATCH 'percent' (expect ['n1']):", ids(store, text_match("percent")))
    not_plain = MetadataFilters(filters=[MetadataFilter(key="title", value="plain")], condition=FilterCondition.NOT)
    print("NOT title == 'plain' (expect ['n0', 'n1']):", ids(store, not_plain))
    try:
        store.delete('doc0" or doc_id != "')
    except Exception as exc:
        print("delete of a ref_doc_id with a quote:", str(exc)[:120])
    print("left after that delete (expect 3):", ids(store, None))
    store = fresh()
    store.clear()
    try:
        store.add([TextNode(id_="z", text="t", embedding=[1.0, 0.0])])
        print("add after clear: ok")
    except Exception as exc:
        print("add after clear:", type(exc).__name__, str(exc)[:100])


if __name__ == "__main__":
    main()
