"""Opt-in knobs that change this process beyond our own objects. Every one is off by default and listed in the
README's "Process-wide effects"; nothing else in the package touches the garbage collector, ``os.environ`` or
thread pools.

- ``MILVUS_INTEGRATIONS_PAUSE_GC=1``: adds of at least `BULK_ROWS` rows pause Python's cyclic garbage collector
  until they return. An add allocates a few containers per row that live until their chunk is written; in a large
  batch enough of them outlive the young generations to set off a full collection, which walks every object in
  the process (the caller's 50,000 LlamaIndex nodes and their vectors took 0.54-0.66 s of a ~5 s add, measured).
  The rows hold no reference cycles, so reference counting frees them as usual. Concurrent adds share one pause:
  the collector is turned back on when the last of them returns, and only if it was on before the first.
- ``MILVUS_INTEGRATIONS_LITE_INDEX_THREADS=N``: before the first embedded Milvus Lite file is opened, load faiss
  (which builds Lite's vector indexes in a background thread) with N OpenMP threads. On 2 cores, with one thread
  fewer than the cores, queries right after a 5k bulk add ran at p50 7-10 ms instead of 12.5-17.4 ms, but the 50k
  index took 18 s instead of 9.8 s to build. OpenMP reads its thread count once, when its library loads, so
  ``OMP_NUM_THREADS`` is set only while faiss is imported, then put back. Nothing happens when faiss is already
  loaded or ``OMP_NUM_THREADS`` is set.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from collections.abc import Iterator

from milvus_integrations.core.errors import ConfigError

BULK_ROWS = 1000
PAUSE_GC = "MILVUS_INTEGRATIONS_PAUSE_GC"
INDEX_THREADS = "MILVUS_INTEGRATIONS_LITE_INDEX_THREADS"

_pause_guard = threading.Lock()
_pausers = 0
_resume = False


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0, got {value!r}")


@contextlib.contextmanager
def bulk_gc_pause(rows: int) -> Iterator[None]:
    """Pause the cyclic collector around an add of `rows` rows, when ``MILVUS_INTEGRATIONS_PAUSE_GC=1``."""
    global _pausers, _resume
    if rows < BULK_ROWS or not _flag(PAUSE_GC):
        yield
        return
    with _pause_guard:
        if _pausers == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _pause_guard:
            _pausers -= 1
            if _pausers == 0 and _resume:
                gc.enable()


def index_threads_setting() -> int | None:
    """The thread count asked for by ``MILVUS_INTEGRATIONS_LITE_INDEX_THREADS`` (None: not set, or 0)."""
    setting = os.environ.get(INDEX_THREADS, "").strip()
    if not setting:
        return None
    try:
        threads = int(setting)
    except ValueError:
        raise ConfigError(f"{INDEX_THREADS} must be an integer, got {setting!r}") from None
    if threads < 0:
        raise ConfigError(f"{INDEX_THREADS} must be >= 0, got {threads}")
    return threads or None


def before_lite_starts() -> None:
    """Called before pymilvus starts an embedded Lite engine: applies ``MILVUS_INTEGRATIONS_LITE_INDEX_THREADS``."""
    threads = index_threads_setting()
    if threads is None or "faiss" in sys.modules or "OMP_NUM_THREADS" in os.environ:
        return
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import faiss  # noqa: F401
    except ImportError:  # a Lite without faiss has no index build to share the cores with
        pass
    finally:
        del os.environ["OMP_NUM_THREADS"]
