"""Kill -9 an ingesting process; every add that had returned must be there when the store is reopened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from milvus_integrations.core.connection import ConnectionConfig
from milvus_integrations.core.store import Store, StoreOptions

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("flush_threshold", [0, 1], ids=["no-flush", "flush-every-add"])
def test_sigkill_loses_no_returned_add(tmp_path: Path, flush_threshold: int) -> None:
    uri = str(tmp_path / "crash.db")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), uri, str(flush_threshold)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    returned: list[int] = []
    try:
        while len(returned) < 30:
            line = child.stdout.readline()
            assert line, "the ingesting child died before it was killed"
            returned.append(int(line))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    store = Store(StoreOptions("crash"), ConnectionConfig(uri))
    stored = {str(r.id) for r in store.query()}
    missing = [f"b{b}-{j}" for b in returned for j in range(10) if f"b{b}-{j}" not in stored]
    assert missing == []
    # rows of a batch are all there or all absent: no torn batch
    batches = {int(i.split("-")[0][1:]) for i in stored}
    for b in batches:
        assert all(f"b{b}-{j}" in stored for j in range(10))
