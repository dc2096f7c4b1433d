"""LlamaIndex integration: `MilvusVectorStore` (a BasePydanticVectorStore) over the shared core."""

from milvus_integrations.core.errors import FilterError
from milvus_integrations.llama_index.filters import to_ir
from milvus_integrations.llama_index.vector_store import MilvusVectorStore

__all__ = ["FilterError", "MilvusVectorStore", "to_ir"]
