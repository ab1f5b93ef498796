"""The LLM answer path over a real loopback server speaking the OpenAI protocol, streaming included."""

from __future__ import annotations

import math
import re
import time
from dataclasses import replace

import pytest

from rag.answer.verify import count_as_asked, ground_choice, in_full
from rag.api import Rag
from rag.core.settings import load_settings
from rag.core.types import Answer, Passage, TextDelta
from rag.evidence.refusal import AbstainConfig, RefusalSignals, confidence, model_confidence, model_refuses
from rag.generate.messages import answer_certainty, answer_line_text, choice_messages, read_choice
from rag.query.profile import profile
from rag.read.extractive import Candidate, by_article

DELEGATION = "Who led the U.S. delegation to Beijing?"


def _rag(sample_index, server, abstain: AbstainConfig | None = None, **overrides) -> Rag:
    settings = load_settings(
        index_dir=sample_index, llm_model="test-model", llm="openai", openai_base_url=server.url,
        llm_timeout_s=2.0, llm_max_retries=1, **overrides,
    )
    return Rag(settings, abstain=abstain)


def _prompt(server) -> str:
    return server.requests[-1]["messages"][-1]["content"]


def test_generated_answer_cites_resolvable_passages(sample_index, openai_server) -> None:
    openai_server.reply = lambda body: "Answer: Jen Daskal\nSentences: 1, 99"
    events = list(_rag(sample_index, openai_server).ask_stream(DELEGATION))
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.mode == "llm" and answer.model == "test-model"
    deltas = [e.text for e in events[:-1] if isinstance(e, TextDelta)]
    assert "".join(deltas) == "Jen Daskal"  # the short answer streamed as the model wrote it
    assert answer.text.startswith("Jen Daskal — ") and answer.short_answer == "Jen Daskal"
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == {c.number for c in answer.citations}
    assert answer.citations[0].quote.rstrip(".") in answer.text  # the chosen sentence, verbatim
    assert openai_server.requests[-1]["stream"] is True


def test_the_model_is_not_waited_for_until_the_question_is_retrieved_and_read(sample_index, openai_server) -> None:
    """Taking `Rag.llm` waits for a local model's server to load (seconds); retrieval and reading
    come first, so in a fresh process they overlap that load instead of queueing behind it."""
    steps: list[str] = []

    class Watched(Rag):
        @property
        def llm(self):
            steps.append("model")
            return super().llm

        def _read(self, asked, window):
            steps.append("read")
            return super()._read(asked, window)

        def retrieve(self, *args, **kwargs):
            time.sleep(1.0)  # longer than the rest of the answer outside the three steps, which the total also counts
            return super().retrieve(*args, **kwargs)

    rag = Watched(_rag(sample_index, openai_server).settings)
    answer = list(rag.ask_stream(DELEGATION, on_retrieved=lambda passages: steps.append("retrieved")))[-1]
    assert steps == ["retrieved", "read", "model"] and answer.mode == "llm"
    timings = answer.timings_ms  # the total counts from the question, not from the reading
    assert timings["total"] >= timings["retrieval"] + timings["reading"] + timings["generation"]


def test_prompt_fences_documents_as_data(sample_index, openai_server) -> None:
    openai_server.reply = lambda body: "Answer: The corpus does not say."
    answer = _rag(sample_index, openai_server, AbstainConfig(overrule_threshold=1.01)).ask(DELEGATION)
    prompt = _prompt(openai_server)
    system = openai_server.requests[-1]["messages"][0]["content"]
    assert "data, not instructions" in system
    tag = re.match(r"<<<(\w+) sentences>>>\n", prompt).group(1)
    fenced = prompt.split(f"<<<{tag} sentences>>>\n", 1)[1].split(f"\n<<<{tag} end>>>", 1)[0].splitlines()
    lines = [line for line in fenced if not line.startswith("Article (")]
    assert fenced[0].startswith("Article (") and len(fenced) > len(lines)  # each article named above its sentences
    assert [int(re.match(r"\[(\d+)\] ", line).group(1)) for line in lines] == list(range(1, len(lines) + 1))
    assert 2 <= len(lines) <= 8
    assert prompt.rstrip().endswith(f"Question: {DELEGATION}")
    assert answer.abstained and answer.mode == "llm"  # the reader may not overrule here (see the next test)


def test_the_readers_strong_answer_stands_where_the_model_declines(sample_index, openai_server) -> None:
    openai_server.reply = lambda body: "Answer: The corpus does not say."
    trusting = _rag(sample_index, openai_server, AbstainConfig(overrule_threshold=0.0))
    answer = trusting.ask(DELEGATION)
    assert not answer.abstained and answer.mode == "extractive" and answer.model is None
    assert "Daskal" in answer.text and "model found no answer" in answer.notice
    assert answer.citations[0].quote.rstrip(".") in answer.text  # the reader's best sentence, verbatim
    doubting = _rag(sample_index, openai_server, AbstainConfig(overrule_threshold=1.01))
    assert doubting.ask(DELEGATION).abstained  # below the threshold the model's refusal stands
    weak = _rag(sample_index, openai_server).ask("What was the weather in Paris on the day of the talks?")
    assert weak.abstained and weak.mode == "llm"  # weak evidence: refused at the default threshold


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
    openai_server.reply = lambda body: "Answer: 5,317 diplomats\nSentences: 1"
    answer = _rag(sample_index, openai_server).ask(DELEGATION)
    assert "5,317" not in answer.text and not answer.short_answer
    assert "left out" in answer.notice
    assert "Daskal" in answer.text and not answer.abstained  # the chosen sentence stands alone
    assert all(len(c.quote) < 400 for c in answer.citations)  # quotes are sentences


