"""all-MiniLM-L6-v2 on onnxruntime: the same vectors as sentence-transformers, faster, no torch.

Why: on a CPU, torch spends much of an embedding call on framework overhead and padding. Here the
packaged weights are exported to ONNX once (the only place torch is imported), cached under a name
keyed by the weights' hash, and every later run needs only onnxruntime, `tokenizers` and numpy.

The maths matches sentence-transformers' pipeline for this model (modules.json): BERT, mean
pooling over the attention mask, L2 normalisation; texts are cut at 256 word pieces. Batches are
formed from texts of similar length (sorted by token count, padded per batch, order restored), so
a short chunk never pays for a long one's padding.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from rag.embed.minilm import MAX_WORD_PIECES, default_model_cache_dir, get_tokenizer, model_dir

EXPORT_VERSION = 1
"""Bump when `_export` changes, so models exported by older code are not reused."""

WEIGHTS_FILE = "model.safetensors"
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAME = "last_hidden_state"
DIMENSIONS = 384

log = logging.getLogger(__name__)


# --- the cached model file ----------------------------------------------------------------------
@lru_cache(maxsize=4)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    """sha256 of a file; size and mtime are in the key so a replaced file is hashed again."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def model_key() -> str:
    """A short hash of the packaged weights: a new model version gets a new cache entry."""
    weights = model_dir() / WEIGHTS_FILE
    stat = weights.stat()
    return _digest(weights, stat.st_size, stat.st_mtime_ns)[:16]


def cached_model_path(cache_dir: Path, quantized: bool = False) -> Path:
    """Where the exported model for the packaged weights lives (it may not exist yet)."""
    variant = "int8" if quantized else "fp32"
    return cache_dir / f"all-minilm-l6-v2-{model_key()}-v{EXPORT_VERSION}-{variant}.onnx"


