"""Package hygiene: a light top-level import, public names that resolve, type information shipped."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import milvus_integrations

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("langchain", "langchain_core", "llama_index", "torch", "sentence_transformers", "openai")


def test_importing_the_package_imports_no_framework() -> None:
    code = "import json, sys, milvus_integrations; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = set(json.loads(out.stdout))
    assert not loaded & set(HEAVY), f"import milvus_integrations pulled in {sorted(loaded & set(HEAVY))}"


def test_top_level_names_resolve() -> None:
    for name in milvus_integrations.__all__:
        assert getattr(milvus_integrations, name) is not None
    assert issubclass(milvus_integrations.SchemaError, milvus_integrations.MilvusIntegrationError)
    assert issubclass(milvus_integrations.FilterError, ValueError)


@pytest.mark.parametrize(
    "module",
    ["milvus_integrations.langchain", "milvus_integrations.llama_index", "milvus_integrations.embeddings"],
)
def test_public_modules_export_what_they_list(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__, f"{module} lists no public names"
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names {name!r}, which it does not define"


def test_py_typed_is_shipped() -> None:
    assert (Path(milvus_integrations.__file__).parent / "py.typed").is_file()


def test_version_is_defined_once() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert milvus_integrations.__version__.count(".") == 2


def test_every_name_the_readme_imports_is_public() -> None:
    import re

    readme = (ROOT / "README.md").read_text()
    imports = re.findall(r"^from (milvus_integrations[\w.]*) import (.+)$", readme, re.MULTILINE)
    assert imports
    for module_name, names in imports:
        module = importlib.import_module(module_name)
        for name in (n.split(" as ")[0].strip() for n in names.split(",")):
            assert name in module.__all__, f"README imports {name} from {module_name}, which does not list it"
