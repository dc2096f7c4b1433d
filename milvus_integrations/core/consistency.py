"""When to flush and how to read one's own writes: the one policy every read and write goes through.

Milvus Lite scans unflushed rows by brute force (~27 us per 384-d row per query, measured), while flushed segments
are indexed. Lite's own write-ahead log makes each returned add durable without a flush, so on Lite we flush
lazily: before a read once `READ_FLUSH_THRESHOLD` rows are pending, so a bulk add is sealed once, by the first read
after it. Writes do not flush (unless `flush_threshold` asks): Lite seals its write buffer itself at 128 MB, and
sealing costs the same per row whenever it happens (flushing every 20k rows during a 50k add cut its rate by ~30%).
On a server, Milvus seals segments itself; the first read after this store wrote or deleted runs with Strong
consistency, so it sees those writes (Session did not, for deletes, on Milvus 2.3: measured).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from milvus_integrations.core.collection import Collection
from milvus_integrations.core.errors import ConfigError

logger = logging.getLogger("milvus_integrations")

READ_FLUSH_THRESHOLD = 64
# Milvus 2.3 servers search a growing segment that passed ~0.1 x its max index row count (~4,800 rows in our
# layout, whose VARCHAR(65535) fields make the row estimate large) through an "interim" IVF_FLAT_CC index with
# nlist 128 / nprobe 16, set in the server's config (queryNode.segcore.interimIndex): recall@10 0.29 on 5k random
# 384-d rows, at any ef, until the segment is sealed, indexed and handed off (measured on 2.3.5). Sealing a
# server's growing segments every SERVER_SEAL_ROWS rows written keeps them under that size, so they are searched
# exactly; the seal is one Flush RPC, not waited for.
SERVER_SEAL_ROWS = 4000
# A sealed segment whose vector index is not built (or not loaded) yet gets the same interim index: right after a 50k
# add, recall@10 was 0.74 at any ef, 0.91 30 s later and 1.0 once every segment carried its HNSW index (2.3.5, 2
# cores). So the first read after a server write of SERVER_SEAL_ROWS rows or more waits until the sealed rows are
# indexed and loaded, at most INDEX_WAIT_S seconds (a warning says so when that is not enough).
INDEX_WAIT_S = 300.0


class Consistency:
    """The flush and read-your-writes policy of one collection handle."""

    def __init__(self, collection: Collection, flush_threshold: int | None = None) -> None:
        if flush_threshold is not None and (not isinstance(flush_threshold, int) or flush_threshold < 0):
            raise ConfigError("flush_threshold must be an int >= 0 (0 disables automatic flushes)")
        self.collection = collection
        self.flush_threshold = flush_threshold
        self._lock = threading.Lock()
        self._pending = 0
        self._unread_writes = False
        self._unindexed = 0  # rows a server has not indexed yet, as far as we know

    @property
    def read_flush_threshold(self) -> int | None:
        """Pending rows that make a read flush first (None: reads never flush)."""
        threshold = self.flush_threshold
        if threshold == 0 or (threshold is None and not self.collection.lite_engine):
            return None
        return min(READ_FLUSH_THRESHOLD, threshold or READ_FLUSH_THRESHOLD)

    def wrote(self, rows: int) -> None:
        """Note `rows` written (or a delete); flush when `flush_threshold` rows are pending."""
        with self._lock:
            self._pending += rows
            self._unindexed += rows
            self._unread_writes = True
            threshold = self.flush_threshold
            if threshold is None and not self.collection.lite_engine:
                threshold = SERVER_SEAL_ROWS
            due = threshold is not None and threshold > 0 and self._pending >= threshold
        if due:
            self.flush(wait=self.collection.lite_engine)

    def before_read(self) -> dict[str, Any]:
        """Prepare a read; returns extra keyword arguments for the read call."""
        threshold = self.read_flush_threshold
        if threshold is not None and self._pending >= threshold:
            self.flush()
        if self._unread_writes and not self.collection.lite_engine:
            with self._lock:
                self._unread_writes = False
            if self._unindexed >= SERVER_SEAL_ROWS:
                self._wait_until_indexed()
            return {"consistency_level": "Strong"}
        return {}

    def _wait_until_indexed(self) -> None:
        """Wait until all but the growing tail of the collection sits in sealed segments with their index loaded."""
        client, name = self.collection.client, self.collection.name
        deadline = time.monotonic() + INDEX_WAIT_S
        try:
            total = int(
                client.query(name, filter="", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"]
            )
            logger.info("waiting for Milvus to index the %d rows of %r before the first read", total, name)
            while True:
                segments = client.list_loaded_segments(name)
                indexed = sum(s.num_rows for s in segments if s.index_name and "Sealed" in str(s.state_name))
                if indexed >= total - SERVER_SEAL_ROWS:
                    break
                if time.monotonic() > deadline:
                    logger.warning(
                        "Milvus has indexed %d of the %d rows of %r after %.0f s; searching anyway (recall of "
                        "the rest may be lower until its index is built)",
                        indexed,
                        total,
                        name,
                        INDEX_WAIT_S,
                    )
                    break
                time.sleep(0.5)
        except Exception as exc:
            raise self.collection.fail("wait for the index", exc) from None
        with self._lock:
            self._unindexed = 0

    def flush(self, *, wait: bool = True) -> None:
        """Seal pending rows into segments that Milvus indexes (on Lite: fast to search instead of scanned);
        `wait=False` sends the seal and returns without waiting for it to be persisted (servers)."""
        if self.collection.layout() is None:
            return
        with self._lock:
            self._pending = 0
        try:
            extra = {} if wait else {"_async": True}
            self.collection.client.flush(self.collection.name, **extra)
        except Exception as exc:
            raise self.collection.fail("flush", exc) from None

    def forget(self) -> None:
        """The collection was dropped: nothing is pending."""
        with self._lock:
            self._pending = 0
            self._unread_writes = False
