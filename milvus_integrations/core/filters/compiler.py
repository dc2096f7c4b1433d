"""Compile the filter IR into a Milvus boolean expression: the only code that writes expression strings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from milvus_integrations.core.errors import FilterError
from milvus_integrations.core.filters.escape import like_escape, literal, quote_string
from milvus_integrations.core.filters.ir import (
    And,
    ArrayContains,
    ArrayLength,
    ArrayMode,
    Compare,
    Exists,
    Expr,
    FieldPath,
    In,
    IsEmpty,
    Like,
    LikePart,
    Not,
    Or,
    TextMatch,
    Wildcard,
)

# A contradiction and a tautology that every Milvus version parses.
_FALSE = "(1 == 0)"  # noqa: Q000
_TRUE = "(1 == 1)"  # noqa: Q000


class FieldKind(str, Enum):
    SCALAR = "scalar"  # INT*, FLOAT, DOUBLE, BOOL, VARCHAR
    TEXT = "text"  # VARCHAR with enable_match (TEXT_MATCH works on it)
    JSON = "json"
    ARRAY = "array"


@dataclass(frozen=True)
class StaticField:
    kind: FieldKind = FieldKind.SCALAR
    nullable: bool = False


@dataclass(frozen=True)
class FieldCatalog:
    """What the compiler knows of a collection: its scalar fields, and whether other keys live in the dynamic field."""

    fields: Mapping[str, StaticField] = field(default_factory=dict)
    dynamic: bool = True
    # Milvus Lite evaluates some LIKE patterns through pyarrow's substring fast path, which takes the needle
    # verbatim (it does not undo the backslash escape); set for Lite so that such needles are written raw.
    lite: bool = False

    @classmethod
    def of(cls, fields: Iterable[str] = (), *, dynamic: bool = True, lite: bool = False) -> FieldCatalog:
        return cls({name: StaticField() for name in fields}, dynamic=dynamic, lite=lite)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "like", "is", "null", "exists", "true", "false", "iso", "interval", "text_match"}
)


def is_identifier(name: str) -> bool:
    """Whether `name` can stand bare in an expression (Milvus then resolves it, also as a dynamic key)."""
    return bool(_IDENTIFIER.fullmatch(name)) and name.lower() not in _KEYWORDS and not name.startswith("$")


def _dynamic_ref(path: FieldPath) -> str:
    head = path[0] if is_identifier(path[0]) else f"$meta[{quote_string(path[0])}]"
    return head + "".join(f"[{quote_string(p)}]" for p in path[1:])


class _Compiler:
    def __init__(self, catalog: FieldCatalog, *, plain_like: bool = False) -> None:
        self.catalog = catalog
        # Milvus Lite evaluates an expression holding an array/JSON-contains, a nested JSON path or TEXT_MATCH in
        # its Python backend, whose LIKE has no escapes: `%` and `_` are always wildcards, `\` is literal.
        self.plain_like = plain_like

    # -- fields ------------------------------------------------------------------------------------------
    def ref(self, path: FieldPath) -> tuple[str, StaticField | None]:
        """The expression for `path`, and its static field (None for dynamic keys)."""
        head, rest = path[0], path[1:]
        static = self.catalog.fields.get(head)
        if static is not None:
            if rest:
                if static.kind is not FieldKind.JSON:
                    raise FilterError(f"field {head!r} is not a JSON field; it has no key {rest[0]!r}")
                return head + "".join(f"[{quote_string(p)}]" for p in rest), static
            return head, static
        if not self.catalog.dynamic:
            known = ", ".join(sorted(self.catalog.fields)) or "none"
            raise FilterError(f"unknown field {head!r}; the collection's filterable fields are: {known}")
        return _dynamic_ref(path), None

    @staticmethod
    def may_be_missing(path: FieldPath, static: StaticField | None) -> bool:
        return static is None or static.nullable or len(path) > 1

    def present(self, path: FieldPath, ref: str, static: StaticField | None) -> str:
        if static is not None and len(path) == 1:
            return f"({ref} is not null)" if static.nullable else _TRUE
        return f"(exists {ref})"

    # -- nodes -------------------------------------------------------------------------------------------
    def compile(self, node: Expr, negated: bool) -> str:
        if isinstance(node, And | Or):
            if not node.operands:
                return _TRUE if isinstance(node, And) else _FALSE
            joiner = " and " if isinstance(node, And) else " or "
            return "(" + joiner.join(self.compile(op, negated) for op in node.operands) + ")"
        if isinstance(node, Not):
            return f"(not {self.compile(node.operand, True)})"
        if isinstance(node, Exists):
            ref, static = self.ref(node.field)
            return self.present(node.field, ref, static)
        if isinstance(node, IsEmpty):
            return self.is_empty(node)
        atom_path = node.field
        ref, static = self.ref(atom_path)
        atom = self.atom(node, ref, static)
        if negated and self.may_be_missing(atom_path, static):
            # Under a negation a missing key must read as false, not null, so that `not` complements it.
            return f"({self.present(atom_path, ref, static)} and {atom})"
        return atom

    def atom(self, node: Expr, ref: str, static: StaticField | None) -> str:
        if isinstance(node, Compare):
            return f"({ref} {node.op.value} {literal(node.value)})"
        if isinstance(node, In):
            if not node.values:  # a field-based contradiction: Milvus 2.3 cannot evaluate a constant `false`
                return f"({ref} in [])" if not ref.startswith("$meta") else f"(({ref} == 0) and ({ref} != 0))"
            if ref.startswith("$meta"):  # `in` needs a field reference on the left: spell it out
                return "(" + " or ".join(f"({ref} == {literal(v)})" for v in node.values) + ")"
            return f"({ref} in [{', '.join(literal(v) for v in node.values)}])"
        if isinstance(node, Like):
            return self.like(ref, node.parts)
        if isinstance(node, ArrayContains):
            if ref.startswith("$meta"):
                raise FilterError(f"array filters need a key that is a plain identifier; {node.field[0]!r} is not one")
            family = "array" if static is not None and static.kind is FieldKind.ARRAY else "json"
            if len(node.values) == 1:
                return f"{family}_contains({ref}, {literal(node.values[0])})"
            fn = f"{family}_contains_{'any' if node.mode is ArrayMode.ANY else 'all'}"
            return f"{fn}({ref}, [{', '.join(literal(v) for v in node.values)}])"
        if isinstance(node, ArrayLength):
            if ref.startswith("$meta"):
                raise FilterError(f"array filters need a key that is a plain identifier; {node.field[0]!r} is not one")
            length = f"(array_length({ref}) == {node.length})"
            # Milvus' array_length of a missing key is 0: a missing key must not match, as for every comparison
            return length if static is not None and not static.nullable else f"((exists {ref}) and {length})"
        if isinstance(node, TextMatch):
            if static is None or static.kind is not FieldKind.TEXT:
                raise FilterError(f"text match needs a VARCHAR field with enable_match; {node.field[0]!r} is not one")
            return f"TEXT_MATCH({ref}, {quote_string(node.query)})"
        raise FilterError(f"unsupported filter node {type(node).__name__}")  # exhaustive: every IR node above

    def like(self, ref: str, parts: tuple[LikePart, ...]) -> str:
        literals = [p for p in parts if isinstance(p, str)]
        if not any(isinstance(p, Wildcard) for p in parts):
            return f"({ref} == {quote_string(''.join(literals))})"
        if self.plain_like:
            if any(ch in lit for lit in literals for ch in "%_"):
                raise FilterError(
                    "Milvus Lite cannot match a literal % or _ in a LIKE/substring filter in the same query as an "
                    "array-contains, nested-key or text-match filter; split the query or drop one condition"
                )
            pattern = "".join(p if isinstance(p, str) else p.value for p in parts)
        elif self.catalog.lite and self._lite_fast_path(parts):
            pattern = "".join(p if isinstance(p, str) else p.value for p in parts)
        else:
            pattern = "".join(like_escape(p) if isinstance(p, str) else p.value for p in parts)
        return f"({ref} like {quote_string(pattern)})"

    @staticmethod
    def _lite_fast_path(parts: tuple[LikePart, ...]) -> bool:
        """Whether pyarrow's match_like would treat the pattern as a plain prefix/suffix/substring test.

        That path applies when the only wildcards are leading/trailing `%` runs and the literal has no `%`/`_`
        (and, for prefix and substring, does not end with a backslash). It takes the literal verbatim.
        """
        lits = [p for p in parts if isinstance(p, str)]
        if len(lits) != 1 or any(ch in lits[0] for ch in "%_") or "\\" not in lits[0]:
            return False
        i = parts.index(lits[0])
        before, after = parts[:i], parts[i + 1 :]
        if any(p is not Wildcard.ANY for p in before + after):
            return False
        if after and lits[0].endswith("\\"):
            return False
        return bool(before or after)

    def is_empty(self, node: IsEmpty) -> str:
        ref, static = self.ref(node.field)
        if static is not None and len(node.field) == 1:
            if static.kind is FieldKind.ARRAY:
                null = f"({ref} is null) or " if static.nullable else ""
                return f"({null}(array_length({ref}) == 0))"
            if static.kind in (FieldKind.SCALAR, FieldKind.TEXT):
                null = f"({ref} is null) or " if static.nullable else ""
                return f'({null}({ref} == ""))'
        # `json_contains_all(f, [])` holds only for lists; Milvus Lite's array_length is 0 for non-lists too.
        length = (
            f" or (json_contains_all({ref}, []) and (array_length({ref}) == 0))" if not ref.startswith("$meta") else ""
        )
        return f'((not (exists {ref})) or ({ref} == ""){length})'


def compile_filter(node: Expr | None, catalog: FieldCatalog) -> str:
    """The Milvus boolean expression for `node` ("" for no filter)."""
    if node is None:
        return ""
    return _Compiler(catalog, plain_like=catalog.lite and _lite_python_backend(node)).compile(node, False)


def _lite_python_backend(node: Expr) -> bool:
    """Whether Milvus Lite will evaluate `node` in its Python backend (see `_Compiler.plain_like`)."""
    if isinstance(node, And | Or):
        return any(_lite_python_backend(op) for op in node.operands)
    if isinstance(node, Not):
        return _lite_python_backend(node.operand)
    if isinstance(node, ArrayContains | ArrayLength | TextMatch):
        return True
    return len(node.field) > 1


def combine(*exprs: str) -> str:
    """AND together already-compiled expressions, skipping empty ones."""
    parts = [e for e in exprs if e]
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else " and ".join(f"({e})" for e in parts)
