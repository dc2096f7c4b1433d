"""Resolve what a user passes as `embedding=`: one of ours, a string spec, or a framework's embedding object."""

from __future__ import annotations

from typing import Any

from milvus_integrations.core.errors import ConfigError
from milvus_integrations.embeddings.base import Embedder


def resolve_embedder(spec: Any) -> Embedder:
    """``"openai:MODEL"``, ``"local:NAME_OR_PATH"``, an `Embedder`, a LangChain `Embeddings` or a LlamaIndex
    `BaseEmbedding` -> an `Embedder`."""
    if isinstance(spec, str):
        kind, _, model = spec.partition(":")
        if kind == "openai":
            from milvus_integrations.embeddings.openai import OpenAIEmbedder

            return OpenAIEmbedder(model or "text-embedding-3-small")
        if kind == "local":
            from milvus_integrations.embeddings.local import LocalEmbedder

            return LocalEmbedder(model or "all-MiniLM-L6-v2")
        raise ConfigError(f"unknown embedding spec {spec!r}: use 'openai:MODEL' or 'local:MODEL_OR_PATH'")
    module = type(spec).__module__
    if module.startswith("llama_index") or hasattr(spec, "get_text_embedding_batch"):
        from milvus_integrations.embeddings.llama_index import from_llama_index

        return from_llama_index(spec)
    if isinstance(spec, Embedder):
        return spec
    if hasattr(spec, "embed_documents") and hasattr(spec, "embed_query"):
        from milvus_integrations.embeddings.langchain import from_langchain

        return from_langchain(spec)
    raise ConfigError(f"cannot use {type(spec).__name__} as an embedding: expected an Embedder or a spec string")
