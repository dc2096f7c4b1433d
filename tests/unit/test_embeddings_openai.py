"""OpenAIEmbedder: the real `openai` client against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import pytest

from milvus_integrations.core.errors import ConfigError, EmbeddingError
from milvus_integrations.embeddings import OpenAIEmbedder, resolve_embedder
from tests.support.fake_openai import FakeOpenAIServer, fake_vector

KEY = "sk-test-SECRET-4242"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as s:
        yield s


def make(server: FakeOpenAIServer, **kwargs: object) -> OpenAIEmbedder:
    options: dict[str, object] = {"api_key": KEY, "base_url": server.base_url, "retry_base_delay": 0.01}
    options.update(kwargs)
    return OpenAIEmbedder(**options)  # type: ignore[arg-type]


def test_batches_and_order(server: FakeOpenAIServer) -> None:
    server.shuffle = True
    texts = [f"text {i}" for i in range(23)]
    vectors = make(server, batch_size=5).embed_documents(texts)
    assert len(server.requests) == math.ceil(23 / 5)
    assert [len(r["body"]["input"]) for r in server.requests] == [5, 5, 5, 5, 3]
    assert vectors == [pytest.approx(fake_vector(t)) for t in texts]


def test_dimensions_and_model_are_forwarded(server: FakeOpenAIServer) -> None:
    e = make(server, model="text-embedding-3-large", dimensions=8)
    assert len(e.embed_query("hello")) == 8 and e.dimension == 8
    assert server.requests[0]["body"]["model"] == "text-embedding-3-large"
    assert server.requests[0]["body"]["dimensions"] == 8
    assert server.requests[0]["auth"] == f"Bearer {KEY}"


def test_empty_input_sends_nothing_and_empty_text_is_a_space(server: FakeOpenAIServer) -> None:
    e = make(server)
    assert e.embed_documents([]) == []
    assert server.requests == []
    e.embed_documents(["", "x"])
    assert server.requests[0]["body"]["input"] == [" ", "x"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried(server: FakeOpenAIServer, status: int) -> None:
    server.failures = [status, status]
    assert make(server).embed_query("q") == pytest.approx(fake_vector("q"))
    assert len(server.requests) == 3


def test_retries_give_up_with_a_clear_error(server: FakeOpenAIServer) -> None:
    server.failures = [500] * 10
    with pytest.raises(EmbeddingError, match=r"after 3 attempts: server error \(500\)"):
        make(server, max_retries=2).embed_query("q")
    assert len(server.requests) == 3


@pytest.mark.parametrize(("status", "reason"), [(401, "API key was rejected"), (400, "rejected"), (404, "not found")])
def test_client_errors_fail_fast_without_the_key(
    server: FakeOpenAIServer, status: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    server.failures = [status]
    caplog.set_level(logging.DEBUG)
    e = make(server)
    with pytest.raises(EmbeddingError, match=reason) as info:
        e.embed_documents(["a"])
    assert len(server.requests) == 1
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert KEY not in repr(e) and KEY not in str(e)
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_key_from_environment_and_missing_key(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert len(OpenAIEmbedder(base_url=server.base_url).embed_query("x")) == 16
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(EmbeddingError, match="no OpenAI API key"):
        OpenAIEmbedder(base_url=server.base_url).embed_query("x")


async def test_async_batches_run_concurrently_within_the_limit() -> None:
    with FakeOpenAIServer(delay=0.2) as server:
        e = make(server, batch_size=2, max_concurrency=3)
        texts = [f"t{i}" for i in range(16)]
        vectors = await e.aembed_documents(texts)
    assert vectors == [pytest.approx(fake_vector(t)) for t in texts]
    assert len(server.requests) == 8
    assert 1 < server.max_in_flight <= 3


async def test_async_retry_and_query(server: FakeOpenAIServer) -> None:
    server.failures = [429]
    assert await make(server).aembed_query("q") == pytest.approx(fake_vector("q"))
    assert len(server.requests) == 2


def test_spec_strings() -> None:
    e = resolve_embedder("openai:text-embedding-3-large")
    assert isinstance(e, OpenAIEmbedder) and e.model == "text-embedding-3-large"
    with pytest.raises(ConfigError, match="unknown embedding spec"):
        resolve_embedder("cohere:embed")


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        OpenAIEmbedder(batch_size=5000)
