"""Built-in function objects and sparse-embedding contracts under both peers' names (core.functions)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymilvus import Function, FunctionType

from milvus_integrations.core.errors import ConfigError, SchemaError
from milvus_integrations.core.functions import BM25Spec, bm25_spec, is_sparse_embedding, sparse_encoder
from milvus_integrations.core.validate import sparse_vectors
from milvus_integrations.langchain import BaseMilvusBuiltInFunction, BaseSparseEmbedding
from milvus_integrations.langchain import BM25BuiltInFunction as LangChainBM25
from milvus_integrations.llama_index import BaseSparseEmbeddingFunction
from milvus_integrations.llama_index import BM25BuiltInFunction as LlamaIndexBM25


def test_langchain_bm25_contract() -> None:
    fn = LangChainBM25(analyzer_params={"tokenizer": "standard"}, enable_match=True, function_name="f1")
    assert isinstance(fn, BaseMilvusBuiltInFunction) and isinstance(fn.function, Function)
    assert (fn.input_field_names, fn.output_field_names, fn.type) == (["text"], ["sparse"], FunctionType.BM25)
    assert fn.function.name == "f1"
    assert fn.get_input_field_schema_kwargs() == {
        "enable_analyzer": True,
        "enable_match": True,
        "analyzer_params": {"tokenizer": "standard"},
    }
    multi = LangChainBM25(multi_analyzer_params={"by_field": "lang", "analyzers": {"default": {}}})
    assert multi.get_input_field_schema_kwargs()["multi_analyzer_params"]["by_field"] == "lang"
    assert multi.function.name.startswith("bm25_function_")
    with pytest.raises(TypeError):
        LangChainBM25("text")  # type: ignore[misc]  # keyword-only, as the peer's


def test_llama_index_bm25_contract() -> None:
    fn = LlamaIndexBM25(analyzer_params={"tokenizer": "standard"}, enable_match=True)
    assert isinstance(fn, Function) and fn.type == FunctionType.BM25
    assert (fn.input_field_names, fn.output_field_names) == (["text"], ["sparse_embedding"])
    assert fn.get_field_kwargs()["analyzer_params"] == {"tokenizer": "standard"}
    positional = LlamaIndexBM25("body", "bm25")
    assert bm25_spec(positional) == positional.spec and positional.spec.input_field == "body"


def test_any_bm25_form_gives_one_spec() -> None:
    class PeerLike:  # langchain-milvus' object: the pymilvus Function on .function, analyzer settings as attributes
        def __init__(self) -> None:
            self.function = Function("peer_fn", FunctionType.BM25, ["text"], ["sparse"])
            self.analyzer_params = {"tokenizer": "standard"}
            self.multi_analyzer_params = None
            self.enable_match = True

    spec = bm25_spec(PeerLike())
    assert (spec.name, spec.output_field, spec.enable_match) == ("peer_fn", "sparse", True)
    assert bm25_spec(Function("plain", FunctionType.BM25, ["t"], ["s"])).input_field == "t"
    with pytest.raises(ConfigError, match="BM25BuiltInFunction"):
        bm25_spec(Function("r", FunctionType.RERANK, [], params={"reranker": "rrf"}))
    with pytest.raises(ConfigError, match="same field"):
        BM25Spec("text", "text")
    with pytest.raises(ConfigError, match="enable_match"):
        BM25Spec(enable_match="yes")  # type: ignore[arg-type]


class Sparse(BaseSparseEmbedding):
    def embed_query(self, query: str) -> dict[int, float]:
        return {len(query): 1.0}

    def embed_documents(self, texts: list[str]) -> list[dict[int, float]]:
        return [{len(t): 1.0} for t in texts]


class LlamaSparse(BaseSparseEmbeddingFunction):
    def encode_queries(self, queries: list[str]) -> list[dict[int, float]]:
        return [{len(q): 2.0} for q in queries]

    def encode_documents(self, documents: list[str]) -> list[dict[int, float]]:
        return [{len(d): 3.0} for d in documents]


CONTRACTS = [(Sparse(), {2: 1.0}, [{1: 1.0}]), (LlamaSparse(), {2: 2.0}, [{1: 3.0}])]


@pytest.mark.parametrize("inner, query, docs", CONTRACTS)
def test_both_sparse_contracts_sync_and_async(inner: Any, query: Any, docs: Any) -> None:
    enc = sparse_encoder(inner)
    assert enc.embed_query("ab") == query and enc.embed_documents(["a"]) == docs
    assert asyncio.run(enc.aembed_query("ab")) == query
    assert asyncio.run(enc.aembed_documents(["a"])) == docs


def test_sparse_detection_and_validation() -> None:
    class Dense:
        def embed_query(self, text: str) -> list[float]:
            return [1.0]

    assert is_sparse_embedding(Sparse()) and is_sparse_embedding(LlamaSparse()) and not is_sparse_embedding(Dense())
    with pytest.raises(ConfigError, match="not a sparse embedding"):
        sparse_encoder(Dense())
    with pytest.raises(SchemaError, match=r"row 1: sparse index '3' in 'sp' must be an int"):
        sparse_vectors([{1: 1.0}, {"3": 1.0}], key="sp")
