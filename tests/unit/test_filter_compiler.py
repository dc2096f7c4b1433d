"""The filter compiler on the shared case table, without Milvus: the expression each case's IR compiles to, and
the LangChain and LlamaIndex forms of each case translating to that same filter."""

from __future__ import annotations

import pytest
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

from milvus_integrations.core.filters import FieldCatalog, compile_filter
from milvus_integrations.langchain.filters import to_ir as langchain_to_ir
from milvus_integrations.llama_index.filters import to_ir as llama_index_to_ir
from tests.cases.filter_cases import CASES, Case

CATALOGS = {"server": FieldCatalog.of(["pk", "text"]), "lite": FieldCatalog.of(["pk", "text"], lite=True)}


def by_name(cases: list[Case]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[c.name for c in cases])


@by_name([c for c in CASES if c.expr is not None])
def test_compiled_expression(case: Case) -> None:
    assert compile_filter(case.ir, FieldCatalog.of(["pk", "text"])) == case.expr


@pytest.mark.parametrize("catalog", list(CATALOGS), ids=list(CATALOGS))
@by_name([c for c in CASES if c.mongo is not None])
def test_langchain_form_compiles_like_the_ir(case: Case, catalog: str) -> None:
    translated = langchain_to_ir(case.mongo)
    assert translated is not None
    assert compile_filter(translated, CATALOGS[catalog]) == compile_filter(case.ir, CATALOGS[catalog])


@pytest.mark.parametrize("catalog", list(CATALOGS), ids=list(CATALOGS))
@by_name([c for c in CASES if c.llama is not None])
def test_llama_index_form_compiles_like_the_ir(case: Case, catalog: str) -> None:
    assert case.llama is not None
    filters = MetadataFilters(
        filters=[MetadataFilter(key=k, operator=FilterOperator(op), value=v) for k, op, v in case.llama]
    )
    translated = llama_index_to_ir(filters)
    assert translated is not None
    assert compile_filter(translated, CATALOGS[catalog]) == compile_filter(case.ir, CATALOGS[catalog])
