"""Every connection keyword pymilvus' MilvusClient takes is accepted by both adapters and the seed client, as a
keyword and inside `connection_args`, and passed through (issue 25): no keyword accepted and ignored. Transport
settings that cannot apply (TLS on a Lite file) and unknown names are refused with the name in the message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from milvus_integrations import ConfigError
from milvus_integrations import MilvusClient as SeedClient
from milvus_integrations.core.connection import CONNECTION_KEYWORDS
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.fake_embeddings import WordEmbeddings


def _lc(**kwargs: Any) -> Any:
    return LCStore(WordEmbeddings(), collection_name="kw", **kwargs)


def _li(**kwargs: Any) -> Any:
    return LIStore(collection_name="kw", **kwargs)


def _seed(**kwargs: Any) -> Any:
    return SeedClient(collection_name="kw", vector_field="v", pk_field="id", **kwargs)


MAKERS = {"langchain": _lc, "llama_index": _li, "seed": _seed}


@pytest.mark.parametrize("maker", sorted(MAKERS))
@pytest.mark.parametrize("name", [k for k in CONNECTION_KEYWORDS if k not in ("uri", "token")])
def test_every_connection_keyword_is_taken(maker: str, name: str, tmp_path: Path) -> None:
    """Each keyword reaches the connection settings: a server-only one is refused on a Lite file for what it is
    (a TLS setting), never as an unknown keyword."""
    pem = tmp_path / "x.pem"
    pem.write_text("not a certificate")
    value: Any = {"timeout": 2.0, "secure": True, "server_name": "localhost", "db_name": "default"}.get(name)
    value = value if value is not None else (str(pem) if name.endswith("_path") else "alice")
    kwargs: dict[str, Any] = {name: value}
    if name == "password":
        kwargs["user"] = "alice"
    try:
        MAKERS[maker](uri=str(tmp_path / "k.db"), **kwargs)
    except ConfigError as exc:
        assert "TLS" in str(exc) or "mutual TLS" in str(exc), exc
        assert "unknown" not in str(exc), exc


@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_db_name_and_timeout_reach_the_connection(maker: str, tmp_path: Path) -> None:
    store = MAKERS[maker](uri=str(tmp_path / "k.db"), db_name="default", timeout=7.5)
    config = _config(store)
    assert (config.db_name, config.timeout) == ("default", 7.5)


@pytest.mark.parametrize("maker", ["langchain", "llama_index"])
def test_connection_args_are_merged_and_checked(maker: str, tmp_path: Path) -> None:
    store = MAKERS[maker](connection_args={"uri": str(tmp_path / "a.db"), "db_name": "default", "timeout": 3})
    config = _config(store)
    assert config.uri.endswith("a.db") and config.timeout == 3
    with pytest.raises(ConfigError, match="not_a_setting"):
        MAKERS[maker](connection_args={"uri": str(tmp_path / "b.db"), "not_a_setting": 1})


@pytest.mark.parametrize("maker", sorted(MAKERS))
@pytest.mark.parametrize("tls", [{"secure": True}, {"server_name": "localhost"}])
def test_tls_on_a_lite_file_is_refused(maker: str, tls: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TLS settings apply to a server uri"):
        MAKERS[maker](uri=str(tmp_path / "t.db"), **tls)
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_user_and_password_become_the_token_and_stay_out_of_repr(maker: str, tmp_path: Path) -> None:
    store = MAKERS[maker](uri=str(tmp_path / "u.db"), user="alice", password="s3cret-pw")
    assert _config(store).token == "alice:s3cret-pw"
    assert "s3cret-pw" not in repr(store)


@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_a_missing_certificate_file_is_named(maker: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(ConfigError, match="server_pem_path .*nope.pem"):
        MAKERS[maker](uri="https://127.0.0.1:1", server_pem_path=missing)


def _config(store: Any) -> Any:
    for path in ("store.connection", "_store.connection", "_connection"):
        obj = store
        try:
            for part in path.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    raise AssertionError(f"no connection config on {type(store).__name__}")
