"""Embedding speed and fidelity: torch reference vs ONNX fp32, ONNX int8 and OpenVINO, same chunks, same run.

Why: the ONNX back end is chosen by default only because it is faster *and* gives the same
vectors; this prints both facts from one run on this machine. The back ends take turns within
each round, so a busy neighbour process slows them all alike. Chunks are corpus paragraphs packed
up to ~200 word pieces (a typical chunk), repeated to reach the requested count.

    python -m eval.bench_embed [--chunks 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from rag.core.settings import Settings
from rag.embed.choose import get_embedder, onnx_embedder, torch_embedder
from rag.embed.minilm import default_model_cache_dir, get_tokenizer

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
CHUNK_WORD_PIECES = 200


def corpus_chunks(count: int) -> list[str]:
    """Paragraphs packed greedily into chunks of at most CHUNK_WORD_PIECES, cycled to `count`."""
    tokenizer = get_tokenizer()
    chunks: list[str] = []
    current: list[str] = []
    for paragraph in corpus_paragraphs():
        candidate = "\n\n".join([*current, paragraph])
        if current and len(tokenizer.encode(candidate).ids) > CHUNK_WORD_PIECES:
            chunks.append("\n\n".join(current))
            current = []
        current.append(paragraph)
    chunks.append("\n\n".join(current))
    return [chunks[i % len(chunks)] for i in range(count)]


def corpus_paragraphs() -> list[str]:
    texts = (p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    return [para.strip() for text in texts for para in text.split("\n\n") if para.strip()]


def timed(embedder: BaseEmbedding, chunks: list[str]) -> tuple[float, np.ndarray]:
    """Seconds for one `get_text_embedding_batch` over all chunks, and the vectors."""
    start = time.perf_counter()
    vectors = np.asarray(embedder.get_text_embedding_batch(chunks), dtype=np.float32)
    return time.perf_counter() - start, vectors


def backends(cache_dir: Path) -> dict[str, BaseEmbedding]:
    return {
        "torch (HuggingFaceEmbedding)": torch_embedder(),
        "onnx fp32": onnx_embedder(cache_dir),
        "onnx int8": onnx_embedder(cache_dir, quantized=True),
        "openvino (bf16 where the CPU has it)": get_embedder(Settings(embedder="openvino"), cache_dir),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    chunks = corpus_chunks(args.chunks)
    embedders = backends(default_model_cache_dir())
    for embedder in embedders.values():  # warm-up: loading, export on a first run, allocations
        embedder.get_text_embedding_batch(chunks[:8])
    seconds: dict[str, list[float]] = {name: [] for name in embedders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, embedder in embedders.items():
            elapsed, vectors[name] = timed(embedder, chunks)
            seconds[name].append(elapsed)
    print_table(chunks, seconds, vectors)


def print_table(
    chunks: list[str], seconds: dict[str, list[float]], vectors: dict[str, np.ndarray]
) -> None:
    """One row per back end: median throughput, speed-up and cosine against the first (torch)."""
    tokenizer = get_tokenizer()
    pieces = statistics.mean(len(tokenizer.encode(c).ids) for c in chunks)
    rounds = len(next(iter(seconds.values())))
    print(f"{len(chunks)} chunks of {pieces:.0f} word pieces on average, {rounds} rounds")
    print(f"{'embedder':30s} {'chunks/s':>9s} {'speed-up':>9s} {'cos mean':>9s} {'cos min':>8s}")
    reference = next(iter(vectors.values()))
    base = statistics.median(next(iter(seconds.values())))
    for name, times in seconds.items():
        median = statistics.median(times)
        cos = (vectors[name] * reference).sum(axis=1)
        row = (
            f"{len(chunks) / median:9.1f} {base / median:8.1f}x {cos.mean():9.4f} {cos.min():8.4f}"
        )
        print(f"{name:30s} {row}")


if __name__ == "__main__":
    main()
