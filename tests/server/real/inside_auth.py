"""A Milvus server with authentication on (issue 25): the right credentials work (as a token, as user/password, in
`connection_args`); a wrong password, a missing token and a user without privileges each get a clear error that
names the uri without the secret, and nothing is written. Runs inside the namespace of test_real_milvus.py."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from pymilvus import MilvusClient

from milvus_integrations import (
    AuthenticationError,
    MilvusIntegrationError,
    PartialWriteError,
    PermissionDeniedError,
)
from milvus_integrations import (
    MilvusClient as SeedClient,
)
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.fake_embeddings import WordEmbeddings, word_vector
from tests.support.milvus_server import MilvusServer

pytestmark = pytest.mark.skipif(
    not os.environ.get("MILVUS_SERVER_COMMAND"), reason="runs inside the network namespace of test_real_milvus.py"
)
ROOT_TOKEN = "root:Milvus"
SECRET = "Wr0ng-Secret-99"
ALICE = "alice:Al1ce-Secret-42"


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("auth") / "milvus"
    with MilvusServer(data, "--authorization-enabled", "true", ready_kwargs={"token": ROOT_TOKEN}) as server:
        admin = MilvusClient(server.uri, token=ROOT_TOKEN, dedicated=True)
        admin.create_user("alice", ALICE.split(":", 1)[1])
        yield server.uri


def _no_secret(error: BaseException, *secrets: str) -> None:
    """No secret in the error, nor in anything chained to it (causes and contexts, every branch)."""
    chain, todo, seen = [], [error], set()
    while todo:
        exc = todo.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        chain.append(f"{exc!s} {exc!r}")
        todo.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)
    text = " ".join(chain)
    for secret in secrets:
        assert secret not in text, text


def test_the_right_credentials_work_every_way(uri: str) -> None:
    user, password = ROOT_TOKEN.split(":")
    for kwargs in ({"token": ROOT_TOKEN}, {"connection_args": {"uri": uri, "user": user, "password": password}}):
        store = LCStore(WordEmbeddings(), uri=uri if "token" in kwargs else None, collection_name="auth_ok", **kwargs)  # type: ignore[arg-type]
        store.add_texts(["a cat", "a truck"], ids=["c", "t"])
        assert store.similarity_search("cat", k=1)[0].id == "c"
    li = LIStore(uri=uri, token=ROOT_TOKEN, collection_name="auth_ok")
    assert li.get_nodes(node_ids=["t"])[0].get_content() == "a truck"
    seed = SeedClient(collection_name="auth_seed", uri=uri, token=ROOT_TOKEN, vector_field="v", pk_field="id")
    seed.insert_data([{"id": 1, "v": [1.0, 0.0]}])
    assert seed.search_data([1.0, 0.0], top_k=1)[0][0]["data"]["id"] == 1


@pytest.mark.parametrize("token", [f"root:{SECRET}", None], ids=["wrong password", "no token"])
def test_refused_credentials_fail_clearly(uri: str, token: str | None) -> None:
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    with pytest.raises(AuthenticationError) as info:
        LCStore(WordEmbeddings(), uri=uri, token=token, collection_name="never")
    assert "127.0.0.1" in str(info.value) and "refused the credentials" in str(info.value)
    _no_secret(info.value, SECRET)
    with pytest.raises(AuthenticationError):
        SeedClient(collection_name="never", uri=uri, token=token)
    assert "never" not in MilvusClient(uri, token=ROOT_TOKEN, dedicated=True).list_collections()


def test_a_user_without_privileges_is_denied_and_writes_nothing(uri: str) -> None:
    admin = LCStore(WordEmbeddings(), uri=uri, token=ROOT_TOKEN, collection_name="guarded")
    admin.add_texts(["a cat"], ids=["c"])
    alice = LCStore(WordEmbeddings(), uri=uri, token=ALICE, collection_name="guarded")
    with pytest.raises(PermissionDeniedError, match="Privilege") as info:
        alice.similarity_search("cat", k=1)
    _no_secret(info.value, ALICE.split(":")[1])
    with pytest.raises((PermissionDeniedError, PartialWriteError)) as write:  # refused at the first call it needs
        alice.add_texts(["a dog"], ids=["d"])
    if isinstance(write.value, PartialWriteError):
        assert isinstance(write.value.__cause__, PermissionDeniedError)
        assert write.value.written_ids == [] and write.value.failed_ids == ["d"]
    _no_secret(write.value, ALICE.split(":")[1])
    with pytest.raises(MilvusIntegrationError):  # creating a collection needs a privilege too
        LCStore(WordEmbeddings(), uri=uri, token=ALICE, collection_name="alices").add_texts(["x"])
    assert admin.store.count() == 1 and admin.get_by_ids(["d"]) == []
    assert word_vector("cat")  # the embeddings were usable all along
