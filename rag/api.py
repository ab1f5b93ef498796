"""`Rag`: the one object the chat page, the CLI, the HTTP API and the eval harness talk to."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Generator, Iterator
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np

from rag import extractive, names
from rag.abstain import AbstainConfig, generated_refuses, should_abstain, signals
from rag.answer_type import wanted_labels
from rag.answers import abstention, extractive_answer, resolve_markers, summary_answer
from rag.extractive import ExtractiveConfig
from rag.generate import rewrite_question, stream_answer
from rag.index.embedding import get_embedder
from rag.index.errors import InvalidQuestionError, LLMUnavailableError
from rag.index.manifest import Manifest
from rag.index.onnx_embedder import cpu_count
from rag.index.protocols import Embedder
from rag.index.settings import Settings, load_settings
from rag.index.store import ChunkStore
from rag.index.types import Answer, AnswerOptions, ArticleInfo, Passage, SearchFilter, TextDelta
from rag.llm import ChatModel, build_llm, describe_llm
from rag.question import profile
from rag.retrieval import HybridRetriever, RetrievalConfig, passage_from_chunk
from rag.rewrite import needs_rewrite, rule_based
from rag.timeframe import TimeWindow, preferred_window, time_expression
from rag.verify import narrow_quotes, verify_generated

History = list[dict[str, str]]


class Rag:
    """Answers questions from one index. Build once and reuse: it holds the models and indexes.

    The parts are the settings, an embedder, the chunk store, the manifest, the hybrid retriever
    and (when configured) a model server; the costly ones (embedder, model client, Chroma) are
    made on first use, so constructing a `Rag` is instant.

    Safe to share between threads: components are built once under a lock, and a query only
    reads them (the in-memory keyword snapshot is swapped whole when an ingest commits).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        retrieval: RetrievalConfig | None = None,
        extractive: ExtractiveConfig | None = None,
        abstain: AbstainConfig | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self._embedder = embedder
        self.retrieval_config = retrieval or RetrievalConfig()
        self.extractive_config = extractive or ExtractiveConfig()
        self.abstain_config = abstain or AbstainConfig()
        self._init_lock = threading.Lock()

    @classmethod
    def from_defaults(cls, **overrides: Any) -> Rag:
        """Read the `RAG_*` settings once (explicit `overrides` win) and bind a `Rag` to them."""
        return cls(load_settings(**overrides))

    # --- components, built on first use ------------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings) if self._embedder is None else self._embedder

    @cached_property
    def store(self) -> ChunkStore:
        return ChunkStore(self.settings)

    @cached_property
    def manifest(self) -> Manifest:
        return Manifest(self.settings.manifest_path)

    @cached_property
    def retriever(self) -> HybridRetriever:
        with self._init_lock:
            return HybridRetriever(self.store, self.manifest, self.embedder, self.retrieval_config)

    @cached_property
    def llm(self) -> ChatModel | None:
        return build_llm(self.settings) if self.settings.llm_configured else None

    def mode_label(self) -> str:
        return describe_llm(self.settings) if self.settings.llm_configured else "extractive"

    # --- public API ----------------------------------------------------------------------------
    def ask(self, question: str, history: History | None = None, *, filters: SearchFilter | None = None,
            as_of: date | str | None = None) -> Answer:
        """Answer with `[n]` markers resolving to `Answer.citations`; abstain when unsupported.

        `history` is a list of `{"role": "user"|"assistant", "content": ...}` messages; a follow-up
        such as "What did she say about it?" is rewritten into a stand-alone question first.
        `as_of` is the date the question is asked on ("this week" is that week; default today),
        passed on to retrieval. Raises `InvalidQuestionError` for empty or oversized questions or
        an unreadable `as_of`, and `IndexMissingError` when nothing has been ingested.
        """
        events = list(self.ask_stream(question, history, filters=filters, as_of=as_of))
        final = events[-1]
        assert isinstance(final, Answer)
        return final

    def ask_stream(self, question: str, history: History | None = None, *,
                   filters: SearchFilter | None = None, options: AnswerOptions | None = None,
                   on_retrieved: Callable[[list[Passage]], None] | None = None,
                   as_of: date | str | None = None) -> Iterator[TextDelta | Answer]:
        """Yield zero or more `TextDelta`s, then exactly one final `Answer` (same as `ask`).

        `on_retrieved` is called with the passages once retrieval is done, before any text, so a
        streaming API can report that step without changing what this stream yields.
        """
        question = self.validate(question)
        day = reference_date(as_of)
        options = options or AnswerOptions()
        llm = self.llm if options.use_llm else None
        started = time.perf_counter()
        standalone, notice = self._standalone(question, history or [], llm)
        k = self.settings.top_k if llm is not None else max(self.settings.top_k, self.extractive_config.passages)
        # Time-aware retrieval when the user gave a date or the question names a time; otherwise
        # "today" only resolves the answer's relative dates (ranking by article costs the
        # undated gold sets 0.03-0.05 hit@1, docs/EVALUATION.md).
        timed = as_of is not None or time_expression(standalone, day) is not None
        passages = self.retrieve(standalone, k, filters=filters, as_of=day if timed else None)
        timings = {"retrieval": _ms(started)}
        if on_retrieved is not None:
            on_retrieved(passages)
        common = {"question": question, "rewritten_question": standalone, "passages": passages, "timings_ms": timings}
        if llm is not None and passages:
            generated = yield from self._generate(llm, standalone, passages, common, options.sampling())
            if isinstance(generated, Answer):
                generated.notice = _join(notice, generated.notice)
                yield generated
                return
            notice = _join(notice, generated)
        window = preferred_window(standalone, day if timed else None, self.retriever.config.recent_days)
        answer = self._extract(standalone, passages, common, window)
        answer.notice = notice
        timings["total"] = _ms(started)
        yield TextDelta(answer.text)
        yield answer

    def retrieve(self, question: str, k: int | None = None, *, filters: SearchFilter | None = None,
                 as_of: date | None = None) -> list[Passage]:
        """Hybrid (dense + BM25, RRF) top-`k` passages, best article first; near-duplicates collapse.

        `as_of` is the day the question is asked: articles from the time its words point at
        ("this week", "on Tuesday", else the days just before) are preferred, never required.
        """
        if self.retriever.snapshot().size == 0:  # nothing committed: Chroma says whether anything is there
            self.store.require_content()
        return self.retriever.retrieve(question, k or self.settings.top_k, filters, as_of)

    def warm_up(self) -> None:
        """Load what a question needs now (embedder, keyword index, NER model), and on 2+ cores
        start the NER helper process (`settings.ner_helper`), so the first questions do not pay
        for any of it. For long-lived processes: the server and the eval call it."""
        self.retrieve("warm up", 1)
        if self.settings.ner_helper and cpu_count() >= 2:
            names.start_helper()
        else:
            names.entities("Warm up in Paris.")

    def articles(self) -> list[ArticleInfo]:
        """Every ingested article, newest first."""
        return [ArticleInfo(*row) for row in self.manifest.articles()]

    def article_passages(self, article_id: str) -> list[Passage]:
        """An article's committed chunks in reading order, for the side panel."""
        return [passage_from_chunk(c) for c in self.retriever.article_chunks(article_id)]

    def validate(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InvalidQuestionError("The question is empty: type a question about the articles.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InvalidQuestionError(
                f"The question is {len(question):,} characters long; the limit is {limit:,} (RAG_MAX_QUESTION_CHARS)."
            )
        return " ".join(question.split())

    # --- steps ---------------------------------------------------------------------------------
    def _standalone(self, question: str, history: History, llm: ChatModel | None) -> tuple[str, str]:
        if not needs_rewrite(question, history):
            return question, ""
        if llm is not None:
            try:
                return rewrite_question(llm, question, history), ""
            except LLMUnavailableError as exc:
                return rule_based(
                    question, history
                ), f"Model server failed ({exc}); the follow-up was rewritten by rule."
        return rule_based(question, history), ""

    def _generate(self, llm: ChatModel, question: str, passages: list[Passage], common: dict[str, Any],
                  sampling: dict[str, float | int]) -> Generator[TextDelta, None, Answer | str]:
        """Stream the model's answer; returns the final Answer, or a notice when the server failed."""
        started = time.perf_counter()
        parts: list[str] = []
        try:
            for delta in stream_answer(llm, question, passages, **sampling):
                parts.append(delta)
                yield TextDelta(delta)
        except LLMUnavailableError as exc:
            return f"Model server failed ({exc}); this answer was extracted from the articles instead."
        common["timings_ms"]["generation"] = _ms(started)
        checked = verify_generated("".join(parts), passages, self.embedder)
        text, citations = resolve_markers(checked.text, passages)
        model = self.settings.llm_model
        if generated_refuses(text, citations):
            return abstention(passages, "llm", model=model, **common)
        notice = ""
        if checked.removed:
            notice = f"{len(checked.removed)} generated sentence(s) removed: no retrieved passage supports them."
        return Answer(text=text, citations=narrow_quotes(citations, text), abstained=False, mode="llm",
                      model=model, notice=notice, **common)

    def _extract(self, question: str, passages: list[Passage], common: dict[str, Any],
                 window: TimeWindow | None = None) -> Answer:
        started = time.perf_counter()
        q = profile(question)
        if q.kind == "summary":
            common["signals"] = signals(q, passages, 0.0)
            if should_abstain(common["signals"], self.abstain_config, q.kind):
                return abstention(passages, "extractive", **common)
            return summary_answer(self._leads(passages), **common)
        q_vec = np.asarray(self.retriever.embed_query(question), dtype=np.float32)
        reading = self._reading(passages)
        cands = extractive.candidates(reading, self.manifest.sentences([p.chunk_id for p in reading]))
        extractive.score(cands, q, q_vec, self.embedder, self.extractive_config, window)
        labels = wanted_labels(q)
        extractive.read_types(cands, q, labels, self.extractive_config)
        chosen = extractive.select(cands, self.extractive_config, q.wants_list)
        common["timings_ms"]["generation"] = _ms(started)
        best = chosen[0] if chosen else None
        # refusal weighs the evidence that the sentence answers; when it was published is not evidence
        common["signals"] = signals(q, passages, best.score - best.time_prior if best else 0.0,
                                    f"{best.context} {best.sentence}" if best else "",
                                    typed=not labels or bool(best and best.span))
        if best is None or should_abstain(common["signals"], self.abstain_config, q.kind):
            return abstention(passages, "extractive", **common)
        return extractive_answer(chosen, q.kind, **common)

    def _reading(self, passages: list[Passage]) -> list[Passage]:
        """What the extractive reader reads: the best `read_articles` retrieved articles whole (in
        reading order, up to `read_chunks` chunks each), then the other retrieved passages.

        Why whole articles: retrieval ranks the right article first far more often than it ranks
        the chunk holding the answer among the few it returns, so reading the article's other
        chunks finds answers the passages alone miss (docs/EVALUATION.md, RealTime QA).
        """
        cfg = self.extractive_config
        best = list(dict.fromkeys(p.article_id for p in passages if p.article_id))[: cfg.read_articles]
        retrieved = {p.chunk_id: p for p in passages}
        reading = []
        for chunks in self.retriever.articles_chunks(best, limit=cfg.read_chunks):
            reading += [retrieved.get(c.chunk_id) or passage_from_chunk(c) for c in chunks]
        seen = {p.chunk_id for p in reading}
        return reading + [p for p in passages if p.chunk_id not in seen]

    def _leads(self, passages: list[Passage], articles: int = 3) -> list[Passage]:
        """The opening chunk of each of the best `articles` retrieved articles."""
        best: dict[str, Passage] = {}
        for passage in passages:
            best.setdefault(passage.article_id or passage.source, passage)
        chosen = list(best.values())[:articles]
        with_id = [p.article_id for p in chosen if p.article_id]  # chunks of older indexes may have none
        firsts = dict(zip(with_id, self.retriever.articles_chunks(with_id, limit=1)))
        return [passage_from_chunk(firsts[p.article_id][0]) if firsts.get(p.article_id) else p for p in chosen]


def reference_date(as_of: date | str | None) -> date:
    """The date a question is asked on: `as_of` (a date or ISO text), else today."""
    if as_of is None or as_of == "":
        return date.today()
    if isinstance(as_of, date):
        return as_of
    try:
        return date.fromisoformat(str(as_of).strip())
    except ValueError:
        raise InvalidQuestionError(f"as_of {as_of!r} is not a date like 2024-01-30.") from None


def _join(*notices: str) -> str:
    return " ".join(n for n in notices if n)


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


@functools.cache
def default_rag() -> Rag:
    """The process-wide instance used by `rag.ask`, built from `RAG_*` settings on first use."""
    return Rag.from_defaults()
