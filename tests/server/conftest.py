"""Fixtures for tests that run against Milvus Lite served over TCP (the server code path)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support.servers import LiteServer

_names = itertools.count()


@pytest.fixture(scope="session")
def server_uri() -> Iterator[str]:
    with LiteServer() as uri:
        yield uri


@pytest.fixture
def collection_name() -> str:
    """A fresh collection per test: the server is shared by the whole session."""
    return f"t{next(_names)}"
