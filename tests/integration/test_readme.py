"""Every ```python block in README.md runs, in order, in one namespace, inside a temp dir (so its .db files land there).

OpenAI examples run against the local fake OpenAI-compatible server (OPENAI_BASE_URL), never the network.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
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


BASH = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_readme_starts_with_the_two_commands_ci_runs() -> None:
    first = BASH.findall(README.read_text(encoding="utf-8"))[0]
    assert [line.split("#")[0].strip() for line in first.strip().splitlines()] == ["make demo", "make test"]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in ci


@pytest.mark.slow
def test_readme_cli_commands_run(in_tmp_dir: Path) -> None:
    docs = in_tmp_dir / "docs"
    docs.mkdir()
    (docs / "logs.md").write_text("# Logs\n\nRotate logs daily so the disk does not fill up.\n")
    (docs / "disk.txt").write_text("When the disk is full, writes fail.\n")
    (block,) = [b for b in BASH.findall(README.read_text(encoding="utf-8")) if "milvus-integrations ingest" in b]
    root = README.parent
    for line in block.strip().splitlines():
        command = line.split("  #")[0].strip()
        args = shlex.split(command)
        assert args[0] == "milvus-integrations"
        out = subprocess.run(
            [sys.executable, "-m", "milvus_integrations.cli", *args[1:]],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
            timeout=600,
        )
        assert out.returncode == 0, f"{command}\n{out.stderr[-1500:]}"
        assert out.stdout.strip(), command
