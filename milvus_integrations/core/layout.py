"""Which field plays which part in a collection (`Layout`), and detection of a layout from `describe_collection`.

Our own layout: string primary key ``pk``, ``text`` (VARCHAR), ``vector`` (FLOAT_VECTOR), metadata keys as top-level
dynamic fields (so ``{"year": ...}`` filters hit them directly), and, with full-text search on, a ``sparse`` BM25
output field. The primary key is ``pk`` (not ``id``) so that a metadata key ``id``, common in LangChain documents,
is stored as it is; it is also langchain-milvus' default layout. Other layouts (the peers', the seed client's
inferred schemas, plain pymilvus collections) are described by the same `Layout`: typed scalar fields, several
vector fields, a JSON metadata field, an INT64 or auto-generated primary key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from pymilvus import DataType

from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.filters import FieldCatalog, FieldKind, StaticField

ID_FIELD = "pk"
TEXT_FIELD = "text"
VECTOR_FIELD = "vector"
SPARSE_FIELD = "sparse"
BM25_FUNCTION = "text_bm25"
MAX_VARCHAR = 65535
METRICS = ("COSINE", "IP", "L2")
BINARY_METRICS = ("HAMMING", "JACCARD")

_DENSE_TYPES = (DataType.FLOAT_VECTOR, DataType.FLOAT16_VECTOR, DataType.BFLOAT16_VECTOR)
_INT_TYPES = (DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64)
SCALAR_TYPES = (DataType.BOOL, *_INT_TYPES, DataType.FLOAT, DataType.DOUBLE, DataType.VARCHAR)


class VectorKind(str, Enum):
    DENSE = "dense"  # float vectors from an embedding model
    BINARY = "binary"  # bytes
    SPARSE = "sparse"  # {index: weight} from a user's sparse embedding
    BM25 = "bm25"  # sparse output of Milvus' BM25 function over a text field


@dataclass(frozen=True)
class VectorField:
    name: str
    kind: VectorKind = VectorKind.DENSE
    dim: int | None = None
    metric: str = "COSINE"


@dataclass(frozen=True)
class ScalarField:
    """A typed (non-dynamic) field other than the primary key, text and vectors."""

    dtype: DataType
    nullable: bool = False
    element_type: DataType | None = None  # ARRAY fields
    max_length: int | None = None  # VARCHAR fields (and ARRAY of VARCHAR)
    max_capacity: int | None = None  # ARRAY fields
    partition_key: bool = False
    default: Any = None

    @property
    def kind(self) -> FieldKind:
        if self.dtype == DataType.JSON:
            return FieldKind.JSON
        if self.dtype == DataType.ARRAY:
            return FieldKind.ARRAY
        return FieldKind.SCALAR


@dataclass(frozen=True)
class Layout:
    """Which field plays which part in a collection."""

    primary: str = ID_FIELD
    primary_is_int: bool = False
    auto_id: bool = False
    primary_max_length: int = MAX_VARCHAR
    text: str | None = TEXT_FIELD
    text_max_length: int = MAX_VARCHAR
    text_match: bool = False  # the text field has enable_match (TEXT_MATCH filters work)
    vectors: tuple[VectorField, ...] = ()
    metadata_json: str | None = None  # a JSON field holding metadata (foreign layouts); None = dynamic keys
    dynamic: bool = True
    scalars: Mapping[str, ScalarField] = field(default_factory=dict)

    # -- roles -------------------------------------------------------------------------------------------
    @property
    def main(self) -> VectorField | None:
        """The vector field plain searches use: the first dense (or binary) one."""
        return next((v for v in self.vectors if v.kind in (VectorKind.DENSE, VectorKind.BINARY)), None)

    @property
    def vector(self) -> str | None:
        main = self.main
        return main.name if main is not None else None

    @property
    def dim(self) -> int | None:
        main = self.main
        return main.dim if main is not None else None

    @property
    def metric(self) -> str:
        main = self.main
        return main.metric if main is not None else "BM25"

    @property
    def sparse(self) -> str | None:
        """The BM25 output field, if any."""
        return next((v.name for v in self.vectors if v.kind is VectorKind.BM25), None)

    @property
    def partition_key(self) -> str | None:
        return next((n for n, s in self.scalars.items() if s.partition_key), None)

    def vector_field(self, name: str) -> VectorField:
        for v in self.vectors:
            if v.name == name:
                return v
        raise ConfigError(f"{name!r} is not a vector field of this collection; vector fields: {self.vector_names}")

    @property
    def vector_names(self) -> list[str]:
        return [v.name for v in self.vectors]

    @property
    def reserved(self) -> frozenset[str]:
        """Names a metadata key may not take: the fields that hold the id, the text and the vectors."""
        names = {self.primary, "$meta", *self.vector_names}
        if self.text:
            names.add(self.text)
        if self.metadata_json:
            names.add(self.metadata_json)
        return frozenset(names)

    def catalog(self, *, lite: bool) -> FieldCatalog:
        """What the filter compiler needs to know of this collection."""
        fields: dict[str, StaticField] = {n: StaticField(s.kind, s.nullable) for n, s in self.scalars.items()}
        fields[self.primary] = StaticField()
        if self.text:
            fields[self.text] = StaticField(FieldKind.TEXT if self.text_match else FieldKind.SCALAR)
        if self.metadata_json:
            fields[self.metadata_json] = StaticField(FieldKind.JSON)
        return FieldCatalog(fields, dynamic=self.dynamic, lite=lite)

    def same_rows(self, other: Layout) -> bool:
        """Whether rows are checked and built the same way for both layouts (dimensions included)."""
        return (
            self.primary,
            self.primary_is_int,
            self.auto_id,
            self.primary_max_length,
            self.text,
            self.text_max_length,
            self.vectors,
            self.metadata_json,
            self.dynamic,
            dict(self.scalars),
        ) == (
            other.primary,
            other.primary_is_int,
            other.auto_id,
            other.primary_max_length,
            other.text,
            other.text_max_length,
            other.vectors,
            other.metadata_json,
            other.dynamic,
            dict(other.scalars),
        )

    def with_dims(self, dims: Mapping[str, int]) -> Layout:
        """This layout with the given vector fields' dimensions (a template made before the data came)."""
        return replace(self, vectors=tuple(replace(v, dim=dims[v.name]) if v.name in dims else v for v in self.vectors))


