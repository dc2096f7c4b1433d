"""Adapters between our `Embedder` and LangChain's `Embeddings` (imports langchain_core)."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.embeddings import Embeddings

from milvus_integrations.embeddings.base import DimensionTracking, Embedder

__all__ = ["from_langchain", "to_langchain_embeddings"]


class _AsLangChain(Embeddings):
    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await self.inner.aembed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await self.inner.aembed_query(text)


class _FromLangChain(DimensionTracking):
    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._seen(self.inner.embed_documents(list(texts)))

    def embed_query(self, text: str) -> list[float]:
        return self._seen([self.inner.embed_query(text)])[0]

    async def aembed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._seen(await self.inner.aembed_documents(list(texts)))

    async def aembed_query(self, text: str) -> list[float]:
        return self._seen([await self.inner.aembed_query(text)])[0]


def to_langchain_embeddings(embedder: Embedder | Embeddings) -> Embeddings:
    if isinstance(embedder, Embeddings):
        return embedder
    if isinstance(embedder, _FromLangChain):
        return embedder.inner
    return _AsLangChain(embedder)


def from_langchain(embeddings: Embeddings) -> Embedder:
    if isinstance(embeddings, _AsLangChain):
        return embeddings.inner
    return _FromLangChain(embeddings)
