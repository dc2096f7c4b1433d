"""Faults a deployed retriever meets, on the real components (issue 23): a second process on one Lite file, a
server nobody listens on, a listener that never answers, a server that freezes and comes back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from milvus_integrations import (
    LiteFileInUseError,
    MilvusConnectionError,
    MilvusTimeoutError,
    PartialWriteError,
)
from milvus_integrations.langchain import MilvusVectorStore
from tests.support.fake_embeddings import WordEmbeddings
from tests.support.servers import LiteServer, free_port

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys
from milvus_integrations.langchain import MilvusVectorStore
from tests.support.fake_embeddings import WordEmbeddings
store = MilvusVectorStore(WordEmbeddings(), uri=sys.argv[1], collection_name="shared")
store.add_texts([f"cat {i}" for i in range(50)], ids=[f"a{i}" for i in range(50)])
print("ready", flush=True)
sys.stdin.readline()  # hold the file until told to go
"""
# Bounds on how long a fault may take to surface: generous against a loaded machine, far from unbounded.
SLACK = 20.0


def test_a_second_process_gets_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    uri = str(tmp_path / "app.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, uri],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(LiteFileInUseError) as info:
            MilvusVectorStore(WordEmbeddings(), uri=uri, collection_name="shared")
        message = str(info.value)
        assert os.path.realpath(uri) in message and "another process" in message and "milvus-lite server" in message
    finally:
        holder.stdin.write("go\n")
        holder.stdin.close()
        holder.wait(timeout=120)
    assert holder.returncode == 0
    after = MilvusVectorStore(WordEmbeddings(), uri=uri, collection_name="shared")  # free again: every row is there
    assert after.store.count() == 50


def test_a_port_nobody_listens_on_fails_at_once_naming_the_uri_without_secrets() -> None:
    uri = f"http://root:Sup3r-secret@127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(MilvusConnectionError) as info:
        MilvusVectorStore(WordEmbeddings(), uri=uri, timeout=5)
    assert time.monotonic() - started < 5 + SLACK
    assert info.value.__cause__ is None and info.value.__context__ is None  # nothing of pymilvus' is chained
    text = f"{info.value!s} {info.value!r}"
    assert f"127.0.0.1:{uri.rsplit(':', 1)[1]}" in text and "Sup3r-secret" not in text


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP listener that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def test_a_listener_that_never_answers_fails_within_the_timeout(silent_listener: int) -> None:
    started = time.monotonic()
    with pytest.raises(MilvusConnectionError, match=f"127.0.0.1:{silent_listener}"):
        MilvusVectorStore(WordEmbeddings(), uri=f"http://127.0.0.1:{silent_listener}", timeout=2)
    assert time.monotonic() - started < 2 + SLACK


@pytest.mark.server
def test_a_frozen_server_times_out_calls_and_the_store_recovers() -> None:
    server = LiteServer()
    with server as uri:
        assert server.process is not None
        pid = server.process.pid
        store = MilvusVectorStore(WordEmbeddings(), uri=uri, collection_name="frozen", timeout=3)
        store.add_texts(["a cat", "a dog"], ids=["c", "d"])
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(MilvusTimeoutError, match="did not answer in time"):
                store.similarity_search("cat", k=1)
            with pytest.raises(PartialWriteError) as info:
                store.add_texts(["a fish"], ids=["f"])
            assert isinstance(info.value.__cause__, MilvusTimeoutError)
            assert info.value.written_ids == [] and info.value.failed_ids == ["f"]
            assert time.monotonic() - started < 2 * 3 + SLACK
        finally:
            os.kill(pid, signal.SIGCONT)
        # the same store object works again; re-adding what failed completes it without duplicates
        store.add_texts(["a fish"], ids=["f"])
        assert sorted(d.id or "" for d in store.similarity_search("cat", k=10)) == ["c", "d", "f"]
        assert store.store.count() == 3
