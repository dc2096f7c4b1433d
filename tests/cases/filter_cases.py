"""The shared filter case table: the same rows and cases run through the core IR, LangChain dict filters and
LlamaIndex MetadataFilters, on real Milvus Lite (and compared with LlamaIndex's SimpleVectorStore).

Each case: a name, the IR, the Milvus expression the compiler must write, the LangChain dict form and the
LlamaIndex form where the framework can express it, and the ids of the rows that must match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from milvus_integrations.core.filters import Expr, ir

HOSTILE = [
    "it's",
    'say "hi"',
    "back\\slash",
    "50%",
    "a_b",
    'x") or 1==1 or ("',
    "new\nline",
    "tab\there",
    "emoji 😀",
    "ünïcödé",
    "%",
    "_",
]

ROWS: dict[str, dict[str, Any]] = {
    "r0": {"source": "a.txt", "year": 1999, "score": 0.5, "ok": True, "tags": ["x", "y"], "kind": "paper"},
    "r1": {"source": "b.txt", "year": 2005, "score": 1.5, "ok": False, "tags": ["y"], "kind": "paper"},
    "r2": {"source": "c.md", "year": 2010, "score": 2.5, "ok": True, "tags": [], "kind": "blog"},
    "r3": {"source": "d.md", "year": 2020, "kind": "blog", "nested": {"level": 3}},
    "r4": {"source": "", "year": 2024, "my key": 7, "and": "kw"},
    "r5": {"note": None},
}
for _i, _value in enumerate(HOSTILE):
    ROWS[f"h{_i}"] = {"text_value": _value, "year": 3000 + _i}

ALL = frozenset(ROWS)
HOSTILE_IDS = frozenset(f"h{i}" for i in range(len(HOSTILE)))


@dataclass(frozen=True)
class Case:
    name: str
    ir: Expr
    expr: str | None  # the expected Milvus expression (non-Lite catalog); None: not pinned
    expected: frozenset[str]
    mongo: dict[str, Any] | None = None  # LangChain dict form
    llama: list[tuple[str, str, Any]] | None = None  # [(key, operator, value)] ANDed; None: not expressible


def _hostile_eq(i: int, value: str) -> Case:
    return Case(
        f"eq hostile {i}",
        ir.eq("text_value", value),
        None,
        frozenset({f"h{i}"}),
        {"text_value": value},
        [("text_value", "==", value)],
    )


def _hostile_contains(i: int, value: str) -> Case:
    expected = frozenset(f"h{j}" for j, v in enumerate(HOSTILE) if value in v)
    return Case(
        f"substring hostile {i}",
        ir.contains_text("text_value", value),
        None,
        expected,
        None,
        [("text_value", "text_match", value)],
    )


CASES: list[Case] = [
    Case(
        "eq str",
        ir.eq("source", "a.txt"),
        '(source == "a.txt")',
        frozenset({"r0"}),
        {"source": "a.txt"},
        [("source", "==", "a.txt")],
    ),
    Case("eq int", ir.eq("year", 2010), "(year == 2010)", frozenset({"r2"}), {"year": 2010}, [("year", "==", 2010)]),
    Case("eq bool", ir.eq("ok", True), "(ok == true)", frozenset({"r0", "r2"}), {"ok": True}, None),
    Case(
        "ne str keeps missing",
        ir.ne("kind", "paper"),
        None,
        ALL - {"r0", "r1"},
        {"kind": {"$ne": "paper"}},
        [("kind", "!=", "paper")],
    ),
    Case(
        "gt",
        ir.compare("year", ">", 2010),
        "(year > 2010)",
        frozenset({"r3", "r4"}) | HOSTILE_IDS,
        {"year": {"$gt": 2010}},
        [("year", ">", 2010)],
    ),
    Case(
        "gte lte range",
        ir.and_(ir.compare("year", ">=", 2005), ir.compare("year", "<=", 2020)),
        None,
        frozenset({"r1", "r2", "r3"}),
        {"year": {"$gte": 2005, "$lte": 2020}},
        [("year", ">=", 2005), ("year", "<=", 2020)],
    ),
    Case(
        "lt float",
        ir.compare("score", "<", 2.0),
        "(score < 2.0)",
        frozenset({"r0", "r1"}),
        {"score": {"$lt": 2.0}},
        [("score", "<", 2.0)],
    ),
    Case(
        "in",
        ir.in_("source", ["a.txt", "c.md", "zzz"]),
        '(source in ["a.txt", "c.md", "zzz"])',
        frozenset({"r0", "r2"}),
        {"source": {"$in": ["a.txt", "c.md", "zzz"]}},
        [("source", "in", ["a.txt", "c.md", "zzz"])],
    ),
    Case("in empty", ir.in_("source", []), "(source in [])", frozenset(), {"source": {"$in": []}}, None),
    Case(
        "not in keeps missing",
        ir.not_in("kind", ["paper"]),
        None,
        ALL - {"r0", "r1"},
        {"kind": {"$nin": ["paper"]}},
        [("kind", "nin", ["paper"])],
    ),
    Case(
        "array any",
        ir.array_contains("tags", ["y", "q"]),
        'json_contains_any(tags, ["y", "q"])',
        frozenset({"r0", "r1"}),
        None,
        [("tags", "any", ["y", "q"])],
    ),
    Case(
        "array all",
        ir.array_contains("tags", ["x", "y"], ir.ArrayMode.ALL),
        'json_contains_all(tags, ["x", "y"])',
        frozenset({"r0"}),
        {"tags": {"$contains": ["x", "y"]}},
        [("tags", "all", ["x", "y"])],
    ),
    Case(
        "array contains one",
        ir.array_contains("tags", ["x"]),
        'json_contains(tags, "x")',
        frozenset({"r0"}),
        {"tags": {"$contains": "x"}},
        [("tags", "contains", "x")],
    ),
    Case("array length 1", ir.array_length("tags", 1), None, frozenset({"r1"}), None, None),
    Case(
        "array length 0",
        ir.array_length("tags", 0),
        "((exists tags) and (array_length(tags) == 0))",
        frozenset({"r2"}),
        None,
        None,
    ),
    Case(
        "exists", ir.exists("tags"), "(exists tags)", frozenset({"r0", "r1", "r2"}), {"tags": {"$exists": True}}, None
    ),
    Case(
        "not exists",
        ir.not_(ir.exists("kind")),
        "(not (exists kind))",
        ALL - {"r0", "r1", "r2", "r3"},
        {"kind": {"$exists": False}},
        None,
    ),
    Case("is empty", ir.is_empty("tags"), None, ALL - {"r0", "r1"}, None, [("tags", "is_empty", None)]),
    Case(
        "is empty string",
        ir.is_empty("source"),
        None,
        ALL - {"r0", "r1", "r2", "r3"},
        None,
        [("source", "is_empty", None)],
    ),
    Case(
        "prefix like",
        ir.like("source", "a%"),
        '(source like "a%")',
        frozenset({"r0"}),
        {"source": {"$like": "a%"}},
        None,
    ),
    Case(
        "suffix substring",
        ir.contains_text("source", ".md"),
        '(source like "%.md%")',
        frozenset({"r2", "r3"}),
        None,
        [("source", "text_match", ".md")],
    ),
    Case("nested key", ir.eq(("nested", "level"), 3), '(nested["level"] == 3)', frozenset({"r3"}), None, None),
    Case(
        "non-identifier key",
        ir.eq("my key", 7),
        '($meta["my key"] == 7)',
        frozenset({"r4"}),
        {"my key": 7},
        [("my key", "==", 7)],
    ),
    Case(
        "keyword key",
        ir.eq("and", "kw"),
        '($meta["and"] == "kw")',
        frozenset({"r4"}),
        {"and": "kw"},
        [("and", "==", "kw")],
    ),
    Case(
        "or",
        ir.or_(ir.eq("source", "a.txt"), ir.compare("year", ">=", 2024)),
        None,
        frozenset({"r0", "r4"}) | HOSTILE_IDS,
        {"$or": [{"source": "a.txt"}, {"year": {"$gte": 2024}}]},
        None,
    ),
    Case(
        "not over missing", ir.not_(ir.eq("kind", "paper")), None, ALL - {"r0", "r1"}, {"$not": {"kind": "paper"}}, None
    ),
    Case(
        "not of and",
        ir.not_(ir.and_(ir.eq("kind", "blog"), ir.compare("year", ">", 2015))),
        None,
        ALL - {"r3"},
        {"$not": {"kind": "blog", "year": {"$gt": 2015}}},
        None,
    ),
    Case(
        "injection as a value",
        ir.eq("source", 'a.txt") or (1 == 1'),
        None,
        frozenset(),
        {"source": 'a.txt") or (1 == 1'},
        [("source", "==", 'a.txt") or (1 == 1')],
    ),
    *[_hostile_eq(i, v) for i, v in enumerate(HOSTILE)],
    *[_hostile_contains(i, v) for i, v in enumerate(HOSTILE)],
]


def python_oracle(metadata: dict[str, Any], key: str, op: str, value: Any) -> bool:
    """What LlamaIndex's SimpleVectorStore decides for one filter (used to double-check `expected`)."""
    present = metadata.get(key)
    if op == "is_empty":
        return present is None or present == "" or present == []
    if present is None:
        return op in ("!=", "nin")
    checks = {
        "==": lambda: present == value,
        "!=": lambda: present != value,
        ">": lambda: present > value,
        ">=": lambda: present >= value,
        "<": lambda: present < value,
        "<=": lambda: present <= value,
        "in": lambda: present in value,
        "nin": lambda: present not in value,
        "any": lambda: any(v in present for v in value),
        "all": lambda: all(v in present for v in value),
        "contains": lambda: value in present,
        "text_match": lambda: isinstance(present, str) and value in present,
    }
    try:
        return bool(checks[op]())
    except TypeError:
        return False
