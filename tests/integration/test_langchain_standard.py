"""LangChain's own standard vector-store suite (langchain-tests), sync and async, on Milvus Lite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests.vectorstores import VectorStoreIntegrationTests

from milvus_integrations.langchain import MilvusVectorStore


class TestMilvusVectorStoreStandard(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self, tmp_path: Path) -> Iterator[VectorStore]:  # type: ignore[override]
        store = MilvusVectorStore(self.get_embeddings(), uri=str(tmp_path / "standard.db"), collection_name="std")
        try:
            yield store
        finally:
            store.close()

    @property
    def has_sync(self) -> bool:
        return True

    @property
    def has_async(self) -> bool:
        return True

    @property
    def has_get_by_ids(self) -> bool:
        return True
