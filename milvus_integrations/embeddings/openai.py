"""`OpenAIEmbedder`: the official `openai` client (extra `openai`), batched, retried, concurrent when async.

Works with any OpenAI-compatible server through `base_url` (vLLM, Ollama, Azure-style gateways). The API key
comes from the argument or ``OPENAI_API_KEY`` and is never shown in repr, logs or error text.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Sequence
from typing import Any

from milvus_integrations.core.connection import redact_text
from milvus_integrations.core.errors import ConfigError, EmbeddingError, MissingDependencyError
from milvus_integrations.embeddings.base import batches, check_texts

MAX_INPUTS_PER_REQUEST = 2048  # the embeddings endpoint's limit on inputs per request


class OpenAIEmbedder:
    """Embeds through the OpenAI embeddings API (or a compatible server)."""

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        dimensions: int | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        batch_size: int = 512,
        max_concurrency: int = 4,
        max_retries: int = 5,
        timeout: float = 60.0,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 20.0,
    ) -> None:
        if not isinstance(batch_size, int) or not 0 < batch_size <= MAX_INPUTS_PER_REQUEST:
            raise ConfigError(f"batch_size must be within 1..{MAX_INPUTS_PER_REQUEST}, got {batch_size!r}")
        if max_concurrency <= 0 or max_retries < 0 or timeout <= 0:
            raise ConfigError(
                f"max_concurrency ({max_concurrency}) and timeout ({timeout}) must be positive, "
                f"max_retries ({max_retries}) >= 0"
            )
        self.model = model
        self.dimensions = dimensions
        self.base_url = base_url
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.timeout = timeout
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.__api_key = api_key
        self._sync: Any = None
        self._async: Any = None
        self._dimension = dimensions

    def __repr__(self) -> str:
        where = f", base_url={self.base_url!r}" if self.base_url else ""
        return f"OpenAIEmbedder(model={self.model!r}{where})"

    __str__ = __repr__

    @property
    def dimension(self) -> int | None:
        return self._dimension

    # -- clients (created on first use: no network, no key needed at construction) ------------------------
    def _key(self) -> str:
        key = self.__api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise EmbeddingError("no OpenAI API key: pass api_key=... or set OPENAI_API_KEY")
        return key

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"api_key": self._key(), "max_retries": 0, "timeout": self.timeout}
        if self.base_url:
            kwargs["base_url"] = self.base_url
        return kwargs

    def _openai(self) -> Any:
        try:
            import openai
        except ImportError:
            raise MissingDependencyError("openai", "openai") from None
        return openai

    def _sync_client(self) -> Any:
        if self._sync is None:
            self._sync = self._openai().OpenAI(**self._client_kwargs())
        return self._sync

    def _async_client(self) -> Any:
        if self._async is None:
            self._async = self._openai().AsyncOpenAI(**self._client_kwargs())
        return self._async

    # -- the shared logic --------------------------------------------------------------------------------
    def _request(self, chunk: Sequence[str]) -> dict[str, Any]:
        # The API rejects empty strings; an empty text is embedded as a single space.
        kwargs: dict[str, Any] = {"model": self.model, "input": [t if t else " " for t in chunk]}
        if self.dimensions is not None:
            kwargs["dimensions"] = self.dimensions
        return kwargs

    def _parse(self, response: Any, expected: int) -> list[list[float]]:
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != expected:
            raise EmbeddingError(f"the embeddings API returned {len(data)} vectors for {expected} inputs")
        vectors = [[float(x) for x in d.embedding] for d in data]
        if vectors:
            self._dimension = len(vectors[0])
        return vectors

    def _retry_delay(self, attempt: int, exc: BaseException) -> float:
        """Seconds to wait before retrying after `exc`, or raise the error to report (no retry)."""
        openai = self._openai()
        status = getattr(exc, "status_code", None)
        retryable = isinstance(exc, openai.APITimeoutError | openai.APIConnectionError) or (
            isinstance(status, int) and (status == 429 or status >= 500)
        )
        if not retryable or attempt >= self.max_retries:
            raise self._error(exc, status, attempts=attempt + 1) from None
        delay = min(self.retry_max_delay, self.retry_base_delay * 2**attempt) * (0.5 + random.random() / 2)
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        retry_after = headers.get("retry-after") if hasattr(headers, "get") else None
        if retry_after:
            try:
                delay = max(delay, min(float(retry_after), self.retry_max_delay))
            except ValueError:
                pass
        return float(delay)

    def _error(self, exc: BaseException, status: int | None, attempts: int) -> EmbeddingError:
        key = self.__api_key or os.environ.get("OPENAI_API_KEY")
        detail = redact_text(str(exc), (key,))[:300]
        reasons = {
            400: "the request was rejected (400)",
            401: "the API key was rejected (401)",
            403: "the API key may not use this model (403)",
            404: f"model {self.model!r} or endpoint not found (404)",
            429: "rate limited (429)",
        }
        reason = reasons.get(status or 0) or (f"server error ({status})" if status else type(exc).__name__)
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return EmbeddingError(f"OpenAI embeddings failed{tries}: {reason}: {detail}")

    # -- sync ----------------------------------------------------------------------------------------------
    def _embed_chunk(self, chunk: Sequence[str]) -> list[list[float]]:
        attempt = 0
        while True:
            try:
                response = self._sync_client().embeddings.create(**self._request(chunk))
                return self._parse(response, len(chunk))
            except EmbeddingError:
                raise
            except Exception as exc:
                time.sleep(self._retry_delay(attempt, exc))
                attempt += 1

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        items = check_texts(texts)
        out: list[list[float]] = []
        for _, chunk in batches(items, self.batch_size):
            out.extend(self._embed_chunk(chunk))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    # -- async: same request, parsing and retry policy; batches run concurrently ---------------------------
    async def _aembed_chunk(self, chunk: Sequence[str], gate: asyncio.Semaphore) -> list[list[float]]:
        attempt = 0
        async with gate:
            while True:
                try:
                    response = await self._async_client().embeddings.create(**self._request(chunk))
                    return self._parse(response, len(chunk))
                except EmbeddingError:
                    raise
                except Exception as exc:
                    await asyncio.sleep(self._retry_delay(attempt, exc))
                    attempt += 1

    async def aembed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        items = check_texts(texts)
        gate = asyncio.Semaphore(self.max_concurrency)
        parts = await asyncio.gather(*(self._aembed_chunk(chunk, gate) for _, chunk in batches(items, self.batch_size)))
        return [vec for part in parts for vec in part]

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]
