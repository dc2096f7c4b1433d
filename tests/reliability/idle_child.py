"""Open an embedded Milvus Lite file, write a row, stay idle, then read it back (see test_idle_connection.py).

Usage: python idle_child.py URI SECONDS ours|pymilvus
"""

from __future__ import annotations

import sys
import time

from pymilvus import MilvusClient

from milvus_integrations.core.connection import ConnectionConfig


def main() -> None:
    uri, seconds, how = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    client = ConnectionConfig(uri).connect() if how == "ours" else MilvusClient(uri)
    client.create_collection("idle", dimension=4)
    client.insert("idle", [{"id": 1, "vector": [0.1, 0.2, 0.3, 0.4]}])
    print("idle", flush=True)
    time.sleep(seconds)
    rows = client.query("idle", filter="id >= 0", output_fields=["id"])
    print(f"rows {[row['id'] for row in rows]}", flush=True)


if __name__ == "__main__":
    main()
