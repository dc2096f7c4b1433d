"""The framework-neutral types the adapters translate to and from: a stored `Record`, a search `Hit`, and the one
mapping of raw Milvus scores to relevance in [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from milvus_integrations.core.errors import ConfigError


@dataclass
class Record:
    """One stored item. `vectors` holds the values of any further vector fields (multi-vector collections)."""

    id: str | int
    text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: list[float] | None = None
    vectors: dict[str, Any] = field(default_factory=dict)


@dataclass
class Hit:
    """A search result: the record, Milvus' raw score, and a relevance in [0, 1] (higher is better)."""

    record: Record
    score: float
    relevance: float


def relevance(score: float, metric: str) -> float:
    """Map a raw Milvus score to [0, 1], higher is better, for each metric.

    COSINE and IP return similarities in [-1, 1] (for normalized vectors): (1 + s) / 2.
    L2 returns squared distances d >= 0: 1 / (1 + d). BM25 returns unbounded positive scores: s / (1 + s).
    Fused hybrid scores (RRF, weighted) are already in [0, 1]: clamped.
    """
    if metric in ("COSINE", "IP"):
        return min(1.0, max(0.0, (1.0 + score) / 2.0))
    if metric == "L2":
        return 1.0 / (1.0 + max(0.0, score))
    if metric == "BM25":
        s = abs(score)
        return s / (1.0 + s)
    if metric == "FUSED":
        return min(1.0, max(0.0, score))
    raise ConfigError(f"unknown metric {metric!r}")
