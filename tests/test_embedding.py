"""The ONNX embedder gives the torch reference's vectors, in input order, without importing torch.

Runs the real model on the sample corpus. The ONNX export happens once into the default model
cache (the same one ingest uses), so only a first run on a machine pays for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from rag.core.settings import Settings
from rag.embed.choose import get_embedder, onnx_embedder, torch_embedder
from rag.embed.minilm import MAX_WORD_PIECES, default_model_cache_dir, get_tokenizer
from rag.embed.onnx import OnnxMiniLMEmbedding, _write_atomically, ensure_model

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "data" / "corpus"


def corpus_texts() -> list[str]:
    """Every paragraph of the sample corpus, plus whole articles (longer than 256 word pieces)."""
    articles = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    paragraphs = [
        para.strip() for a in articles for para in a.split("\n\n") if len(para.strip()) > 40
    ]
    return paragraphs + articles


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    """The default cache, with both ONNX variants exported (once per machine)."""
    directory = default_model_cache_dir()
    ensure_model(directory, quantized=True)  # exports fp32 first
    return directory


@pytest.fixture(scope="session")
def texts() -> list[str]:
    return corpus_texts()


@pytest.fixture(scope="session")
def reference(texts: list[str]) -> np.ndarray:
    """The torch (sentence-transformers) vectors every ONNX variant is compared with."""
    return np.asarray(torch_embedder().get_text_embedding_batch(texts))


@pytest.fixture(scope="session")
def fp32(cache_dir: Path) -> OnnxMiniLMEmbedding:
    embedder = onnx_embedder(cache_dir)
    assert isinstance(embedder, OnnxMiniLMEmbedding)
    return embedder


def test_onnx_fp32_matches_torch_reference(
    fp32: OnnxMiniLMEmbedding, texts: list[str], reference: np.ndarray
) -> None:
    cos = cosines(np.asarray(fp32.get_text_embedding_batch(texts)), reference)
    print(f"onnx fp32 vs torch on {len(texts)} texts: mean {cos.mean():.5f}, min {cos.min():.5f}")
    assert cos.mean() >= 0.99 and cos.min() >= 0.98
    assert cos.min() >= 0.999, "same graph and same truncation: fp32 should be exact to rounding"


def test_onnx_int8_stays_close_to_torch_reference(
    cache_dir: Path, texts: list[str], reference: np.ndarray
) -> None:
    cos = cosines(onnx_embedder(cache_dir, quantized=True).embed(texts), reference)
    print(f"onnx int8 vs torch on {len(texts)} texts: mean {cos.mean():.5f}, min {cos.min():.5f}")
    assert cos.mean() >= 0.99
    assert cos.min() >= 0.97  # measured 0.98; int8 kernels differ a little between CPUs


def test_vectors_are_unit_length(
    fp32: OnnxMiniLMEmbedding, texts: list[str], reference: np.ndarray
) -> None:
    vectors = np.asarray(
        fp32.get_text_embedding_batch(texts[:20]) + [fp32.get_query_embedding("who?")]
    )
    assert vectors.shape[1] == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(reference, axis=1), 1.0, atol=1e-5)


def test_length_batching_returns_input_order(cache_dir: Path, texts: list[str]) -> None:
    mixed = [texts[-1], texts[0], "Fentanyl.", texts[-3], texts[5], "", texts[1]]
    embedder = OnnxMiniLMEmbedding(cache_dir=cache_dir, session_batch_size=3)
    batched = embedder.embed(mixed)
    one_by_one = np.stack([embedder.embed([t])[0] for t in mixed])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_a_query_is_embedded_as_any_text(fp32: OnnxMiniLMEmbedding, texts: list[str]) -> None:
    batch = fp32.get_text_embedding_batch(texts[:5])
    np.testing.assert_allclose(batch, fp32.embed(texts[:5]), atol=1e-6)
    np.testing.assert_allclose(fp32.get_query_embedding(texts[0]), batch[0], atol=1e-6)
    assert fp32.embed([]).shape == (0, 384)


def test_onnx_path_does_not_import_torch(cache_dir: Path) -> None:
    code = (
        "import sys\n"
        "from rag.core.settings import Settings\n"
        "from rag.embed.choose import get_embedder\n"
        "e = get_embedder(Settings())\n"
        "assert len(e.get_query_embedding('Who led the delegation?')) == 384\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    env = {**os.environ, "RAG_MODEL_CACHE": str(cache_dir), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_get_embedder_chooses_by_setting(tmp_path: Path) -> None:
    fp32 = get_embedder(Settings(embedder="onnx"), cache_dir=tmp_path)
    assert isinstance(fp32, OnnxMiniLMEmbedding) and not fp32.quantized
    int8 = get_embedder(Settings(embedder="onnx-int8"), cache_dir=tmp_path)
    assert isinstance(int8, OnnxMiniLMEmbedding) and int8.quantized
    assert isinstance(get_embedder(Settings(embedder="torch")), BaseEmbedding)
    assert not list(tmp_path.iterdir()), "building an embedder must not export anything yet"


def test_killed_export_leaves_no_model(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"

    def crash(path: Path) -> None:
        path.write_bytes(b"half a model")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _write_atomically(target, crash)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_processes_exporting_at_once_all_get_the_model(tmp_path: Path) -> None:
    """`rag` commands started together on a fresh machine used to break each other's
    quantisation (onnxruntime's fixed `-inferred.onnx` scratch file)."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from rag.embed.onnx import ensure_model\n"
        "print(ensure_model(Path(sys.argv[1]), quantized=True))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=env, cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    for code_, _, err in results:
        assert code_ == 0, err
    models = sorted(f.name for f in tmp_path.iterdir() if not f.name.startswith("."))
    assert [m.rsplit("-", 1)[-1] for m in models] == ["fp32.onnx", "int8.onnx"]
    assert {out.strip() for _, out, _ in results} == {str(tmp_path / models[1])}


def test_tokenizer_counts_without_truncation_or_padding() -> None:
    tokenizer = get_tokenizer()
    long_text = (CORPUS / "citynews-ap-us-china-fentanyl-talks-2024-01-30.txt").read_text(
        encoding="utf-8"
    )
    assert len(tokenizer.encode(long_text).ids) > MAX_WORD_PIECES == 256
    tokens = tokenizer.encode("Fentanyl talks").tokens
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "[PAD]" not in tokens
