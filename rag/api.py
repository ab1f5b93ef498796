"""`Rag`: the one object the chat page, the CLI, the HTTP API and the eval harness talk to."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np

from rag.answer.compose import abstention, extractive_answer, resolve_markers, summary_answer
from rag.answer.verify import count_as_asked, ground_choice, narrow_quotes, verify_generated
from rag.core.errors import InvalidQuestionError, LLMUnavailableError, ModelFileError
from rag.core.protocols import Embedder
from rag.core.settings import LlmName, Settings, load_settings
from rag.core.types import Answer, AnswerOptions, ArticleInfo, Passage, SearchFilter, TextDelta
from rag.embed.choose import get_embedder
from rag.embed.onnx import cpu_count
from rag.evidence.refusal import (
    AbstainConfig,
    RefusalSignals,
    may_be_not_covered,
    measure,
    model_declines,
    model_refuses,
    reader_overrules,
    should_abstain,
)
from rag.generate.client import ChatModel, ModelUsage, TokenLogprob, build_llm, describe_llm, stream_chat
from rag.generate.local_model import llm_mode, local_model_name
from rag.generate.local_server import LocalServer, local_server, local_settings
from rag.generate.messages import (
    CHOICE_MAX_TOKENS,
    answer_certainty,
    answer_line_text,
    choice_messages,
    read_choice,
    rewrite_question,
    stream_answer,
)
from rag.generate.queue import ModelBusyError, ModelQueue
from rag.index.committed import CommittedIndex, open_committed
from rag.index.store import ChunkStore
from rag.language import entities
from rag.query.answer_type import wanted_labels
from rag.query.profile import QuestionProfile, profile
from rag.query.rewrite import needs_rewrite, rule_based
from rag.query.timeframe import TimeWindow, preferred_window, time_expression
from rag.read import extractive
from rag.read.extractive import ExtractiveConfig, sentence_passages
from rag.retrieval.hybrid import HybridRetriever, RetrievalConfig, passage_from_chunk
from rag.retrieval.reading import article_leads, whole_articles_first

History = list[dict[str, str]]
FELL_BACK = "this answer was extracted from the articles instead."
MODEL_DECLINED = "The model found no answer among the best sentences; these are the reader's, which score high."
DROPPED_SHORT = "The model's short answer was left out: no sentence of the articles states it."


class Rag:
    """Answers questions from one index. Build once and reuse: it holds the models and indexes.

    The parts are the settings, an embedder, the chunk store, the committed index (the manifest's,
    or the Chroma server's), the hybrid retriever
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
        self.llm_problem = ""  # why a configured model is not answering, told with each answer

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
    def committed(self) -> CommittedIndex:
        """The keyword index, sentence vectors and article list: beside the manifest, or from the Chroma server."""
        return open_committed(self.settings, self.store)

    @cached_property
    def retriever(self) -> HybridRetriever:
        with self._init_lock:
            return HybridRetriever(self.store, self.committed, self.embedder, self.retrieval_config)

    @cached_property
    def answer_mode(self) -> LlmName:
        """Who writes the answers: `RAG_LLM`, else a configured OpenAI-compatible server, else the
        local model when installed, else the extractive reader (`local_model.llm_mode`)."""
        return llm_mode(self.settings)

    @cached_property
    def llm(self) -> ChatModel | None:
        """The model client; for the local model its server is started here (seconds, once). A
        local model that cannot start leaves answers extractive, with `llm_problem` saying why."""
        if self.answer_mode == "extractive":
            return None
        if self.answer_mode == "openai":
            return build_llm(self.settings)
        try:
            return build_llm(local_settings(self.settings, self.local_server.ensure()))
        except (ModelFileError, LLMUnavailableError) as exc:
            self.llm_problem = f"The local model could not start ({exc}); answers are extractive."
            return None

    @cached_property
    def local_server(self) -> LocalServer:
        """The managed llama.cpp server of `RAG_LLM=local` (not started until `llm` is first used)."""
        return local_server(self.settings)

    @cached_property
    def model_queue(self) -> ModelQueue:
        """The line in front of the local model, which writes one answer at a time."""
        return ModelQueue(self.settings.llm_queue, self.settings.llm_queue_wait_s)

    @property
    def model_name(self) -> str | None:
        """The model that answers, as `Answer.model` and the badge name it; None when extractive."""
        if self.answer_mode == "local":
            return local_model_name(self.settings)
        return self.settings.llm_model if self.answer_mode == "openai" else None

    def mode_label(self) -> str:
        if self.answer_mode == "local":
            return f"llm: {local_model_name(self.settings)} (local, llama.cpp)"
        return describe_llm(self.settings) if self.answer_mode == "openai" else "extractive"

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
                   on_queued: Callable[[int], None] | None = None,
                   as_of: date | str | None = None) -> Iterator[TextDelta | Answer]:
        """Yield zero or more `TextDelta`s, then exactly one final `Answer` (same as `ask`).

        `on_retrieved` is called with the passages once retrieval is done, before any text, so a
        streaming API can report that step without changing what this stream yields. With the
        local model, `on_queued(n)` says how many questions are ahead in its line, and 0 when the
        model starts on this one (`ModelQueue.turn`), so a page can show the wait.
        """
        question = self.validate(question)
        day = reference_date(as_of)
        options = options or AnswerOptions()
        wants_model = options.use_llm and self.answer_mode != "extractive"
        started = time.perf_counter()
        standalone, notice = self._standalone(question, history or [], wants_model)
        # the reader reads as many passages whoever writes the answer: the model chooses among its best sentences
        k = max(self.settings.top_k, self.extractive_config.passages)
        # Time-aware retrieval when the user gave a date or the question names a time; otherwise
        # "today" only resolves the answer's relative dates (ranking by article costs the
        # undated gold sets 0.03-0.05 hit@1, docs/EVALUATION.md).
        timed = as_of is not None or time_expression(standalone, day) is not None
        passages = self.retrieve(standalone, k, filters=filters, as_of=day if timed else None)
        timings = {"retrieval": _ms(started)}
        if on_retrieved is not None:
            on_retrieved(passages)
        asked = Asked(question, standalone, passages)
        window = preferred_window(standalone, day if timed else None, self.retriever.config.recent_days)
        reading_started = time.perf_counter()
        read = self._read(asked, window)
        timings["reading"] = _ms(reading_started)
        # Only now the model client: for the local model it waits while the server loads, which
        # retrieval and reading (seconds in a fresh process) overlapped. Reading before the model's
        # turn also keeps the line short: the model writes for another user meanwhile.
        llm = self.llm if wants_model else None
        answer = None
        if llm is not None and passages:
            try:
                with self.model_queue.turn(on_queued) if self.answer_mode == "local" else nullcontext():
                    if self.answer_mode == "local":  # restarted after a crash, it may still be loading
                        self.local_server.ready(self.settings.llm_timeout_s)
                    answer = yield from self._generate(llm, asked, read, options.sampling(), timings)
            except ModelBusyError as exc:
                notice = _join(notice, f"The model is busy ({exc}); {FELL_BACK}")
            except LLMUnavailableError as exc:
                notice = _join(notice, f"Model server failed ({exc}); {FELL_BACK}")
        if answer is None:
            answer = self._extract(asked, read)
            yield TextDelta(answer.text)
        model_problem = self.llm_problem if options.use_llm else ""
        answer.notice = _join(model_problem, notice, answer.notice, self.committed.notice())
        timings["total"] = _ms(started)
        answer.timings_ms = timings
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
        """Load what a question needs now (embedder, keyword index, NER model, the local model's
        server), and on 2+ cores start the NER helper process (`settings.ner_helper`), so the first
        questions do not pay for any of it. For long-lived processes: the server and the eval call it."""
        self.retrieve("warm up", 1)
        if self.answer_mode == "local":
            _ = self.llm  # starts the model server (and joins the model file on a machine's first run)
        if self.settings.ner_helper and cpu_count() >= 2:
            entities.start_helper()
        else:
            entities.entities("Warm up in Paris.")

    def articles(self) -> list[ArticleInfo]:
        """Every ingested article, newest first."""
        return [ArticleInfo(*row) for row in self.committed.articles()]

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
    def _standalone(self, question: str, history: History, wants_model: bool) -> tuple[str, str]:
        if not needs_rewrite(question, history):
            return question, ""
        llm = self.llm if wants_model else None
        if llm is not None:
            try:
                return rewrite_question(llm, question, history), ""
            except LLMUnavailableError as exc:
                return rule_based(
                    question, history
                ), f"Model server failed ({exc}); the follow-up was rewritten by rule."
        return rule_based(question, history), ""

    def _read(self, asked: Asked, window: TimeWindow | None) -> Reading:
        """The extractive reader over the best articles: every sentence scored, the best chosen,
        and the evidence refusal weighs."""
        question, passages = asked.rewritten_question, asked.passages
        q = profile(question)
        if q.kind == "summary":
            return Reading(q, [], [], measure(q, passages, 0.0))
        q_vec = np.asarray(self.retriever.embed_query(question), dtype=np.float32)
        cfg = self.extractive_config
        reading = whole_articles_first(self.retriever, passages, cfg.read_articles, cfg.read_chunks)
        cands = extractive.candidates(reading, self.committed.sentences([p.chunk_id for p in reading]))
        extractive.score(cands, q, q_vec, self.embedder, cfg, window)
        labels = wanted_labels(q)
        extractive.read_types(cands, q, labels, cfg)
        chosen = extractive.select(cands, cfg, q.wants_list)
        best = chosen[0] if chosen else None
        # refusal weighs the evidence that the sentence answers; when it was published is not evidence
        evidence = measure(q, passages, best.score - best.time_prior if best else 0.0,
                           f"{best.context} {best.sentence}" if best else "",
                           typed=not labels or bool(best and best.span))
        return Reading(q, cands, chosen, evidence)

    def _extract(self, asked: Asked, read: Reading) -> Answer:
        fields = {"signals": read.evidence.as_dict(), **asked.fields()}
        found_none = read.q.kind != "summary" and not read.chosen
        if found_none or should_abstain(read.evidence, self.abstain_config, read.q.kind):
            return abstention(asked.passages, "extractive", **fields)
        if read.q.kind == "summary":
            return summary_answer(article_leads(self.retriever, asked.passages), **fields)
        return extractive_answer(read.chosen, read.q.kind, **fields)

    def _generate(self, llm: ChatModel, asked: Asked, read: Reading, sampling: dict[str, float | int],
                  timings: dict[str, float]) -> Generator[TextDelta, None, Answer]:
        """The model's answer; raises `LLMUnavailableError` when the server fails.

        A summary is written freely from the best articles' passages. Any other question goes
        to the model as the reader's best sentences, numbered: it names the short answer and the
        sentences that state it, and the answer is those sentences, verbatim and cited, led by
        the short answer. Why: a small model chooses well among a few sentences but, writing
        freely from whole passages, drops markers and paraphrases names (docs/EVALUATION.md)."""
        if read.q.kind == "summary":
            return (yield from self._write_freely(llm, asked, read, sampling, timings))
        listed = extractive.shortlist(read.cands, self.extractive_config.model_sentences, self.extractive_config)
        fields = {"signals": read.evidence.as_dict(), "model": self.model_name, **asked.fields()}
        if not listed:
            return abstention(asked.passages, "llm", **fields)
        started = time.perf_counter()
        reply = ""
        shown = ""
        usage: list[ModelUsage] = []
        # the local model's token probabilities are a refusal signal measured for it; another model's are not
        logprobs: list[TokenLogprob] = []
        on_logprobs = logprobs.extend if self.answer_mode == "local" else None
        prompt = choice_messages(asked.rewritten_question, sentence_passages(listed))
        for delta in stream_chat(llm, prompt, usage.append, on_logprobs=on_logprobs,
                                 **{"max_tokens": CHOICE_MAX_TOKENS, **sampling}):
            reply += delta
            visible = answer_line_text(reply)
            if len(visible) > len(shown) and not may_be_not_covered(visible):
                yield TextDelta(visible[len(shown):])
                shown = visible
        timings["generation"] = _ms(started)
        choice = read_choice(reply)
        chosen, short = ground_choice(choice, listed, asked.rewritten_question)
        short = count_as_asked(short, chosen, read.q)
        certainty = answer_certainty(logprobs)
        fields["model_usage"] = usage[-1].as_dict() if usage else {}
        if certainty is not None:
            fields["model_usage"]["answer_certainty"] = round(certainty, 4)
        if model_refuses(short, bool(chosen), read.evidence, self.abstain_config, certainty):
            if read.chosen and reader_overrules(read.evidence, self.abstain_config):
                return extractive_answer(read.chosen, read.q.kind, notice=MODEL_DECLINED, **{**fields, "model": None})
            return abstention(asked.passages, "llm", **fields)
        notice = DROPPED_SHORT if choice.short and not short else ""
        return extractive_answer(chosen, read.q.kind, short=short, mode="llm", notice=notice, **fields)

    def _write_freely(self, llm: ChatModel, asked: Asked, read: Reading, sampling: dict[str, float | int],
                      timings: dict[str, float]) -> Generator[TextDelta, None, Answer]:
        """A summary in the model's words from the best articles' opening passages, each sentence checked."""
        started = time.perf_counter()
        passages = article_leads(self.retriever, asked.passages)
        parts: list[str] = []
        usage: list[ModelUsage] = []
        for delta in stream_answer(llm, asked.rewritten_question, passages, usage.append, **sampling):
            parts.append(delta)
            yield TextDelta(delta)
        timings["generation"] = _ms(started)
        checked = verify_generated("".join(parts), passages, self.embedder)
        text, citations = resolve_markers(checked.text, passages)
        fields = {"signals": read.evidence.as_dict(), "model": self.model_name, **asked.fields(),
                  "model_usage": usage[-1].as_dict() if usage else {}}
        if model_declines(text, citations):
            return abstention(asked.passages, "llm", **fields)
        notice = ""
        if checked.removed:
            notice = f"{len(checked.removed)} generated sentence(s) removed: no retrieved passage supports them."
        return Answer(text=text, citations=narrow_quotes(citations, text), abstained=False, mode="llm",
                      notice=notice, **fields)


@dataclass(frozen=True)
class Reading:
    """What the extractive reader found: the question's profile, every scored sentence, the
    sentences it would answer with, and the evidence refusal weighs."""

    q: QuestionProfile
    cands: list[extractive.Candidate]
    chosen: list[extractive.Candidate]
    evidence: RefusalSignals


@dataclass(frozen=True)
class Asked:
    """The question as asked, as retrieved for (a follow-up made stand-alone), and what was retrieved."""

    question: str
    rewritten_question: str
    passages: list[Passage]

    def fields(self) -> dict[str, Any]:
        """The `Answer` fields every answer carries."""
        return {"question": self.question, "rewritten_question": self.rewritten_question, "passages": self.passages}


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