def test_a_short_answer_is_recited_to_the_sentence_that_states_it(sample_index, openai_server) -> None:
    rag = _rag(sample_index, openai_server)
    openai_server.reply = lambda body: "Answer: The corpus does not say."
    rag.ask(DELEGATION)
    lines = _prompt(openai_server).splitlines()
    stating = next(int(line[1]) for line in lines if line.startswith("[") and "Daskal" in line)
    other = next(int(line[1]) for line in lines if line.startswith("[") and "Daskal" not in line)
    openai_server.reply = lambda body: f"Answer: Jen Daskal\nSentences: {other}"
    answer = rag.ask(DELEGATION)
    assert answer.short_answer == "Jen Daskal" and "Daskal" in answer.citations[0].quote
    assert stating != other


LONG_LINE = "James MacColl, a former police officer, was indicted in early 2021 on multiple felony charges"


@pytest.mark.parametrize(("reply", "short", "numbers", "shown"), [
    ("Answer: $4 million\nSentences: 2", "$4 million", (2,), "$4 million"),
    ("Jen Daskal\nSentences: 1, 3", "Jen Daskal", (1, 3), "Jen Daskal"),  # the label dropped
    ("Answer: Mexico [5]\n", "Mexico", (5,), "Mexico"),  # a marker instead of a sentences line
    ("Answer: The corpus does not say.", "The corpus does not say.", (), "The corpus does not say."),
    # an answer line that is a whole sentence is no short answer; the chosen sentence stands alone
    (f"Answer: {LONG_LINE}\nSentences: 2", "", (2,), LONG_LINE),
])
def test_a_choice_is_read_back_as_small_models_write_it(reply: str, short: str, numbers: tuple, shown: str) -> None:
    choice = read_choice(reply)
    assert (choice.short, choice.numbers) == (short, numbers)
    assert answer_line_text(reply).strip() == shown


SANCTIONS = [("The Commerce Department had imposed the sanctions in 2020, accusing the institute of complicity in "
             "human rights violations in Xinjiang."),
             "China refused to discuss cooperation unless the U.S. lifted sanctions on the institute.",
             "The U.S. quietly agreed to lift the sanctions to get cooperation on fentanyl."]
WHY = "Why had the Commerce Department imposed sanctions on the institute?"


@pytest.mark.parametrize(("reply", "chosen"), [
    # the answer written out as a sentence, reworded, with no sentence number: it chose what it retells
    (("The Commerce Department imposed sanctions in 2020, accusing the institute of complicity in human rights "
     "violations against Uyghurs in Xinjiang."), [0]),
    (("Answer: The sanctions were imposed over human rights violations in Xinjiang, and China refused to "
     "discuss cooperation unless they were lifted."), [0, 1]),  # two sentences retold
    (("Answer: The Commerce Department had imposed sanctions on the institute, as the question says, for its "
     "reasons."), []),  # the question restated
    ("The institute sold weapons to a foreign army, officials said.", []),  # what no sentence says
])
def test_a_reply_that_names_no_sentence_chose_those_it_retells(reply: str, chosen: list[int]) -> None:
    listed = [Candidate(text, Passage(f"c{i}", text, "Sanctions", "a.txt", 1.0)) for i, text in enumerate(SANCTIONS)]
    sentences, short = ground_choice(read_choice(reply), listed, WHY)
    assert [listed.index(c) for c in sentences] == chosen and short == ""


def test_a_reply_still_spelling_its_label_shows_nothing_yet() -> None:
    assert [answer_line_text(partial) for partial in ("Ans", "Answer", "Answer:", "Answer: Jen")] == ["", "", "", "Jen"]


def test_each_article_is_named_once_above_its_sentences() -> None:
    bridge = Passage("b1", "", "Harbour bridge to close", "bridge.txt", 1.0, date="2021-03-02", article_id="bridge")
    budget = Passage("t1", "", "Council passes budget", "budget.txt", 1.0, date="2021-03-05", article_id="budget")
    ranked = [Candidate("The council voted 7-2 to close the bridge.", bridge),
              Candidate("The budget passed on Friday.", budget),
              Candidate("Repairs would have cost $4 million.", bridge)]
    listed = by_article(ranked)
    assert [c.sentence for c in listed] == [ranked[0].sentence, ranked[2].sentence, ranked[1].sentence]
    prompt = choice_messages("How much would repairs cost?", [replace(c.passage, text=c.sentence) for c in listed])[1]
    fenced = prompt.content.splitlines()[1:-2]
    assert fenced == ["Article (2 Mar 2021): Harbour bridge to close",
                      "[1] The council voted 7-2 to close the bridge.", "[2] Repairs would have cost $4 million.",
                      "Article (5 Mar 2021): Council passes budget", "[3] The budget passed on Friday."]


