"""Adapters between our `Embedder` and LlamaIndex's `BaseEmbedding` (imports llama_index.core)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from milvus_integrations.embeddings.base import DimensionTracking, Embedder

__all__ = ["EmbedderAsLlamaIndex", "from_llama_index", "to_llama_index_embedding"]


class EmbedderAsLlamaIndex(BaseEmbedding):
    """A LlamaIndex embedding model backed by one of our embedders."""

    _inner: Any = PrivateAttr()

    def __init__(self, inner: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=repr(inner), **kwargs)
        self._inner = inner

    def _get_text_embedding(self, text: str) -> list[float]:
        return list(self._inner.embed_documents([text])[0])

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return list(self._inner.embed_documents(texts))

    def _get_query_embedding(self, query: str) -> list[float]:
        return list(self._inner.embed_query(query))

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return list(await self._inner.aembed_query(query))

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return list((await self._inner.aembed_documents([text]))[0])

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return list(await self._inner.aembed_documents(texts))


class _FromLlamaIndex(DimensionTracking):
    def __init__(self, inner: BaseEmbedding) -> None:
        self.inner = inner

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._seen(self.inner.get_text_embedding_batch(list(texts)))

    def embed_query(self, text: str) -> list[float]:
        return self._seen([self.inner.get_query_embedding(text)])[0]

    async def aembed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._seen(await self.inner.aget_text_embedding_batch(list(texts)))

    async def aembed_query(self, text: str) -> list[float]:
        return self._seen([await self.inner.aget_query_embedding(text)])[0]


def to_llama_index_embedding(embedder: Embedder | BaseEmbedding) -> BaseEmbedding:
    if isinstance(embedder, BaseEmbedding):
        return embedder
    if isinstance(embedder, _FromLlamaIndex):
        return embedder.inner
    return EmbedderAsLlamaIndex(embedder)


def from_llama_index(model: BaseEmbedding) -> Embedder:
    if isinstance(model, EmbedderAsLlamaIndex):
        inner: Embedder = model._inner
        return inner
    return _FromLlamaIndex(model)
