"""A store's options, validated once at construction, and what they mean for the collection: the layout the first
add creates (`template`), how it is created (`settings`) and how an existing one is read (`hints`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pymilvus import DataType

from milvus_integrations.core.collection import CreateSettings, check_name
from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.layout import (
    MAX_VARCHAR,
    METRICS,
    TEXT_FIELD,
    Hints,
    Layout,
    ScalarField,
    VectorKind,
    ours,
)
from milvus_integrations.core.vectors import VectorSpec
from milvus_integrations.core.writer import DEFAULT_BATCH


@dataclass(frozen=True)
class StoreOptions:
    """Options validated once, at construction."""

    collection_name: str
    metric: str = "COSINE"
    index_params: Mapping[str, Any] | None = None  # for the main vector field
    search_params: Mapping[str, Any] | None = None
    consistency_level: str = "Session"
    dim: int | None = None
    dense: bool = True  # False: a full-text-only store (BM25, no dense vectors)
    full_text: bool = False
    analyzer_params: Mapping[str, Any] | None = None
    drop_old: bool = False
    partition_key_field: str | None = None
    text_field: str | None = None
    vector_field: str | None = None
    primary_field: str | None = None
    metadata_field: str | None = None
    # rows pending before a write flushes (and a read, once 64 are); None: only reads on Lite; 0: never
    flush_threshold: int | None = None
    insert_batch_size: int = DEFAULT_BATCH
    auto_id: bool = False
    scalars: Mapping[str, ScalarField] = field(default_factory=dict)  # typed metadata fields of a new collection
    not_text: frozenset[str] = frozenset()  # VARCHAR fields an attach never takes for the text (adapters' hints)
    # several vector fields (see core.vectors): when given, a new collection has exactly these; the first dense one
    # is the main field plain searches use, and each keeps its own index and search params
    vectors: tuple[VectorSpec, ...] = ()
    properties: Mapping[str, Any] | None = None  # collection properties set at creation (TTL, mmap...)
    # text_field names a new collection's text field but only is preferred on attach (the LlamaIndex peer's
    # `text_key` may name a dynamic key of a collection made elsewhere)
    text_field_preferred: bool = False

    def __post_init__(self) -> None:
        check_name(self.collection_name)
        if not isinstance(self.metric, str) or self.metric.upper() not in METRICS:
            raise ConfigError(f"metric {self.metric!r} is not one of {', '.join(METRICS)}")
        object.__setattr__(self, "metric", self.metric.upper())
        if self.dim is not None and (isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim <= 0):
            raise ConfigError(f"dim must be a positive int, got {self.dim!r}")
        if (
            isinstance(self.insert_batch_size, bool)
            or not isinstance(self.insert_batch_size, int)
            or (self.insert_batch_size <= 0)
        ):
            raise ConfigError(f"insert_batch_size (batch_size) must be a positive int, got {self.insert_batch_size!r}")
        if self.index_params is not None and not isinstance(self.index_params, Mapping):
            raise ConfigError("index_params must be a dict like {'index_type': 'HNSW', 'params': {...}}")
        if not self.dense and not self.full_text and not self.vectors:
            raise ConfigError("a store without dense vectors needs full-text search")
        self._check_vectors()
        self.settings  # noqa: B018 - validates the consistency level now

    def _check_vectors(self) -> None:
        specs = self.vectors
        if not specs:
            return
        if not isinstance(specs, tuple) or not all(isinstance(s, VectorSpec) for s in specs):
            raise ConfigError("vectors must be a tuple of VectorSpec")
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ConfigError(f"vector field names repeat: {names}")
        text = self.text_field or TEXT_FIELD
        if text in names:
            raise ConfigError(f"{text!r} is the text field and cannot also be a vector field")
        for spec in specs:
            if spec.bm25 is not None and spec.bm25.input_field != text:
                raise ConfigError(
                    f"the BM25 function filling {spec.name!r} reads {spec.bm25.input_field!r}, but the text field is "
                    f"{text!r}: set input_field_names={text!r} (or text_field={spec.bm25.input_field!r})"
                )

    def template(self, dense: bool | None = None) -> Layout:
        """The layout the first add creates (dimensions filled in from the data); `dense=False` for a first add
        without vectors into a full-text store."""
        scalars = dict(self.scalars)
        if self.partition_key_field and self.partition_key_field not in scalars:
            scalars[self.partition_key_field] = ScalarField(
                DataType.VARCHAR, max_length=MAX_VARCHAR, partition_key=True
            )
        if self.vectors:
            match = any(s.bm25 is not None and s.bm25.enable_match for s in self.vectors)
            layout = Layout(
                text=self.text_field or TEXT_FIELD,
                text_match=match,
                vectors=tuple(s.field for s in self.vectors),
                scalars=scalars,
            )
            if self.primary_field:
                layout = replace(layout, primary=self.primary_field)
            return replace(layout, primary_is_int=True, auto_id=True) if self.auto_id else layout
        layout = ours(
            self.dim,
            metric=self.metric,
            dense=self.dense if dense is None else dense,
            full_text=self.full_text,
            scalars=scalars,
        )
        if self.auto_id:
            layout = replace(layout, primary_is_int=True, auto_id=True)
        return layout

    @property
    def settings(self) -> CreateSettings:
        index = {"vector": dict(self.index_params)} if self.index_params else {}
        functions = {}
        if self.vectors:
            index = {s.name: dict(s.index_params) for s in self.vectors if s.index_params}
            functions = {s.name: s.bm25 for s in self.vectors if s.bm25 is not None}
        return CreateSettings(
            consistency_level=self.consistency_level,
            index_params=index,
            analyzer_params=self.analyzer_params,
            functions=functions,
            properties=dict(self.properties or {}),
        )

    @property
    def field_search_params(self) -> dict[str, Mapping[str, Any]]:
        """Each vector field's own search params (multi-vector stores)."""
        return {s.name: s.search_params for s in self.vectors if s.search_params is not None}

    @property
    def main_vector(self) -> str | None:
        """The main (first dense) vector field of a multi-vector store."""
        return next((s.name for s in self.vectors if s.kind is VectorKind.DENSE), None)

    @property
    def hints(self) -> Hints:
        return Hints(
            primary_field=self.primary_field,
            text_field=None if self.text_field_preferred else self.text_field,
            text_preferred=tuple(dict.fromkeys((*(n for n in [self.text_field] if n), *Hints().text_preferred))),
            vector_field=self.vector_field,
            # a new collection's main field is preferred on attach, not required: a collection made by another tool
            # keeps its own names
            vector_preferred=tuple(dict.fromkeys((*(n for n in [self.main_vector] if n), *Hints().vector_preferred))),
            metadata_field=self.metadata_field,
            not_text=self.not_text,
        )
