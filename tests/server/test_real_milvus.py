"""The adapters against a real Milvus standalone server (PyPI `milvus` 2.3.5, installed by the Makefile into
.venv-milvus-server). It listens on all interfaces, so the server and the tests that use it run inside a private
network namespace (`unshare -n`, loopback only); the server is stopped by its pid when the run ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / ".venv-milvus-server" / "bin" / "milvus-server"
INNER = "tests/server/real/inside_namespace.py"  # no test_ prefix: collected only when named, inside the namespace

pytestmark = [pytest.mark.milvus_server, pytest.mark.slow]

SCRIPT = """
set -e
ip link set lo up
# its own process group (setsid): the launcher starts `milvus run standalone` as a child, which a TERM to the
# launcher alone left running; the whole group is stopped, by the launcher's pid, when this script exits
setsid "$SERVER" --data "$DATA" > "$DATA.log" 2>&1 &
SERVER_PID=$!
stop() {
  kill -TERM -$SERVER_PID 2>/dev/null || true
  for i in $(seq 1 60); do kill -0 -$SERVER_PID 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL -$SERVER_PID 2>/dev/null || true
}
trap stop EXIT
for i in $(seq 1 120); do
  "$PY" -c "import socket; socket.create_connection(('127.0.0.1', 19530), 1)" 2>/dev/null && break
  sleep 0.5
done
MILVUS_REAL_SERVER_URI=http://127.0.0.1:19530 "$PY" -m pytest -q -p no:cacheprovider "$INNER"
"""


def test_suite_on_a_real_milvus_server(tmp_path: Path) -> None:
    if not SERVER.exists():
        pytest.skip("no real Milvus server installed (make test installs it into .venv-milvus-server)")
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare and ip (util-linux, iproute2) for a private network namespace")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {probe.stderr.decode().strip()}")
    env = {
        **os.environ,
        "SERVER": str(SERVER),
        "DATA": str(tmp_path / "milvus"),
        "PY": sys.executable,
        "INNER": INNER,
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        ["unshare", "-n", "sh", "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    tail = "\n".join(run.stdout.strip().splitlines()[-15:])
    assert run.returncode == 0, f"{tail}\n{run.stderr[-2000:]}"
    assert " passed" in tail and "failed" not in tail
    # nothing the server started outlives the run
    left = subprocess.run(["pgrep", "-f", str(tmp_path / "milvus")], capture_output=True, text=True).stdout.split()
    assert not left, f"server processes still running: {left}"
