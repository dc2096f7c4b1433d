"""What a failed pymilvus call means, and the error we raise for it.

Measured with pymilvus 3.0.2 against Milvus 2.3.5 and Milvus Lite 3.2.2 (the test fixtures): a server that is down,
unreachable, a TLS handshake that fails and a refused login all raise `MilvusException` code 2 with the same text
("Fail connecting to server ..."): the reason is only in its `__cause__`, a `grpc.RpcError` (UNAVAILABLE or
UNAUTHENTICATED). Calls refused for a missing privilege, a deadline passed or credentials changed mid-session raise a
raw `grpc.RpcError` (PERMISSION_DENIED, DEADLINE_EXCEEDED, UNAUTHENTICATED). A collection not loaded again after a
server restart answers code 101. A second process opening a Lite file gets "Open local milvus failed" with no cause.
Every message we build goes through `redact_text`, and no original exception is chained (it may hold the token).
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from typing import Any

from milvus_integrations.core.errors import (
    AuthenticationError,
    LiteFileInUseError,
    MilvusConnectionError,
    MilvusIntegrationError,
    MilvusOperationError,
    MilvusTimeoutError,
    PermissionDeniedError,
)

NOT_LOADED = 101  # pymilvus/Milvus: "collection not loaded"
CONNECT_FAILED = 2


def _grpc_status(exc: BaseException) -> tuple[str | None, str]:
    """The gRPC status name and details of `exc` or of what caused it ("", "" when none)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            break
        code = getattr(seen, "code", None)
        if callable(code):
            try:
                status = code()
                details = seen.details() if callable(getattr(seen, "details", None)) else ""  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - not a grpc error after all
                status, details = None, ""
            name = getattr(status, "name", None)
            if isinstance(name, str):
                return name, str(details or "")
        seen = seen.__cause__ or seen.__context__
    return None, ""


def milvus_code(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def is_not_loaded(exc: BaseException) -> bool:
    return milvus_code(exc) == NOT_LOADED or "collection not loaded" in str(exc)


def translate(exc: BaseException, *, action: str, where: str, redact: Any) -> MilvusIntegrationError:
    """Our error for `exc`, raised while doing `action` at `where` (a redacted uri, or a collection and uri);
    `redact` removes secrets from a message."""
    if isinstance(exc, MilvusIntegrationError):
        return exc
    status, details = _grpc_status(exc)
    detail = redact(details or str(exc))
    if status == "UNAUTHENTICATED":
        return AuthenticationError(f"Milvus at {where} refused the credentials while trying to {action}: {detail}")
    if status == "PERMISSION_DENIED":
        return PermissionDeniedError(f"Milvus at {where} denied the privilege to {action}: {detail}")
    if status == "DEADLINE_EXCEEDED":
        return MilvusTimeoutError(
            f"Milvus at {where} did not answer in time to {action} (the timeout passed): {detail}"
        )
    if status == "UNAVAILABLE" or milvus_code(exc) == CONNECT_FAILED:
        return MilvusConnectionError(
            f"could not reach Milvus at {where} to {action} (server down or unreachable, TLS handshake failed, or "
            f"the address is wrong): {detail}"
        )
    return MilvusOperationError(f"Milvus failed to {action} at {where}: {redact(str(exc))}")


def lite_file_in_use(path: str) -> LiteFileInUseError | None:
    """The error to raise when another process holds the Milvus Lite file `path` (probed with the lock Lite takes,
    ``<path>/LOCK``); None when it is free. Only asked after Lite refused to open the file: within the process that
    holds it, the probe would find its own lock."""
    lock = os.path.join(path, "LOCK")
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            return None
        return LiteFileInUseError(
            f"the Milvus Lite file {path} is in use by another process: Milvus Lite lets one process open a .db at a "
            "time. To share it between processes (several workers of a web app), serve it with `milvus-lite server "
            f"--data-dir {path}` and connect with uri='http://127.0.0.1:<port>', or use a Milvus server"
        )
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


# pymilvus MilvusClient calls that take a per-call `timeout` (the client's own `timeout=` only bounds connecting)
TIMED_CALLS = frozenset(
    {
        "search", "hybrid_search", "query", "query_iterator", "search_iterator", "get", "insert", "upsert", "delete",
        "flush", "get_load_state", "load_collection", "has_collection", "describe_collection", "describe_index",
        "create_collection", "create_index", "drop_collection", "has_partition", "create_partition",
        "list_partitions", "release_partitions", "drop_partition", "get_server_version",
    }
)  # fmt: skip
READ_RETRY_S = (1.0, 3.0)  # pauses before the reads' retries on a connection error (bounded: 4 s in all)
READS = frozenset({"search", "hybrid_search", "query", "query_iterator", "search_iterator", "get"})


class Guarded:
    """A pymilvus client whose calls get the configured per-call `timeout` (so no call outlives it), raise our own
    errors (`translate`; raised outside the handler, so no pymilvus exception, which may hold the token, is chained
    to them), and, for reads, load the collection again once when the server answers "collection not loaded"
    (after a server restart the collection stays released until someone loads it: measured on Milvus 2.3.5)."""

    def __init__(self, target: Any, timeout: float | None, where: str, redact: Any) -> None:
        self._target = target
        self._timeout = timeout
        self._where = where
        self._redact = redact

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr) or name not in TIMED_CALLS:
            return attr
        timeout = self._timeout

        def call(*args: Any, **kwargs: Any) -> Any:
            if timeout is not None and kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            collection = args[0] if args else kwargs.get("collection_name")
            for attempt in range(1, 1 + len(READ_RETRY_S) + 1):
                try:
                    result = attr(*args, **kwargs)
                    return _IteratorGuard(result, self) if hasattr(result, "next") else result
                except Exception as exc:
                    reload = attempt == 1 and name in READS and isinstance(collection, str) and is_not_loaded(exc)
                    error = None if reload else self.error(name, exc)
                if error is None:
                    self.reload(str(collection))
                elif name in READS and attempt <= len(READ_RETRY_S) and isinstance(error, MilvusConnectionError):
                    # a read (idempotent) right after a server restart meets the channel still reconnecting
                    # (measured on Milvus 2.3.5: "Fail connecting to server" for a few seconds): try again
                    time.sleep(READ_RETRY_S[attempt - 1])
                else:
                    raise error
            raise AssertionError("unreachable")  # pragma: no cover - the last attempt raises or returns

        return call

    def error(self, action: str, exc: BaseException) -> MilvusIntegrationError:
        return translate(exc, action=action.replace("_", " "), where=self._where, redact=self._redact)

    def reload(self, collection: str) -> None:
        try:
            self._target.load_collection(collection, timeout=self._timeout)
        except Exception as exc:
            error = self.error("load the collection", exc)
        else:
            return
        raise error


class _IteratorGuard:
    """A query/search iterator whose `next` raises our errors, as `Guarded` calls do."""

    def __init__(self, target: Any, guard: Guarded) -> None:
        self._target = target
        self._guard = guard

    def next(self) -> Any:
        try:
            return self._target.next()
        except Exception as exc:
            error = self._guard.error("read the next page", exc)
        raise error

    def close(self) -> Any:
        return self._target.close()
