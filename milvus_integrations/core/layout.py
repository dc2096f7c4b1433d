"""The collection layout both adapters write and read, and detection of layouts written by other tools.

Our layout: string primary key ``pk``, ``text`` (VARCHAR), ``vector`` (FLOAT_VECTOR), metadata keys as top-level
dynamic fields (so ``{"year": ...}`` filters hit them directly), and, with full-text search on, a ``sparse`` BM25
output field. LlamaIndex bookkeeping (the node's JSON and type, its ref_doc_id) is stored under keys that start
with ``_li_``; the LangChain adapter hides those keys, so each adapter reads the other's rows.
The primary key is ``pk`` (not ``id``) so that a metadata key ``id``, common in LangChain documents, is stored
as it is; it is also langchain-milvus' default layout, which this one reads as it stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pymilvus import DataType

from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.filters import FieldCatalog, FieldKind, StaticField

ID_FIELD = "pk"
TEXT_FIELD = "text"
VECTOR_FIELD = "vector"
SPARSE_FIELD = "sparse"
BM25_FUNCTION = "text_bm25"

# Keys LlamaIndex needs to rebuild a node; stored as dynamic keys beside the user's metadata.
NODE_CONTENT_KEY = "_li_node"
NODE_TYPE_KEY = "_li_type"
REF_DOC_ID_KEY = "_li_ref_doc_id"
BOOKKEEPING_KEYS = frozenset({NODE_CONTENT_KEY, NODE_TYPE_KEY, REF_DOC_ID_KEY})
# What llama-index-vector-stores-milvus stores beside a node's metadata (its text lives inside _node_content).
PEER_NODE_CONTENT_KEY = "_node_content"
PEER_LLAMA_KEYS = frozenset({PEER_NODE_CONTENT_KEY, "_node_type", "doc_id", "ref_doc_id", "document_id"})
_NOT_TEXT = frozenset({"doc_id", "ref_doc_id", "document_id", PEER_NODE_CONTENT_KEY})


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
        import json

        try:
            node = json.loads(content)
        except ValueError:
            return ""
        inner = node.get("text") or (node.get("text_resource") or {}).get("text")
        return str(inner or "")
    return text or ""


MAX_VARCHAR = 65535
METRICS = ("COSINE", "IP", "L2")

_SCALAR_TYPES = {
    DataType.BOOL,
    DataType.INT8,
    DataType.INT16,
    DataType.INT32,
    DataType.INT64,
    DataType.FLOAT,
    DataType.DOUBLE,
    DataType.VARCHAR,
}


@dataclass(frozen=True)
class Layout:
    """Which field plays which part in a collection."""

    primary: str = ID_FIELD
    primary_is_int: bool = False
    auto_id: bool = False
    text: str | None = TEXT_FIELD
    vector: str | None = VECTOR_FIELD  # None: a full-text-only collection (BM25, no dense vectors)
    dim: int | None = None
    metric: str = "COSINE"
    sparse: str | None = None
    metadata_json: str | None = None  # a JSON field holding metadata (foreign layouts); None = dynamic keys
    dynamic: bool = True
    # scalar fields other than pk/text, read back as metadata: name -> kind
    scalars: Mapping[str, StaticField] = field(default_factory=dict)
    text_match: bool = False  # the text field has enable_match (TEXT_MATCH filters work)
    partition_key: str | None = None

    @property
    def reserved(self) -> frozenset[str]:
        names = {self.primary, "$meta"}
        if self.vector:
            names.add(self.vector)
        if self.text:
            names.add(self.text)
        if self.sparse:
            names.add(self.sparse)
        return frozenset(names)

    def catalog(self, *, lite: bool) -> FieldCatalog:
        fields: dict[str, StaticField] = dict(self.scalars)
        fields[self.primary] = StaticField()
        if self.text:
            fields[self.text] = StaticField(FieldKind.TEXT if self.text_match else FieldKind.SCALAR)
        if self.metadata_json:
            fields[self.metadata_json] = StaticField(FieldKind.JSON)
        return FieldCatalog(fields, dynamic=self.dynamic, lite=lite)


def _type_name(dtype: Any) -> str:
    return getattr(dtype, "name", str(dtype))


def detect_layout(
    description: Mapping[str, Any],
    metric: str | None,
    *,
    text_field: str | None = None,
    vector_field: str | None = None,
    primary_field: str | None = None,
    metadata_field: str | None = None,
) -> Layout:
    """Read a layout back from `describe_collection` output (ours, langchain-milvus', LlamaIndex's or plain pymilvus').

    Overrides name fields explicitly; when detection is ambiguous a `ConfigError` lists the candidates.
    """
    fields = {f["name"]: f for f in description.get("fields", [])}

    def pick(role: str, override: str | None, candidates: list[str], preferred: tuple[str, ...]) -> str | None:
        if override is not None:
            if override not in fields:
                raise ConfigError(f"{role} field {override!r} is not in the collection; fields: {sorted(fields)}")
            return override
        for name in preferred:
            if name in candidates:
                return name
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return None
        raise ConfigError(
            f"cannot tell which field is the {role} field: candidates are {candidates}; pass {role}_field=..."
        )

    primary_names = [n for n, f in fields.items() if f.get("is_primary")]
    primary = pick("primary", primary_field, primary_names, ())
    if primary is None:
        raise ConfigError("the collection has no primary key field")
    dense = [
        n
        for n, f in fields.items()
        if f["type"] in (DataType.FLOAT_VECTOR, DataType.FLOAT16_VECTOR, DataType.BFLOAT16_VECTOR)
    ]
    vector = pick("vector", vector_field, dense, (VECTOR_FIELD, "embedding", "vector", "float_vector"))
    if vector is None and not any(f["type"] == DataType.SPARSE_FLOAT_VECTOR for f in fields.values()):
        raise ConfigError(f"the collection has no float vector field; fields: {sorted(fields)}")
    sparse_names = [
        n for n, f in fields.items() if f["type"] == DataType.SPARSE_FLOAT_VECTOR and f.get("is_function_output")
    ]
    sparse = sparse_names[0] if sparse_names else None
    bm25_inputs = {
        name
        for fn in description.get("functions", []) or []
        if _type_name(fn.get("type")) == "BM25"
        for name in fn.get("input_field_names", [])
    }
    varchars = [n for n, f in fields.items() if f["type"] == DataType.VARCHAR and n != primary and n not in _NOT_TEXT]
    text_pref = tuple(bm25_inputs) + (TEXT_FIELD, "page_content", "content", "document", "chunk")
    text = pick("text", text_field, varchars, text_pref)
    json_fields = [n for n, f in fields.items() if f["type"] == DataType.JSON]
    metadata_json = metadata_field
    if metadata_json is not None and metadata_json not in fields:
        raise ConfigError(f"metadata field {metadata_json!r} is not in the collection; fields: {sorted(fields)}")
    if metadata_json is None and "metadata" in json_fields:
        metadata_json = "metadata"
    scalars: dict[str, StaticField] = {}
    for name, f in fields.items():
        if name in {primary, vector, text, sparse, metadata_json}:
            continue
        params = f.get("params", {}) or {}
        nullable = bool(f.get("nullable", False))
        if f["type"] in _SCALAR_TYPES:
            scalars[name] = StaticField(FieldKind.SCALAR, nullable)
        elif f["type"] == DataType.JSON:
            scalars[name] = StaticField(FieldKind.JSON, nullable)
        elif f["type"] == DataType.ARRAY:
            scalars[name] = StaticField(FieldKind.ARRAY, nullable)
        del params
    text_params = (fields[text].get("params", {}) or {}) if text else {}
    text_match = str(text_params.get("enable_match", "")).lower() == "true"
    partition_key = next((n for n, f in fields.items() if f.get("is_partition_key")), None)
    dim = (fields[vector].get("params", {}) or {}).get("dim") if vector else None
    return Layout(
        primary=primary,
        primary_is_int=fields[primary]["type"] == DataType.INT64,
        auto_id=bool(description.get("auto_id", False)),
        text=text,
        vector=vector,
        dim=int(dim) if dim is not None else None,
        metric=(metric or "COSINE").upper(),
        sparse=sparse,
        metadata_json=metadata_json,
        dynamic=bool(description.get("enable_dynamic_field", False)),
        scalars=scalars,
        text_match=text_match,
        partition_key=partition_key,
    )
