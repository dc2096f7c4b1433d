"""Shared fixtures: every test gets its own Milvus Lite file in a temp dir."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest


@pytest.fixture
def lite_uri(tmp_path: Path) -> str:
    """A fresh Milvus Lite database path (embedded engine) for one test."""
    return str(tmp_path / "milvus.db")


@pytest.fixture(autouse=True)
def _quiet_pymilvus() -> None:
    # pymilvus logs expected server-side errors at ERROR level with tracebacks; keep test output readable.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
