"""A user's own `pymilvus.MilvusClient` on the same Milvus Lite file as our store, in one process (a common
debugging habit): writes from both, interleaved and concurrent, are all kept, and each side reads the other's."""

from __future__ import annotations

import threading

import numpy as np
from pymilvus import MilvusClient

from milvus_integrations.langchain import MilvusVectorStore
from tests.support.fake_embeddings import WordEmbeddings, word_vector

OURS, THEIRS = 6000, 3000


def test_writes_from_our_store_and_a_plain_client_are_all_kept(lite_uri: str) -> None:
    store = MilvusVectorStore(WordEmbeddings(), uri=lite_uri, collection_name="shared")
    store.add_texts(["a cat"], [{"side": "ours"}], ids=["first"])
    user = MilvusClient(lite_uri)
    dim = len(word_vector("x"))
    # interleaved: each side sees the other's last write at once
    user.insert("shared", [{"pk": "u-first", "text": "a dog", "vector": word_vector("dog"), "side": "theirs"}])
    assert [d.id for d in store.similarity_search("dog", k=1)] == ["u-first"]
    assert user.get("shared", ids=["first"])[0]["text"] == "a cat"
    errors: list[BaseException] = []

    def ours() -> None:
        try:
            for s in range(0, OURS, 1500):
                ids = [f"o{i}" for i in range(s, s + 1500)]
                store.add_texts([f"cat {i}" for i in range(s, s + 1500)], [{"side": "ours"}] * 1500, ids=ids)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def theirs() -> None:
        rng = np.random.default_rng(0)
        try:
            for s in range(0, THEIRS, 100):
                rows = [
                    {"pk": f"u{i}", "text": f"dog {i}", "vector": rng.random(dim).tolist(), "side": "theirs"}
                    for i in range(s, s + 100)
                ]
                user.insert("shared", rows)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=ours), threading.Thread(target=theirs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.store.count() == OURS + THEIRS + 2
    assert len(store.store.query(filter=None, expr='side == "theirs"')) == THEIRS + 1
    got = user.query("shared", filter='side == "ours"', output_fields=["pk"], limit=OURS + 10)
    assert {r["pk"] for r in got} == {"first", *(f"o{i}" for i in range(OURS))}
