"""All settings, read from `RAG_*` environment variables (and an optional `.env`) in one place.

Everything else receives a `Settings` object; nothing else reads the environment, except the
`openai` client's own `OPENAI_API_KEY` / `OPENAI_BASE_URL`, which we read here too so the
choice of answer mode is made in one function.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MANIFEST_FILE = "manifest.sqlite3"  # the ingest manifest's file name inside `index_dir`

EmbedderName = Literal["auto", "onnx", "onnx-int8", "openvino", "torch"]
LlmName = Literal["local", "extractive", "openai"]


def _default_model_cache() -> Path:
    """Where the bundled model's parts are joined once: `$XDG_CACHE_HOME/news-rag/models`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "news-rag" / "models"


class Settings(BaseSettings):
    """Typed, frozen configuration. Field names map to `RAG_<NAME>` variables."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", extra="ignore", frozen=True
    )

    index_dir: Path = Field(default=Path(".rag"), description="Chroma index and ingest manifest")
    chroma_url: str | None = Field(default=None, description="use a Chroma server, e.g. http://127.0.0.1:8000")
    replica_refresh_s: float = Field(
        default=2.0, ge=0, description="with a Chroma server: how often a question looks there for a newer index"
    )
    collection: str = "news"
    top_k: int = Field(default=5, ge=1, le=50)
    llm_model: str | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_queue: int = Field(default=4, ge=0, description="questions that may wait for the model; more get extractive")
    llm_queue_wait_s: float = Field(default=60.0, gt=0, description="longest wait for the model before extractive")
    embedder: EmbedderName = "auto"
    ingest_batch_chunks: int = Field(default=512, ge=1, description="chunks embedded and committed per batch")
    max_question_chars: int = Field(default=2000, ge=10)
    ner_helper: bool = Field(default=True, description="on 2+ cores, `Rag.warm_up` starts a second NER process")
    auth: SecretStr | None = Field(default=None, description="user:password required to bind beyond loopback")
    feedback_file: Path | None = None

    # Who writes the answers; None: OpenAI when OPENAI_* is set, else the local model when
    # installed, else extractive (rag.generate.local_model.llm_mode decides).
    llm: LlmName | None = None
    local_model: Path | None = Field(default=None, description="a GGUF to serve instead of the bundled model")
    model_cache_dir: Path = Field(default_factory=_default_model_cache)
    local_threads: int = Field(default=2, ge=1, le=64, description="llama.cpp threads, prompt and generation")
    local_ctx: int = Field(default=4096, ge=512, le=131072, description="the local model's context, in tokens")

    # Read from the OpenAI client's own variables, not RAG_*.
    openai_api_key: SecretStr | None = Field(default=None, exclude=True)
    openai_base_url: str | None = Field(default=None, exclude=True)

    @property
    def llm_configured(self) -> bool:
        """An LLM answers when a key, or a compatible server plus a model name, is configured."""
        return bool(self.openai_api_key) or bool(self.openai_base_url and self.llm_model)

    @property
    def manifest_path(self) -> Path:
        return self.index_dir / MANIFEST_FILE

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def published_cache(self) -> Path:
        """Where a process on a Chroma server keeps the keyword index it downloaded from it."""
        return self.index_dir / "published"

    @property
    def feedback_path(self) -> Path:
        return self.feedback_file or self.index_dir / "feedback.jsonl"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides taking precedence."""
    openai_values = {
        "openai_api_key": os.environ.get("OPENAI_API_KEY") or None,
        "openai_base_url": os.environ.get("OPENAI_BASE_URL") or None,
    }
    return Settings(**{**openai_values, **overrides})  # type: ignore[arg-type]
