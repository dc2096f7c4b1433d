"""LangChain adds that embed their texts: validated whole first, then embedded and written one window at a time."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.errors import ConfigError, PartialWriteError, SchemaError
from milvus_integrations.langchain import MilvusVectorStore
from tests.support.fake_embeddings import VOCAB, word_vector

TEXTS = [f"a text about {VOCAB[2 * i]} and {VOCAB[2 * i + 1]}" for i in range(10)]
IDS = [f"t{i}" for i in range(10)]


class EmbeddingFailed(RuntimeError):
    pass


class Recording(Embeddings):
    """Real vectors (`word_vector`); records each call's size and how many rows the store held when it came."""

    def __init__(self, store_rows: Callable[[], int] | None = None, fail_on_call: int | None = None) -> None:
        self.calls: list[int] = []
        self.rows_seen: list[int] = []
        self.store_rows = store_rows
        self.fail_on_call = fail_on_call
        self.nan_at: tuple[int, int] | None = None  # (call, index in that call)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        if self.store_rows is not None:
            self.rows_seen.append(self.store_rows())
        if self.fail_on_call == len(self.calls):
            raise EmbeddingFailed(f"the embedding service gave up on call {len(self.calls)}")
        vectors = [word_vector(t) for t in texts]
        if self.nan_at is not None and self.nan_at[0] == len(self.calls):
            vectors[self.nan_at[1]][0] = math.nan
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return word_vector(text)


def make(tmp_path: Path, embedding: Recording, window: int = 4) -> MilvusVectorStore:
    return MilvusVectorStore(embedding, uri=str(tmp_path / "w.db"), collection_name="w", embedding_window=window)


def stored_ids(store: MilvusVectorStore) -> set[str]:
    return {str(r.id) for r in store.store.query(limit=100)} if store.store.layout() else set()


def add(store: MilvusVectorStore, how: str, **kwargs: object) -> list[str]:
    if how == "sync":
        return store.add_texts(TEXTS, **kwargs)  # type: ignore[arg-type]
    return asyncio.run(store.aadd_texts(TEXTS, **kwargs))  # type: ignore[arg-type]


