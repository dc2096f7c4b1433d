"""Adds that embed their texts: checked as a whole first, then embedded and written one window at a time.

Embedding a large call's texts all at once held every vector before the first row was written: 200,000 texts
embedded to 384-d as Python float lists are ~2.5 GB, to 1536-d ~10 GB. Here the ids, texts and metadata of the
whole call are validated before anything is embedded (bad input costs no embedding call and writes nothing), then
each window of texts is embedded and written before the next is embedded (see below for async), so memory holds
one window's vectors. A call that fits one window is all-or-nothing as before. In a larger one, a failure after
some windows were written (the embedding service gives up, or a window's vectors are malformed) raises
`PartialWriteError` with the ids written and those not: the caller can resume with the latter instead of paying
for the whole corpus again.

Adapters build one and call `run(embed)` or `await arun(aembed)`. The async form embeds the next window while the
current one is written (the write runs in a worker thread, the embedding on the event loop): an embedding service's
round trips overlap the engine's work, and memory holds at most two windows of vectors. The sync form does one
thing at a time, in the caller's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

from milvus_integrations.core.aio import run_sync
from milvus_integrations.core.errors import ConfigError, PartialWriteError, SchemaError
from milvus_integrations.core.store import Store

EMBEDDING_WINDOW = 8192


def check_window(window: int) -> int:
    if not isinstance(window, int) or isinstance(window, bool) or window <= 0:
        raise ConfigError(f"embedding_window must be a positive int, got {window!r}")
    return window


class WindowedAdd:
    """One add of `ids`/`texts`/`metadatas` whose vectors are made window by window (see the module docstring);
    for a store that keeps no dense vectors, each window is written with None."""

    def __init__(
        self,
        store: Store,
        ids: Sequence[str | int] | None,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]],
        *,
        window: int = EMBEDDING_WINDOW,
        batch_size: int | None = None,
    ) -> None:
        self.store = store
        self.ids = ids
        self.texts = texts
        self.metadatas = metadatas
        self.batch_size = batch_size
        self._checked = store.check_rows(ids, texts, metadatas)
        n = len(texts)
        self.parts = [slice(start, min(start + window, n)) for start in range(0, n, check_window(window))]
        self.written: list[str | int] = []

    def run(self, embed: Callable[[Sequence[str]], Any]) -> None:
        """Embed and write each window in turn."""
        for part in self.parts:
            with self.step(part):
                self.write(part, embed(self.texts[part]))

    async def arun(self, embed: Callable[[Sequence[str]], Awaitable[Any]]) -> None:
        """Embed and write each window, embedding the next one while the current one is written."""
        upcoming: asyncio.Future[Any] | None = None
        try:
            for i, part in enumerate(self.parts):
                with self.step(part):
                    vectors = await (upcoming if upcoming is not None else embed(self.texts[part]))
                    following = self.parts[i + 1] if i + 1 < len(self.parts) else None
                    upcoming = asyncio.ensure_future(embed(self.texts[following])) if following is not None else None
                    await run_sync(self.write, part, vectors)
        finally:
            if upcoming is not None:  # the add stopped: drop the next window's embedding, quietly
                if upcoming.done() and not upcoming.cancelled():
                    upcoming.exception()
                upcoming.cancel()

    def write(self, part: slice, vectors: Any) -> None:
        """Write the rows of `part` with their `vectors` (validated by the store, which also checks the count)."""
        written = self.store.add(
            self.ids[part] if self.ids is not None else None,
            self.texts[part],
            vectors,
            self.metadatas[part],
            batch_size=self.batch_size,
            checked=self._checked,
        )
        self.written.extend(written)

    def _ids(self, start: int) -> list[str | int]:
        """The ids from row `start` on (none are known before Milvus makes them, with auto ids)."""
        return list(self.ids[start:]) if self.ids is not None else []

    @contextlib.contextmanager
    def step(self, part: slice) -> Iterator[None]:
        """Around embedding and writing `part`. Before anything was written, an error passes through unchanged;
        after, it becomes a `PartialWriteError` over the whole call (row numbers counted from the call's start)."""
        try:
            yield
        except PartialWriteError as exc:  # this window's own write stopped part-way
            if not self.written:
                raise
            written = self.written + exc.written_ids
            raise PartialWriteError(
                f"{len(written)} of {len(self.texts)} rows were written before the add stopped: {exc}",
                written_ids=written,
                failed_ids=[*exc.failed_ids, *self._ids(part.stop)],
            ) from exc
        except Exception as exc:
            if not self.written:
                raise
            raise PartialWriteError(
                f"{len(self.written)} of {len(self.texts)} rows were written before the add stopped at row "
                f"{part.start}: {_from_call_start(exc, part.start)}",
                written_ids=list(self.written),
                failed_ids=self._ids(part.start),
            ) from exc


def _from_call_start(exc: Exception, offset: int) -> str:
    """`exc`'s message with a window-relative "row N:" prefix renumbered from the call's first row."""
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SchemaError) and exc.row is not None:
        prefix = f"row {exc.row}:"
        text = str(exc)
        if text.startswith(prefix):
            message = f"{type(exc).__name__}: row {exc.row + offset}:{text[len(prefix) :]}"
    return message