def ours(
    dim: int | None,
    *,
    metric: str = "COSINE",
    dense: bool = True,
    full_text: bool = False,
    scalars: Mapping[str, ScalarField] | None = None,
) -> Layout:
    """Our own layout: ``pk`` / ``text`` / ``vector`` (+ ``sparse`` for BM25), metadata as dynamic keys."""
    vectors: list[VectorField] = []
    if dense:
        vectors.append(VectorField(VECTOR_FIELD, VectorKind.DENSE, dim, metric))
    if full_text:
        vectors.append(VectorField(SPARSE_FIELD, VectorKind.BM25, None, "BM25"))
    return Layout(vectors=tuple(vectors), text_match=full_text, scalars=dict(scalars or {}))


@dataclass(frozen=True)
class Hints:
    """How detection picks roles. Names given explicitly win; the preferences below decide between candidates."""

    primary_field: str | None = None
    text_field: str | None = None
    vector_field: str | None = None
    metadata_field: str | None = None
    want_text: bool = True  # the seed client has no text role: every VARCHAR is a scalar
    text_preferred: tuple[str, ...] = (TEXT_FIELD, "page_content", "content", "document", "chunk")
    not_text: frozenset[str] = frozenset()  # VARCHAR fields that are never the text (e.g. a peer's doc id)
    vector_preferred: tuple[str, ...] = (VECTOR_FIELD, "embedding", "float_vector")


def _type_name(dtype: Any) -> str:
    return getattr(dtype, "name", str(dtype))


def _vector_kind(f: Mapping[str, Any]) -> VectorKind | None:
    dtype = f["type"]
    if dtype in _DENSE_TYPES:
        return VectorKind.DENSE
    if dtype == DataType.BINARY_VECTOR:
        return VectorKind.BINARY
    if dtype == DataType.SPARSE_FLOAT_VECTOR:
        return VectorKind.BM25 if f.get("is_function_output") else VectorKind.SPARSE
    return None


def _pick(
    fields: Mapping[str, Any], role: str, override: str | None, candidates: Sequence[str], preferred: Sequence[str]
) -> str | None:
    if override is not None:
        if override not in fields:
            raise ConfigError(f"{role} field {override!r} is not in the collection; fields: {sorted(fields)}")
        return override
    for name in preferred:
        if name in candidates:
            return name
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return None
    raise ConfigError(
        f"cannot tell which field is the {role} field: candidates are {list(candidates)}; pass {role}_field=..."
    )


