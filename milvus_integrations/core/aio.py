"""Async twins without a second implementation: run the one sync implementation in a worker thread."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


async def run_sync(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Await `fn(*args, **kwargs)` run in the default executor, keeping contextvars."""
    return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