@pytest.fixture(params=["sync", "async"])
def how(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_each_window_is_written_before_the_next_is_embedded(tmp_path: Path, how: str) -> None:
    embedding = Recording()
    store = make(tmp_path, embedding)
    embedding.store_rows = lambda: store.store.count() if store.store.layout() else 0
    assert add(store, how, ids=IDS) == IDS
    assert embedding.calls == [4, 4, 2]
    if how == "sync":
        assert embedding.rows_seen == [0, 4, 8]
    else:  # the next window is embedded while this one is written: never more than two windows ahead
        assert embedding.rows_seen[0] == 0 and embedding.rows_seen[2] >= 4
    assert stored_ids(store) == set(IDS)
    assert [d.id for d in store.similarity_search(f"{VOCAB[14]} {VOCAB[15]}", k=1)] == ["t7"]


def test_a_call_within_one_window_is_embedded_at_once(tmp_path: Path, how: str) -> None:
    embedding = Recording()
    store = make(tmp_path, embedding, window=10)
    add(store, how, ids=IDS)
    assert embedding.calls == [10]
    assert stored_ids(store) == set(IDS)


def test_bad_metadata_anywhere_is_refused_before_any_embedding(tmp_path: Path, how: str) -> None:
    embedding = Recording()
    store = make(tmp_path, embedding)
    metadatas: list[dict[str, object]] = [{"n": i} for i in range(10)]
    metadatas[9] = {"n": math.inf}
    with pytest.raises(SchemaError, match="row 9: metadata value for key 'n'") as info:
        add(store, how, ids=IDS, metadatas=metadatas)
    assert (info.value.row, info.value.key) == (9, "n")
    assert embedding.calls == []
    assert stored_ids(store) == set()


def test_repeated_id_across_windows_is_refused_before_any_embedding(tmp_path: Path, how: str) -> None:
    embedding = Recording()
    store = make(tmp_path, embedding)
    with pytest.raises(SchemaError, match="row 8: id 't1' repeats row 1"):
        add(store, how, ids=[*IDS[:8], "t1", "t9"])
    assert embedding.calls == []


def test_embedding_failure_after_a_window_reports_written_and_unwritten_ids(tmp_path: Path, how: str) -> None:
    store = make(tmp_path, Recording(fail_on_call=3))
    with pytest.raises(PartialWriteError, match="8 of 10 rows were written") as info:
        add(store, how, ids=IDS)
    assert info.value.written_ids == IDS[:8]
    assert info.value.failed_ids == IDS[8:]
    assert isinstance(info.value.__cause__, EmbeddingFailed)
    assert "EmbeddingFailed: the embedding service gave up on call 3" in str(info.value)
    assert stored_ids(store) == set(IDS[:8])
    # resume with what was not written
    resumed = make(tmp_path, Recording())
    resumed.add_texts(TEXTS[8:], ids=info.value.failed_ids)
    assert stored_ids(resumed) == set(IDS)


def test_embedding_failure_before_anything_was_written_passes_through(tmp_path: Path, how: str) -> None:
    store = make(tmp_path, Recording(fail_on_call=1))
    with pytest.raises(EmbeddingFailed):
        add(store, how, ids=IDS)
    assert stored_ids(store) == set()


def test_malformed_vector_in_a_later_window_names_the_row_of_the_call(tmp_path: Path, how: str) -> None:
    embedding = Recording()
    embedding.nan_at = (2, 1)  # second window, its second row: row 5 of the call
    store = make(tmp_path, embedding)
    with pytest.raises(PartialWriteError, match=r"stopped at row 4: SchemaError: row 5: vector contains NaN") as info:
        add(store, how, ids=IDS)
    assert info.value.written_ids == IDS[:4]
    assert info.value.failed_ids == IDS[4:]
    assert isinstance(info.value.__cause__, SchemaError)
    assert stored_ids(store) == set(IDS[:4])


def test_malformed_vector_in_the_first_window_writes_nothing(tmp_path: Path, how: str) -> None:
    embedding = Recording()
    embedding.nan_at = (1, 2)
    store = make(tmp_path, embedding)
    with pytest.raises(SchemaError, match="row 2: vector contains NaN"):
        add(store, how, ids=IDS)
    assert stored_ids(store) == set()


@pytest.mark.parametrize("window", [0, -1, 2.5, True])
def test_embedding_window_must_be_a_positive_int(tmp_path: Path, window: object) -> None:
    with pytest.raises(ConfigError, match="embedding_window must be a positive int"):
        make(tmp_path, Recording(), window=window)  # type: ignore[arg-type]


def test_async_add_embeds_the_next_window_while_the_current_one_is_written(tmp_path: Path) -> None:
    """Deterministic: the first embedding call takes the Lite file's lock, so the first window's write (in a worker
    thread) waits; only an add that embeds the next window meanwhile lets the second call release it. A sequential
    add would wait for the timer (10 s) and the second call would then see the first window written."""
    uri = str(tmp_path / "w.db")
    lock = ConnectionConfig(uri).lite_lock()
    seen: dict[str, int] = {}

    class HoldsTheFile(Embeddings):
        calls = 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise AssertionError("the async add embeds asynchronously")

        def embed_query(self, text: str) -> list[float]:
            return word_vector(text)

        held = False

        def release(self) -> None:
            if self.held:
                self.held = False
                lock.release()

        async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
            self.calls += 1
            if self.calls == 1:
                lock.acquire()  # in the event loop's thread
                self.held = True
                asyncio.get_running_loop().call_later(10, self.release)
            elif self.calls == 2:
                seen["rows"] = store.store.count()  # the lock is ours (reentrant) while held
                self.release()
            return [word_vector(t) for t in texts]

    store = MilvusVectorStore(HoldsTheFile(), uri=uri, collection_name="w", embedding_window=4)
    assert asyncio.run(store.aadd_texts(TEXTS, ids=IDS)) == IDS
    assert seen == {"rows": 0}
    assert stored_ids(store) == set(IDS)


def test_async_add_drops_the_next_windows_embedding_when_a_write_fails(tmp_path: Path) -> None:
    embedding = Recording()
    embedding.nan_at = (2, 0)  # the second window cannot be written; the third is being embedded meanwhile
    store = make(tmp_path, embedding)
    with pytest.raises(PartialWriteError, match="stopped at row 4: SchemaError: row 4: vector contains NaN") as info:
        asyncio.run(store.aadd_texts(TEXTS, ids=IDS))
    assert info.value.written_ids == IDS[:4]
    assert stored_ids(store) == set(IDS[:4])
