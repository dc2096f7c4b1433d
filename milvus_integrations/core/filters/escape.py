"""The one escaper for values spliced into Milvus expressions.

Milvus' expression grammar takes double-quoted strings with C-style escapes. We escape the backslash and the
double quote, write newline, carriage return and tab as escapes (the grammar forbids them raw), and pass every other
character through as UTF-8 (Milvus Lite rejects ``\\uXXXX``). NUL is refused upstream by the IR.
"""

from __future__ import annotations

import math

from milvus_integrations.core.errors import FilterError

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote_string(value: str) -> str:
    """A Milvus string literal that denotes exactly `value`."""
    if "\x00" in value:
        raise FilterError("strings in filters may not contain a NUL character")
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def literal(value: str | int | float | bool) -> str:
    """A Milvus literal for a scalar value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FilterError(f"{value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return quote_string(value)
    raise FilterError(f"cannot use {type(value).__name__} as a filter value")


def like_escape(text: str) -> str:
    """Escape LIKE's own metacharacters so that `text` matches literally inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
