"""Package hygiene: a light top-level import, public names of the kinds promised, one version, type information
shipped."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

import milvus_integrations
from milvus_integrations.core import client as core_client
from milvus_integrations.core import errors as core_errors

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest depends on tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("langchain", "langchain_core", "llama_index", "torch", "sentence_transformers", "openai")
FRAMEWORKS = ("langchain", "langchain_core", "llama_index")
# hatch's default version pattern (tool.hatch.version without a `pattern`)
HATCH_VERSION = re.compile(r"""^(__version__|VERSION) *= *(['"])v?(?P<version>.+?)\2""", re.MULTILINE)


def test_importing_the_package_imports_no_framework() -> None:
    code = "import json, sys, milvus_integrations; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = set(json.loads(out.stdout))
    assert not loaded & set(HEAVY), f"import milvus_integrations pulled in {sorted(loaded & set(HEAVY))}"


def test_the_core_client_imports_no_framework_either() -> None:
    code = (
        "import json, sys, milvus_integrations; milvus_integrations.MilvusClient; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = set(json.loads(out.stdout))
    assert not loaded & set(FRAMEWORKS), (
        f"milvus_integrations.MilvusClient pulled in {sorted(loaded & set(FRAMEWORKS))}"
    )


def test_top_level_names_are_errors_the_client_or_the_version() -> None:
    names = milvus_integrations.__all__
    assert len(names) == len(set(names)), "__all__ lists a name twice"
    assert "MilvusClient" in names and "__version__" in names and "MilvusIntegrationError" in names
    for name in names:
        value = getattr(milvus_integrations, name)
        if name == "__version__":
            assert isinstance(value, str)
        elif name == "MilvusClient":
            assert value is core_client.MilvusClient
        else:
            assert inspect.isclass(value) and issubclass(value, milvus_integrations.MilvusIntegrationError), (
                f"milvus_integrations.{name} is not an error class deriving from MilvusIntegrationError"
            )
            assert value is getattr(core_errors, name)


def test_every_error_the_core_defines_is_exported() -> None:
    defined = {
        name
        for name, value in vars(core_errors).items()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == core_errors.__name__
    }
    assert defined <= set(milvus_integrations.__all__), (
        f"not exported: {sorted(defined - set(milvus_integrations.__all__))}"
    )


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("ConfigError", ValueError),
        ("UnknownKeywordError", TypeError),
        ("SchemaError", ValueError),
        ("FilterError", ValueError),
        ("CollectionNotFoundError", LookupError),
        ("MissingDependencyError", ImportError),
        ("MilvusConnectionError", ConnectionError),
    ],
)
def test_errors_that_mean_a_builtin_also_are_one(name: str, builtin: type[Exception]) -> None:
    assert issubclass(getattr(milvus_integrations, name), builtin)


def test_milvus_client_is_the_core_client_class() -> None:
    client = milvus_integrations.MilvusClient
    assert inspect.isclass(client)
    assert client is core_client.MilvusClient
    assert client.__module__ == "milvus_integrations.core.client"
    with pytest.raises(AttributeError, match="NoSuchName"):
        milvus_integrations.NoSuchName  # noqa: B018


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


def test_version_is_pep_440_and_the_one_hatch_builds() -> None:
    version = milvus_integrations.__version__
    assert str(Version(version)) == version, f"{version!r} is not a normalized PEP 440 version"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    source = ROOT / pyproject["tool"]["hatch"]["version"]["path"]
    assert source.resolve() == Path(milvus_integrations.__file__).resolve()
    found = HATCH_VERSION.findall(source.read_text())
    assert len(found) == 1, "hatch must find exactly one version assignment"
    assert found[0][2] == version
    assert importlib.metadata.version(pyproject["project"]["name"]) == version, "installed metadata is stale"


def test_every_name_the_readme_imports_is_public() -> None:
    readme = (ROOT / "README.md").read_text()
    imports = re.findall(r"^from (milvus_integrations[\w.]*) import (.+)$", readme, re.MULTILINE)
    assert imports
    for module_name, names in imports:
        module = importlib.import_module(module_name)
        for name in (n.split(" as ")[0].strip() for n in names.split(",")):
            assert name in module.__all__, f"README imports {name} from {module_name}, which does not list it"
