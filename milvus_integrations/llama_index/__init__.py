"""LlamaIndex integration: `MilvusVectorStore` (a BasePydanticVectorStore) over the shared core."""

from milvus_integrations.core.errors import FilterError
from milvus_integrations.core.functions import BaseSparseEmbeddingFunction
from milvus_integrations.core.functions import LlamaIndexBM25BuiltInFunction as BM25BuiltInFunction
from milvus_integrations.llama_index.filters import to_ir
from milvus_integrations.llama_index.vector_store import MilvusVectorStore

__all__ = ["BM25BuiltInFunction", "BaseSparseEmbeddingFunction", "FilterError", "MilvusVectorStore", "to_ir"]
