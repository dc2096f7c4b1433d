"""The command-line tool, run as a user would: real files, a real Lite file, the real local model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from milvus_integrations.cli import main
from tests.support.fake_openai import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "cats.md").write_text("# Cats\n\nCats are small pets that purr and sleep a lot.\n")
    (d / "engines.txt").write_text("Diesel engines power trucks on long roads.\n")
    (d / "page.html").write_text("<html><body><h1>Guitars</h1><p>A guitar has six strings.</p></body></html>")
    (d / "skip.bin").write_bytes(b"\x00\x01")
    return d


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "milvus_integrations.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=600
    )


def test_ingest_search_info_end_to_end(corpus: Path, tmp_path: Path) -> None:
    uri = str(tmp_path / "cli.db")
    out = run("ingest", str(corpus), "--uri", uri, "--collection", "docs", "--full-text", "--quiet")
    assert out.returncode == 0, out.stderr
    assert "ingested 3 files, 3 chunks" in out.stdout
    # re-ingesting replaces the same chunks instead of duplicating them
    assert run("ingest", str(corpus), "--uri", uri, "--collection", "docs", "--full-text", "--quiet").returncode == 0

    found = run("search", "a pet that purrs", "--uri", uri, "--collection", "docs", "-k", "2", "--json")
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)
    assert results[0]["metadata"]["source"].endswith("cats.md") and 0 < results[0]["score"] <= 1

    filtered = run(
        "search", "a pet", "--uri", uri, "--collection", "docs", "--filter", json.dumps({"source": {"$like": "%.txt"}})
    )
    assert filtered.returncode == 0 and "engines.txt" in filtered.stdout and "cats.md" not in filtered.stdout

    text = run("search", "guitar strings", "--uri", uri, "--collection", "docs", "--mode", "full_text", "-k", "1")
    assert text.returncode == 0 and "page.html" in text.stdout

    info = run("info", "--uri", uri)
    assert info.returncode == 0 and "docs: 3 rows" in info.stdout and "HNSW" in info.stdout and "BM25" in info.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ingest", "/no/such/path", "--uri", "{tmp}/x.db"], "no such file or directory"),
        (["search", "q", "--uri", "{tmp}/x.db", "--filter", "{bad json"], "--filter is not valid JSON"),
        (["search", "q", "--uri", "{tmp}/x.db", "--collection", "missing"], "does not exist"),
        (["search", "q", "--uri", "{tmp}/x.db", "--embedding", "cohere:x"], "unknown embedding spec"),
        (["info", "--uri", "{tmp}/x.db", "--collection", "nope"], "does not exist"),
        (["info", "--uri", "not-a-db-path"], "neither a Milvus Lite file"),
    ],
)
def test_user_mistakes_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unsupported_file_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.docx"
    bad.write_text("x")
    assert main(["ingest", str(bad), "--uri", str(tmp_path / "x.db")]) == 2
    assert "unsupported file type .docx" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_answers_from_the_python_docs(tmp_path: Path) -> None:
    out = run("demo", "--uri", str(tmp_path / "demo.db"), "--limit", "30")
    assert out.returncode == 0, out.stderr
    assert "LangChain retriever" in out.stdout and "LlamaIndex retriever on the same collection" in out.stdout
    answers = out.stdout.split("'what does the with statement do'")
    assert len(answers) == 3  # asked through both frameworks
    # among the first 30 topics, the with statement is documented under compound statements and context managers
    for answer in answers[1:]:
        top = answer.split("\n")[1]
        assert "compound" in top or "context-managers" in top


def test_ingest_stores_batch_by_batch_and_a_rerun_completes(tmp_path: Path) -> None:
    """Files are embedded and stored a batch at a time; a file that cannot be read stops the ingest with the chunks
    before it stored (and says how many), and running the command again completes the collection."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("\n\n".join(f"Paragraph {i} about cats and their long naps." for i in range(5)))
    (docs / "b.txt").write_text("\n\n".join(f"Paragraph {i} about trucks on the road." for i in range(4)))
    (docs / "c.pdf").write_bytes(b"this is not a pdf")
    uri = str(tmp_path / "i.db")
    argv = ["ingest", str(docs), "--uri", uri, "--collection", "docs", "--batch-size", "2", "--chunk-size", "60"]
    first = run(*argv, "--chunk-overlap", "0", "--quiet")
    assert first.returncode == 2
    lines = first.stderr.strip().splitlines()
    assert len(lines) == 1, lines  # pypdf's own warnings about the file do not come before it
    error = lines[0]
    assert "Loading weights" not in first.stderr  # --quiet silences the local model's loading bars too
    assert error.startswith(f"milvus-integrations: error: cannot read {docs / 'c.pdf'} as a PDF")
    stored = int(error.split("(")[-1].split()[0])
    assert stored == 8  # 9 chunks read, stored two at a time: the ninth was pending when c.pdf failed
    assert f"docs: {stored} rows" in run("info", "--uri", uri).stdout
    (docs / "c.pdf").unlink()
    second = run(*argv, "--chunk-overlap", "0", "--quiet")
    assert second.returncode == 0, second.stderr
    assert "ingested 2 files, 9 chunks" in second.stdout
    assert "docs: 9 rows" in run("info", "--uri", uri).stdout  # the chunks stored before were replaced


def test_ingest_says_how_many_chunks_are_stored_when_embedding_fails_part_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("\n\n".join(f"Paragraph {i} about cats and their long naps." for i in range(5)))
    uri = str(tmp_path / "e.db")
    argv = ["ingest", str(docs), "--uri", uri, "--collection", "docs", "--embedding", "openai:text-embedding-3-small"]
    argv += ["--batch-size", "2", "--chunk-size", "60", "--chunk-overlap", "0", "--quiet"]
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-secret")
        server.failures = [None, None, 400]  # one embedding request per batch of two chunks: the third fails
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("milvus-integrations: error: ")
        assert "scripted failure 400" in err[0] and "sk-cli-secret" not in err[0]
        assert err[0].endswith("(4 chunks are stored; running the same command again completes the collection)")
        assert len(server.requests) == 3
        assert main(["info", "--uri", uri]) == 0 and "docs: 4 rows" in capsys.readouterr().out
        assert main(argv) == 0
        assert "ingested 1 files, 5 chunks" in capsys.readouterr().out
        assert main(["info", "--uri", uri]) == 0 and "docs: 5 rows" in capsys.readouterr().out


def test_a_damaged_but_readable_pdf_is_ingested_with_one_warning_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cats.pdf").write_bytes(_pdf_with_a_wrong_xref_offset("Cats sleep sixteen hours a day"))
    uri = str(tmp_path / "p.db")
    assert main(["ingest", str(docs), "--uri", uri, "--collection", "docs", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "ingested 1 files, 1 chunks" in captured.out
    warning = captured.err.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith(f"milvus-integrations: warning: {docs / 'cats.pdf'}: ")
    assert main(["search", "how long do cats sleep", "--uri", uri, "--collection", "docs", "-k", "1"]) == 0
    assert "sixteen hours" in capsys.readouterr().out


def _pdf_with_a_wrong_xref_offset(text: str) -> bytes:
    """A one-page PDF whose `startxref` points at the wrong place: pypdf warns and rebuilds the table."""
    stream = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref + 7)
    return out


@pytest.mark.parametrize("value", ["0", "-3", "x"])
def test_ingest_batch_size_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ingest", str(tmp_path), "--batch-size", value])
    assert info.value.code == 2
    assert "--batch-size" in capsys.readouterr().err
