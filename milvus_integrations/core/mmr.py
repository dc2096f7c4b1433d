"""Maximal marginal relevance over candidate vectors (shared by both adapters)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from milvus_integrations.core.errors import ConfigError


def _normalize(m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    result: npt.NDArray[np.float64] = m / norms
    return result


def mmr_select(
    query: Sequence[float] | npt.NDArray[np.floating],
    candidates: Sequence[Sequence[float]] | npt.NDArray[np.floating],
    k: int,
    lambda_mult: float = 0.5,
) -> list[int]:
    """Indices of up to `k` candidates chosen by MMR: relevance to the query against similarity to those chosen.

    `lambda_mult` = 1 is pure relevance, 0 is pure diversity. Similarity is cosine.
    """
    if isinstance(lambda_mult, bool) or not isinstance(lambda_mult, int | float) or not 0.0 <= lambda_mult <= 1.0:
        raise ConfigError(f"lambda_mult must be a number within [0, 1], got {lambda_mult!r}")
    cand = np.asarray(candidates, dtype=np.float64)
    if k <= 0 or cand.size == 0:
        return []
    cand = _normalize(cand.reshape(len(cand), -1))
    q = _normalize(np.asarray(query, dtype=np.float64).reshape(1, -1))[0]
    relevance = cand @ q
    chosen = [int(np.argmax(relevance))]
    max_sim = cand @ cand[chosen[0]]
    while len(chosen) < min(k, len(cand)):
        score = lambda_mult * relevance - (1.0 - lambda_mult) * max_sim
        score[chosen] = -np.inf
        nxt = int(np.argmax(score))
        chosen.append(nxt)
        max_sim = np.maximum(max_sim, cand @ cand[nxt])
    return chosen
