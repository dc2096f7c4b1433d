"""A real Milvus standalone server (PyPI `milvus` 2.3.5) for the tests that run inside a private network namespace
(see tests/server/test_real_milvus.py): started in its own process group, ready when a fresh client can list
collections, stopped (or SIGKILLed) by that group's id. Facts this relies on, measured:

- the launcher reserves its ports with a plain bind() and silently moves to the next free port when one is taken; for
  about a minute after a SIGKILL, 19530 cannot be bound (sockets of the killed server linger), so a restart waits
  until it can, and the proxy's real port is read back from the generated configs/milvus.yaml;
- the port "accepts" long before the proxy answers (the launcher's reservation sockets), so readiness is a real call;
- after a SIGKILL the restarted server needs ~55 s (it waits for the dead session's lease in its embedded etcd).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from pymilvus import MilvusClient

PORT = 19530


def wait_bindable(port: int = PORT, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.5)


class MilvusServer:
    """`with MilvusServer(data_dir, "--authorization-enabled", "true") as server:` ... `server.uri`."""

    def __init__(self, data: Path, *flags: str, ready_kwargs: dict[str, Any] | None = None) -> None:
        self.command = os.environ["MILVUS_SERVER_COMMAND"]
        self.data = data
        self.flags = flags
        self.ready_kwargs = dict(ready_kwargs or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        config = (self.data / "configs" / "milvus.yaml").read_text()
        found = re.search(r"^proxy:\n(?:.*\n)*?  port: (\d+)", config, re.M)
        return int(found.group(1)) if found else PORT

    @property
    def uri(self) -> str:
        scheme = "https" if "--tls-mode" in self.flags else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 240.0, *, wait_for_port: bool = True) -> MilvusServer:
        """Start and wait until ready; `wait_for_port=False` when the proxy port is given explicitly
        (``--proxy-port``), so that a restart right after a SIGKILL need not wait for the port to free up."""
        if wait_for_port:
            wait_bindable()
        log = open(f"{self.data}.log", "ab")  # noqa: SIM115 - the server writes to it until it stops
        self.process = subprocess.Popen(
            [self.command, "--data", str(self.data), *self.flags], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"milvus-server exited with {self.process.returncode}; see {self.data}.log")
            try:
                client = MilvusClient(self.uri, dedicated=True, timeout=3, **self.ready_kwargs)
                client.list_collections(timeout=3)
                client.close()
                return self
            except Exception:  # noqa: BLE001 - not ready yet
                time.sleep(1.0)
        raise RuntimeError(f"milvus-server not ready after {timeout} s; see {self.data}.log")

    def _alive(self) -> bool:
        if self.process is None:
            return False
        self.process.poll()
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL the whole process group and wait until it is gone."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap(60)

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGCONT)
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if not self._reap(60):
            self.kill()

    def _reap(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self._alive():
                return True
            time.sleep(0.25)
        return False

    def __enter__(self) -> MilvusServer:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
