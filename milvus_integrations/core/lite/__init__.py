"""What is particular to Milvus Lite: the per-file lock our calls take, and the in-process engine route (the one
module that touches milvus-lite's private internals: `lite.engine`)."""

from milvus_integrations.core.lite.locks import Serialized, file_lock, is_lite_uri

__all__ = ["Serialized", "file_lock", "is_lite_uri"]
