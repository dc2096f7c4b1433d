"""LlamaIndex integration: `MilvusVectorStore` (a BasePydanticVectorStore) over the shared core, with
llama-index-vector-stores-milvus' public names: only the import changes."""

from milvus_integrations.core.errors import FilterError
from milvus_integrations.core.functions import BaseSparseEmbeddingFunction
from milvus_integrations.core.functions import LlamaIndexBM25BuiltInFunction as BM25BuiltInFunction
from milvus_integrations.llama_index.compat import IndexManagement
from milvus_integrations.llama_index.filters import to_ir
from milvus_integrations.llama_index.scalar_filters import (
    FilterOperatorFunction,
    ScalarMetadataFilter,
    ScalarMetadataFilters,
)
from milvus_integrations.llama_index.vector_store import MilvusVectorStore

__all__ = [
    "BM25BuiltInFunction",
    "BaseSparseEmbeddingFunction",
    "FilterError",
    "FilterOperatorFunction",
    "IndexManagement",
    "MilvusVectorStore",
    "ScalarMetadataFilter",
    "ScalarMetadataFilters",
    "to_ir",
]
