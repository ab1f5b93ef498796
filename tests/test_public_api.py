"""`import rag` is the Python API: its names are pinned here, and importing it stays cheap."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import rag
from tests.conftest import REPO

PUBLIC = {
    "Answer", "ArticleInfo", "Citation", "ConfigError", "IndexMissingError", "IndexUnavailableError",
    "InvalidQuestionError", "LLMUnavailableError", "Passage", "Rag", "RagError", "SearchFilter",
    "Settings", "SourceRef", "TextDelta", "as_retriever", "ask", "ask_stream", "load_settings", "retrieve",
}


def test_all_is_the_pinned_surface() -> None:
    assert set(rag.__all__) == PUBLIC
    assert len(rag.__all__) == len(PUBLIC)


def test_every_public_name_resolves_to_our_own_object() -> None:
    """Also after every stage package is imported: a package named like a public function
    (`rag/retrieve/`) would replace `rag.retrieve` once imported."""
    for package in sorted(Path(rag.__file__).parent.glob("*/__init__.py")):
        importlib.import_module(f"rag.{package.parent.name}")
    for name in PUBLIC:
        assert getattr(rag, name).__module__.split(".")[0] == "rag", name
    assert issubclass(rag.IndexMissingError, rag.RagError)
    assert callable(rag.Rag.from_defaults)


def test_import_rag_loads_no_heavy_module() -> None:
    heavy = ("torch", "chromadb", "llama_index", "numpy", "pydantic", "openai")
    code = f"import sys, rag; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_cli_help_loads_no_heavy_module() -> None:
    heavy = ("torch", "chromadb", "llama_index", "numpy", "gradio")
    code = (
        "import sys\nfrom ui.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stderr.strip() == ""


def test_answering_from_an_index_loads_neither_llama_index_core_nor_nltk(sample_index: Path) -> None:
    """Importing llama-index's core is 1.5 s of a cold `rag ask`, NLTK and its Punkt model half a
    second; answering a one-sentence question from an index needs none of them."""
    code = ("import sys; from rag.api import Rag; from rag.core.settings import Settings; "
            f"answer = Rag(Settings(index_dir={str(sample_index)!r})).ask('Who led the US delegation to Beijing?'); "
            "assert 'Daskal' in answer.text, answer.text; "
            "print(sorted(m for m in ('llama_index.core', 'torch', 'nltk') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "RAG_LLM": "extractive", "RAG_NER_HELPER": "false",
                                 "PYTHONPATH": str(REPO)})
    assert loaded.stdout.strip().splitlines()[-1] == "[]", loaded.stdout + loaded.stderr


def test_spacy_and_the_sentence_splitter_load_without_torch_scipy_or_sklearn() -> None:
    code = ("import sys; from rag.core.text import split_sentences; from rag.language.entities import entities; "
            "assert split_sentences('Jan. 30 in the U.S. was cold. It snowed.') == "
            "['Jan. 30 in the U.S. was cold.', 'It snowed.']; "
            "assert [e.text for e in entities('Jen Daskal flew to Beijing.')][:1] == ['Jen Daskal']; "
            "print(sorted(m for m in ('torch', 'sklearn', 'scipy.stats') if m in sys.modules)); "
            "import torch, sklearn, scipy.stats")  # and they still import afterwards
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "RAG_NER_HELPER": "false"})
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
