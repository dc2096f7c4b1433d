"""Every ```python block in README.md runs, in order, in one namespace, inside a temp dir (so its .db files land there).

OpenAI examples run against the local fake OpenAI-compatible server (OPENAI_BASE_URL), never the network; the local
model loads offline (HF_HUB_OFFLINE=1). A block may be left out only by an HTML comment right above it that gives a
reason: `<!-- not executed: why -->`.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(
    r"(?:^<!--[ \t]*not[ \t]+executed\b:?(?P<reason>(?:(?!-->).)*)-->[ \t]*\n(?:[ \t]*\n)*)?"
    r"^```python[ \t]*\n(?P<code>.*?)^```[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
FENCE = re.compile(r"^```python\b", re.MULTILINE)
LITE_FILE = re.compile(r"""["']\./([\w.-]+\.db)["']""")


@dataclass(frozen=True)
class Block:
    number: int
    line: int
    code: str
    skip_reason: str | None  # None: the block is executed


def parse_blocks(markdown: str) -> list[Block]:
    blocks = []
    for number, match in enumerate(BLOCK.finditer(markdown), start=1):
        line = markdown.count("\n", 0, match.start("code"))  # the fence's line, 1-based
        reason = match.group("reason")
        blocks.append(Block(number, line, match.group("code"), None if reason is None else reason.strip()))
    return blocks


def readme_blocks() -> list[Block]:
    return parse_blocks(README.read_text(encoding="utf-8"))


@dataclass
class ReadmeRun:
    cwd: Path
    errors: dict[int, str] = field(default_factory=dict)  # block number -> traceback
    ran: list[int] = field(default_factory=list)
    openai_requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadmeRun]:
    """Run the executable blocks once, in order, sharing one namespace; record each block's outcome."""
    from tests.support.fake_openai import FakeOpenAIServer

    run = ReadmeRun(tmp_path_factory.mktemp("readme"))
    namespace: dict[str, object] = {"__name__": "__readme__"}
    with FakeOpenAIServer() as server, pytest.MonkeyPatch.context() as mp:
        mp.chdir(run.cwd)
        mp.setenv("OPENAI_BASE_URL", server.base_url)
        mp.setenv("OPENAI_API_KEY", "sk-readme-test")
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        for block in readme_blocks():
            if block.skip_reason is not None:
                continue
            code = compile(block.code, f"README.md block {block.number} (line {block.line})", "exec")
            try:
                exec(code, namespace)
            except Exception:
                run.errors[block.number] = traceback.format_exc(limit=8)
            run.ran.append(block.number)
        run.openai_requests = list(server.requests)
    yield run


def test_parser_finds_blocks_and_their_markers() -> None:
    markdown = "\n".join(
        [
            "intro",
            "```python",
            "a = 1",
            "```",
            "<!-- not executed: needs a Zilliz Cloud account -->",
            "",
            "```python",
            "b = 2",
            "```",
            "<!-- not executed -->",
            "```python",
            "c = 3",
            "```",
            "<!-- not executed: only above other text -->",
            "some text",
            "```python",
            "d = 4",
            "```",
            "<!-- a comment that is no marker -->",
            "```python",
            "e = 5",
            "```",
            "```bash",
            "echo no",
            "```",
        ]
    )
    blocks = parse_blocks(markdown)
    assert [b.code for b in blocks] == ["a = 1\n", "b = 2\n", "c = 3\n", "d = 4\n", "e = 5\n"]
    assert [b.skip_reason for b in blocks] == [None, "needs a Zilliz Cloud account", "", None, None]
    assert [b.line for b in blocks] == [2, 7, 11, 16, 20]


def test_every_python_fence_of_the_readme_is_a_block() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = readme_blocks()
    assert blocks, "README.md has no ```python block"
    assert len(blocks) == len(FENCE.findall(text)), "a ```python fence is not closed or not picked up"


def test_a_skipped_block_says_why() -> None:
    for block in readme_blocks():
        if block.skip_reason is not None:
            assert block.skip_reason, f"README block {block.number} (line {block.line}) is skipped without a reason"


@pytest.mark.slow
@pytest.mark.parametrize("block", readme_blocks(), ids=lambda b: f"block{b.number}-line{b.line}")
def test_readme_python_block_runs(readme_run: ReadmeRun, block: Block) -> None:
    if block.skip_reason is not None:
        assert block.skip_reason, f"README block {block.number} (line {block.line}) is skipped without a reason"
        pytest.skip(f"README block {block.number} not executed: {block.skip_reason}")
    assert block.number in readme_run.ran
    error = readme_run.errors.get(block.number)
    assert error is None, f"README block {block.number} (line {block.line}) failed:\n{error}\n{block.code}"


@pytest.mark.slow
def test_readme_examples_stay_in_their_dir_and_off_the_network(readme_run: ReadmeRun) -> None:
    executed = [b for b in readme_blocks() if b.skip_reason is None]
    assert readme_run.ran == [b.number for b in executed]
    assert os.listdir(readme_run.cwd), "the examples should have created their Milvus Lite files here"
    for name in {m for b in executed for m in LITE_FILE.findall(b.code)}:
        assert (readme_run.cwd / name).exists(), f"{name} was not created in the examples' working dir"
    if any("OpenAIEmbedder" in b.code or "openai:" in b.code for b in executed):
        assert readme_run.openai_requests, "the OpenAI example did not reach the fake OpenAI server"
        for request in readme_run.openai_requests:
            assert request["path"] == "/v1/embeddings"
            assert request["auth"] == "Bearer sk-readme-test"


@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


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
