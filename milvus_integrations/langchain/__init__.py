"""LangChain integration: `MilvusVectorStore` (dense, BM25 full-text and hybrid retrieval) over the shared core."""

from milvus_integrations.core.errors import FilterError
from milvus_integrations.core.functions import BaseMilvusBuiltInFunction, BaseSparseEmbedding, BM25BuiltInFunction
from milvus_integrations.core.modes import RetrievalMode
from milvus_integrations.langchain.filters import to_ir
from milvus_integrations.langchain.vectorstore import MilvusVectorStore

__all__ = [
    "BM25BuiltInFunction",
    "BaseMilvusBuiltInFunction",
    "BaseSparseEmbedding",
    "FilterError",
    "MilvusVectorStore",
    "RetrievalMode",
    "to_ir",
]
