"""Running a system under test over gold questions: ingest a set, ask each question, score it.

Why its own module: the gold-set harness (`eval.harness`) and the RealTime QA runner (`eval.rtqa`)
both drive systems this way, and neither should import the other.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from tqdm import tqdm

from eval.goldset import GoldItem, GoldSet
from eval.scoring import QuestionScore, score_question
from rag.core.types import Answer, AnswerOptions, Passage, TextDelta
from rag.generate.prompt_state import runtime_build

if TYPE_CHECKING:
    from rag.api import Rag

History = list[dict[str, str]]


class System(Protocol):
    """What the harness needs from a system under test: ours (`Rag`) or the baseline."""

    def ask(self, question: str, history: History | None = None) -> Answer: ...

    def ask_stream(self, question: str, history: History | None = None) -> Iterator[TextDelta | Answer]: ...

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]: ...


class Mode:
    """Our system in one answer mode: `use_llm=False` is extractive even when a model is configured,
    so both modes run over one index in one process, side by side."""

    def __init__(self, rag: Rag, use_llm: bool, dates: dict[str, date] | None = None) -> None:
        self.rag = rag
        self.options = AnswerOptions(use_llm=use_llm)
        self.dates = dates or {}

    def ask(self, question: str, history: History | None = None) -> Answer:
        *_, final = self.ask_stream(question, history)
        assert isinstance(final, Answer)
        return final

    def ask_stream(self, question: str, history: History | None = None) -> Iterator[TextDelta | Answer]:
        return self.rag.ask_stream(question, history, options=self.options, as_of=self.dates.get(question))

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        return self.rag.retrieve(question, k, as_of=self.dates.get(question))


def modes(rag: Rag, wanted: str) -> dict[str, bool]:
    """{system name: use the model} for `--mode extractive|llm|both`; "both" without a model is extractive."""
    has_model = rag.answer_mode != "extractive"
    if wanted == "llm" and not has_model:
        raise SystemExit("error: --mode llm needs a model (RAG_LLM=local, OPENAI_BASE_URL or OPENAI_API_KEY)")
    chosen = {"extractive": wanted in ("extractive", "both"), "llm": wanted in ("llm", "both") and has_model}
    return {name: name == "llm" for name, on in chosen.items() if on}


def build_rag(gold: GoldSet, model_threshold: float | None = None,
              model_sentences: int | None = None) -> tuple[Any, str]:
    """Ingest the set's corpus into `<RAG_INDEX_DIR>/eval-<set>` and return a `Rag` over it.
    `model_threshold` replaces the refusal threshold for the model's answers: at 0 one run records
    every answer the model would give, and the report's per-question `confidence` prices any
    threshold afterwards (`python -m eval.threshold_sweep`). `model_sentences` replaces how many of
    the reader's sentences the model chooses from (`ExtractiveConfig.model_sentences`)."""
    from ingest.pipeline import ingest_path
    from rag.api import Rag
    from rag.core.settings import load_settings
    from rag.evidence.refusal import AbstainConfig

    settings = load_settings(index_dir=load_settings().index_dir / f"eval-{gold.name}")
    report = ingest_path(gold.corpus_dir, settings, progress=False)
    for name, reason in report.errors:
        print(f"  {name}: {reason}", file=sys.stderr)
    print(f"ingest {gold.corpus_dir} -> {settings.index_dir}: {report.summary()}")
    abstain = AbstainConfig() if model_threshold is None else AbstainConfig(model_threshold=model_threshold)
    rag = Rag(settings, abstain=abstain)
    if model_sentences is not None:
        rag.extractive_config = replace(rag.extractive_config, model_sentences=model_sentences)
    rag.warm_up()  # as a server does: loading and the NER helper's start are not question latency
    return rag, rag.mode_label()


def run_system(system: System, items: Sequence[GoldItem], k: int, progress: bool = True) -> list[QuestionScore]:
    """Ask every question (follow-ups after their earlier turns) and score it."""
    if items:
        system.retrieve(items[0].question, k)  # warm-up: model loading is not question latency
    return [run_item(system, item, k) for item in tqdm(items, desc="questions", unit="q", disable=not progress)]


def run_item(system: System, item: GoldItem, k: int) -> QuestionScore:
    """Earlier turns are asked for real; only the last question is timed and scored.

    Retrieval is scored on the question the system actually searched with (`rewritten_question`),
    so a follow-up such as "What did she say?" is judged after the system resolved "she".
    """
    history: History = []
    for turn in item.history:
        earlier = system.ask(turn, history or None)
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": earlier.text}]
    started = time.perf_counter()
    first_text_ms = None
    for event in system.ask_stream(item.question, history or None):
        if isinstance(event, TextDelta) and event.text.strip() and first_text_ms is None:
            first_text_ms = round((time.perf_counter() - started) * 1000, 1)
    assert isinstance(event, Answer)
    ms = (time.perf_counter() - started) * 1000
    passages = system.retrieve(event.rewritten_question or item.question, k)
    return score_question(item, event, passages, round(ms, 1), first_text_ms)


def run_meta(gold: GoldSet, k: int, mode: str) -> dict[str, Any]:
    """What a report was made from; `model_runtime` tells the prebuilt llama.cpp wheel from one
    built for this CPU (`make native-runtime`), whose timings differ."""
    return {
        "set": gold.name, "gold": str(gold.gold_path), "corpus": str(gold.corpus_dir), "k": k,
        "mode": mode, "questions": len(gold.items), "model_runtime": runtime_build(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
