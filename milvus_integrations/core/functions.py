"""Milvus built-in functions and user sparse embeddings, under the names both peers use.

`BM25Spec` is the one description core works with: which text field Milvus' BM25 function reads, which sparse field
it fills, and the analyzer settings of the text field. The framework-facing classes are thin shells over it:

- `BM25BuiltInFunction` / `BaseMilvusBuiltInFunction`: langchain-milvus' contract (keyword-only arguments,
  output field ``sparse``, the pymilvus `Function` on ``.function``).
- `LlamaIndexBM25BuiltInFunction`: llama-index-vector-stores-milvus' contract (a pymilvus `Function` itself,
  output field ``sparse_embedding``); `milvus_integrations.llama_index` exports it as ``BM25BuiltInFunction``.

A user sparse embedding is any object with langchain-milvus' `BaseSparseEmbedding` contract (`embed_query(text)`
and `embed_documents(texts)` returning ``{index: weight}`` dicts) or LlamaIndex's `BaseSparseEmbeddingFunction`
contract (`encode_queries(texts)` / `encode_documents(texts)`, async twins optional). `sparse_encoder` wraps either
in one `SparseEncoder`; the vectors it returns are validated like any other row (int indices, finite weights).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymilvus import Function, FunctionType

from milvus_integrations.core.aio import run_sync
from milvus_integrations.core.errors import ConfigError

SparseVector = dict[int, float]


def _field_name(value: object, what: str) -> str:
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"BM25 {what} must be one field name (a non-empty string), got {value!r}")
    return value


def _params(value: object, what: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"BM25 {what} must be a dict, got {type(value).__name__}")
    return dict(value)


@dataclass(frozen=True)
class BM25Spec:
    """Milvus' BM25 function over `input_field` (a VARCHAR text field) filling the sparse field `output_field`.

    `analyzer_params` or `multi_analyzer_params` (not both) configure the text field's analyzer; `enable_match`
    also makes ``TEXT_MATCH`` filters work on it. `name` is the function's name in the schema (generated if None).
    """

    input_field: str = "text"
    output_field: str = "sparse"
    analyzer_params: Mapping[str, Any] | None = None
    multi_analyzer_params: Mapping[str, Any] | None = None
    enable_match: bool = False
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_field", _field_name(self.input_field, "input_field_names"))
        object.__setattr__(self, "output_field", _field_name(self.output_field, "output_field_names"))
        if self.input_field == self.output_field:
            raise ConfigError(f"BM25 reads and writes the same field {self.input_field!r}; give two names")
        object.__setattr__(self, "analyzer_params", _params(self.analyzer_params, "analyzer_params"))
        object.__setattr__(self, "multi_analyzer_params", _params(self.multi_analyzer_params, "multi_analyzer_params"))
        if self.analyzer_params is not None and self.multi_analyzer_params is not None:
            raise ConfigError("pass analyzer_params or multi_analyzer_params to BM25BuiltInFunction, not both")
        if not isinstance(self.enable_match, bool):
            raise ConfigError(f"enable_match must be True or False, got {self.enable_match!r}")
        if self.name is None:
            object.__setattr__(self, "name", f"bm25_function_{uuid.uuid4().hex[:8]}")
        elif not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"function_name must be a non-empty string, got {self.name!r}")

    def function(self) -> Function:
        """The pymilvus `Function` added to a new collection's schema."""
        return Function(
            name=str(self.name),
            function_type=FunctionType.BM25,
            input_field_names=[self.input_field],
            output_field_names=[self.output_field],
        )

    def field_kwargs(self) -> dict[str, Any]:
        """The text field's schema keywords: an analyzer, and `enable_match` when asked for."""
        kwargs: dict[str, Any] = {"enable_analyzer": True, "enable_match": self.enable_match}
        if self.multi_analyzer_params is not None:
            kwargs["multi_analyzer_params"] = dict(self.multi_analyzer_params)
        elif self.analyzer_params is not None:
            kwargs["analyzer_params"] = dict(self.analyzer_params)
        return kwargs


class BaseMilvusBuiltInFunction(ABC):  # noqa: B024 - the peer's base class; it has no abstract method either
    """A Milvus built-in function (langchain-milvus' base class): the pymilvus `Function` is on `.function`."""

    def __init__(self) -> None:
        self._function: Function | None = None

    @property
    def function(self) -> Function:
        if self._function is None:
            raise ConfigError(f"{type(self).__name__} has no Milvus function")
        return self._function

    @property
    def input_field_names(self) -> str | list[str]:
        names: str | list[str] = self.function.input_field_names
        return names

    @property
    def output_field_names(self) -> str | list[str]:
        names: str | list[str] = self.function.output_field_names
        return names

    @property
    def type(self) -> FunctionType:
        return self.function.type


class BM25BuiltInFunction(BaseMilvusBuiltInFunction):
    """Milvus' BM25 full-text function, langchain-milvus' signature: its output field holds the sparse vectors
    Milvus makes from the text; searches on it take the query text. Works on Milvus Lite (see `core.collection`)."""

    def __init__(
        self,
        *,
        input_field_names: str = "text",
        output_field_names: str = "sparse",
        analyzer_params: dict[Any, Any] | None = None,
        multi_analyzer_params: dict[Any, Any] | None = None,
        enable_match: bool = False,
        function_name: str | None = None,
    ) -> None:
        super().__init__()
        self.spec = BM25Spec(
            input_field_names, output_field_names, analyzer_params, multi_analyzer_params, enable_match, function_name
        )
        self._function = self.spec.function()
        self.analyzer_params = self.spec.analyzer_params
        self.multi_analyzer_params = self.spec.multi_analyzer_params
        self.enable_match = enable_match

    def get_input_field_schema_kwargs(self) -> dict[str, Any]:
        return self.spec.field_kwargs()


