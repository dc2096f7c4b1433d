"""Decided once, in core, for both adapters: which searches a query runs (`RetrievalMode`), how hybrid results are
fused (`HybridConfig`), and the bounds of k."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pymilvus import RRFRanker, WeightedRanker

from milvus_integrations.core.errors import ConfigError

MAX_K = 16384
RRF_K = 60


class RetrievalMode(str, Enum):
    """What a text query runs: dense vectors, BM25 full-text, or both fused."""

    DENSE = "dense"
    FULL_TEXT = "full_text"
    HYBRID = "hybrid"


_RANKER_NAMES = {"rrf": "rrf", "rrfranker": "rrf", "weighted": "weighted", "weightedranker": "weighted"}


@dataclass(frozen=True)
class HybridConfig:
    """How hybrid results are fused: reciprocal rank fusion (`rrf_k`) or a weighted sum of scores (`weights`, one
    per search: dense first, then full-text)."""

    ranker: str = "rrf"
    rrf_k: int = RRF_K
    weights: tuple[float, ...] = (0.5, 0.5)

    def __post_init__(self) -> None:
        name = _RANKER_NAMES.get(str(self.ranker).lower()) if isinstance(self.ranker, str) else None
        if name is None:
            raise ConfigError(
                f"hybrid ranker must be 'rrf' or 'weighted' (or 'RRFRanker' / 'WeightedRanker'), got {self.ranker!r}"
            )
        object.__setattr__(self, "ranker", name)
        if isinstance(self.rrf_k, bool) or not isinstance(self.rrf_k, int) or self.rrf_k <= 0:
            raise ConfigError(f"the RRF k must be a positive int, got {self.rrf_k!r}")
        weights = tuple(self.weights)
        if not weights or any(
            isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= 1 for w in weights
        ):
            raise ConfigError(f"hybrid weights must be numbers within [0, 1], got {self.weights!r}")
        object.__setattr__(self, "weights", tuple(float(w) for w in weights))

    @classmethod
    def parse(cls, ranker: str = "rrf", params: Mapping[str, Any] | None = None) -> HybridConfig:
        """From a ranker name and the peers' parameter dicts (``{"k": 60}``, ``{"weights": [0.7, 0.3]}``)."""
        params = dict(params or {})
        unknown = set(params) - {"k", "weights"}
        if unknown:
            raise ConfigError(f"unknown hybrid ranker parameters {sorted(unknown)}; expected 'k' or 'weights'")
        config = cls(ranker, int(params.get("k", RRF_K)), tuple(params.get("weights", (0.5, 0.5))))
        if config.ranker == "rrf" and "weights" in params:
            raise ConfigError("'weights' belongs to the weighted ranker; RRF takes 'k'")
        if config.ranker == "weighted" and "k" in params:
            raise ConfigError("'k' belongs to the RRF ranker; the weighted ranker takes 'weights'")
        return config

    def best(self, searches: int) -> float | None:
        """The highest fused score `searches` searches can give: RRF's for a hit first in every list; the weights'
        sum (each search's score is normalised to [0, 1] first)."""
        top = searches / (self.rrf_k + 1) if self.ranker == "rrf" else sum(self.weights[:searches])
        return top or None

    def fuser(self, searches: int) -> RRFRanker | WeightedRanker:
        if self.ranker == "rrf":
            return RRFRanker(self.rrf_k)
        if len(self.weights) != searches:
            raise ConfigError(f"the weighted ranker needs {searches} weights (one per search), got {len(self.weights)}")
        return WeightedRanker(*self.weights)


def check_k(k: object, name: str = "k") -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
        raise ConfigError(f"{name} must be a positive int, got {k!r}")
    if k > MAX_K:
        raise ConfigError(f"{name}={k} exceeds Milvus' limit of {MAX_K} results per query")
    return k
