"""The OpenVINO back end: same vectors as the fp32 export, safe conversion, chosen only where bf16 is.

Runs the real OpenVINO runtime on this machine's CPU (bf16 where it has it, fp32 otherwise).
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from rag.core.settings import Settings
from rag.embed.choose import get_embedder, onnx_embedder
from rag.embed.minilm import default_model_cache_dir
from rag.embed.onnx import OnnxMiniLMEmbedding, ensure_model
from rag.embed.openvino import OpenVinoMiniLMEmbedding, _convert, cpu_has_bf16, ensure_ir

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Paragraphs of the sample corpus and its whole articles (cut at 256 word pieces)."""
    articles = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    return [p.strip() for a in articles for p in a.split("\n\n") if len(p.strip()) > 40] + articles


@pytest.fixture(scope="module")
def openvino() -> OpenVinoMiniLMEmbedding:
    ensure_ir(default_model_cache_dir())
    return OpenVinoMiniLMEmbedding(cache_dir=default_model_cache_dir())


def test_matches_the_fp32_export(openvino: OpenVinoMiniLMEmbedding, texts: list[str]) -> None:
    fp32 = onnx_embedder(default_model_cache_dir()).embed(texts)
    cos = (openvino.embed(texts) * fp32).sum(axis=1)
    print(f"openvino ({'bf16' if cpu_has_bf16() else 'fp32'}) vs onnx fp32 on {len(texts)} texts: "
          f"mean {cos.mean():.6f}, min {cos.min():.6f}")
    assert cos.mean() >= 0.9999 and cos.min() >= 0.999  # measured 0.99999 / 0.99997 in bf16 on AMX
    np.testing.assert_allclose(np.linalg.norm(openvino.embed(texts[:5]), axis=1), 1.0, atol=1e-5)


def test_batches_and_threads_give_each_text_its_own_vector(
    openvino: OpenVinoMiniLMEmbedding, texts: list[str]
) -> None:
    """Mixed lengths are batched and put back in order; two threads at once do not swap outputs."""
    mixed = [texts[-1], texts[0], "Fentanyl.", texts[-3], texts[5], "", texts[1]]
    one_by_one = np.stack([openvino.embed([t])[0] for t in mixed])
    with ThreadPoolExecutor(2) as pool:
        forward, backward = pool.map(openvino.embed, [mixed, mixed[::-1]])
    assert (forward * one_by_one).sum(axis=1).min() >= 0.9999
    assert (backward[::-1] * one_by_one).sum(axis=1).min() >= 0.9999


def test_auto_takes_openvino_exactly_where_the_cpu_has_bf16(tmp_path: Path) -> None:
    chosen = get_embedder(Settings(embedder="auto"), cache_dir=tmp_path)
    expected = OpenVinoMiniLMEmbedding if cpu_has_bf16() else OnnxMiniLMEmbedding
    assert type(chosen) is expected
    assert isinstance(get_embedder(Settings(embedder="openvino"), cache_dir=tmp_path), OpenVinoMiniLMEmbedding)
    assert not list(tmp_path.iterdir()), "building an embedder must not convert anything yet"


def test_the_cpu_flags_shortcut_agrees_with_openvino_here() -> None:
    assert cpu_has_bf16() == ("BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


def test_a_cpu_without_bf16_flags_is_answered_without_importing_openvino(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f\n")
    monkeypatch.setitem(sys.modules, "openvino", None)  # importing it now raises ImportError
    assert cpu_has_bf16(cpuinfo) is False
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n")
    with pytest.raises(ImportError):  # a CPU that may have bf16 is still asked through OpenVINO
        cpu_has_bf16.__wrapped__(cpuinfo)


def test_killed_conversion_leaves_nothing_to_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = ensure_model(default_model_cache_dir(), quantized=False)
    target = tmp_path / "model.xml"
    real_save = ov.save_model

    def save_then_die(model: object, path: str, **kwargs: object) -> None:
        real_save(model, path, **kwargs)
        Path(path).with_suffix(".bin").write_bytes(b"half the weights")
        raise KeyboardInterrupt

    monkeypatch.setattr(ov, "save_model", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _convert(source, target)
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setattr(ov, "save_model", real_save)
    _convert(source, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin", "model.xml"]
