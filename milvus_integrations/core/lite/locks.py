"""One lock per Milvus Lite file in this process, and a client wrapper whose calls take it.

Lite's engine is not safe for concurrent calls (concurrent inserts lose rows: its sequence numbers and write-ahead
log are updated without a lock), so every call our code makes into one ``.db`` file runs under that file's lock.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

_LOCKS: dict[str, threading.RLock] = {}
_GUARD = threading.Lock()


def is_lite_uri(uri: str) -> bool:
    """A local file path (``*.db``) means embedded Milvus Lite."""
    return "://" not in uri and uri.endswith(".db")


def file_lock(uri: str) -> threading.RLock:
    """The lock that serializes this process's calls into the Milvus Lite file at `uri`."""
    key = os.path.realpath(uri)
    with _GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


class Serialized:
    """A pymilvus client whose calls (and the iterators they return) run one at a time under a lock."""

    def __init__(self, target: Any, lock: threading.RLock) -> None:
        self._target = target
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr
        return self._wrap(attr)

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                result = fn(*args, **kwargs)
            if hasattr(result, "next") and hasattr(result, "close"):  # query/search iterators
                return Serialized(result, self._lock)
            return result

        return call
