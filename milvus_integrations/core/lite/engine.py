"""Bulk writes and dense searches straight into an embedded Milvus Lite engine, skipping the protobuf round trip
inside one process. The only module that touches milvus-lite's private internals.

For a ``.db`` uri, pymilvus asks `milvus_lite.server_manager_instance` to start Milvus Lite *in this process*: a
gRPC server on a loopback port in front of a `milvus_lite.MilvusLite` engine. Every insert then packs rows into
protobuf columns (pymilvus), sends them to ourselves over loopback, and unpacks them back into rows (Lite) --
all under the one GIL. Measured on 2 cores (5k x 384-d documents through the LangChain adapter): ~7,000-7,700
adds/s that way, ~13,200/s through the engine's own `Collection.insert`; a settled top-10 search took ~4.3-4.9 ms
through pymilvus and ~3.0 ms through `Collection.search`. So for a collection in our own layout on an embedded
Lite file, adds and dense searches call the engine's public `Collection.insert` and `Collection.search` -- the very
object the gRPC server serves, with the arguments its servicer would pass, so writes either way are seen by reads
either way at once -- and everything else stays on pymilvus.

Reaching that object needs the server manager's registry of running engines, which milvus-lite does not publish.
So: the route is used only with the milvus-lite releases it was verified with (`VERIFIED`), every assumption is
checked and any failure answers None (use pymilvus), and the first time the route is unavailable for a reason
other than the user's switch, one warning is logged. ``MILVUS_INTEGRATIONS_LITE_DIRECT=0`` turns it off.
``tests/integration/test_embedded_engine.py`` asserts the route is taken with the pinned milvus-lite, so a release
that moves the registry fails a test instead of silently slowing down.
"""

from __future__ import annotations

import functools
import logging
import os
from importlib import metadata
from typing import Any

logger = logging.getLogger("milvus_integrations")

DEFAULT_DATABASE = "default"
# milvus-lite releases whose private registry (`server_manager_instance._servers`: abs path -> (server, db, port))
# and `Collection.insert` / `Collection.search` signatures this route was verified with: [low, high).
VERIFIED = ((3, 2), (3, 3))
_warned: set[str] = set()


def _warn_once(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        logger.warning("Milvus Lite's in-process fast route is unavailable (%s); using pymilvus (slower)", reason)


def _release() -> tuple[int, ...] | None:
    try:
        text = metadata.version("milvus-lite")
    except metadata.PackageNotFoundError:
        return None
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def unavailable_reason() -> str | None:
    """Why the route cannot be used in this process at all (None: it can)."""
    if os.environ.get("MILVUS_INTEGRATIONS_LITE_DIRECT", "1") == "0":
        return "off"
    release = _release()
    if release is None:
        return "milvus-lite is not installed"
    low, high = VERIFIED
    if not low <= release < high:
        return f"milvus-lite {'.'.join(map(str, release))} is outside the verified releases [3.2, 3.3)"
    return None


@functools.cache
def refused_rows() -> tuple[type[BaseException], ...]:
    """What the engine's `Collection.insert` raises for rows it refuses before writing them: its per-record check
    (`SchemaValidationError`) and pyarrow's conversion of the records (`ArrowInvalid` is a ValueError,
    `ArrowTypeError` a TypeError). Looked up on first use: importing milvus-lite is not cheap."""
    try:
        from milvus_lite.exceptions import SchemaValidationError
    except ImportError:
        return (TypeError, ValueError)
    return (SchemaValidationError, TypeError, ValueError)


def engine_collection(uri: str, db_name: str | None, collection: str) -> Any | None:
    """The in-process Milvus Lite `Collection` that serves `collection` of the ``.db`` file `uri`, or None."""
    reason = unavailable_reason()
    if reason is not None:
        if reason != "off":
            _warn_once(reason)
        return None
    try:
        import milvus_lite
        from milvus_lite.server_manager import server_manager_instance
    except ImportError:
        _warn_once("milvus_lite.server_manager cannot be imported")
        return None
    registry = getattr(server_manager_instance, "_servers", None)
    if not isinstance(registry, dict):
        _warn_once("milvus-lite's server registry has changed")
        return None
    entry = registry.get(os.path.abspath(uri))
    if not isinstance(entry, tuple) or len(entry) != 3 or not isinstance(entry[1], milvus_lite.MilvusLite):
        if entry is not None:
            _warn_once("milvus-lite's server registry has changed")
        return None
    try:
        found = entry[1].get_collection(collection, database_name=db_name or DEFAULT_DATABASE)
    except milvus_lite.MilvusLiteError:
        return None
    return found if isinstance(found, milvus_lite.Collection) else None


def for_layout(uri: str, db_name: str | None, collection: str, layout: Any, *, is_lite_file: bool) -> Any | None:
    """The engine `Collection` when rows in `layout` go in as `codec.rows` builds them and come out as pymilvus
    returns them: our own layout (string ids, dynamic metadata, no typed fields beyond a partition key) on an
    embedded file. None otherwise: use pymilvus."""
    if not is_lite_file or layout.primary_is_int or layout.auto_id or layout.metadata_json or not layout.dynamic:
        return None
    if set(layout.scalars) - {layout.partition_key} or any(
        v.kind.value in ("binary", "sparse") for v in layout.vectors
    ):
        return None
    return engine_collection(uri, db_name, collection)