def ensure_model(cache_dir: Path, quantized: bool = False) -> Path:
    """The cached ONNX model, exported (and quantised) first if it is not there yet."""
    target = cached_model_path(cache_dir, quantized)
    if target.exists():
        return target
    write: Callable[[Path], None] = _export
    if quantized:
        write = partial(_quantize, ensure_model(cache_dir, quantized=False))
    cache_dir.mkdir(parents=True, exist_ok=True)
    # One exporter at a time across processes (two `rag` commands started together on a fresh
    # machine): onnxruntime's quantiser writes a fixed `<source>-inferred.onnx` beside the source
    # and deletes it, so two concurrent quantisations break each other; waiters then find the file.
    with FileLock(cache_dir / f".{target.name}.lock"):
        if target.exists():
            return target
        log.info("exporting all-MiniLM-L6-v2 to %s (once)", target)
        _write_atomically(target, write)
    return target


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write to a temp file beside `target`, then rename: a killed export leaves no broken model."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".onnx")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp's 0600 would hide the cache from other users of the machine
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _export(path: Path) -> None:
    """Export BERT's last hidden state with dynamic batch and sequence axes.

    The TorchScript exporter (`dynamo=False`) writes one self-contained file and needs only the
    `onnx` package. The example batch has padding so tracing takes the general masking path.
    """
    import torch
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(model_dir()), attn_implementation="eager").eval()
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    axes = {name: {0: "batch", 1: "sequence"} for name in [*INPUT_NAMES, OUTPUT_NAME]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shape checks that hold for all inputs
        torch.onnx.export(
            _positional(bert),
            (ids, mask, torch.zeros_like(ids)),
            str(path),
            dynamo=False,
            input_names=INPUT_NAMES,
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=17,
            external_data=False,
        )


def _positional(bert: Any) -> Any:
    """BertModel taking its three inputs by position (its own order differs), giving the
    last hidden state only."""
    import torch

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    return Positional().eval()


def _quantize(source: Path, path: Path) -> None:
    """int8 weights for the matrix multiplies, activations quantised on the fly.

    Per-channel 7-bit weights were the closest to fp32 of the settings tried (plain per-tensor
    int8 gave a mean cosine of only 0.956 against the torch reference).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(source, path, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)


# --- inference ----------------------------------------------------------------------------------
def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average of the token vectors, padding excluded: [batch, seq, dim] -> [batch, dim]."""
    weights = mask[:, :, None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows, so cosine similarity is a dot product."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def pad(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad token ids to the longest row: (input_ids, attention_mask), both int64."""
    ids = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def span_means(states: np.ndarray, offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> np.ndarray:
    """Unit vectors, one per (start, end) character span: the mean state of the tokens that start
    inside it. Special tokens (empty offsets) count for none; a span the model never saw (cut off
    at the 256-piece limit) gets a zero row. `spans` must be sorted and must not overlap."""
    found = np.zeros((len(spans), states.shape[-1]), dtype=np.float32)
    if not spans or not offsets:
        return found
    bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    starts, ends = np.asarray(offsets, dtype=np.int64).T
    which = np.searchsorted(bounds[:, 0], starts, side="right") - 1
    inside = (ends > starts) & (which >= 0) & (starts < bounds[np.maximum(which, 0), 1])
    np.add.at(found, which[inside], states[: len(offsets)][inside])
    return l2_normalise(found)


def length_batches(lengths: list[int], size: int) -> list[list[int]]:
    """Indices grouped into batches of at most `size`, each of texts of similar length."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[i : i + size] for i in range(0, len(order), size)]


@dataclass
class EmbedStats:
    """What this embedder has done: word pieces fed to the model and the seconds `embed` took."""

    texts: int = 0
    word_pieces: int = 0
    seconds: float = 0.0

    @property
    def pieces_per_s(self) -> float:
        return self.word_pieces / self.seconds if self.seconds else 0.0


class OnnxMiniLMEmbedding:
    """all-MiniLM-L6-v2 on onnxruntime; vectors are L2-normalised. It has the two methods the
    pipeline's `Embedder` protocol asks for, the names llama-index's embeddings use.

    Not a llama-index `BaseEmbedding`: importing that imports all of `llama_index.core`, 1.5 s of
    a cold `rag ask` that never hands this embedder to llama-index (docs/perf/README.md).
    """

    model_name = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self, cache_dir: Path | None = None, quantized: bool = False, session_batch_size: int = 8,
                 num_threads: int | None = None) -> None:
        """`quantized`: int8 dynamically quantised weights. `session_batch_size`: texts per
        onnxruntime run; 8 measured best on 2 cores (sample chunks: 170/s at 8, 128/s at 32;
        newswire: 211/s vs 176/s), as small runs of similar-length texts carry almost no padding."""
        if session_batch_size <= 0 or (num_threads is not None and num_threads <= 0):
            raise ValueError("session_batch_size and num_threads must be positive")
        self.cache_dir = cache_dir or default_model_cache_dir()
        self.quantized = quantized
        self.session_batch_size = session_batch_size
        self.num_threads = num_threads or cpu_count()
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._stats = EmbedStats()

    def get_query_embedding(self, query: str) -> list[float]:
        """This model uses no query instruction: a query is embedded as any text."""
        return self.embed([query])[0].tolist()

    def get_text_embedding_batch(self, texts: list[str], show_progress: bool = False, **_: Any) -> list[list[float]]:
        return self.embed(texts).tolist()

    def _runtime(self) -> tuple[Any, Any]:
        """Session and tokenizer, built on first use (exporting the model if needed)."""
        with self._lock:
            if self._session is None:
                self._tokenizer = get_tokenizer()
                self._tokenizer.enable_truncation(MAX_WORD_PIECES)
                self._session = self._new_session(self._model_file())
        return self._session, self._tokenizer

    def _model_file(self) -> Path:
        """The model this back end loads, made first if it is not cached yet."""
        return ensure_model(self.cache_dir, self.quantized)

    def _new_session(self, path: Path) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.num_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str]) -> np.ndarray:
        """[len(texts), 384] float32 unit vectors, in input order."""
        return self._embed(texts, None)[0]

    def embed_with_spans(self, texts: list[str],
                         spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, from the same model run, a unit vector per (start, end)
        character span of it (`span_means`): [len(spans[i]), 384] for text i.

        Why: the reader compares the question with single sentences. Pooling each sentence out of
        its chunk's run ("late chunking", Günther et al. 2024) costs no model time at ingest, where
        embedding every sentence alone would double it. On RealTime QA the reader's answers with these
        are within a few questions of those with each sentence embedded alone (docs/EVALUATION.md,
        ninth round)."""
        return self._embed(texts, spans)

    def _embed(self, texts: list[str],
               spans: list[list[tuple[int, int]]] | None) -> tuple[np.ndarray, list[np.ndarray]]:
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out, []
        session, tokenizer = self._runtime()
        started = time.perf_counter()
        encodings = tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        # filled by position below (batches are in length order); a text without spans stays empty
        parts = [np.empty((0, DIMENSIONS), dtype=np.float32)] * (len(texts) if spans is not None else 0)
        for batch in length_batches(lengths, self.session_batch_size):
            hidden, mask = self._states(session, [encodings[i].ids for i in batch])
            out[batch] = l2_normalise(mean_pool(hidden, mask))
            if spans is not None:
                for row, i in enumerate(batch):
                    parts[i] = span_means(hidden[row], encodings[i].offsets, spans[i])
        self._stats.texts += len(texts)
        self._stats.word_pieces += sum(lengths)
        self._stats.seconds += time.perf_counter() - started
        return out, parts

    @property
    def stats(self) -> EmbedStats:
        """Totals since this embedder was made (ingest reports its rate beside the whole run's)."""
        return self._stats

    def _states(self, session: Any, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token states [batch, seq, 384] of one padded batch, and its attention mask."""
        ids, mask = pad(rows)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._hidden(session, feed), mask

    def _hidden(self, session: Any, feed: dict[str, np.ndarray]) -> np.ndarray:
        """BERT's last hidden state for one padded batch."""
        return session.run([OUTPUT_NAME], feed)[0]
