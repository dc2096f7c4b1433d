"""How benchmarks/run.py turns repeated trials into the figures it reports (no timing is measured here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def raw(ingest_s: float, search: list[float], ids: list[list[str]], rss: float) -> dict[str, Any]:
    return {
        "ingest_s": ingest_s,
        "first_query_ms": 100 * ingest_s,
        "search_ms": search,
        "search_filtered_ms": [2 * x for x in search],
        "search_settled_ms": [x / 2 for x in search],
        "ids": ids,
        "ids_filtered": ids,
        "peak_rss_mb": rss,
    }


def test_one_trial_gives_rates_percentiles_and_recall(run: ModuleType) -> None:
    truth = [{"a", "b"}, {"c", "d"}]
    f = run.figures(raw(0.5, [1.0, 2.0, 3.0, 4.0, 100.0], [["a", "x"], ["c", "d"]], 400.0), 1000, truth, truth)
    assert f["ingest_docs_s"] == 2000.0
    assert f["p50_ms"] == 3.0 and f["p50_filtered_ms"] == 6.0 and f["p50_settled_ms"] == 1.5
    assert 4.0 < f["p95_ms"] < 100.0
    assert f["recall@10"] == 0.75 and f["recall@10_filtered"] == 0.75
    assert f["peak_rss_mb"] == 400.0


def test_trials_are_summarized_by_median_worst_recall_and_highest_memory(run: ModuleType) -> None:
    truth = [{"a"}]
    trials = [
        run.figures(raw(seconds, [ms], [[hit]], rss), 100, truth, truth)
        for seconds, ms, hit, rss in [(1.0, 10.0, "a", 300.0), (0.5, 30.0, "a", 500.0), (0.25, 20.0, "x", 400.0)]
    ]
    s = run.summarize(trials)
    assert s["ingest_docs_s"] == 200.0  # median of 100, 200, 400 docs/s: one fast or slow trial does not move it
    assert s["p50_ms"] == 20.0 and s["first_query_ms"] == 50.0
    assert s["recall@10"] == 0.0  # the worst trial's recall
    assert s["peak_rss_mb"] == 500.0
    assert s["trials"] == trials
