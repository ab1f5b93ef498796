"""The RealTime QA importer and its harness scoring, on a hand-written miniature of the data.

The fixture (tests/fixtures/realtimeqa/, see its README) has one case per rule: an answer found
only in a different letter case, one found only inside a longer word, a question that points at
its choices, a URL crawled twice, a result without text, 2022 answers inside and outside the
corpus, and a cumulative 2022 file that must be ignored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from eval.goldset import load_items
from eval.metrics import normalize
from eval.rtqa import ArticleRanking, by_half, distinct_articles, prepare, tables, with_date
from eval.scoring import score_question
from eval.sets.realtimeqa import ImportOptions, answer_pattern, build, import_set, main
from ingest.clean import parse_page
from ingest.readers import read_page
from rag.core.types import Answer, Passage

SOURCE = Path(__file__).parent / "fixtures" / "realtimeqa"
ANSWERABLE = {"rtqa-20240105_0", "rtqa-20240112_0", "rtqa-20240119_0", "rtqa-20240119_1"}
UNANSWERABLE = {"rtqa-20220617_1", "rtqa-20220624_0"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rtqa")
    import_set(SOURCE, out)
    return out


def gold_lines(out: Path) -> dict[str, dict]:
    return {g["id"]: g for g in map(json.loads, (out / "gold.jsonl").read_text().splitlines())}


def raw_questions() -> dict[str, dict]:
    rows = [json.loads(line) for p in SOURCE.glob("past/*/*_qa.jsonl") for line in p.read_text().splitlines()]
    return {f"rtqa-{r['question_id']}": r for r in rows}


def test_answerable_only_when_the_answer_is_in_an_own_article(imported: Path) -> None:
    gold = gold_lines(imported)
    assert {i for i, g in gold.items() if g["answerable"]} == ANSWERABLE  # not "Ash" in "Ashford"
    for item in (g for g in gold.values() if g["answerable"]):
        assert item["key_facts"] == [item["reference"]]
        assert item["supporting"], item["id"]
        for s in item["supporting"]:
            body = (imported / "corpus" / s["source"]).read_text()
            assert answer_pattern(item["reference"]).search(normalize(body)), s
    assert len(gold["rtqa-20240105_0"]["supporting"]) == 2  # "TERN ISLAND" counts, case aside
    assert gold["rtqa-20240112_0"]["reference"] == "4,200"  # matched as "4200" after normalising


def test_questions_lose_their_choices_and_keep_the_correct_one(imported: Path) -> None:
    raw = raw_questions()
    for item_id, item in gold_lines(imported).items():
        source = raw[item_id]
        assert item["question"] == source["question_sentence"]
        assert item["reference"] == source["choices"][int(source["answer"][0])]
        assert "choices" not in item
        wrong = [c for n, c in enumerate(source["choices"]) if n != int(source["answer"][0])]
        assert not any(c in json.dumps(item) for c in wrong)
    assert "rtqa-20240105_2" not in gold_lines(imported)  # "Which of the following ..."


def test_unanswerable_only_when_the_answer_is_in_no_corpus_article(imported: Path) -> None:
    gold = gold_lines(imported)
    unanswerable = {i for i, g in gold.items() if not g["answerable"]}
    assert unanswerable == UNANSWERABLE  # "Tern Island" (2022) is in the corpus; the range file is ignored
    corpus = " ".join(p.read_text().lower() for p in (imported / "corpus").glob("*.txt"))
    for item_id in unanswerable:
        assert gold[item_id]["reference"].lower() not in corpus
        assert gold[item_id]["type"] == "unanswerable" and gold[item_id]["supporting"] == []


def test_split_is_sha1_parity_of_the_question_id(imported: Path) -> None:
    gold = gold_lines(imported)
    for item_id, item in gold.items():
        parity = int(hashlib.sha1(item_id.removeprefix("rtqa-").encode()).hexdigest(), 16) % 2
        assert item["split"] == ("tune", "test")[parity]
        assert item["question_date"] == raw_questions()[item_id]["question_date"].replace("/", "-")
    assert {g["split"] for g in gold.values()} == {"tune", "test"}


def test_import_is_deterministic(imported: Path, tmp_path: Path) -> None:
    import_set(SOURCE, tmp_path)
    assert (tmp_path / "gold.jsonl").read_bytes() == (imported / "gold.jsonl").read_bytes()
    mine = {p.name: p.read_bytes() for p in (tmp_path / "corpus").iterdir()}
    assert mine == {p.name: p.read_bytes() for p in (imported / "corpus").iterdir()}


def test_one_file_per_url_with_the_longest_crawl(imported: Path) -> None:
    urls_with_text = {
        r["url"] for p in SOURCE.glob("past/2024/*_gcs.jsonl") for line in p.read_text().splitlines()
        for r in json.loads(line)["search_result"] if r.get("text")
    }
    files = sorted((imported / "corpus").glob("*.txt"))
    assert len(files) == len(urls_with_text) == 7
    budget = [p for p in files if "town-gazette" in p.name]
    assert len(budget) == 1 and "seven to two" in budget[0].read_text()
    assert not any("notext" in p.name for p in files)


def test_corpus_size_counts_distractors_but_never_drops_own_articles(tmp_path: Path) -> None:
    small = build(SOURCE, ImportOptions(answerable=1, unanswerable=0, articles=1))
    chosen = [g for g in small.gold_lines if g["answerable"]]
    assert len(chosen) == 1 and small.distractors == 0
    names = {a.file_name for a in small.articles}
    assert {s["source"] for s in chosen[0]["supporting"]} <= names
    full = build(SOURCE, ImportOptions(answerable=1, unanswerable=0, articles=5))
    assert len(full.articles) == 5 and full.distractors == 5 - len(small.articles)


def test_corpus_files_read_with_title_date_outlet_and_byline(imported: Path) -> None:
    for path in (imported / "corpus").glob("*.txt"):
        page = read_page(path)
        article = parse_page(page.text, path.name, page.meta or None)[0]
        header = dict(line.split(": ", 1) for line in page.text.split("---")[1].strip().splitlines())
        assert (article.title, article.date, article.outlet) == (header["title"], header["date"], header["outlet"])
        assert path.name.startswith(article.date)
        assert "title:" not in article.body
    terns = next((imported / "corpus").glob("2024-01-04-dailyharbour-example-*.txt"))
    article = parse_page(read_page(terns).text, terns.name)[0]
    assert article.byline == "Ivo Brandt and Lena Sorr" and article.outlet == "dailyharbour.example"


def test_cli_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--source", str(SOURCE), "--out", str(tmp_path), "--unanswerable", "1"]) == 0
    printed = capsys.readouterr().out
    assert "7 articles" in printed and "2 of them distractors" in printed
    assert sum(not g.answerable for g in load_items(tmp_path / "gold.jsonl")) == 1


def test_prepare_reuses_an_unchanged_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = prepare(SOURCE, tmp_path)
    assert len(first.items) == len(ANSWERABLE | UNANSWERABLE)
    assert "import " in capsys.readouterr().out
    stamp = (tmp_path / "sets" / "realtimeqa" / "gold.jsonl").stat().st_mtime_ns
    again = prepare(SOURCE, tmp_path)
    assert "reusing" in capsys.readouterr().out and again.items == first.items
    assert (tmp_path / "sets" / "realtimeqa" / "gold.jsonl").stat().st_mtime_ns == stamp
    prepare(SOURCE, tmp_path, ImportOptions(answerable=1))
    assert "reusing" not in capsys.readouterr().out


# --- harness scoring ---------------------------------------------------------------------------


def passage(source: str, n: int = 0) -> Passage:
    return Passage(chunk_id=f"{source}#{n}", text="", title=source, source=source, score=0.0)


class FakeSystem:
    """Retrieval returns a fixed ranking cut to the depth asked for; ask echoes a fixed text."""

    def __init__(self, ranking: list[Passage], text: str = "", abstained: bool = False) -> None:
        self.ranking, self.text, self.abstained, self.depths = ranking, text, abstained, []

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        self.depths.append(k)
        return self.ranking[:k]

    def ask(self, question: str, history: list | None = None) -> Answer:
        return Answer(text=self.text, citations=[], abstained=self.abstained, mode="extractive", question=question)


def test_distinct_articles_keeps_the_first_passage_of_each_file() -> None:
    ranked = [passage("a", 0), passage("a", 1), passage("b"), passage("a", 2), passage("c")]
    assert [p.chunk_id for p in distinct_articles(ranked)] == ["a#0", "b#0", "c#0"]


def test_article_ranking_digs_deeper_until_five_articles() -> None:
    ranking = [passage("a", n) for n in range(7)] + [passage(s) for s in "bcdef"]
    system = FakeSystem(ranking)
    articles = ArticleRanking(system).retrieve("q", 5)
    assert [p.source for p in articles] == list("abcde")
    assert system.depths == [5, 10, 20]
    dry = FakeSystem([passage("a", n) for n in range(3)])
    assert [p.source for p in ArticleRanking(dry).retrieve("q", 5)] == ["a"] and dry.depths == [5]


def test_article_hit_rank_and_accuracy(imported: Path) -> None:
    item = next(i for i in load_items(imported / "gold.jsonl") if i.id == "rtqa-20240112_0")
    target = item.supporting[0]["source"]
    ranking = [passage("other", n) for n in range(6)] + [passage("x"), passage(target), passage("y")]
    right = FakeSystem(ranking, text="It pays to insulate 4200 homes [1].")
    passages = ArticleRanking(right).retrieve(item.question, 5)
    score = score_question(item, right.ask(item.question), passages, 1.0)
    assert score.hit_rank == 3 and score.facts_found == 1  # article rank 3, though passage rank 8
    refused = FakeSystem(ranking, text="The articles do not say; closest: 4200 homes [1].", abstained=True)
    assert score_question(item, refused.ask(item.question), passages, 1.0).facts_found == 0
    wrong = FakeSystem(ranking, text="It pays to insulate 42000 homes [1].")
    assert score_question(item, wrong.ask(item.question), passages, 1.0).facts_found == 0


def test_tables_per_half_with_accuracy_and_refusals(imported: Path) -> None:
    items = load_items(imported / "gold.jsonl")
    scores = []
    for item in items:
        ranked = [passage(s["source"]) for s in item.supporting] or [passage("z")]
        system = FakeSystem(ranked, text=item.reference, abstained=not item.answerable)
        scores.append(score_question(item, system.ask(item.question), ranked, 10.0))
    halves = by_half(items, scores)
    assert sorted(s.id for h in halves.values() for s in h) == sorted(i.id for i in items)
    summary = tables(items, {"rag": scores})
    for half, systems in summary.items():
        row = systems["rag"]
        assert row["n"] == len(halves[half])
        answerable = [s for s in halves[half] if s.answerable]
        if answerable:
            assert row["hit@1"] == 1.0 and row["key_fact_recall"] == 1.0 and row["false_refusal_rate"] == 0.0
        if any(not s.answerable for s in halves[half]):
            assert row["abstention_recall"] == 1.0


def test_question_date_is_appended_in_iso(imported: Path) -> None:
    item = next(i for i in load_items(imported / "gold.jsonl") if i.id == "rtqa-20240112_0")
    assert with_date(item).question == f"{item.question} (Question date: 2024-01-12.)"
    assert with_date(item).reference == item.reference
