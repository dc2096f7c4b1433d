"""The shared filter case table on real Milvus Lite, through the core, LangChain and LlamaIndex, and against
LlamaIndex's SimpleVectorStore on the same nodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters, VectorStoreQuery

from milvus_integrations.core.config import ConnectionConfig
from milvus_integrations.core.filters import FieldCatalog, compile_filter
from milvus_integrations.core.store import Store, StoreOptions
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.cases.filter_cases import CASES, ROWS, Case, python_oracle
from tests.support.fake_embeddings import WordEmbeddings

DIM = WordEmbeddings.dimension
VECTOR = [1.0] + [0.0] * (DIM - 1)
ALL_K = 1000


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("cases") / "cases.db")
    store = Store(StoreOptions("cases"), ConnectionConfig(path))
    ids = list(ROWS)
    store.add(ids, [f"text {i}" for i in ids], [VECTOR] * len(ids), [ROWS[i] for i in ids])
    store.close()
    yield path


@pytest.fixture(scope="module")
def core(uri: str) -> Store:
    return Store(StoreOptions("cases"), ConnectionConfig(uri))


@pytest.fixture(scope="module")
def lc(uri: str) -> LCStore:
    return LCStore(WordEmbeddings(), uri=uri, collection_name="cases")


@pytest.fixture(scope="module")
def li(uri: str) -> LIStore:
    return LIStore(uri=uri, collection_name="cases")


@pytest.fixture(scope="module")
def simple() -> SimpleVectorStore:
    s = SimpleVectorStore()
    s.add(
        [
            TextNode(id_=i, text="", metadata={k: v for k, v in m.items() if v is not None}, embedding=VECTOR)
            for i, m in ROWS.items()
        ]
    )
    return s


def llama_filters(case: Case) -> MetadataFilters:
    assert case.llama is not None
    return MetadataFilters(filters=[MetadataFilter(key=k, operator=op, value=v) for k, op, v in case.llama])


def by_name(cases: list[Case]) -> Any:
    return pytest.mark.parametrize("case", cases, ids=[c.name for c in cases])


@by_name([c for c in CASES if c.expr is not None])
def test_compiled_expression(case: Case) -> None:
    assert compile_filter(case.ir, FieldCatalog.of(["pk", "text"])) == case.expr


@by_name(CASES)
def test_core_ir_on_lite(core: Store, case: Case) -> None:
    assert {str(r.id) for r in core.query(filter=case.ir)} == case.expected
    hits = core.search(VECTOR, ALL_K, filter=case.ir)
    assert {str(h.record.id) for h in hits} == case.expected


@by_name([c for c in CASES if c.mongo is not None])
def test_langchain_dict_filter(lc: LCStore, case: Case) -> None:
    docs = lc.similarity_search_by_vector(VECTOR, k=ALL_K, filter=case.mongo)
    assert {d.id for d in docs} == case.expected


@by_name([c for c in CASES if c.llama is not None])
def test_llama_index_filters(li: LIStore, case: Case) -> None:
    result = li.query(VectorStoreQuery(query_embedding=VECTOR, similarity_top_k=ALL_K, filters=llama_filters(case)))
    assert set(result.ids or []) == case.expected


@by_name([c for c in CASES if c.llama is not None])
def test_same_as_simple_vector_store(simple: SimpleVectorStore, case: Case) -> None:
    result = simple.query(VectorStoreQuery(query_embedding=VECTOR, similarity_top_k=ALL_K, filters=llama_filters(case)))
    assert set(result.ids or []) == case.expected
    assert case.llama is not None
    oracle = {i for i, m in ROWS.items() if all(python_oracle(m, k, op, v) for k, op, v in case.llama)}
    assert oracle == case.expected


def test_every_operator_is_covered() -> None:
    llama_ops = {op for c in CASES if c.llama for _, op, _ in c.llama}
    assert llama_ops >= {
        "==",
        "!=",
        ">",
        ">=",
        "<",
        "<=",
        "in",
        "nin",
        "any",
        "all",
        "contains",
        "text_match",
        "is_empty",
    }
    mongo = str([c.mongo for c in CASES])
    for op in ("$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$like", "$contains", "$exists", "$or", "$not"):
        assert op in mongo


def test_lite_file_kept(uri: str) -> None:
    assert Path(uri).exists()
