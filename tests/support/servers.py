"""Milvus servers for tests, on 127.0.0.1 only, started and stopped by pid.

`LiteServer` runs Milvus Lite as a gRPC server (`milvus-lite server`), so that the `http://` code path (the one a
Milvus server or Zilliz Cloud uses) is tested, not only the embedded one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def lite_server_command() -> list[str]:
    exe = Path(sys.executable).with_name("milvus-lite")
    return [str(exe)] if exe.exists() else [shutil.which("milvus-lite") or "milvus-lite"]


class LiteServer:
    """`with LiteServer() as uri:` a Milvus Lite server on a free loopback port, in its own temp data dir."""

    def __init__(self, startup_timeout: float = 60.0) -> None:
        self.port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix="milvus-lite-server-")
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(self.data_dir) / "server.log"

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> str:
        cmd = [*lite_server_command(), "server", "--data-dir", f"{self.data_dir}/data", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self.uri
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"milvus-lite server did not listen within {self.startup_timeout}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
