"""milvus_integrations: Milvus for RAG pipelines, through LangChain and LlamaIndex, on one small core.

Importing this package imports neither LangChain nor LlamaIndex.
"""

from typing import TYPE_CHECKING

from milvus_integrations.core.errors import (
    AuthenticationError,
    CollectionNotFoundError,
    ConfigError,
    EmbeddingError,
    FilterError,
    LiteFileInUseError,
    MilvusConnectionError,
    MilvusIntegrationError,
    MilvusOperationError,
    MilvusTimeoutError,
    MissingDependencyError,
    PartialWriteError,
    PermissionDeniedError,
    SchemaError,
    UnknownKeywordError,
)

if TYPE_CHECKING:
    from milvus_integrations.core.client import MilvusClient

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "CollectionNotFoundError",
    "ConfigError",
    "EmbeddingError",
    "FilterError",
    "LiteFileInUseError",
    "MilvusClient",
    "MilvusConnectionError",
    "MilvusIntegrationError",
    "MilvusOperationError",
    "MilvusTimeoutError",
    "MissingDependencyError",
    "PartialWriteError",
    "PermissionDeniedError",
    "SchemaError",
    "UnknownKeywordError",
    "__version__",
]


def __getattr__(name: str) -> object:
    if name == "MilvusClient":
        from milvus_integrations.core.client import MilvusClient

        return MilvusClient
    raise AttributeError(f"module 'milvus_integrations' has no attribute {name!r}")
