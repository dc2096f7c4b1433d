# `make demo` and `make test` do all the set-up on a fresh machine with Python 3.11 and a package registry.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A real Milvus standalone server (PyPI `milvus` 2.3.5) for the server-mode tests; they run it inside a private
# network namespace. Kept in its own venv: it is a test fixture, not a dependency.
MILVUS_SERVER := .venv-milvus-server/bin/milvus-server

.PHONY: install demo test test-real-server test-rest lint typecheck bench wheel clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first: an unpinned torch (pulled by sentence-transformers) would be a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(MILVUS_SERVER):
	test -x .venv-milvus-server/bin/python || $(PYTHON) -m venv .venv-milvus-server
	.venv-milvus-server/bin/python -m pip install -q milvus==2.3.5

demo: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/milvus-integrations demo

lint: $(STAMP)
	$(BIN)/ruff check milvus_integrations tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# The real-server suite (~800 s in the last CI run, most of it waiting on the server) runs beside the rest of the
# suite (~830 s): two pytest processes on the 2 cores instead of one after the other. -O prints each one's output
# whole when it ends, -k lets both finish, and make exits non-zero if either fails. Each gets its own temp dir and no
# shared .pytest_cache.
PYTEST := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -q -p no:cacheprovider
REAL_SERVER_TEST := tests/server/test_real_milvus.py

test: lint typecheck $(MILVUS_SERVER)
	$(MAKE) --no-print-directory -k -j2 -O test-real-server test-rest

test-real-server:
	$(PYTEST) --basetemp="$$(mktemp -d)/real-server" $(REAL_SERVER_TEST)

test-rest:
	$(PYTEST) --basetemp="$$(mktemp -d)/rest" --ignore=$(REAL_SERVER_TEST) $(REST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --n 5000

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist

clean:
	rm -rf $(VENV) .venv-milvus-server dist build .pytest_cache .mypy_cache .ruff_cache .bench
