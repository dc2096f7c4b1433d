"""LlamaIndex nodes <-> the core's records: what a node's row holds, and how a row (ours, the LangChain adapter's,
or llama-index-vector-stores-milvus') becomes a node again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llama_index.core.schema import BaseNode, MetadataMode, TextNode
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

from milvus_integrations.conventions import (
    NODE_CONTENT_KEY,
    NODE_TYPE_KEY,
    PEER_NODE_CONTENT_KEY,
    REF_DOC_ID_KEY,
    user_metadata,
)
from milvus_integrations.core.records import Record

PEER_ID_FIELD = "id"  # llama-index-vector-stores-milvus' primary key, always


def to_row(node: BaseNode) -> tuple[str, str, Mapping[str, Any]]:
    """(id, text, metadata) for a node.

    The node's JSON is kept without what is stored in its own fields (text, vector, metadata as top-level keys),
    nor fields left at their defaults: it lives in Milvus' dynamic JSON, which Lite parses for every row a metadata
    filter looks at (a default TextNode's 318 bytes made filtered queries ~2x slower, measured). The id is left out
    of the dump too, and put back below: comparing it with its default would draw a uuid4 per node, half the dump's
    cost."""
    payload = node.model_dump(
        mode="json", exclude={"id_", "embedding", "metadata", "text", "text_resource"}, exclude_defaults=True
    )
    text = node.get_content(metadata_mode=MetadataMode.NONE)
    # A plain TextNode (id, text, metadata, embedding) needs no bookkeeping: it is rebuilt from the row itself, as a
    # row the LangChain adapter wrote is; its metadata is passed on as it is (the store copies it into the row).
    if type(node) is TextNode and not set(payload) - {"class_name"}:  # no relationships, so no ref_doc_id
        return node.node_id, text, node.metadata
    payload["id_"] = node.node_id
    payload["class_name"] = node.class_name()
    metadata: dict[str, Any] = dict(node.metadata)
    metadata[NODE_CONTENT_KEY] = json.dumps(payload, ensure_ascii=False)
    metadata[NODE_TYPE_KEY] = node.class_name()
    if node.ref_doc_id is not None:
        metadata[REF_DOC_ID_KEY] = node.ref_doc_id
    return node.node_id, text, metadata


def to_peer_row(node: BaseNode, doc_id_key: str) -> tuple[str, str, Mapping[str, Any]]:
    """(id, text, metadata) as llama-index-vector-stores-milvus writes a node (LlamaIndex's own
    `node_to_metadata_dict`: the node JSON under `_node_content`, `doc_id` / `document_id` / `ref_doc_id`), so that
    the peer reads rows written here; `doc_id_key` gets the source document id ("" when the node has none)."""
    metadata = node_to_metadata_dict(node, remove_text=True, flat_metadata=False)
    metadata[doc_id_key] = node.ref_doc_id or ""
    return node.node_id, node.get_content(metadata_mode=MetadataMode.NONE), metadata


def to_node(record: Record) -> BaseNode:
    """The node a row holds (a `TextNode` for rows written by anything but a LlamaIndex store)."""
    user = user_metadata(record.metadata)
    ours = record.metadata.get(NODE_CONTENT_KEY)
    peer = record.metadata.get(PEER_NODE_CONTENT_KEY)
    if isinstance(ours, str):
        node = metadata_dict_to_node(
            {"_node_content": ours, "_node_type": record.metadata.get(NODE_TYPE_KEY)}, text=record.text or ""
        )
    elif isinstance(peer, str):  # written by llama-index-vector-stores-milvus
        node = metadata_dict_to_node(dict(record.metadata), text=record.text or None)
    else:  # written by the LangChain adapter or another tool
        node = TextNode(id_=str(record.id), text=record.text or "")
    node.metadata = user
    if record.vector is not None:
        node.embedding = record.vector
    return node
