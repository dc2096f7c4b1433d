"""Every ```python block in README.md runs, in order, in one namespace, inside a temp dir (so its .db files land there).

OpenAI examples run against the local fake OpenAI-compatible server (OPENAI_BASE_URL), never the network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def fake_openai_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from tests.support.fake_openai import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-readme-test")
        yield


def test_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 4


@pytest.mark.slow
def test_readme_python_blocks_run(in_tmp_dir: Path, fake_openai_env: None) -> None:
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for number, block in enumerate(python_blocks(), start=1):
        code = compile(block, f"README.md block {number}", "exec")
        try:
            exec(code, namespace)
        except Exception as exc:  # pragma: no cover - the message names the failing block
            raise AssertionError(f"README block {number} failed: {exc!r}\n{block}") from exc
    assert os.listdir(in_tmp_dir), "the examples should have created their Milvus Lite files here"
