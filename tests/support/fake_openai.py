"""A small OpenAI-compatible embeddings server on 127.0.0.1 for tests: deterministic vectors, scripted failures,
request log and a gauge of concurrent requests."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

DIM = 16


def fake_vector(text: str, dim: int = DIM) -> list[float]:
    """A deterministic unit vector for `text`."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(dim)]
    norm = sum(x * x for x in raw) ** 0.5 or 1.0
    return [x / norm for x in raw]


class FakeOpenAIServer:
    """`with FakeOpenAIServer() as s:` then point the client at `s.base_url`.

    `failures` is a list of HTTP statuses to answer with, one per incoming request, before answering normally
    (None: answer that request normally).
    """

    def __init__(self, *, delay: float = 0.0, shuffle: bool = False, echo_key_on_error: bool = True) -> None:
        self.delay = delay
        self.shuffle = shuffle
        self.echo_key_on_error = echo_key_on_error
        self.failures: list[int | None] = []
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                return

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                auth = self.headers.get("Authorization", "")
                with owner._lock:
                    owner.requests.append({"path": self.path, "body": payload, "auth": auth})
                    failure = owner.failures.pop(0) if owner.failures else None
                    owner.in_flight += 1
                    owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
                try:
                    if owner.delay:
                        time.sleep(owner.delay)
                    if failure is not None:
                        message = f"scripted failure {failure}"
                        if owner.echo_key_on_error:
                            message += f" for key {auth.removeprefix('Bearer ')}"
                        self._send(failure, {"error": {"message": message, "type": "test"}}, {"retry-after": "0"})
                        return
                    inputs = payload["input"]
                    inputs = [inputs] if isinstance(inputs, str) else inputs
                    dim = int(payload.get("dimensions") or DIM)
                    data = [
                        {"object": "embedding", "index": i, "embedding": fake_vector(t, dim)}
                        for i, t in enumerate(inputs)
                    ]
                    if owner.shuffle:
                        random.shuffle(data)
                    self._send(
                        200,
                        {
                            "object": "list",
                            "data": data,
                            "model": payload.get("model"),
                            "usage": {"prompt_tokens": 1, "total_tokens": 1},
                        },
                    )
                finally:
                    with owner._lock:
                        owner.in_flight -= 1

        return Handler
