"""Several vector fields in one collection, in core, on real Milvus Lite: several dense fields, dense + BM25, dense +
a user sparse field; writes to every field, a search on one field by name, and fused searches (RRF, weighted, a
RERANK Function) checked against a brute-force oracle; bad input refused with nothing written."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from pymilvus import Function, FunctionType

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.errors import ConfigError, SchemaError
from milvus_integrations.core.functions import BM25Spec
from milvus_integrations.core.layout import VectorKind
from milvus_integrations.core.modes import HybridConfig
from milvus_integrations.core.search import FieldQuery
from milvus_integrations.core.store import Store, StoreOptions
from milvus_integrations.core.vectors import VectorSpec, plan

N, DIM_A, DIM_B, FETCH = 40, 6, 4, 10
Ranking = list[tuple[str, float]]  # (id, score) best first


def unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    m = rng.normal(size=(n, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def sparse_rows(rng: np.random.Generator, n: int) -> list[dict[int, float]]:
    return [{int(j): float(rng.uniform(0.1, 1.0)) for j in rng.choice(30, size=4, replace=False)} for _ in range(n)]


def make(uri: str, *specs: VectorSpec, **options: Any) -> Store:
    return Store(StoreOptions("multi", vectors=tuple(specs), **options), ConnectionConfig(uri))


def ranking(ids: Sequence[str], scores: np.ndarray, *, higher_better: bool = True) -> Ranking:
    order = np.argsort(-scores if higher_better else scores, kind="stable")
    return [(ids[i], float(scores[i])) for i in order]


def rrf(routes: Sequence[Ranking], k: int = 60) -> dict[str, float]:
    out: dict[str, float] = {}
    for route in routes:
        for rank, (pk, _) in enumerate(route, start=1):
            out[pk] = out.get(pk, 0.0) + 1.0 / (k + rank)
    return out


NORMALISE: dict[str, Callable[[float], float]] = {  # Milvus' weighted ranker maps each metric's score to [0, 1]
    "COSINE": lambda s: (1 + s) / 2,
    "IP": lambda s: 0.5 + math.atan(s) / math.pi,
    "L2": lambda d: 1 - 2 * math.atan(d) / math.pi,
    "BM25": lambda s: 2 * math.atan(s) / math.pi,
}


def weighted(routes: Sequence[Ranking], weights: Sequence[float], metrics: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for route, w, metric in zip(routes, weights, metrics, strict=True):
        for pk, s in route:
            out[pk] = out.get(pk, 0.0) + w * NORMALISE[metric](s)
    return out


def check_fused(got: Sequence[Any], oracle: dict[str, float], k: int) -> None:
    """The hits are the oracle's best k (ties may come in either order), with the oracle's scores."""
    best = sorted(oracle.values(), reverse=True)[:k]
    assert len(got) == len(best)
    assert [oracle[str(h.record.id)] for h in got] == pytest.approx(best, abs=1e-6)
    assert [h.score for h in got] == pytest.approx(best, abs=1e-5)


@pytest.fixture
def data() -> dict[str, Any]:
    rng = np.random.default_rng(11)
    return {
        "ids": [f"d{i}" for i in range(N)],
        "texts": [f"doc {i} about {'cats' if i % 3 == 0 else 'dogs'} number{i}" for i in range(N)],
        "a": unit(rng, N, DIM_A),
        "b": rng.normal(size=(N, DIM_B)).astype(np.float32),
        "s": sparse_rows(rng, N),
        "qa": unit(rng, 1, DIM_A)[0],
        "qb": rng.normal(size=DIM_B).astype(np.float32),
        "qs": {3: 0.7, 11: 0.4, 17: 0.9, 25: 0.2},
        "metas": [{"n": i} for i in range(N)],
    }


@pytest.fixture
def three(lite_uri: str, data: dict[str, Any]) -> Store:
    """Two dense fields (COSINE, L2 with its own index) and a user sparse field."""
    store = make(
        lite_uri,
        VectorSpec("dense_a"),
        VectorSpec("dense_b", metric="L2", index_params={"index_type": "FLAT", "metric_type": "L2"}),
        VectorSpec("sp", VectorKind.SPARSE),
    )
    vectors = {"dense_a": data["a"], "dense_b": data["b"], "sp": data["s"]}
    store.add(data["ids"], data["texts"], vectors, data["metas"])
    return store


def oracle_routes(data: dict[str, Any]) -> tuple[Ranking, Ranking, Ranking]:
    ids = data["ids"]
    cos = ranking(ids, data["a"] @ data["qa"])
    l2 = ranking(ids, ((data["b"] - data["qb"]) ** 2).sum(axis=1), higher_better=False)
    ip = ranking(ids, np.array([sum(w * row.get(j, 0.0) for j, w in data["qs"].items()) for row in data["s"]]))
    return cos, l2, [(pk, s) for pk, s in ip if s > 0]  # a sparse search finds only rows sharing an index


def test_every_field_written_and_read_back(three: Store, data: dict[str, Any]) -> None:
    layout = three.require_layout()
    assert [(v.name, v.kind, v.dim, v.metric) for v in layout.vectors] == [
        ("dense_a", VectorKind.DENSE, DIM_A, "COSINE"),
        ("dense_b", VectorKind.DENSE, DIM_B, "L2"),
        ("sp", VectorKind.SPARSE, None, "IP"),
    ]
    indexes = {three.client.describe_index("multi", n)["field_name"]: three.client.describe_index("multi", n)
               for n in three.client.list_indexes("multi")}  # fmt: skip
    assert indexes["dense_b"]["index_type"] == "FLAT" and indexes["sp"]["index_type"] == "SPARSE_INVERTED_INDEX"
    (record,) = three.get(["d5"], with_vectors=True)
    assert record.vector == pytest.approx(data["a"][5].tolist(), abs=1e-6)
    assert record.vectors["dense_b"] == pytest.approx(data["b"][5].tolist(), abs=1e-6)
    assert record.vectors["sp"] == pytest.approx(data["s"][5])
    assert record.metadata == {"n": 5} and three.count() == N


@pytest.mark.parametrize("field", ["dense_a", "dense_b", "sp"])
def test_search_one_field_by_name(three: Store, data: dict[str, Any], field: str) -> None:
    cos, l2, ip = oracle_routes(data)
    query, expected = {"dense_a": (data["qa"], cos), "dense_b": (data["qb"], l2), "sp": (data["qs"], ip)}[field]
    hits = three.search_many([query], 5, field=field)[0]
    assert [str(h.record.id) for h in hits] == [pk for pk, _ in expected[:5]]
    assert [h.score for h in hits] == pytest.approx([s for _, s in expected[:5]], abs=1e-5)


def parts(data: dict[str, Any]) -> list[FieldQuery]:
    return [
        FieldQuery("dense_a", data["qa"], limit=FETCH),
        FieldQuery("dense_b", data["qb"], limit=FETCH),
        FieldQuery("sp", data["qs"], limit=FETCH),
    ]


@pytest.mark.parametrize("rrf_k", [60, 5])
def test_rrf_matches_oracle(three: Store, data: dict[str, Any], rrf_k: int) -> None:
    routes = [route[:FETCH] for route in oracle_routes(data)]
    got = three.fused(parts(data), 6, fuse=HybridConfig.parse("rrf", {"k": rrf_k}))
    check_fused(got, rrf(routes, rrf_k), 6)
    assert [h.relevance for h in got] == pytest.approx([h.score * (rrf_k + 1) / 3 for h in got])
    assert all(0 < h.relevance <= 1 for h in got)


@pytest.mark.parametrize("weights", [(0.2, 0.3, 0.5), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)])
def test_weighted_matches_oracle(three: Store, data: dict[str, Any], weights: tuple[float, ...]) -> None:
    routes = [route[:FETCH] for route in oracle_routes(data)]
    got = three.fused(parts(data), 6, fuse=HybridConfig.parse("weighted", {"weights": list(weights)}))
    check_fused(got, weighted(routes, weights, ("COSINE", "L2", "IP")), 6)
    assert [h.relevance for h in got] == pytest.approx([h.score / sum(weights) for h in got])
    if weights[0] == 1.0:  # all weight on one field: its own ranking
        assert [str(h.record.id) for h in got] == [pk for pk, _ in routes[0][:6]]


def test_rerank_function_and_filter(three: Store, data: dict[str, Any]) -> None:
    ranker = Function("rrf", FunctionType.RERANK, input_field_names=[], params={"reranker": "rrf", "k": 60})
    routes = [[(pk, s) for pk, s in route if int(pk[1:]) < 20][:FETCH] for route in oracle_routes(data)]
    got = three.fused(parts(data), 5, fuse=ranker, expr="n < 20")
    check_fused(got, rrf(routes, 60), 5)


def test_dense_and_bm25(lite_uri: str, data: dict[str, Any]) -> None:
    analyzer = {"tokenizer": "standard", "filter": ["lowercase"]}
    bm25 = BM25Spec(output_field="sparse", analyzer_params=analyzer, enable_match=True)
    store = make(lite_uri, VectorSpec("dense_a"), VectorSpec("sparse", VectorKind.BM25, bm25=bm25))
    store.add(data["ids"], data["texts"], {"dense_a": data["a"]}, data["metas"])
    layout = store.require_layout()
    assert layout.sparse == "sparse" and layout.text_match
    text_hits = store.search_many(["number7 cats"], FETCH, field="sparse")[0]
    assert str(text_hits[0].record.id) == "d7"
    dense = oracle_routes(data)[0][:FETCH]
    lexical = [(str(h.record.id), h.score) for h in text_hits]
    got = store.fused([FieldQuery("dense_a", data["qa"], limit=FETCH), FieldQuery("sparse", "number7 cats",
                       limit=FETCH)], 6)  # fmt: skip
    check_fused(got, rrf([dense, lexical]), 6)
    assert store.query(expr="TEXT_MATCH(text, 'number7')")[0].id == "d7"


def test_plan_names_fields_as_langchain_milvus(data: dict[str, Any]) -> None:
    bm25 = BM25Spec()
    specs = plan([VectorKind.DENSE, VectorKind.DENSE, VectorKind.SPARSE], [bm25], ["one", "sparse"], metric="L2")
    assert [(s.name, s.kind, s.metric) for s in specs] == [
        ("one", VectorKind.DENSE, "L2"),
        ("vector_2", VectorKind.DENSE, "L2"),
        ("vector_3", VectorKind.SPARSE, "IP"),
        ("sparse", VectorKind.BM25, "BM25"),
    ]
    (only,) = plan([VectorKind.DENSE], [], None, index_params={"metric_type": "IP", "index_type": "HNSW"})
    assert (only.name, only.metric) == ("vector", "IP")


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: plan([VectorKind.DENSE], [BM25Spec()], None, index_params=[{}]), ["index_params", "1", "2"]),
        (lambda: plan([VectorKind.DENSE] * 2, [], None, search_params=[{}] * 3), ["search_params", "3", "2"]),
        (lambda: plan([VectorKind.DENSE], [], ["a", "b"]), ["'a', 'b'", "1 embedding"]),
        (lambda: plan([VectorKind.DENSE] * 2, [], ["a", "a"]), ["repeat"]),
        (lambda: plan([], [BM25Spec(), BM25Spec()], None), ["same field"]),
        (lambda: HybridConfig.parse("linear"), ["'linear'", "rrf", "weighted"]),
        (lambda: HybridConfig.parse("rrf", {"weights": [1]}), ["weights", "RRF"]),
        (lambda: HybridConfig.parse("rrf", {"kk": 1}), ["kk"]),
        (lambda: VectorSpec("s", VectorKind.SPARSE, metric="L2"), ["'L2'", "'s'"]),
        (lambda: BM25Spec(analyzer_params={}, multi_analyzer_params={}), ["analyzer_params", "not both"]),
        (lambda: BM25Spec(output_field=["a", "b"]), ["output_field_names"]),
    ],
)
def test_bad_configuration(call: Callable[[], object], words: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        call()
    for word in words:
        assert word in str(err.value)


def test_bm25_must_read_the_text_field(lite_uri: str) -> None:
    with pytest.raises(ConfigError, match="reads 'body'.*text_field='body'"):
        make(lite_uri, VectorSpec("v"), VectorSpec("sp", VectorKind.BM25, bm25=BM25Spec(input_field="body")))


@pytest.mark.parametrize(
    "change, error",
    [
        (lambda v: v.update(sp=[*v["sp"][:3], {"x": 1.0}, *v["sp"][4:]]), r"row 3: sparse index 'x' in 'sp'"),
        (lambda v: v.update(sp=[*v["sp"][:2], {1: float("nan")}, *v["sp"][3:]]), r"row 2: .* 'sp' is not finite"),
        (lambda v: v.pop("dense_b"), r"required for \['dense_b'\]"),
        (lambda v: v.update(dense_b=v["dense_b"][:-1]), r"vectors\[dense_b\] 39"),
        (lambda v: v.update(other=v["dense_a"]), r"'other' is not a vector field"),
        (lambda v: v.update(dense_a=[*v["dense_a"][:4].tolist(), [1.0, 2.0], *v["dense_a"][5:].tolist()]), r"row 4"),
    ],
)
def test_bad_rows_write_nothing(
    lite_uri: str, data: dict[str, Any], change: Callable[[dict[str, Any]], object], error: str
) -> None:
    store = make(lite_uri, VectorSpec("dense_a"), VectorSpec("dense_b"), VectorSpec("sp", VectorKind.SPARSE))
    vectors: dict[str, Any] = {"dense_a": data["a"], "dense_b": data["b"], "sp": list(data["s"])}
    change(vectors)
    with pytest.raises(SchemaError, match=error):
        store.add(data["ids"], data["texts"], vectors, data["metas"])
    assert store.layout() is None  # not even created
    store.add(data["ids"][:2], data["texts"][:2], {k: v[:2] for k, v in
              {"dense_a": data["a"], "dense_b": data["b"], "sp": data["s"]}.items()})  # fmt: skip
    with pytest.raises(SchemaError, match=error):
        store.add(data["ids"], data["texts"], vectors, data["metas"])
    assert store.count() == 2  # an existing collection keeps only what was there


def test_bad_queries(three: Store, data: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="'nope' is not a vector field.*dense_a"):
        three.search_many([data["qa"]], 3, field="nope")
    with pytest.raises(ConfigError, match="3 weights.*got 2"):
        three.fused(parts(data), 3, fuse=HybridConfig("weighted", weights=(0.5, 0.5)))
    with pytest.raises(SchemaError, match="sparse index 'a'"):
        three.search_many([{"a": 1.0}], 3, field="sp")
    with pytest.raises(SchemaError, match="dense_b"):
        three.fused([FieldQuery("dense_b", [1.0, 2.0])], 3)