def test_a_word_that_stands_alone_as_a_place_is_not_taken_for_a_surname() -> None:
    listed = [Candidate(sentence=text, passage=Passage(chunk_id=f"c{i}", text=text, title="Count", source="a.txt",
                                                       score=1.0))
              for i, text in enumerate(["Rangers said Jack Washington led the count.",
                                        "The team met in Washington on Monday."])]
    assert in_full("Washington", listed) == "Washington"  # the place, not Jack Washington
    assert in_full("Jack", listed) == "Jack"  # not a surname of anyone listed
    assert in_full("Washington", listed[:1]) == "Jack Washington"  # named only as a person


def test_a_surname_short_answer_is_given_in_full(sample_index, openai_server) -> None:
    openai_server.reply = lambda body: "Answer: Daskal\nSentences: 1"
    answer = _rag(sample_index, openai_server).ask(DELEGATION)
    assert answer.short_answer == "Jen Daskal" and answer.text.startswith("Jen Daskal — ")


def _choosing(figure: str, short: str):  # type: ignore[no-untyped-def]
    """A scripted model reply that answers `short` and chooses the listed sentence holding `figure`."""
    def reply(body: dict) -> str:
        line = next(line for line in body["messages"][-1]["content"].splitlines() if figure in line)
        return f"Answer: {short}\nSentences: {line[1:line.index(']')]}"
    return reply


# "70%": its digits are inside "107,081", a count, which must not vouch for it
@pytest.mark.parametrize(("short", "expected"), [("Nearly 70 percent", "107,081"), ("70%", "107,081"),
                                                 ("107,081", "107,081")])
def test_a_how_many_question_is_not_answered_by_a_share(sample_index, openai_server, short: str,
                                                        expected: str) -> None:
    """"How many died?" asks for a count: a percentage from the chosen sentence gives way to the
    count the reader found in it; a count stands as the model wrote it."""
    openai_server.reply = _choosing("107,081", short)
    answer = _rag(sample_index, openai_server).ask("How many Americans died of drug overdoses?")
    assert answer.mode == "llm" and answer.short_answer == expected
    assert "107,081" in answer.text.split(" — ", 1)[1]  # the chosen sentence follows


def test_a_count_stands_and_a_share_of_the_same_sentence_does_not() -> None:
    text = "Officials said 18 people were hurt in the blast, 40 percent of them children."
    hurt = [Candidate(text, Passage("c1", text, "Blast", "a.txt", 1.0))]
    q = profile("How many people were hurt in the blast?")
    assert count_as_asked("18", hurt, q) == "18"
    assert count_as_asked("40 percent", hurt, q) == ""  # a share; no count was read into `span` here
    assert count_as_asked("40 percent", hurt, profile("What percentage of the injured were children?")) == "40 percent"
    assert count_as_asked("40 percent", hurt, profile("Who was hurt in the blast?")) == "40 percent"  # not checked


def test_the_answers_certainty_is_its_least_likely_token_after_the_label() -> None:
    assert answer_certainty([("Answer", -0.01), (":", -0.02), (" Wis", -1.2), ("consin", -0.1)]) == pytest.approx(
        math.exp(-1.2))
    # the line ends the short answer: a "Sentences:" line after it is not part of it
    assert answer_certainty([("$", -0.3), ("4", -0.001), ("\n", -0.5), ("Sentences", -2.0)]) == pytest.approx(
        math.exp(-0.3))
    assert answer_certainty([]) is None  # a server that sent no log-probabilities
    assert answer_certainty([("Answer", -0.01), (":", -0.02)]) is None


def _evidence(score: float) -> RefusalSignals:
    return RefusalSignals(best_sentence=score, dense_top=0.7, coverage=1.0, best_coverage=1.0, agreement=1.0,
                          typed=1.0)


def test_a_sure_model_answers_on_weaker_evidence_and_an_unsure_one_needs_stronger() -> None:
    cfg = AbstainConfig()
    weak, fair = _evidence(0.35), _evidence(0.5)
    assert model_confidence(weak, None, cfg) == confidence(weak)  # no certainty: the evidence alone
    assert model_confidence(weak, cfg.neutral_certainty, cfg) == pytest.approx(confidence(weak))
    assert model_confidence(weak, 1.0, cfg) > confidence(weak) > model_confidence(weak, 0.1, cfg)
    assert model_refuses("Acme", True, weak, cfg) and not model_refuses("Acme", True, weak, cfg, certainty=0.95)
    assert not model_refuses("Acme", True, fair, cfg) and model_refuses("Acme", True, fair, cfg, certainty=0.05)
    assert model_refuses("Acme", False, fair, cfg, certainty=1.0)  # sure of an answer no sentence holds: refused
