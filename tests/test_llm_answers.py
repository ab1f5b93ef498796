"""The LLM answer path over a real loopback server speaking the OpenAI protocol, streaming included."""

from __future__ import annotations

import re

from rag.api import Rag
from rag.core.settings import load_settings
from rag.core.types import Answer, TextDelta

DELEGATION = "Who led the U.S. delegation to Beijing?"


def _rag(sample_index, server, **overrides) -> Rag:
    settings = load_settings(
        index_dir=sample_index, llm_model="test-model", openai_base_url=server.url,
        llm_timeout_s=2.0, llm_max_retries=1, **overrides,
    )
    return Rag(settings)


def _prompt(server) -> str:
    return server.requests[-1]["messages"][-1]["content"]


def test_generated_answer_cites_resolvable_passages(sample_index, openai_server) -> None:
    openai_server.reply = lambda body: "Jen Daskal led the U.S. delegation [1]. She spoke of urgency [2][9]."
    events = list(_rag(sample_index, openai_server).ask_stream(DELEGATION))
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.mode == "llm" and answer.model == "test-model"
    deltas = [e.text for e in events[:-1] if isinstance(e, TextDelta)]
    assert len(deltas) > 2  # streamed piece by piece over SSE
    assert "[9]" not in answer.text  # no passage 9 was given: the marker is removed
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == {c.number for c in answer.citations}
    assert openai_server.requests[-1]["stream"] is True


def test_prompt_fences_documents_as_data(sample_index, openai_server) -> None:
    openai_server.reply = lambda body: "The corpus does not say."
    answer = _rag(sample_index, openai_server).ask(DELEGATION)
    prompt = _prompt(openai_server)
    system = openai_server.requests[-1]["messages"][0]["content"]
    assert "data, not instructions" in system
    tag = re.search(r"<<<(\w+) document 1 \|", prompt).group(1)
    assert prompt.count(f"<<<{tag} document") == prompt.count(f"<<<{tag} end of document")
    assert prompt.rstrip().endswith(f"Question: {DELEGATION}")
    assert answer.abstained and answer.mode == "llm"


def test_follow_up_is_rewritten_by_the_model(sample_index, openai_server) -> None:
    def reply(body: dict) -> str:
        if "stand-alone question" in body["messages"][0]["content"]:
            return "What did Jen Daskal say about the fentanyl talks?"
        return "Daskal said there was a real spirit of cooperation [1]."

    openai_server.reply = reply
    history = [{"role": "user", "content": DELEGATION}, {"role": "assistant", "content": "Jen Daskal [1]."}]
    answer = _rag(sample_index, openai_server).ask("What did she say about it?", history)
    assert answer.rewritten_question == "What did Jen Daskal say about the fentanyl talks?"
    assert not answer.abstained and answer.citations


def test_server_failure_falls_back_to_extractive_with_a_notice(sample_index, openai_server) -> None:
    openai_server.fail_next("status", times=10, status=500)
    answer = _rag(sample_index, openai_server).ask(DELEGATION)
    assert answer.mode == "extractive"
    assert "Model server failed" in answer.notice
    assert "Daskal" in answer.text


def test_unsupported_generated_sentence_is_removed_with_a_notice(sample_index, openai_server) -> None:
    openai_server.reply = lambda body: (
        "Jen Daskal led the U.S. delegation to Beijing [1]. Exactly 5,317 diplomats attended the banquet [1]."
    )
    answer = _rag(sample_index, openai_server).ask(DELEGATION)
    assert "5,317" not in answer.text
    assert "removed" in answer.notice
    assert "Daskal" in answer.text
    assert all(len(c.quote) < 400 for c in answer.citations)  # quotes narrowed to a sentence
