"""`pip install milvus-integrations[all]` from a freshly built wheel works, in a brand-new venv."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_built_wheel_installs_with_all_extras(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)], check=True, capture_output=True
    )
    (wheel,) = dist.glob("milvus_integrations-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "milvus_integrations/py.typed" in names and not any(n.startswith("tests/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    pip = [py, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "torch==2.13.0"], check=True, capture_output=True)  # the CPU build, as in the Makefile
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), f"{wheel}[all]"], check=True, capture_output=True)
    probe = (
        "import milvus_integrations, milvus_integrations.langchain, milvus_integrations.llama_index, "
        "milvus_integrations.embeddings.openai, milvus_integrations.cli; print(milvus_integrations.__version__)"
    )
    out = subprocess.run([py, "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path)
    import milvus_integrations

    assert out.stdout.strip() == milvus_integrations.__version__
    help_text = subprocess.run([str(venv / "bin" / "milvus-integrations"), "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "ingest" in help_text.stdout
