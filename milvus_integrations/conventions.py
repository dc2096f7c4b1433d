"""How the two adapters read each other's rows and the peer integrations' rows (framework-free: both adapters and
the CLI import it without importing LangChain or LlamaIndex).

The LlamaIndex adapter keeps what it needs to rebuild a node (the node's JSON and type, its ref_doc_id) under
dynamic keys that start with ``_li_``; the LangChain adapter hides them. llama-index-vector-stores-milvus keeps a
node's JSON (with its text) in ``_node_content`` and its source document in ``doc_id`` / ``ref_doc_id`` /
``document_id``; both adapters hide those on rows it wrote.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

NODE_CONTENT_KEY = "_li_node"
NODE_TYPE_KEY = "_li_type"
REF_DOC_ID_KEY = "_li_ref_doc_id"
BOOKKEEPING_KEYS = frozenset({NODE_CONTENT_KEY, NODE_TYPE_KEY, REF_DOC_ID_KEY})
PEER_NODE_CONTENT_KEY = "_node_content"
PEER_NODE_TYPE_KEY = "_node_type"
PEER_DOC_ID_FIELD = "doc_id"
PEER_LLAMA_KEYS = frozenset({PEER_NODE_CONTENT_KEY, PEER_NODE_TYPE_KEY, "doc_id", "ref_doc_id", "document_id"})
# VARCHAR fields of the LlamaIndex peer's collections that hold ids, never the text (layout detection hint)
NOT_TEXT = frozenset({"doc_id", "ref_doc_id", "document_id", PEER_NODE_CONTENT_KEY})


def user_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A row's metadata without our LlamaIndex bookkeeping, nor the LlamaIndex peer's (on rows it wrote)."""
    hidden = BOOKKEEPING_KEYS | (PEER_LLAMA_KEYS if PEER_NODE_CONTENT_KEY in metadata else frozenset())
    return {k: v for k, v in metadata.items() if k not in hidden}


def row_text(text: str | None, metadata: Mapping[str, Any]) -> str:
    """A row's text; rows of the LlamaIndex peer keep it inside the node JSON."""
    if text:
        return text
    content = metadata.get(PEER_NODE_CONTENT_KEY)
    if isinstance(content, str):
        try:
            node = json.loads(content)
        except ValueError:
            return ""
        inner = node.get("text") or (node.get("text_resource") or {}).get("text")
        return str(inner or "")
    return text or ""
