"""Property tests: arbitrary unicode strings as metadata values, filter values, ids and ref_doc_ids find exactly
the rows they should, never more, on real Milvus Lite, through the core and both adapters."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.filters import ir
from milvus_integrations.core.store import Store, StoreOptions
from milvus_integrations.langchain import MilvusVectorStore as LCStore
from milvus_integrations.llama_index import MilvusVectorStore as LIStore
from tests.support.fake_embeddings import WordEmbeddings

pytestmark = pytest.mark.slow

DIM = WordEmbeddings.dimension
VEC = [1.0] + [0.0] * (DIM - 1)
ALPHABET = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
NASTY = st.sampled_from(["'", '"', "\\", "%", "_", ")", " or 1==1", "\n", "\t", "😀", "\\%", "\\_", '\\"', "é"])
HOSTILE = st.lists(st.one_of(st.text(ALPHABET, max_size=8), NASTY), min_size=1, max_size=6).map("".join)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_ids = itertools.count()


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield str(tmp_path_factory.mktemp("prop") / "prop.db")


def fresh_store(uri: str) -> Store:
    return Store(StoreOptions(f"p{next(_ids)}"), ConnectionConfig(uri))


@SETTINGS
@given(values=st.lists(HOSTILE, min_size=2, max_size=5, unique=True), probe=st.integers(0, 4))
def test_core_eq_in_contains_prefix(uri: str, values: list[str], probe: int) -> None:
    store = fresh_store(uri)
    ids = [f"r{i}" for i in range(len(values))]
    store.add(ids, ["t"] * len(values), [VEC] * len(values), [{"v": v} for v in values])
    needle = values[probe % len(values)]

    def found(expr: ir.Expr) -> set[str]:
        return {str(r.id) for r in store.query(filter=expr)}

    assert found(ir.eq("v", needle)) == {i for i, v in zip(ids, values, strict=True) if v == needle}
    assert found(ir.in_("v", [needle, values[0]])) == {
        i for i, v in zip(ids, values, strict=True) if v in (needle, values[0])
    }
    assert found(ir.contains_text("v", needle)) == {i for i, v in zip(ids, values, strict=True) if needle in v}
    assert found(ir.starts_with("v", needle)) == {i for i, v in zip(ids, values, strict=True) if v.startswith(needle)}
    assert found(ir.ne("v", needle)) == {i for i, v in zip(ids, values, strict=True) if v != needle}
    store.clear()


@SETTINGS
@given(ids=st.lists(HOSTILE.filter(bool), min_size=2, max_size=4, unique=True))
def test_hostile_ids_through_langchain(uri: str, ids: list[str]) -> None:
    store = LCStore(WordEmbeddings(), uri=uri, collection_name=f"p{next(_ids)}")
    store.add_texts([f"text {i}" for i in range(len(ids))], metadatas=[{"k": i} for i in range(len(ids))], ids=ids)
    assert [d.id for d in store.get_by_ids([ids[0]])] == [ids[0]]
    store.delete([ids[0]])
    assert {d.id for d in store.get_by_ids(ids)} == set(ids[1:])
    assert {d.id for d in store.similarity_search("text", k=10, filter={"k": {"$in": [1, 2, 3]}})} == set(ids[1:])


@SETTINGS
@given(refs=st.lists(HOSTILE, min_size=2, max_size=4, unique=True), needle=HOSTILE)
def test_hostile_ref_doc_ids_and_text_match_through_llama_index(uri: str, refs: list[str], needle: str) -> None:
    store = LIStore(uri=uri, collection_name=f"p{next(_ids)}")
    nodes = [
        TextNode(
            id_=f"n{i}",
            text="t",
            metadata={"title": ref + needle if i == 0 else ref},
            embedding=VEC,
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=ref)},
        )
        for i, ref in enumerate(refs)
    ]
    store.add(nodes)
    flt = MetadataFilters(filters=[MetadataFilter(key="title", value=needle, operator=FilterOperator.TEXT_MATCH)])
    got = set(store.query(VectorStoreQuery(query_embedding=VEC, similarity_top_k=50, filters=flt)).ids or [])
    assert got == {n.node_id for n in nodes if needle in n.metadata["title"]}
    store.delete(refs[1])
    assert {n.node_id for n in store.get_nodes([n.node_id for n in nodes])} == {n.node_id for n in nodes} - {"n1"}


def test_an_empty_id_is_refused(uri: str) -> None:
    store = LCStore(WordEmbeddings(), uri=uri, collection_name=f"p{next(_ids)}")
    with pytest.raises(Exception, match="row 1: id must be a non-empty string"):
        store.add_texts(["a", "b"], ids=["ok", ""])
