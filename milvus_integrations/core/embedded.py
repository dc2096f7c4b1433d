"""Bulk writes and dense searches straight into an embedded Milvus Lite engine, skipping the protobuf round trip
inside one process.

For a ``.db`` uri, pymilvus asks `milvus_lite.server_manager_instance` to start Milvus Lite *in this process*: a
gRPC server on a loopback port in front of a `milvus_lite.MilvusLite` engine. Every insert then packs rows into
protobuf columns (pymilvus), sends them to ourselves over loopback, and unpacks them back into rows (Lite) --
all under the one GIL. Measured on 2 cores (5k x 384-d documents through the LangChain adapter): ~7,000-7,700
adds/s that way, ~13,200/s through the engine's own `Collection.insert`; a top-10 search on flushed data took
~4.3-4.9 ms through pymilvus and ~3.0 ms through `Collection.search` (the engine itself: ~2.5 ms). So for a
collection in our own layout on an embedded Lite file, `Store.add` and `Store.search_many` call the engine's public
`Collection.insert` and `Collection.search` -- the very object the gRPC server serves, with the arguments its
servicer would pass, so writes either way are seen by reads either way at once -- and keep pymilvus for everything
else (full-text and hybrid search, queries, deletes, flushes, and every other layout or engine).

Reaching that object needs the server manager's registry of running engines, which milvus-lite does not
publish; `engine_collection` therefore checks every assumption and answers None (use pymilvus) when one
fails. ``tests/integration/test_embedded_engine.py`` asserts the fast route is taken with the milvus-lite we pin, so a
release that changes the registry fails a test instead of silently slowing down.
``MILVUS_INTEGRATIONS_LITE_DIRECT=0`` turns both routes (writes and searches) off.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

from milvus_integrations.core.errors import ConfigError

DEFAULT_DATABASE = "default"


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
    if os.environ.get("MILVUS_INTEGRATIONS_LITE_DIRECT", "1") == "0":
        return None
    try:
        import milvus_lite
        from milvus_lite.server_manager import server_manager_instance
    except ImportError:
        return None
    registry = getattr(server_manager_instance, "_servers", None)
    if not isinstance(registry, dict):
        return None
    entry = registry.get(os.path.abspath(uri))
    if not isinstance(entry, tuple) or len(entry) != 3 or not isinstance(entry[1], milvus_lite.MilvusLite):
        return None
    try:
        found = entry[1].get_collection(collection, database_name=db_name or DEFAULT_DATABASE)
    except milvus_lite.MilvusLiteError:
        return None
    return found if isinstance(found, milvus_lite.Collection) else None


def leave_a_core_for_queries() -> None:
    """Load faiss, which builds embedded Lite's vector indexes, with one OpenMP thread fewer than our cores.

    Lite builds the index of a freshly sealed segment in a background thread, and faiss' OpenMP pool on every core
    starves the queries that run meanwhile. Measured on 2 cores, 5k x 384-d, the 100 queries right after a bulk
    add: p50 12.5-17.4 ms with 2 threads, 7.0-8.0 ms with 1. The price is build time: at 50k the index was ready
    18 s after the add with 1 thread against 9.8 s with 2, and Lite's close waits for it (README). OpenMP reads its
    thread count once, when its library loads (a later `omp_set_num_threads` only binds the calling thread), so
    ``OMP_NUM_THREADS`` is set just while faiss is imported, then put back. Nothing happens when faiss is already
    loaded or ``OMP_NUM_THREADS`` is set; ``MILVUS_INTEGRATIONS_LITE_INDEX_THREADS`` picks the count (0: leave it).
    """
    if "faiss" in sys.modules or "OMP_NUM_THREADS" in os.environ:
        return
    setting = os.environ.get("MILVUS_INTEGRATIONS_LITE_INDEX_THREADS", "").strip()
    try:
        threads = int(setting) if setting else max(1, len(os.sched_getaffinity(0)) - 1)
    except ValueError:
        raise ConfigError(f"MILVUS_INTEGRATIONS_LITE_INDEX_THREADS must be an integer, got {setting!r}") from None
    if threads <= 0:
        return
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import faiss  # noqa: F401
    except ImportError:  # a Lite without faiss has no index build to share the cores with
        pass
    finally:
        del os.environ["OMP_NUM_THREADS"]
