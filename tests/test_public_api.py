"""`import rag` is the Python API: its names are pinned here, and importing it stays cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import rag

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