class LlamaIndexBM25BuiltInFunction(Function):  # type: ignore[misc]
    """Milvus' BM25 full-text function, llama-index-vector-stores-milvus' signature (a pymilvus `Function`)."""

    def __init__(
        self,
        input_field_names: str | list[str] = "text",
        output_field_names: str | list[str] = "sparse_embedding",
        function_name: str | None = None,
        function_description: str = "",
        function_params: dict[str, Any] | None = None,
        analyzer_params: dict[Any, Any] | None = None,
        enable_match: bool = False,
    ) -> None:
        inputs, outputs = _field_name(input_field_names, "input_field_names"), _field_name(output_field_names, "output")
        self.spec = BM25Spec(inputs, outputs, analyzer_params, None, enable_match, function_name)
        super().__init__(
            str(self.spec.name),
            FunctionType.BM25,
            [self.spec.input_field],
            [self.spec.output_field],
            function_description,
            function_params,
        )
        self.analyzer_params = self.spec.analyzer_params
        self.enable_match = enable_match

    def get_field_kwargs(self) -> dict[str, Any]:
        return self.spec.field_kwargs()


def bm25_spec(value: object) -> BM25Spec:
    """The `BM25Spec` of a BM25 function given in any of the accepted forms: a spec, either framework's
    `BM25BuiltInFunction` (ours or the peers'), or a plain pymilvus `Function` of type BM25."""
    if isinstance(value, BM25Spec):
        return value
    spec = getattr(value, "spec", None)
    if isinstance(spec, BM25Spec):
        return spec
    function = getattr(value, "function", value) if not isinstance(value, Function) else value
    if not isinstance(function, Function) or function.type != FunctionType.BM25:
        raise ConfigError(
            f"builtin_function must be a BM25BuiltInFunction (or a pymilvus BM25 Function), got {type(value).__name__}"
        )
    return BM25Spec(
        _field_name(function.input_field_names, "input_field_names"),
        _field_name(function.output_field_names, "output_field_names"),
        getattr(value, "analyzer_params", None),
        getattr(value, "multi_analyzer_params", None),
        bool(getattr(value, "enable_match", False)),
        function.name,
    )


# -- user sparse embeddings -----------------------------------------------------------------------------------
class BaseSparseEmbedding(ABC):
    """A user sparse embedding, langchain-milvus' contract: ``{index: weight}`` dicts for a query and for texts."""

    @abstractmethod
    def embed_query(self, query: str) -> SparseVector: ...

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> list[SparseVector]: ...

    async def aembed_query(self, query: str) -> SparseVector:
        return await run_sync(self.embed_query, query)

    async def aembed_documents(self, texts: list[str]) -> list[SparseVector]:
        return await run_sync(self.embed_documents, texts)


class BaseSparseEmbeddingFunction(ABC):
    """A user sparse embedding, LlamaIndex's contract: ``{index: weight}`` dicts for queries and for documents."""

    @abstractmethod
    def encode_queries(self, queries: list[str]) -> list[SparseVector]: ...

    @abstractmethod
    def encode_documents(self, documents: list[str]) -> list[SparseVector]: ...

    async def async_encode_queries(self, queries: list[str]) -> list[SparseVector]:
        return self.encode_queries(queries)

    async def async_encode_documents(self, documents: list[str]) -> list[SparseVector]:
        return self.encode_documents(documents)


class SparseEncoder:
    """Either contract behind the `Embedder` method names; async calls use the object's own async methods when it
    has them, else run the sync ones in a worker thread."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.llama = callable(getattr(inner, "encode_queries", None))

    def embed_query(self, text: str) -> Any:
        return self.inner.encode_queries([text])[0] if self.llama else self.inner.embed_query(text)

    def embed_documents(self, texts: Sequence[str]) -> list[Any]:
        if self.llama:
            return list(self.inner.encode_documents(list(texts)))
        return list(self.inner.embed_documents(list(texts)))

    async def aembed_query(self, text: str) -> Any:
        name = "async_encode_queries" if self.llama else "aembed_query"
        if callable(getattr(self.inner, name, None)):
            result = await getattr(self.inner, name)([text] if self.llama else text)
            return result[0] if self.llama else result
        return await run_sync(self.embed_query, text)

    async def aembed_documents(self, texts: Sequence[str]) -> list[Any]:
        name = "async_encode_documents" if self.llama else "aembed_documents"
        if callable(getattr(self.inner, name, None)):
            return list(await getattr(self.inner, name)(list(texts)))
        return await run_sync(self.embed_documents, texts)


def is_sparse_embedding(value: object) -> bool:
    """Whether `value` is a user sparse embedding (either contract; langchain-milvus' own base class too)."""
    if isinstance(value, BaseSparseEmbedding | BaseSparseEmbeddingFunction | SparseEncoder):
        return True
    if any(c.__name__ in ("BaseSparseEmbedding", "BaseSparseEmbeddingFunction") for c in type(value).__mro__):
        return True
    return callable(getattr(value, "encode_queries", None)) and callable(getattr(value, "encode_documents", None))


def sparse_encoder(value: object) -> SparseEncoder:
    if isinstance(value, SparseEncoder):
        return value
    if not is_sparse_embedding(value):
        raise ConfigError(
            f"{type(value).__name__} is not a sparse embedding: it needs embed_query/embed_documents returning"
            " {index: weight} dicts (BaseSparseEmbedding), or encode_queries/encode_documents"
            " (BaseSparseEmbeddingFunction)"
        )
    return SparseEncoder(value)
