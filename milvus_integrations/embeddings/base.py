"""The `Embedder` protocol both stores use internally, and the batching both providers share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from milvus_integrations.core.aio import run_sync
from milvus_integrations.core.errors import ConfigError


class EmbeddingInputError(ConfigError, TypeError):
    """Texts to embed are not a list of strings."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors. Sync and async; `dimension` is None until known."""

    @property
    def dimension(self) -> int | None: ...

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...

    async def aembed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    async def aembed_query(self, text: str) -> list[float]: ...


class ThreadedAsyncMixin:
    """Async twins for an embedder whose work is CPU-bound or blocking: run the sync method in a thread."""

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        raise NotImplementedError

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return await run_sync(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await run_sync(self.embed_query, text)


def batches(items: Sequence[str], size: int) -> Iterator[tuple[int, Sequence[str]]]:
    """(offset, slice) pairs covering `items` in order."""
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise EmbeddingInputError("embed_documents takes a list of strings, not one string")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise EmbeddingInputError(f"text {i} is {type(text).__name__}, not str")
    return out


class DimensionTracking:
    """For embedders that wrap another: `dimension` is learnt from the first vectors seen."""

    _dimension: int | None = None

    @property
    def dimension(self) -> int | None:
        return self._dimension

    def _seen(self, vectors: list[list[float]]) -> list[list[float]]:
        if vectors:
            self._dimension = len(vectors[0])
        return vectors
