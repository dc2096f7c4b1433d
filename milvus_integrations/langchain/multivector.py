"""langchain-milvus' keywords for several vector fields, translated to core: `embedding_function` as a list (dense
`Embeddings` and user sparse embeddings), `builtin_function` (one BM25 function or a list), `vector_field` as a list,
`index_params` / `search_params` as a list (one per vector field), and the search keywords `ranker_type`,
`ranker_params`, `reranker`, `fetch_k`, `param` and `anns_field`. The fields are named as langchain-milvus names
them (`core.vectors.plan`), so each store reads the other's collections."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from milvus_integrations.core.errors import ConfigError
from milvus_integrations.core.filters import Expr
from milvus_integrations.core.functions import bm25_spec, is_sparse_embedding, sparse_encoder
from milvus_integrations.core.layout import VectorKind
from milvus_integrations.core.modes import HybridConfig, RetrievalMode
from milvus_integrations.core.records import Hit
from milvus_integrations.core.store import Store
from milvus_integrations.core.vectors import Encoder, Router, as_list, fusion, plan
from milvus_integrations.embeddings.base import Embedder
from milvus_integrations.embeddings.spec import resolve_embedder

VECTOR = "vector"


@dataclass(frozen=True)
class Vectors:
    """A store's vector fields from its keywords: a `router` (several fields, or a sparse / BM25-only one), or the
    plain case (`embedding` on one field, `router` None) with one-element lists unwrapped."""

    router: Router | None
    embedding: Any = None
    vector_field: str | None = None
    index_params: Mapping[str, Any] | None = None
    search_params: Mapping[str, Any] | None = None

    @property
    def main(self) -> Embedder | None:
        """The embedding of the main (first dense) field of a router: MMR and plain vector searches use it."""
        if self.router is None or self.router.main is None:
            return None
        encoder = self.router.encoders[self.router.main]
        return encoder if isinstance(encoder, Embedder) else None


def configure(
    embedding: Any,
    builtin_function: Any,
    vector_field: str | list[str] | None,
    index_params: Any,
    search_params: Any,
    metric: str,
    mode: RetrievalMode = RetrievalMode.DENSE,
) -> Vectors:
    """The vector fields the keywords describe (see `Vectors`)."""
    embeddings = as_list(embedding)
    functions = [bm25_spec(f) for f in as_list(builtin_function)]
    sparse = [is_sparse_embedding(e) for e in embeddings]
    if len(embeddings) <= 1 and not functions and not any(sparse) and len(as_list(vector_field)) <= 1:
        return Vectors(None, *single(embedding, vector_field, index_params, search_params))
    if mode is not RetrievalMode.DENSE:
        raise ConfigError("retrieval_mode is for one embedding; with several vector fields, every field is searched")
    encoders: list[tuple[VectorKind, Encoder]] = [
        (VectorKind.SPARSE, sparse_encoder(e)) if s else (VectorKind.DENSE, resolve_embedder(e))
        for e, s in zip(embeddings, sparse, strict=True)
    ]
    specs = plan(
        [kind for kind, _ in encoders],
        functions,
        vector_field,
        index_params=index_params,
        search_params=search_params,
        metric=metric,
    )
    return Vectors(Router(specs, {spec.name: enc for spec, (_, enc) in zip(specs, encoders, strict=False)}))


def single(embedding: Any, vector_field: Any, index_params: Any, search_params: Any) -> tuple[Any, Any, Any, Any]:
    """The plain case's keywords with one-element lists unwrapped (the peer accepts ``[embedding]`` and the like)."""
    out = []
    named = {"embedding": embedding, "vector_field": vector_field, "index_params": index_params}
    for name, value in {**named, "search_params": search_params}.items():
        if isinstance(value, list | tuple):
            if len(value) > 1:
                raise ConfigError(f"{name} has {len(value)} entries for one vector field")
            value = value[0] if value else None
        out.append(value)
    return out[0], out[1], out[2], out[3]


@dataclass
class SearchHow:
    """The per-call search keywords of langchain-milvus that concern vector fields and fusion."""

    ranker_type: str | None = None
    ranker_params: Mapping[str, Any] | None = None
    reranker: Any = None
    fetch_k: int | None = None
    param: Any = None
    anns_field: str | None = None

    @classmethod
    def pop(cls, kwargs: MutableMapping[str, Any]) -> SearchHow:
        return cls(**{name: kwargs.pop(name) for name in cls.__dataclass_fields__ if name in kwargs})

    @property
    def fused(self) -> bool:
        return self.ranker_type is not None or self.ranker_params is not None or self.reranker is not None

    def fields(self) -> list[str] | None:
        if self.anns_field is None:
            return None
        if not isinstance(self.anns_field, str):
            raise ConfigError(f"anns_field must be one vector field name, got {self.anns_field!r}")
        return [self.anns_field]

    def hybrid(self) -> HybridConfig | None:
        """For a store with one dense field in hybrid retrieval mode: the fusion asked for, if any."""
        if not self.fused:
            return None
        fuse = fusion(self.ranker_type, self.ranker_params, self.reranker, 2)
        if not isinstance(fuse, HybridConfig):
            raise ConfigError("reranker= needs a store with several vector fields; use ranker_type= here")
        return fuse

    def checked(self, method: str, *, several: bool, hybrid: bool) -> SearchHow:
        """Refuse what a store with one vector field cannot honour (fusion and fetch_k: only in hybrid mode)."""
        if several:
            return self
        if self.param is not None and not isinstance(self.param, Mapping):
            raise ConfigError(f"{method}(): param must be one search-params dict here, got {self.param!r}")
        names = ("anns_field",) if hybrid else ("anns_field", *_FUSION, "fetch_k")
        given = [n for n in names if getattr(self, n) is not None]
        if given:
            raise ConfigError(f"{method}(): {given[0]}= applies to stores with several vector fields")
        return self


_FUSION = ("ranker_type", "ranker_params", "reranker")


def routed(
    store: Store, router: Router, data: Mapping[str, Any], k: int, where: Expr | None, expr: str | None, how: SearchHow
) -> list[Hit]:
    """A search on one field (`anns_field`, or a store with one field) or on all of them, fused."""
    if len(data) == 1 and not how.fused:
        ((name, query),) = data.items()
        more = {"params": how.param} if how.param is not None else {}
        return store.search(query, k, field=name, filter=where, expr=expr, **more)
    parts = router.parts(data, param=how.param, fetch_k=how.fetch_k)
    fuse = fusion(how.ranker_type, how.ranker_params, how.reranker, len(parts))
    return store.fused(parts, k, fuse=fuse, filter=where, expr=expr)


def field_names(router: Router | None, main: str | None) -> list[str]:
    """langchain-milvus' `vector_fields`: the router's fields, or the one field of a plain store."""
    return router.fields if router is not None else [main or VECTOR]


def by_vector_field(router: Router | None, anns_field: Any) -> str | None:
    """The field a search by vector runs on: `anns_field`, else the main one."""
    if anns_field is not None and router is None:
        raise ConfigError("similarity_search_by_vector(): anns_field= applies to stores with several vector fields")
    if anns_field is not None and not isinstance(anns_field, str):
        raise ConfigError(f"anns_field must be one vector field name, got {anns_field!r}")
    if anns_field is not None or router is None:
        return anns_field
    return router.main or (router.fields[0] if len(router.fields) == 1 else None)
