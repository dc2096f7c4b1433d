"""One filter IR, one compiler to Milvus expressions, one escaper."""

from milvus_integrations.core.filters import ir
from milvus_integrations.core.filters.compiler import FieldCatalog, FieldKind, StaticField, combine, compile_filter
from milvus_integrations.core.filters.escape import literal, quote_string
from milvus_integrations.core.filters.ir import Expr

__all__ = [
    "Expr",
    "FieldCatalog",
    "FieldKind",
    "StaticField",
    "combine",
    "compile_filter",
    "ir",
    "literal",
    "quote_string",
]
