"""Text embedding: OpenAI (or any compatible server) and a local sentence-transformers model.

Importing this module imports neither openai, sentence-transformers, torch, LangChain nor LlamaIndex.
"""

from milvus_integrations.embeddings.base import Embedder
from milvus_integrations.embeddings.local import LocalEmbedder
from milvus_integrations.embeddings.openai import OpenAIEmbedder
from milvus_integrations.embeddings.spec import resolve_embedder

__all__ = ["Embedder", "LocalEmbedder", "OpenAIEmbedder", "resolve_embedder"]
