"""Connection settings and the one place where a pymilvus client is opened. Opening one changes nothing in the
process beyond the client itself (see `core.tuning` for the opt-in knobs).

Secrets (tokens, passwords, passwords inside the URI) never appear in `repr`/`str` of anything we build, nor in our
error messages: use `redact_uri` whenever a URI is shown and `redact_text` on every message that comes from Milvus.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from pymilvus import MilvusClient as _PyMilvusClient

from milvus_integrations.core import tuning
from milvus_integrations.core.errors import (
    ConfigError,
    MilvusConnectionError,
    MilvusIntegrationError,
    MilvusOperationError,
)
from milvus_integrations.core.failures import Guarded, lite_file_in_use, translate
from milvus_integrations.core.lite.locks import Serialized, file_lock, is_lite_uri

DEFAULT_LITE_URI = "./milvus_integrations.db"
_SCHEMES = ("http", "https", "tcp", "grpc", "unix")
_NO_KEEPALIVE_MS = 2**31 - 1  # gRPC's largest keepalive interval: no pings
# Transport keywords pymilvus' MilvusClient takes and passes to its gRPC channel, passed through as given.
TLS_KEYWORDS = ("secure", "server_pem_path", "server_name", "ca_pem_path", "client_pem_path", "client_key_path")
CONNECTION_KEYWORDS = ("uri", "token", "user", "password", "db_name", "timeout", *TLS_KEYWORDS)

__all__ = ["CONNECTION_KEYWORDS", "ConnectionConfig", "is_lite_uri", "redact_text", "redact_uri"]


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
            if ":" in secret:  # a "user:password" token: the password alone may be quoted too
                password = secret.split(":", 1)[1]
                if password:
                    text = text.replace(password, "***")
    return re.sub(r"(://[^:/@\s]*:)[^@/\s]+@", r"\1***@", text)


@dataclass(frozen=True)
class ConnectionConfig:
    """Where Milvus is: a Milvus Lite ``.db`` path, or ``http(s)://host:port`` of a server / Zilliz Cloud."""

    uri: str = DEFAULT_LITE_URI
    token: str | None = field(default=None, repr=False)
    db_name: str | None = None
    timeout: float | None = None
    secure: bool | None = None
    server_pem_path: str | None = None
    server_name: str | None = None
    ca_pem_path: str | None = None
    client_pem_path: str | None = None
    client_key_path: str | None = None

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
        if self.timeout is not None and (
            isinstance(self.timeout, bool) or not isinstance(self.timeout, int | float) or self.timeout <= 0
        ):
            raise ConfigError(f"timeout must be a positive number of seconds, got {self.timeout!r}")
        if self.secure is not None and not isinstance(self.secure, bool):
            raise ConfigError(f"secure must be True or False, got {self.secure!r}")
        for name in TLS_KEYWORDS[1:]:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{name} must be a string, got {type(value).__name__}")
            if value is not None and name.endswith("_path") and not os.path.isfile(value):
                raise ConfigError(f"{name} {value!r} is not a readable file")
        if self.is_lite and (self.secure or any(getattr(self, n) for n in TLS_KEYWORDS[1:])):
            raise ConfigError("TLS settings apply to a server uri (https://...), not to a Milvus Lite .db file")
        self._check_tls()

    def _check_tls(self) -> None:
        """Refuse the TLS combinations pymilvus would silently ignore (measured with pymilvus 3.0.2)."""
        client = (self.client_pem_path, self.client_key_path)
        if any(client) and not all(client):
            raise ConfigError("mutual TLS needs both client_pem_path and client_key_path (and ca_pem_path)")
        if all(client) and not self.ca_pem_path:
            raise ConfigError("mutual TLS needs ca_pem_path (the CA that signed the server's certificate)")
        if self.ca_pem_path and not all(client):
            raise ConfigError(
                "ca_pem_path is only used for mutual TLS, with client_pem_path and client_key_path; for one-way "
                "TLS pass the CA (or the server's certificate) as server_pem_path"
            )
        if self.server_pem_path and all(client):
            raise ConfigError(
                "server_pem_path with client_pem_path/client_key_path: pymilvus would drop the client certificate; "
                "for mutual TLS pass the CA as ca_pem_path instead of server_pem_path"
            )
        tls_files = self.server_pem_path or self.ca_pem_path or self.server_name
        if tls_files and self.uri.lower().startswith(("http://", "tcp://", "grpc://")) and self.secure is not True:
            raise ConfigError(
                f"TLS settings were given but the uri {redact_uri(self.uri)!r} is plain: use https:// (or secure=True)"
            )

    @property
    def is_lite(self) -> bool:
        return is_lite_uri(self.uri)

    def __repr__(self) -> str:
        token = ", token=***" if self.token else ""
        tls = ", secure=True" if self.secure or self.uri.startswith("https://") else ""
        return f"ConnectionConfig(uri={redact_uri(self.uri)!r}{token}, db_name={self.db_name!r}{tls})"

    __str__ = __repr__

    @classmethod
    def from_args(
        cls,
        uri: str | None = None,
        token: str | None = None,
        *,
        connection_args: Mapping[str, Any] | None = None,
        **keywords: Any,
    ) -> ConnectionConfig:
        """Merge explicit arguments, langchain-milvus style `connection_args`, and environment variables.

        Precedence: explicit argument, then `connection_args`, then ``MILVUS_URI`` / ``MILVUS_TOKEN``.
        `user` / `password` make the token ``user:password`` when no token is given.
        """
        if connection_args is not None and not isinstance(connection_args, Mapping):
            raise ConfigError(f"connection_args must be a dict, got {type(connection_args).__name__}")
        args = dict(connection_args or {})
        for source, names in (("connection_args", args), ("keywords", keywords)):
            unknown = set(names) - set(CONNECTION_KEYWORDS)
            if unknown:
                raise ConfigError(
                    f"unknown {source} {sorted(unknown)}; connection settings are: {', '.join(CONNECTION_KEYWORDS)}"
                )
        merged = {k: v for k, v in args.items() if v is not None}
        merged.update({k: v for k, v in keywords.items() if v is not None})
        uri = uri or merged.pop("uri", None) or os.environ.get("MILVUS_URI") or DEFAULT_LITE_URI
        merged.pop("uri", None)
        token = token or merged.pop("token", None) or os.environ.get("MILVUS_TOKEN") or None
        merged.pop("token", None)
        user, password = merged.pop("user", None), merged.pop("password", None)
        if token is None and user:
            token = f"{user}:{password or ''}"
        elif password and not user:
            raise ConfigError("password was given without user")
        known = {f.name for f in fields(cls)}
        return cls(uri=str(uri), token=token, **{k: v for k, v in merged.items() if k in known})

    def lite_lock(self) -> Any:
        """The lock that serializes this process's calls into the Milvus Lite file at `uri`."""
        return file_lock(self.uri)

    def secrets(self) -> tuple[str | None, ...]:
        return (self.token,)

    def connect(self) -> _PyMilvusClient:
        """Open today's `pymilvus.MilvusClient` for this configuration (the only place we do so)."""
        kwargs: dict[str, Any] = {"uri": self.uri}
        if self.token:
            kwargs["token"] = self.token
        if self.db_name:
            kwargs["db_name"] = self.db_name
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        for name in TLS_KEYWORDS:
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if self.is_lite:
            tuning.before_lite_starts()  # opt-in; does nothing by default
            # pymilvus pings its channel every 10 s, even idle; the embedded engine's loopback gRPC server takes
            # that for abuse and, after ~80 s idle, sends GOAWAY "too_many_pings", which gRPC logs to stderr as an
            # error (the next call reconnects). A peer in this very process needs no liveness probe.
            kwargs["grpc_options"] = {"grpc.keepalive_time_ms": _NO_KEEPALIVE_MS}
        if self.is_lite:
            kwargs["uri"] = os.path.realpath(self.uri)  # one engine per file, however it is spelt (symlinks too)
        error: MilvusIntegrationError | None = None
        try:
            client = _PyMilvusClient(**kwargs)
        except Exception as exc:  # pymilvus raises several types; ours is raised below, with nothing chained
            error = self._connect_error(exc)
        if error is not None:
            raise error
        guarded = Guarded(client, self.timeout, redact_uri(self.uri), self._redact)
        if self.is_lite:
            return cast(_PyMilvusClient, Serialized(guarded, self.lite_lock()))
        return cast(_PyMilvusClient, guarded)

    def _connect_error(self, exc: Exception) -> MilvusIntegrationError:
        if self.is_lite and "Open local milvus failed" in str(exc):
            in_use = lite_file_in_use(os.path.realpath(self.uri))
            if in_use is not None:
                return in_use
        error = translate(exc, action="connect", where=redact_uri(self.uri), redact=self._redact)
        if type(error) is MilvusOperationError:  # nothing more specific: still a failure to connect
            return MilvusConnectionError(f"could not connect to Milvus at {redact_uri(self.uri)}: {error}")
        return error

    def _redact(self, text: str) -> str:
        return redact_text(text, self.secrets())


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
