"""Connection settings and the one place where a pymilvus client is opened.

Secrets (`token`, passwords inside the URI) never appear in `repr`/`str` of anything we build, nor in our
error messages: use `redact_uri` whenever a URI is shown.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from pymilvus import MilvusClient as _PyMilvusClient

from milvus_integrations.core.embedded import leave_a_core_for_queries
from milvus_integrations.core.errors import ConfigError

DEFAULT_LITE_URI = "./milvus_integrations.db"
_SCHEMES = ("http", "https", "tcp", "grpc", "unix")
_NO_KEEPALIVE_MS = 2**31 - 1  # gRPC's largest keepalive interval: no pings


def is_lite_uri(uri: str) -> bool:
    """A local file path (``*.db``) means embedded Milvus Lite."""
    return "://" not in uri and uri.endswith(".db")


def redact_uri(uri: str) -> str:
    """`uri` with any user-info password replaced by ``***``."""
    if "://" not in uri:
        return uri
    parts = urlsplit(uri)
    if parts.password is None and "@" not in parts.netloc:
        return uri
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    netloc = f"{user}:***@{host}" if user else f"***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redact_text(text: str, secrets: tuple[str | None, ...]) -> str:
    """Remove every secret (and every URI password) from `text`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return re.sub(r"(://[^:/@\s]*:)[^@/\s]+@", r"\1***@", text)


@dataclass(frozen=True)
class ConnectionConfig:
    """Where Milvus is: a Milvus Lite ``.db`` path, or ``http(s)://host:port`` of a server / Zilliz Cloud."""

    uri: str = DEFAULT_LITE_URI
    token: str | None = field(default=None, repr=False)
    db_name: str | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or not self.uri:
            raise ConfigError("uri must be a non-empty string: a Milvus Lite .db path or http(s)://host:port")
        if "://" in self.uri:
            scheme = self.uri.split("://", 1)[0].lower()
            if scheme not in _SCHEMES:
                raise ConfigError(f"uri scheme {scheme!r} is not supported; use one of {', '.join(_SCHEMES)}")
        elif not self.uri.endswith(".db"):
            raise ConfigError(
                f"uri {self.uri!r} is neither a Milvus Lite file path ending in .db nor an http(s):// address"
            )
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigError("timeout must be positive")

    @property
    def is_lite(self) -> bool:
        return is_lite_uri(self.uri)

    def __repr__(self) -> str:
        token = ", token=***" if self.token else ""
        return f"ConnectionConfig(uri={redact_uri(self.uri)!r}{token}, db_name={self.db_name!r})"

    __str__ = __repr__

    @classmethod
    def from_args(
        cls,
        uri: str | None = None,
        token: str | None = None,
        *,
        connection_args: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> ConnectionConfig:
        """Merge explicit arguments, langchain-milvus style `connection_args`, and environment variables.

        Precedence: explicit argument, then `connection_args`, then ``MILVUS_URI`` / ``MILVUS_TOKEN``.
        """
        args = dict(connection_args or {})
        unknown = set(args) - {"uri", "token", "db_name", "user", "password", "timeout", "secure"}
        if unknown:
            raise ConfigError(f"unknown connection_args keys: {sorted(unknown)}")
        uri = uri or args.get("uri") or os.environ.get("MILVUS_URI") or DEFAULT_LITE_URI
        token = token or args.get("token") or os.environ.get("MILVUS_TOKEN") or None
        if token is None and args.get("user"):
            token = f"{args['user']}:{args.get('password', '')}"
        return cls(uri=str(uri), token=token, db_name=args.get("db_name"), timeout=timeout or args.get("timeout"))

    def lite_lock(self) -> threading.RLock:
        """The lock that serializes this process's calls into the Milvus Lite file at `uri`."""
        return _lite_lock(self.uri)

    def connect(self) -> _PyMilvusClient:
        """Open today's `pymilvus.MilvusClient` for this configuration (the only place we do so)."""
        kwargs: dict[str, Any] = {"uri": self.uri}
        if self.token:
            kwargs["token"] = self.token
        if self.db_name:
            kwargs["db_name"] = self.db_name
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        if self.is_lite:
            leave_a_core_for_queries()  # before pymilvus starts the embedded engine, which loads faiss
            # pymilvus pings its channel every 10 s, even idle; the embedded engine's loopback gRPC server takes
            # that for abuse and, after ~80 s idle, sends GOAWAY "too_many_pings", which gRPC logs to stderr as an
            # error (the next call reconnects). A peer in this very process needs no liveness probe.
            kwargs["grpc_options"] = {"grpc.keepalive_time_ms": _NO_KEEPALIVE_MS}
        try:
            client = _PyMilvusClient(**kwargs)
        except Exception as exc:  # pymilvus raises several types; re-raise without secrets
            message = redact_text(str(exc), (self.token,))
            raise ConnectionError(f"could not connect to Milvus at {redact_uri(self.uri)}: {message}") from None
        if self.is_lite:
            return cast(_PyMilvusClient, _Serialized(client, self.lite_lock()))
        return client


def runs_lite_engine(config: ConnectionConfig, client: Any) -> bool:
    """Whether the engine behind `client` is Milvus Lite: embedded (a .db path) or served over TCP
    (``milvus-lite server`` reports its version as ``milvus_lite-X``). Lite's upsert merges old dynamic keys in
    and its LIKE has quirks, so a few code paths differ."""
    if config.is_lite:
        return True
    try:
        return str(client.get_server_version()).startswith("milvus_lite")
    except Exception:  # an older server without the call is not Lite
        return False


_LITE_LOCKS: dict[str, threading.RLock] = {}
_LITE_LOCKS_GUARD = threading.Lock()


def _lite_lock(uri: str) -> threading.RLock:
    """One lock per Milvus Lite file in this process: Lite's engine is not safe for concurrent calls."""
    key = os.path.realpath(uri)
    with _LITE_LOCKS_GUARD:
        return _LITE_LOCKS.setdefault(key, threading.RLock())


class _Serialized:
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
                return _Serialized(result, self._lock)
            return result

        return call
