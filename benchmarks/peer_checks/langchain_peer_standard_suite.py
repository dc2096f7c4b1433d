"""LangChain's standard suite against langchain-milvus, for the README comparison. Run in the peer's venv:

.bench/venv-langchain-peer/bin/pip install langchain-tests==1.1.9 pytest pytest-asyncio
    cd benchmarks/peer_checks
    ../../.bench/venv-langchain-peer/bin/python -m pytest -q -p no:cacheprovider langchain_peer_standard_suite.py
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.vectorstores import VectorStore
from langchain_milvus import Milvus
from langchain_tests.integration_tests.vectorstores import VectorStoreIntegrationTests


class TestPeer(VectorStoreIntegrationTests):  # noqa: D101
    @pytest.fixture
    def vectorstore(self, tmp_path: Path) -> Iterator[VectorStore]:
        yield Milvus(self.get_embeddings(), connection_args={"uri": str(tmp_path / "p.db")}, auto_id=False)
