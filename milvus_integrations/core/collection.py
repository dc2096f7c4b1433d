"""One named collection on one connection: its layout (resolved on first use), attach, create, load, drop and
partitions. Shared by the stores and the seed client; it holds no row logic."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymilvus import DataType, Function, FunctionType

from milvus_integrations.core.connection import ConnectionConfig, redact_text, redact_uri, runs_lite_engine
from milvus_integrations.core.errors import CollectionNotFoundError, ConfigError, MilvusIntegrationError
from milvus_integrations.core.failures import translate
from milvus_integrations.core.functions import BM25Spec
from milvus_integrations.core.layout import BM25_FUNCTION, Hints, Layout, VectorField, VectorKind, detect_layout

CONSISTENCY_LEVELS = ("Strong", "Session", "Bounded", "Eventually")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
DEFAULT_HNSW = {"M": 16, "efConstruction": 200}


def check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(
            f"collection_name {name!r} is invalid: use letters, digits and underscores, "
            "starting with a letter or underscore (at most 255 characters)"
        )
    return name


@dataclass(frozen=True)
class CreateSettings:
    """How a new collection is made, beyond its layout."""

    consistency_level: str = "Session"
    index_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # vector field -> index params
    analyzer_params: Mapping[str, Any] | None = None
    num_shards: int | None = None
    description: str = ""
    properties: Mapping[str, Any] | None = None
    partitions: Sequence[str] = ()
    replica_number: int | None = None
    functions: Mapping[str, BM25Spec] = field(default_factory=dict)  # BM25 output field -> its function

    def __post_init__(self) -> None:
        if self.consistency_level not in CONSISTENCY_LEVELS:
            raise ConfigError(
                f"consistency_level {self.consistency_level!r} is not one of {', '.join(CONSISTENCY_LEVELS)}"
            )
        for name, params in self.index_params.items():
            if not isinstance(params, Mapping):
                raise ConfigError(
                    f"index params for {name!r} must be a dict like {{'index_type': 'HNSW', 'params': {{}}}}"
                )


def lite_index(vector: VectorField, params: Mapping[str, Any]) -> dict[str, Any]:
    """Index params Milvus Lite accepts: a sparse field takes only SPARSE_INVERTED_INDEX (metric BM25 for a BM25
    function's output, IP for a user sparse field) and no drop ratio; other fields keep what was asked."""
    out = dict(params)
    if vector.kind in (VectorKind.BM25, VectorKind.SPARSE):
        out["index_type"] = "SPARSE_INVERTED_INDEX"
        out["metric_type"] = "BM25" if vector.kind is VectorKind.BM25 else "IP"
        kept = {k: v for k, v in dict(out.get("params") or {}).items() if k not in ("drop_ratio_build",)}
        out["params"] = kept
    return out


def default_index(vector: VectorField) -> dict[str, Any]:
    if vector.kind is VectorKind.BM25:
        return {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "BM25"}
    if vector.kind is VectorKind.SPARSE:
        return {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": vector.metric}
    if vector.kind is VectorKind.BINARY:
        return {"index_type": "BIN_FLAT", "metric_type": vector.metric, "params": {}}
    return {"index_type": "HNSW", "metric_type": vector.metric, "params": dict(DEFAULT_HNSW)}


class Collection:
    """The collection `name` at `connection`. Nothing is asked of Milvus until the layout is first needed."""

    def __init__(
        self,
        connection: ConnectionConfig,
        name: str,
        *,
        hints: Hints | None = None,
        settings: CreateSettings | None = None,
        drop_old: bool = False,
        expected_dim: int | None = None,
    ) -> None:
        self.connection = connection
        self.name = check_name(name)
        self.hints = hints or Hints()
        self.settings = settings or CreateSettings()
        self.drop_old = drop_old
        self.expected_dim = expected_dim
        self.client = connection.connect()
        self.lock = threading.RLock()
        self._layout: Layout | None = None
        self._resolved = False
        self._lite: bool | None = None
        self.last_dim: int | None = expected_dim

    def __repr__(self) -> str:
        return f"Collection({self.name!r}, connection={self.connection!r})"

    @property
    def lite_engine(self) -> bool:
        """Milvus Lite behind this collection, embedded or over TCP (asked once, on first use)."""
        if self._lite is None:
            self._lite = runs_lite_engine(self.connection, self.client)
        return self._lite

    def fail(self, action: str, exc: Exception) -> MilvusIntegrationError:
        """The error for a failed Milvus call (see `core.failures`), without secrets."""
        where = f"{redact_uri(self.connection.uri)} (collection {self.name!r})"
        return translate(exc, action=action, where=where, redact=self._redact)

    def _redact(self, text: str) -> str:
        return redact_text(text, self.connection.secrets())

    # -- layout ------------------------------------------------------------------------------------------
    def layout(self) -> Layout | None:
        """The collection's layout, or None while it does not exist (first use: drop_old, then attach)."""
        if self._resolved:
            return self._layout
        with self.lock:
            if not self._resolved:
                try:
                    exists = self.client.has_collection(self.name)
                    if exists and self.drop_old:
                        self.client.drop_collection(self.name)
                        exists = False
                except Exception as exc:
                    raise self.fail("open", exc) from None
                self._layout = self._attach() if exists else None
                self._resolved = True
            return self._layout

    def require(self) -> Layout:
        layout = self.layout()
        if layout is None:
            raise CollectionNotFoundError(f"collection {self.name!r} does not exist yet; add data first")
        return layout

    def refresh(self) -> Layout | None:
        """Forget the resolved layout (the collection was changed behind our back) and resolve it again."""
        with self.lock:
            self._resolved, self._layout = False, None
            self.drop_old = False
        return self.layout()

    def _attach(self, *, wait: bool = True) -> Layout:
        try:
            desc = self.client.describe_collection(self.name)
            metrics: dict[str, str] = {}
            for index_name in self.client.list_indexes(self.name):
                info = self.client.describe_index(self.name, index_name)
                if info.get("metric_type") and info.get("field_name"):
                    metrics[str(info["field_name"])] = str(info["metric_type"]).upper()
        except Exception as exc:
            raise self.fail("describe", exc) from None
        layout = detect_layout(desc, metrics, self.hints)
        if self.expected_dim is not None and layout.dim is not None and self.expected_dim != layout.dim:
            raise ConfigError(
                f"collection {self.name!r} stores {layout.dim}-d vectors but dim={self.expected_dim} was given"
            )
        self.load(wait=wait)
        self.last_dim = layout.dim
        return layout

    def load(self, *, wait: bool = True) -> None:
        """Load the collection; `wait=False` asks a server to load without waiting (a new, empty collection: writes
        go on meanwhile, and a read waits for it: see `core.failures.Guarded`)."""
        try:
            state = getattr(self.client.get_load_state(self.name).get("state"), "name", "")
            if state == "Loading" and not wait:
                return
            if state != "Loaded":
                kwargs: dict[str, Any] = (
                    {"replica_number": self.settings.replica_number} if self.settings.replica_number else {}
                )
                if not wait and not self.lite_engine:
                    kwargs["_async"] = True  # measured on 2.3.5: ~1.9 s of a new collection's first add
                self.client.load_collection(self.name, **kwargs)
        except Exception as exc:
            raise self.fail("load", exc) from None

    def ensure(self, target: Layout) -> Layout:
        """The collection's layout, creating the collection as `target` first if it does not exist."""
        layout = self.layout()
        if layout is not None:
            return layout
        with self.lock:
            if self._layout is None:
                try:
                    self._create(target)
                except Exception as exc:
                    self._drop_quietly()
                    raise self.fail("create the collection", exc) from None
                self._layout = self._attach(wait=False)
            return self._layout

    def _create(self, layout: Layout) -> None:
        settings = self.settings
        client = self.client
        schema = client.create_schema(auto_id=layout.auto_id, enable_dynamic_field=layout.dynamic)
        if layout.primary_is_int:
            schema.add_field(layout.primary, DataType.INT64, is_primary=True, auto_id=layout.auto_id)
        else:
            schema.add_field(layout.primary, DataType.VARCHAR, is_primary=True, max_length=layout.primary_max_length)
        bm25 = [v for v in layout.vectors if v.kind is VectorKind.BM25]
        if layout.text:
            text_kwargs: dict[str, Any] = {"max_length": layout.text_max_length}
            if bm25:
                text_kwargs["enable_analyzer"] = True
                if settings.analyzer_params:
                    text_kwargs["analyzer_params"] = dict(settings.analyzer_params)
                for function in (settings.functions.get(v.name) for v in reversed(bm25)):
                    if function is not None:  # the first function's analyzer wins
                        match = text_kwargs.get("enable_match", False) or function.enable_match
                        text_kwargs.update(function.field_kwargs(), enable_match=match)
            if layout.text_match:
                text_kwargs.update(enable_analyzer=True, enable_match=True)
            schema.add_field(layout.text, DataType.VARCHAR, **text_kwargs)
        elif bm25:
            raise ConfigError("full-text search needs a text field")
        for vector in layout.vectors:
            if vector.kind is VectorKind.DENSE:
                if not vector.dim:
                    raise ConfigError(f"vector field {vector.name!r} needs a dimension")
                schema.add_field(vector.name, DataType.FLOAT_VECTOR, dim=vector.dim)
            elif vector.kind is VectorKind.BINARY:
                schema.add_field(vector.name, DataType.BINARY_VECTOR, dim=vector.dim)
            else:
                schema.add_field(vector.name, DataType.SPARSE_FLOAT_VECTOR)
        for name, spec in layout.scalars.items():
            kwargs: dict[str, Any] = {}
            if spec.dtype == DataType.VARCHAR or spec.element_type == DataType.VARCHAR:
                kwargs["max_length"] = spec.max_length or 65535
            if spec.dtype == DataType.ARRAY:
                kwargs["element_type"] = spec.element_type
                kwargs["max_capacity"] = spec.max_capacity or 4096
            if spec.nullable:
                kwargs["nullable"] = True
            if spec.default is not None:
                kwargs["default_value"] = spec.default
            if spec.partition_key:
                kwargs["is_partition_key"] = True
            schema.add_field(name, spec.dtype, **kwargs)
        if layout.metadata_json:
            schema.add_field(layout.metadata_json, DataType.JSON)
        for i, vector in enumerate(bm25):
            assert layout.text is not None
            given = settings.functions.get(vector.name)
            if given is not None and given.input_field != layout.text:
                raise ConfigError(
                    f"the BM25 function filling {vector.name!r} reads {given.input_field!r}, but the text field is "
                    f"{layout.text!r}: set input_field_names={layout.text!r} (or text_field={given.input_field!r})"
                )
            schema.add_function(
                given.function()
                if given is not None
                else Function(
                    name=BM25_FUNCTION if i == 0 else f"{BM25_FUNCTION}_{vector.name}",
                    function_type=FunctionType.BM25,
                    input_field_names=[layout.text],
                    output_field_names=[vector.name],
                )
            )
        index = client.prepare_index_params()
        for vector in layout.vectors:
            params = dict(default_index(vector))
            user = settings.index_params.get(vector.name, {})
            if user.get("index_type", params["index_type"]) != params["index_type"]:
                params.pop("params", None)  # another index type: its own params, not HNSW's
            params.update(user)
            if self.lite_engine:
                params = lite_index(vector, params)
            index.add_index(
                vector.name,
                index_type=params.get("index_type", "AUTOINDEX"),
                metric_type=params.get("metric_type", vector.metric),
                params=dict(params.get("params", {})),
            )
        extra: dict[str, Any] = {}
        if settings.num_shards is not None:
            extra["num_shards"] = settings.num_shards
        if settings.description:
            extra["description"] = settings.description
        if settings.properties:
            extra["properties"] = dict(settings.properties)
        client.create_collection(self.name, schema=schema, consistency_level=settings.consistency_level, **extra)
        # Created apart, without waiting: pymilvus' combined call polls the (empty) index build for 0.5 s.
        client.create_index(self.name, index, sync=False)
        for partition in settings.partitions:
            if not client.has_partition(self.name, partition):
                client.create_partition(self.name, partition)
        self.load(wait=False)

    def _drop_quietly(self) -> None:
        try:
            if self.client.has_collection(self.name):
                self.client.drop_collection(self.name)
        except Exception:  # noqa: S110 - reporting the creation error matters more
            pass

    # -- lifecycle ---------------------------------------------------------------------------------------
    def drop(self) -> None:
        """Drop the collection; the next write creates it again (with the same settings)."""
        with self.lock:
            try:
                if self.client.has_collection(self.name):
                    self.client.drop_collection(self.name)
            except Exception as exc:
                raise self.fail("drop", exc) from None
            if self._layout is not None:
                self.last_dim = self._layout.dim
            self._layout = None
            self._resolved = True

    def partitions(self) -> list[str]:
        return list(self.client.list_partitions(self.name)) if self.layout() is not None else []

    def close(self) -> None:
        self.client.close()
