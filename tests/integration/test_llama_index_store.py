"""The LlamaIndex adapter on Milvus Lite: nodes round-trip whole, every query mode, deletes, clear, async."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)

from milvus_integrations.core.errors import ConfigError, FilterError
from milvus_integrations.llama_index import MilvusVectorStore
from tests.support.fake_embeddings import word_vector

TEXTS = {
    "n0": ("the cat is a pet animal", {"kind": "pet", "year": 2001}, "docA"),
    "n1": ("a dog is a loyal pet", {"kind": "pet", "year": 2010}, "docA"),
    "n2": ("the truck drives on the road", {"kind": "vehicle", "year": 2015}, "docB"),
    "n3": ("python code has a bug", {"kind": "code", "year": 2020}, "doc'); drop"),
    "n4": ("zygomorphic music music music song song song", {"kind": "music", "year": 1999}, "docC"),
}


def nodes() -> list[TextNode]:
    out = []
    for node_id, (text, meta, doc) in TEXTS.items():
        out.append(
            TextNode(
                id_=node_id,
                text=text,
                metadata=dict(meta),
                embedding=word_vector(text),
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc)},
            )
        )
    return out


@pytest.fixture
def store(tmp_path: Path) -> MilvusVectorStore:
    s = MilvusVectorStore(uri=str(tmp_path / "li.db"), collection_name="nodes", full_text_search=True)
    assert s.add(nodes()) == list(TEXTS)
    return s


def q(text: str, k: int = 2, **kwargs: object) -> VectorStoreQuery:
    return VectorStoreQuery(query_embedding=word_vector(text), query_str=text, similarity_top_k=k, **kwargs)  # type: ignore[arg-type]


def test_nodes_come_back_whole(store: MilvusVectorStore) -> None:
    (node,) = store.get_nodes(["n3"])
    assert isinstance(node, TextNode)
    assert node.text == TEXTS["n3"][0] and node.metadata == TEXTS["n3"][1]
    assert node.ref_doc_id == "doc'); drop" and node.node_id == "n3"


def test_every_node_field_survives_the_round_trip(tmp_path: Path) -> None:
    store = MilvusVectorStore(uri=str(tmp_path / "rt.db"), collection_name="rt")
    plain = TextNode(id_="plain", text="just text", embedding=[1.0, 0.0])
    rich = TextNode(
        id_="rich",
        text="rich text",
        embedding=[0.0, 1.0],
        metadata={"file": "a.md", "page": 3},
        excluded_embed_metadata_keys=["file"],
        excluded_llm_metadata_keys=["page"],
        relationships={
            NodeRelationship.SOURCE: RelatedNodeInfo(node_id="doc", metadata={"k": "v"}, hash="h"),
            NodeRelationship.NEXT: RelatedNodeInfo(node_id="plain"),
        },
        metadata_template="{key}={value}",
        metadata_separator="; ",
        text_template="{content} / {metadata_str}",
        start_char_idx=10,
        end_char_idx=19,
        mimetype="text/markdown",
    )
    store.add([plain, rich])
    for want in (plain, rich):
        (got,) = store.get_nodes([want.node_id])
        assert got.model_dump(exclude={"embedding"}) == want.model_dump(exclude={"embedding"})


def test_fields_changed_in_place_or_by_assignment_survive_the_round_trip(tmp_path: Path) -> None:
    """A TextNode built plain whose containers were changed in place, or fields assigned afterwards, is stored
    with those changes (not taken for a plain node)."""
    store = MilvusVectorStore(uri=str(tmp_path / "inplace.db"), collection_name="inplace")
    made = [TextNode(id_=f"n{i}", text=f"text {i}", metadata={"i": i}, embedding=[1.0, float(i)]) for i in range(5)]
    made[0].relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id="doc0")
    made[1].excluded_embed_metadata_keys.append("i")
    made[2].excluded_llm_metadata_keys.append("i")
    made[3].mimetype = "text/markdown"
    made[4].start_char_idx = 7
    store.add(made)
    for want in made:
        (got,) = store.get_nodes([want.node_id])
        assert got.model_dump(exclude={"embedding"}) == want.model_dump(exclude={"embedding"})
    assert store.get_nodes(["n0"])[0].ref_doc_id == "doc0"


def test_dense_query_similarities_are_higher_is_better(store: MilvusVectorStore) -> None:
    result = store.query(q("truck road", k=3))
    assert result.ids is not None and result.ids[0] == "n2"
    sims = result.similarities or []
    assert sims == sorted(sims, reverse=True) and all(0.0 <= s <= 1.0 for s in sims)


@pytest.mark.parametrize("metric", ["L2", "IP"])
def test_similarities_for_other_metrics(tmp_path: Path, metric: str) -> None:
    s = MilvusVectorStore(uri=str(tmp_path / "m.db"), collection_name="m", metric=metric)
    s.add(nodes())
    sims = s.query(q("cat pet animal", k=5)).similarities or []
    assert sims == sorted(sims, reverse=True) and sims[0] > 0.9


def test_any_top_k(store: MilvusVectorStore) -> None:
    assert len(store.query(q("pet", k=50)).ids or []) == 5


def test_filters_doc_ids_and_node_ids(store: MilvusVectorStore) -> None:
    pets = MetadataFilters(filters=[MetadataFilter(key="kind", value="pet")])
    assert set(store.query(q("pet", k=5, filters=pets)).ids or []) == {"n0", "n1"}
    assert set(store.query(q("pet", k=5, doc_ids=["docB", "doc'); drop"])).ids or []) == {"n2", "n3"}
    assert set(store.query(q("pet", k=5, node_ids=["n1", "n4"])).ids or []) == {"n1", "n4"}
    recent = MetadataFilters(filters=[MetadataFilter(key="year", value=2010, operator=FilterOperator.GTE)])
    assert set(store.query(q("pet", k=5, filters=recent, doc_ids=["docA"])).ids or []) == {"n1"}


def test_mmr_mode(store: MilvusVectorStore) -> None:
    result = store.query(q("cat pet", k=2, mode=VectorStoreQueryMode.MMR, mmr_threshold=0.2))
    assert result.ids is not None and len(result.ids) == 2 and result.ids[0] == "n0"


@pytest.mark.parametrize("mode", [VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.SPARSE])
def test_text_search_modes(store: MilvusVectorStore, mode: VectorStoreQueryMode) -> None:
    assert (store.query(q("zygomorphic", k=1, mode=mode)).ids or []) == ["n4"]


def test_hybrid_finds_the_rare_token_dense_misses(store: MilvusVectorStore) -> None:
    assert "n4" not in (store.query(q("zygomorphic", k=2)).ids or [])
    rrf = store.query(q("zygomorphic", k=2, mode=VectorStoreQueryMode.HYBRID)).ids or []
    assert len(rrf) == 2 and "n4" in rrf
    weighted = store.query(q("zygomorphic", k=2, mode=VectorStoreQueryMode.HYBRID, alpha=0.1)).ids or []
    assert weighted[0] == "n4"
    pets = MetadataFilters(filters=[MetadataFilter(key="kind", value="pet")])
    assert set(store.query(q("zygomorphic", k=2, mode=VectorStoreQueryMode.HYBRID, filters=pets)).ids or []) == {
        "n0",
        "n1",
    }


def test_delete_by_ref_doc_id_is_exact(store: MilvusVectorStore) -> None:
    store.delete("doc'); drop")
    store.delete('docA" or pk != "')
    assert {n.node_id for n in store.get_nodes(list(TEXTS))} == {"n0", "n1", "n2", "n4"}
    store.delete("docA")
    assert {n.node_id for n in store.get_nodes(list(TEXTS))} == {"n2", "n4"}


def test_delete_nodes_and_get_nodes_by_filter(store: MilvusVectorStore) -> None:
    store.delete_nodes(["n0"])
    old = MetadataFilters(filters=[MetadataFilter(key="year", value=2005, operator=FilterOperator.LT)])
    assert [n.node_id for n in store.get_nodes(filters=old)] == ["n4"]
    store.delete_nodes(filters=old)
    assert {n.node_id for n in store.get_nodes(list(TEXTS))} == {"n1", "n2", "n3"}
    with pytest.raises(ConfigError, match="clear"):
        store.delete_nodes()


def test_clear_leaves_the_store_usable(store: MilvusVectorStore) -> None:
    store.clear()
    assert store.get_nodes(list(TEXTS)) == []
    assert store.query(q("pet")).ids == []
    store.add(nodes()[:1])
    assert store.query(q("pet")).ids == ["n0"]


async def test_async_twins(store: MilvusVectorStore) -> None:
    assert (await store.aquery(q("truck road", k=1))).ids == ["n2"]
    await store.adelete("docB")
    await store.adelete_nodes(["n0"])
    assert {n.node_id for n in await store.aget_nodes(list(TEXTS))} == {"n1", "n3", "n4"}
    await store.async_add(nodes()[:1])
    assert len(await store.aget_nodes(["n0"])) == 1
    await store.aclear()
    assert await store.aget_nodes(["n0"]) == []


def test_persists_across_reopen(tmp_path: Path) -> None:
    uri = str(tmp_path / "p.db")
    MilvusVectorStore(uri=uri, collection_name="p").add(nodes())
    again = MilvusVectorStore(uri=uri, collection_name="p")
    assert (again.query(q("truck road", k=1)).ids or []) == ["n2"]


def test_bad_input_is_clear(tmp_path: Path, store: MilvusVectorStore) -> None:
    with pytest.raises(ConfigError, match="no embedding"):
        MilvusVectorStore(uri=str(tmp_path / "x.db")).add([TextNode(id_="x", text="no vector")])
    with pytest.raises(FilterError, match="case-insensitive"):
        store.query(
            q(
                "x",
                filters=MetadataFilters(
                    filters=[MetadataFilter(key="kind", value="P", operator="text_match_insensitive")]
                ),
            )
        )
    with pytest.raises(ValueError):
        MilvusVectorStore(uri=str(tmp_path / "x.db"), not_an_option=1)
    with pytest.raises(ConfigError, match="query_str"):
        store.query(VectorStoreQuery(query_embedding=word_vector("x"), mode=VectorStoreQueryMode.HYBRID))


def test_peer_keywords_move_over(tmp_path: Path) -> None:
    s = MilvusVectorStore(
        uri=str(tmp_path / "peer.db"),
        collection_name="peer",
        dim=len(word_vector("x")),
        similarity_metric="IP",
        overwrite=True,
        enable_sparse=True,
    )
    assert s.metric == "IP" and s.full_text_search
    s.add(nodes())
    assert (s.query(q("zygomorphic", k=1, mode=VectorStoreQueryMode.TEXT_SEARCH)).ids or []) == ["n4"]


def test_repr_hides_the_token(tmp_path: Path) -> None:
    s = MilvusVectorStore(uri=str(tmp_path / "r.db"), token="root:Milvus-secret")
    assert "Milvus-secret" not in repr(s) and "Milvus-secret" not in str(s)
