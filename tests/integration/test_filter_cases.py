"""The shared filter case table on real Milvus Lite, through the core, LangChain and LlamaIndex, and against
LlamaIndex's SimpleVectorStore on the same nodes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, get_args

import pytest
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters, VectorStoreQuery

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.errors import FilterError
from milvus_integrations.core.filters import Expr, ir
from milvus_integrations.core.store import Store, StoreOptions
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.langchain.filters import FIELD_OPERATORS, LOGICAL_OPERATORS
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from milvus_integrations.llama_index.filters import OPERATORS
from milvus_integrations.llama_index.filters import to_ir as llama_index_to_ir
from tests.cases.filter_cases import ALL, CASES, HOSTILE_IDS, ROWS, Case, python_oracle
from tests.support.fake_embeddings import WordEmbeddings

DIM = WordEmbeddings.dimension
VECTOR = [1.0] + [0.0] * (DIM - 1)
ALL_K = 1000

# Forms the shared table writes only implicitly ({"k": v} for $eq, several keys for $and) or not at all (a field's
# $not): added here so that every entry of the LangChain operator tables runs through a case.
EXPLICIT: list[Case] = [
    Case(
        "explicit $eq",
        ir.eq("source", "a.txt"),
        None,
        frozenset({"r0"}),
        {"source": {"$eq": "a.txt"}},
        [("source", "==", "a.txt")],
    ),
    Case(
        "explicit $and",
        ir.and_(ir.eq("kind", "blog"), ir.compare("year", "<", 2015)),
        None,
        frozenset({"r2"}),
        {"$and": [{"kind": "blog"}, {"year": {"$lt": 2015}}]},
        [("kind", "==", "blog"), ("year", "<", 2015)],
    ),
    Case(
        "field $not keeps missing",
        ir.not_(ir.compare("year", ">", 2010)),
        None,
        ALL - {"r3", "r4"} - HOSTILE_IDS,
        {"year": {"$not": {"$gt": 2010}}},
        None,
    ),
]
TABLE: list[Case] = [*CASES, *EXPLICIT]

# LlamaIndex operators the adapter refuses (no case can run them), with the reason its error must give.
REFUSED = {FilterOperator.TEXT_MATCH_INSENSITIVE: "case-insensitive"}
FIELD_NOT = "$not (on a field)"


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
    return MetadataFilters(
        filters=[MetadataFilter(key=k, operator=FilterOperator(op), value=v) for k, op, v in case.llama]
    )


def by_name(cases: list[Case]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[c.name for c in cases])


def test_the_file_holds_the_table_rows_after_close(uri: str) -> None:
    """Every other test reads the file the fixture wrote and closed: it must hold exactly the table's rows."""
    reopened = Store(StoreOptions("cases"), ConnectionConfig(uri))
    try:
        assert reopened.count() == len(ROWS)
        ids = list(ROWS)
        records = reopened.get(ids, with_vectors=True)
        assert [r.id for r in records] == ids
        for record in records:
            assert record.text == f"text {record.id}"
            assert record.metadata == ROWS[str(record.id)]
            assert record.vector == VECTOR
    finally:
        reopened.close()


@by_name(TABLE)
def test_core_ir_on_lite(core: Store, case: Case) -> None:
    assert {str(r.id) for r in core.query(filter=case.ir)} == case.expected
    hits = core.search(VECTOR, ALL_K, filter=case.ir)
    assert {str(h.record.id) for h in hits} == case.expected


@by_name([c for c in TABLE if c.mongo is not None])
def test_langchain_dict_filter(lc: LCStore, case: Case) -> None:
    docs = lc.similarity_search_by_vector(VECTOR, k=ALL_K, filter=case.mongo)
    assert {d.id for d in docs} == case.expected


@by_name([c for c in TABLE if c.llama is not None])
def test_llama_index_filters(li: LIStore, case: Case) -> None:
    result = li.query(VectorStoreQuery(query_embedding=VECTOR, similarity_top_k=ALL_K, filters=llama_filters(case)))
    assert set(result.ids or []) == case.expected


@by_name([c for c in TABLE if c.llama is not None])
def test_same_as_simple_vector_store(simple: SimpleVectorStore, li: LIStore, case: Case) -> None:
    query = VectorStoreQuery(query_embedding=VECTOR, similarity_top_k=ALL_K, filters=llama_filters(case))
    reference = set(simple.query(query).ids or [])
    assert reference == case.expected
    assert set(li.query(query).ids or []) == reference
    assert case.llama is not None
    oracle = {i for i, m in ROWS.items() if all(python_oracle(m, k, op, v) for k, op, v in case.llama)}
    assert oracle == case.expected


def _condition_operators(condition: Mapping[str, Any]) -> set[str]:
    used: set[str] = set()
    for op, value in condition.items():
        if op == "$not":
            used.add(FIELD_NOT)
            if isinstance(value, Mapping):
                used |= _condition_operators(value)
        else:
            used.add(op)
    return used


def langchain_operators(node: Mapping[str, Any]) -> set[str]:
    """The operators a LangChain dict filter uses, read from its structure the way the translator reads it."""
    used: set[str] = set()
    for key, value in node.items():
        if key in ("$and", "$or"):
            used.add(key)
            for sub in value:
                used |= langchain_operators(sub)
        elif key == "$not":
            used.add(key)
            used |= langchain_operators(value)
        elif isinstance(value, Mapping):
            used |= _condition_operators(value)
    return used


def ir_nodes(expr: Expr) -> Iterator[Expr]:
    yield expr
    if isinstance(expr, ir.And | ir.Or):
        for operand in expr.operands:
            yield from ir_nodes(operand)
    elif isinstance(expr, ir.Not):
        yield from ir_nodes(expr.operand)


def test_every_langchain_operator_is_exercised() -> None:
    used = set().union(*(langchain_operators(c.mongo) for c in TABLE if c.mongo is not None))
    assert used == {*FIELD_OPERATORS, *LOGICAL_OPERATORS, FIELD_NOT}


def test_every_llama_index_operator_is_exercised_or_refused() -> None:
    assert set(OPERATORS) == set(FilterOperator), "the adapter's table must handle every LlamaIndex operator"
    used = {FilterOperator(op) for c in TABLE if c.llama for _, op, _ in c.llama}
    assert used == set(FilterOperator) - set(REFUSED)
    for op, reason in REFUSED.items():
        with pytest.raises(FilterError, match=reason):
            llama_index_to_ir(MetadataFilters(filters=[MetadataFilter(key="kind", operator=op, value="paper")]))


def test_every_ir_node_kind_is_exercised() -> None:
    nodes = [n for c in TABLE for n in ir_nodes(c.ir)]
    # TEXT_MATCH needs a match-enabled VARCHAR field, which the table's collection has not.
    assert {type(n) for n in nodes} == set(get_args(Expr)) - {ir.TextMatch}
    assert {n.op for n in nodes if isinstance(n, ir.Compare)} == set(ir.CmpOp)
    assert {n.mode for n in nodes if isinstance(n, ir.ArrayContains)} == set(ir.ArrayMode)
