"""The package's error hierarchy: everything we raise for bad input, bad configuration or a failed call derives
from `MilvusIntegrationError`.

Errors that mean "the same as a built-in" also derive from it (`ConfigError` is a `ValueError`,
`MilvusConnectionError` a `ConnectionError`), so code written against the built-ins keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence


class MilvusIntegrationError(Exception):
    """Base class of every error raised by milvus_integrations."""


class ConfigError(MilvusIntegrationError, ValueError):
    """An option or argument is invalid (raised before any call to Milvus)."""


class UnknownKeywordError(ConfigError, TypeError):
    """A call got keyword arguments it does not take (a `TypeError` too, as Python's own would be)."""


def refuse_unknown(keywords: object, where: str) -> None:
    """Raise `UnknownKeywordError` naming every keyword in `keywords` (a mapping) when there is any."""
    if keywords:
        names = ", ".join(sorted(map(str, keywords)))  # type: ignore[call-overload]
        raise UnknownKeywordError(f"{where} got unexpected keyword arguments: {names}")


class SchemaError(MilvusIntegrationError, ValueError):
    """Data does not fit the collection's schema; names the row index and key. Nothing was written."""

    def __init__(self, message: str, *, row: int | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.key = key


class FilterError(MilvusIntegrationError, ValueError):
    """A filter is malformed: unknown operator, bad value, bad field name."""


class CollectionNotFoundError(MilvusIntegrationError, LookupError):
    """The collection does not exist and this call cannot create it."""


class EmbeddingError(MilvusIntegrationError):
    """An embedding provider failed (after retries, or with an error that is not worth retrying)."""


class MissingDependencyError(MilvusIntegrationError, ImportError):
    """An optional dependency (an extra) is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"{package} is not installed; install it with: pip install 'milvus-integrations[{extra}]'")
        self.package = package
        self.extra = extra


class MilvusConnectionError(MilvusIntegrationError, ConnectionError):
    """Milvus could not be reached (refused, timed out, TLS failed) or refused the credentials. The message names
    the uri without its secrets."""


class AuthenticationError(MilvusConnectionError):
    """Milvus refused the credentials (a wrong or missing token / user and password)."""


class MilvusTimeoutError(MilvusConnectionError, TimeoutError):
    """A call to Milvus did not answer within the configured `timeout`."""


class LiteFileInUseError(MilvusConnectionError):
    """Another process holds the Milvus Lite file open (Lite lets one process open a .db at a time)."""


class MilvusOperationError(MilvusIntegrationError):
    """Milvus refused or failed a call (search, query, delete, create...). Nothing we know of was changed."""


class PermissionDeniedError(MilvusOperationError, PermissionError):
    """The user Milvus knows us as lacks a privilege for the call (the message names it)."""


class PartialWriteError(MilvusIntegrationError):
    """A multi-request write failed part-way. `written_ids` were stored; `failed_ids` were not."""

    def __init__(self, message: str, *, written_ids: Sequence[object], failed_ids: Sequence[object]) -> None:
        super().__init__(message)
        self.written_ids = list(written_ids)
        self.failed_ids = list(failed_ids)


def require(module: str, extra: str) -> None:
    """Raise `MissingDependencyError` if `module` cannot be imported."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(module, extra)