def detect_layout(
    description: Mapping[str, Any], metrics: Mapping[str, str] | None = None, hints: Hints | None = None
) -> Layout:
    """Read a layout back from `describe_collection` output; `metrics` maps vector fields to their index metric.

    When detection is ambiguous a `ConfigError` lists the candidates and names the keyword that settles it.
    """
    hints = hints or Hints()
    metrics = metrics or {}
    fields = {f["name"]: f for f in description.get("fields", [])}
    primary = _pick(fields, "primary", hints.primary_field, [n for n, f in fields.items() if f.get("is_primary")], ())
    if primary is None:
        raise ConfigError("the collection has no primary key field")
    kinds = {n: k for n, f in fields.items() if (k := _vector_kind(f)) is not None}
    if not kinds:
        raise ConfigError(f"the collection has no vector field; fields: {sorted(fields)}")
    dense = [n for n, k in kinds.items() if k in (VectorKind.DENSE, VectorKind.BINARY)]
    main = _pick(fields, "vector", hints.vector_field, dense, hints.vector_preferred)
    if main is not None and main not in kinds:
        raise ConfigError(f"vector field {main!r} is not a vector field; vector fields: {sorted(kinds)}")
    ordered = ([main] if main else []) + [n for n in kinds if n != main]
    vectors = []
    for name in ordered:
        kind = kinds[name]
        dim = (fields[name].get("params", {}) or {}).get("dim")
        default = "BM25" if kind is VectorKind.BM25 else "IP" if kind is VectorKind.SPARSE else "COSINE"
        if kind is VectorKind.BINARY:
            default = "HAMMING"
        vectors.append(VectorField(name, kind, int(dim) if dim is not None else None, metrics.get(name, default)))
    bm25_inputs = [
        name
        for fn in description.get("functions", []) or []
        if _type_name(fn.get("type")) == "BM25"
        for name in fn.get("input_field_names", [])
    ]
    text: str | None = None
    if hints.want_text:
        varchars = [
            n
            for n, f in fields.items()
            if f["type"] == DataType.VARCHAR and n != primary and n not in hints.not_text and not _partition_key(f)
        ]
        text = _pick(fields, "text", hints.text_field, varchars, (*bm25_inputs, *hints.text_preferred))
    metadata_json = hints.metadata_field
    if metadata_json is not None and metadata_json not in fields:
        raise ConfigError(f"metadata field {metadata_json!r} is not in the collection; fields: {sorted(fields)}")
    if metadata_json is None and hints.want_text and fields.get("metadata", {}).get("type") == DataType.JSON:
        metadata_json = "metadata"
    scalars: dict[str, ScalarField] = {}
    for name, f in fields.items():
        if name in {primary, text, metadata_json, *kinds}:
            continue
        if f["type"] in (*SCALAR_TYPES, DataType.JSON, DataType.ARRAY):
            params = f.get("params", {}) or {}
            scalars[name] = ScalarField(
                f["type"],
                nullable=bool(f.get("nullable", False)),
                element_type=f.get("element_type"),
                max_length=int(params["max_length"]) if "max_length" in params else None,
                max_capacity=int(params["max_capacity"]) if "max_capacity" in params else None,
                partition_key=_partition_key(f),
                default=f.get("default_value"),
            )
    text_params = (fields[text].get("params", {}) or {}) if text else {}
    pk_params = fields[primary].get("params", {}) or {}
    return Layout(
        primary=primary,
        primary_is_int=fields[primary]["type"] == DataType.INT64,
        auto_id=bool(description.get("auto_id", False) or fields[primary].get("auto_id", False)),
        primary_max_length=int(pk_params.get("max_length", MAX_VARCHAR)),
        text=text,
        text_max_length=int(text_params.get("max_length", MAX_VARCHAR)),
        text_match=str(text_params.get("enable_match", "")).lower() == "true",
        vectors=tuple(vectors),
        metadata_json=metadata_json,
        dynamic=bool(description.get("enable_dynamic_field", False)),
        scalars=scalars,
    )


def _partition_key(f: Mapping[str, Any]) -> bool:
    return bool(f.get("is_partition_key", False))
