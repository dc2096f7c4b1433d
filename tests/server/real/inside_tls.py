"""A Milvus server with TLS on, one-way and mutual (issue 25), certificates made by the test with openssl: the right
CA connects (through every adapter), a wrong CA or plain http:// to the TLS port fails clearly within the timeout,
and TLS keyword combinations pymilvus would silently ignore are refused. Runs inside the namespace of
test_real_milvus.py; the README's "Connecting securely" example is executed here against these servers."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from milvus_integrations import ConfigError, MilvusConnectionError
from milvus_integrations import MilvusClient as SeedClient
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.certs import Certs, make_certs
from tests.support.fake_embeddings import WordEmbeddings
from tests.support.milvus_server import MilvusServer

pytestmark = pytest.mark.skipif(
    not os.environ.get("MILVUS_SERVER_COMMAND"), reason="runs inside the network namespace of test_real_milvus.py"
)
README = Path(__file__).resolve().parents[3] / "README.md"
TIMEOUT = 5
SLACK = 20.0


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def _server(tmp: Path, certs: Certs, mode: int, ready: dict[str, Any]) -> MilvusServer:
    flags = ("--tls-mode", str(mode), "--server-pem-path", certs.path("server.pem"),
             "--server-key-path", certs.path("server.key"), "--ca-pem-path", certs.path("ca.pem"))  # fmt: skip
    return MilvusServer(tmp / "milvus", *flags, ready_kwargs=ready)


# class scope: the one-way server stops when TestOneWay ends, before test_mutual_tls starts its own on the same ports
@pytest.fixture(scope="class")
def one_way(tmp_path_factory: pytest.TempPathFactory, certs: Certs) -> Iterator[str]:
    with _server(tmp_path_factory.mktemp("tls1"), certs, 1, {"server_pem_path": certs.path("ca.pem")}) as server:
        yield server.uri


def _mutual_kwargs(certs: Certs, client: str = "client", ca: str = "ca") -> dict[str, str]:
    return {
        "client_pem_path": certs.path(f"{client}.pem"),
        "client_key_path": certs.path(f"{client}.key"),
        "ca_pem_path": certs.path(f"{ca}.pem"),
    }


def _fails_clearly(uri: str, **kwargs: Any) -> None:
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    started = time.monotonic()
    with pytest.raises(MilvusConnectionError, match=re.escape(uri.split("://", 1)[1])):
        LCStore(WordEmbeddings(), uri=uri, collection_name="never", timeout=TIMEOUT, **kwargs)
    assert time.monotonic() - started < TIMEOUT + SLACK


class TestOneWay:
    def test_one_way_tls_with_the_right_ca_works_through_every_adapter(self, one_way: str, certs: Certs) -> None:
        ca = certs.path("ca.pem")
        lc = LCStore(WordEmbeddings(), uri=one_way, server_pem_path=ca, collection_name="tls_one")
        lc.add_texts(["a cat", "a truck"], ids=["c", "t"])
        assert lc.similarity_search("cat", k=1)[0].id == "c"
        args = {"uri": one_way, "server_pem_path": ca, "server_name": "localhost"}
        assert LCStore(WordEmbeddings(), connection_args=args, collection_name="tls_one").get_by_ids(["t"])
        li = LIStore(uri=one_way, server_pem_path=ca, collection_name="tls_one")
        assert li.get_nodes(node_ids=["c"])[0].get_content() == "a cat"
        seed = SeedClient(collection_name="tls_seed", uri=one_way, server_pem_path=ca, vector_field="v", pk_field="id")
        seed.insert_data([{"id": 1, "v": [1.0, 0.0]}])
        assert len(seed) == 1

    def test_one_way_tls_refuses_a_wrong_ca_and_plain_http(self, one_way: str, certs: Certs) -> None:
        _fails_clearly(one_way, server_pem_path=certs.path("wrongca.pem"))
        _fails_clearly(one_way.replace("https://", "http://"))

    def test_tls_combinations_pymilvus_would_ignore_are_refused(self, one_way: str, certs: Certs) -> None:
        with pytest.raises(ConfigError, match="ca_pem_path is only used for mutual TLS"):
            LCStore(WordEmbeddings(), uri=one_way, ca_pem_path=certs.path("ca.pem"))
        with pytest.raises(ConfigError, match="would drop the client certificate"):
            LCStore(WordEmbeddings(), uri=one_way, server_pem_path=certs.path("ca.pem"), **_mutual_kwargs(certs))
        with pytest.raises(ConfigError, match="is plain"):
            LCStore(WordEmbeddings(), uri=one_way.replace("https://", "http://"), server_pem_path=certs.path("ca.pem"))
        with pytest.raises(ConfigError, match="not a readable file"):
            LCStore(WordEmbeddings(), uri=one_way, server_pem_path=str(Path(certs.path("ca.pem")).with_name("no.pem")))

    def test_the_readme_one_way_example(self, one_way: str, certs: Certs) -> None:
        _run_readme_example(one_way, certs, "one-way")


def test_mutual_tls(tmp_path: Path, certs: Certs) -> None:
    with _server(tmp_path, certs, 2, _mutual_kwargs(certs)) as server:
        lc = LCStore(WordEmbeddings(), uri=server.uri, collection_name="tls_two", **_mutual_kwargs(certs))
        lc.add_texts(["a cat"], ids=["c"])
        assert lc.similarity_search("cat", k=1)[0].id == "c"
        _fails_clearly(server.uri, server_pem_path=certs.path("ca.pem"))  # no client certificate
        _fails_clearly(server.uri, **_mutual_kwargs(certs, client="wrongclient"))  # one the server's CA did not sign
        _fails_clearly(server.uri, **_mutual_kwargs(certs, ca="wrongca"))  # the server's certificate not trusted
        _fails_clearly(server.uri.replace("https://", "http://"))
        _run_readme_example(server.uri, certs, "mutual")


def _run_readme_example(uri: str, certs: Certs, which: str) -> None:
    """The README's "Connecting securely" block for `which`, with the fixture's uri and certificate paths."""
    text = README.read_text()
    found = re.search(rf"\(tls example: {which}\) -->\s*```python\n(.*?)```", text, re.S)
    assert found, f"README has no '{which}' TLS example"
    code = found.group(1)
    code = code.replace("https://milvus.example.com:19530", uri).replace("/etc/milvus/tls/", str(certs.dir) + "/")
    exec(compile(code, f"README ({which} TLS)", "exec"), {"__name__": "readme"})  # noqa: S102
