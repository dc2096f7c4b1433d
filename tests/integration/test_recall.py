"""Recall@10 >= 0.95 on random vectors, with default settings, through both adapters and the seed client, plain and
filtered, on embedded Milvus Lite (the same check runs over TCP and on the real server: tests/cases/recall.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cases.recall import ALL, FLOOR, Corpus


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.make(5000)


@pytest.mark.parametrize("through", sorted(ALL))
def test_recall_on_random_vectors(tmp_path: Path, corpus: Corpus, through: str) -> None:
    plain, filtered = ALL[through](corpus, str(tmp_path / "r.db"), "recall")
    assert plain >= FLOOR and filtered >= FLOOR, (plain, filtered)
