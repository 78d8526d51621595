"""`newsdesk eval`'s contract and figures: the predictions line, short-answer F1, stale answers,
precision at coverage, and the naive BM25 baseline it is compared against. Tiny synthetic data only."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from pathlib import Path
from typing import Any, cast

import pytest

from assistant.cli import main
from assistant.index.embeddings import LocalMiniLM
from assistant.models import Answer, Citation, Passage
from assistant.service import Newsdesk, open_newsdesk
from benchmarks.baseline import baseline_eval, chunk_spans, naive_answer
from benchmarks.ceiling import answer_ceiling
from benchmarks.evaluation import evaluate, fresh_hit_rank, is_stale

from .conftest import make_settings

PREDICTION_KEYS = {"id", "prediction", "short_answer", "citations"}

ARTICLES = [
    {"id": "harbour", "title": "Storm shuts Portsmouth harbour", "published": "2024-01-01", "url": "https://g.example/1",
     "text": "The harbour in Portsmouth closed on Monday. A storm broke the sea wall overnight. Ferries were cancelled."},
    {"id": "lottery", "title": "Lottery winner named", "published": "2024-03-01", "url": "https://g.example/2",
     "text": "The EuroMillions jackpot was won by Maureen Baxter of Leeds. She plans to buy a caravan. Her family cheered."},
    {"id": "bakery", "title": "Bakery opens", "published": "2024-02-20", "url": "https://g.example/3",
     "text": "A new bakery opened in Swindon selling sourdough loaves and croissants to long queues of customers."},
]


class _Store:
    def article_text(self, article_id: str) -> str:
        return next(a["text"] for a in ARTICLES if a["id"] == article_id)


class _ConfidentAnswer(Answer):
    confidence: float


class _FakeDesk:
    """Just what `evaluate` uses of a Newsdesk, answering from a script, so the figures are exact."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.store = _Store()
        self.answers = answers

    def search(self, question: str, k: int, *, as_of: dt.date | None = None) -> list[Passage]:
        art = ARTICLES[0] if "harbour" in question else ARTICLES[1]
        return [Passage(chunk_id=f"{art['id']}:0", article_id=art["id"], text=art["text"], start=0,
                        end=len(art["text"]), title=art["title"], url=art["url"], source=None, published=None)]

    def ask(self, question: str, *, as_of: dt.date | None = None) -> Answer:
        return self.answers[question]


def _answer(question: str, article: dict[str, str], short: str, quote: str, confidence: float | None = None) -> Answer:
    citation = Citation(n=1, article_id=article["id"], chunk_id=f"{article['id']}:0", title=article["title"],
                        published=article["published"], quote=quote)
    fields: dict[str, Any] = {"question": question, "answer": f"{short}. {quote} [1]", "refused": False,
                              "short_answer": short, "citations": [citation]}
    return Answer(**fields) if confidence is None else _ConfidentAnswer(**fields, confidence=confidence)


def _refusal(question: str) -> Answer:
    return Answer(question=question, answer="I could not find that in the stories.", refused=True)


QUESTIONS = [  # asked 40 days after the harbour story, 10 days after the lottery story
    {"id": "q1", "date": "2024-02-10", "question": "Why did the harbour in Portsmouth close?", "answers": ["a storm"]},
    {"id": "q2", "date": "2024-03-11", "question": "Who won the EuroMillions jackpot?", "answers": ["Maureen Baxter"]},
    {"id": "q3", "date": "2024-03-11", "question": "Who opened the bakery?", "answers": ["Jim Hale"]},
]


def _scripted(confidence: bool = False) -> dict[str, Answer]:
    return {
        QUESTIONS[0]["question"]: _answer(QUESTIONS[0]["question"], ARTICLES[0], "storm",
                                          "A storm broke the sea wall overnight.", 0.9 if confidence else None),
        QUESTIONS[1]["question"]: _answer(QUESTIONS[1]["question"], ARTICLES[1], "Maureen Baxter of Leeds",
                                          "The EuroMillions jackpot was won by Maureen Baxter of Leeds.",
                                          0.2 if confidence else None),
        QUESTIONS[2]["question"]: _refusal(QUESTIONS[2]["question"]),
    }


def test_predictions_stale_short_answer_and_coverage() -> None:
    out = io.StringIO()
    summary = evaluate(cast(Newsdesk, _FakeDesk(_scripted())), QUESTIONS, out).summary()

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [set(line) for line in lines] == [PREDICTION_KEYS] * 3
    assert lines[1]["short_answer"] == "Maureen Baxter of Leeds"
    assert lines[2] == {"id": "q3", "prediction": "", "short_answer": None, "citations": []}
    # the harbour answer's first source is 40 days old on the day asked (stale), the lottery one 10 days
    assert summary["stale_answered"] == 1 and summary["stale_rate"] == 0.5
    # short answers: "storm" vs "a storm" -> 1.0; "Maureen Baxter of Leeds" vs "Maureen Baxter" -> 2/3; refusal 0
    assert summary["short_answer_f1"] == pytest.approx((1.0 + 2 / 3 + 0.0) / 3, abs=1e-4)
    assert summary["precision_at_coverage"] == {"coverage": 0.6667, "precision": 1.0, "curve": None}
    assert summary["answer_ms"].keys() == summary["retrieval_ms"].keys() == {"p50", "p95"}
    assert summary["chunk_answer_hit"]["@1"] == pytest.approx(2 / 3, abs=1e-4)


def test_precision_curve_follows_confidence() -> None:
    answers = _scripted(confidence=True)
    wrong = answers[QUESTIONS[1]["question"]].model_copy(update={"answer": "Someone from Leeds. [1]",
                                                                 "short_answer": None})
    answers[QUESTIONS[1]["question"]] = wrong  # the less confident answer misses the gold
    summary = evaluate(cast(Newsdesk, _FakeDesk(answers)), QUESTIONS).summary()
    curve = summary["precision_at_coverage"]["curve"]
    assert [p["coverage"] for p in curve] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert [p["precision"] for p in curve] == [1.0, 1.0, 0.5, 0.5, 0.5]  # top ceil(coverage x 2) answers
    assert summary["precision_at_coverage"]["precision"] == 0.5


def test_precision_curve_ranks_answers_without_confidence_last() -> None:
    answers = _scripted()  # no confidence on the (correct) harbour answer
    miss = answers[QUESTIONS[1]["question"]].model_copy(update={"answer": "Someone from Leeds. [1]", "short_answer": None})
    answers[QUESTIONS[1]["question"]] = _ConfidentAnswer(**miss.model_dump(exclude={"confidence"}), confidence=0.1)
    curve = evaluate(cast(Newsdesk, _FakeDesk(answers)), QUESTIONS).summary()["precision_at_coverage"]["curve"]
    assert [p["precision"] for p in curve] == [0.0, 0.0, 0.5, 0.5, 0.5]


def test_is_stale_boundaries() -> None:
    asked = dt.date(2024, 3, 31)
    assert is_stale("2024-02-20", asked)  # 40 days
    assert not is_stale("2024-03-21", asked)  # 10 days
    assert not is_stale(None, asked) and not is_stale("not a date", asked)


def test_fresh_hit_counts_only_a_current_story_that_holds_the_answer() -> None:
    asked, golds = dt.date(2024, 3, 31), ["Maureen Baxter"]
    won = "The jackpot was won by Maureen Baxter."
    assert fresh_hit_rank([("2024-03-21", "Nothing here."), ("2024-03-30", won)], golds, asked) == 2
    assert fresh_hit_rank([("2023-03-30", won)], golds, asked) is None  # the answer, a year old
    assert fresh_hit_rank([("2024-04-02", won)], golds, asked) is None  # after the day asked
    assert fresh_hit_rank([(None, won), (dt.date(2024, 3, 1), won)], golds, asked) == 2  # undated: cannot tell
    assert fresh_hit_rank([], golds, asked) is None


def test_baseline_reports_fresh_hits(tmp_path: Path) -> None:
    """The harbour story holds its answer but is 40 days old on the day asked: a hit, not a fresh one."""
    figures = baseline_eval(_write_articles(tmp_path / "a.jsonl.gz", ARTICLES), QUESTIONS[:2])
    assert figures["chunk_answer_hit"]["@1"] == 1.0
    assert figures["fresh_chunk_answer_hit"] == {"@1": 0.5, "@5": 0.5, "@10": 0.5}


def test_baseline_is_asked_on_the_questions_day(tmp_path: Path) -> None:
    """A story published after the day a question was asked was not there to find, for the baseline as
    for newsdesk: the lottery story (2024-03-01) answers q2 asked on 2024-03-11, not the same question
    asked on 2024-02-10; an undated copy is kept."""
    early = [{**QUESTIONS[1], "id": "early", "date": "2024-02-10"}]
    path = _write_articles(tmp_path / "a.jsonl.gz", ARTICLES)
    assert baseline_eval(path, QUESTIONS[1:2])["chunk_answer_hit"]["@1"] == 1.0
    assert baseline_eval(path, early)["chunk_answer_hit"]["@10"] == 0.0
    undated = [*ARTICLES, {**ARTICLES[1], "id": "lottery-undated", "published": None}]
    assert baseline_eval(_write_articles(tmp_path / "b.jsonl.gz", undated), early)["chunk_answer_hit"]["@1"] == 1.0


def test_baseline_prints_progress_lines_into_a_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`eval --baseline` into a log: the baseline's questions are counted like newsdesk's, not silent."""
    baseline_eval(_write_articles(tmp_path / "a.jsonl.gz", ARTICLES), QUESTIONS[:2], progress="lines")
    err = capsys.readouterr().err
    assert "baseline: 2/2 questions" in err and "\r" not in err


def _write_articles(path: Path, articles: list[dict[str, str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(a) + "\n" for a in articles)
    return path


def test_baseline_finds_the_obvious_article(tmp_path: Path) -> None:
    filler = {"id": "long", "title": "Council minutes", "published": None,
              "text": "The council met to discuss parking permits and bins. " * 60}
    path = _write_articles(tmp_path / "a.jsonl.gz", [*ARTICLES, filler])
    figures = baseline_eval(path, QUESTIONS[:2])

    assert figures["article_answer_hit"]["@1"] == 1.0 and figures["chunk_answer_hit"]["@1"] == 1.0
    assert figures["mrr@10"] == 1.0 and figures["answer_recall"] == 1.0 and figures["answer_f1"] > 0
    assert figures["stale_answered"] == 1 and figures["stale_rate"] == 0.5  # the harbour story is 40 days old
    assert figures["index"]["articles"] == 4 and figures["index"]["chunks"] == 3 + len(chunk_spans(len(filler["text"])))
    assert {"article_answer_hit", "mean_answer_words", "retrieval_ms"} <= figures.keys()


def test_the_answer_ceiling_counts_own_stories_published_by_the_day_asked(tmp_path: Path) -> None:
    """q1's own story holds "a storm" but is 40 days old (there to find, not recent); q2's holds its
    answer and is 10 days old; q3's story does not hold "Jim Hale"; q4 lists a story published after the
    day asked (not there to find) and one missing from the file; q5 lists no search results."""
    path = _write_articles(tmp_path / "a.jsonl.gz", ARTICLES)
    listed = [{**QUESTIONS[0], "search_urls": ["https://g.example/1"]},
              {**QUESTIONS[1], "search_urls": ["https://g.example/3", "https://g.example/2"]},
              {**QUESTIONS[2], "search_urls": ["https://g.example/3"]},
              {**QUESTIONS[1], "id": "q4", "date": "2024-02-10",
               "search_urls": ["https://g.example/2", "https://g.example/missing"]},
              {**QUESTIONS[1], "id": "q5"}]
    assert answer_ceiling(path, listed) == {"questions": 4, "in_own_stories": 0.5, "in_own_recent_stories": 0.25}
    assert answer_ceiling(path, QUESTIONS) is None
    said = tmp_path / "p.jsonl"  # eval's predictions: q1 right, q2 refused, q3 wrong; q4 missing
    said.write_text("".join(json.dumps({"id": i, "prediction": p}) + "\n"
                            for i, p in (("q1", "A storm [1]"), ("q2", ""), ("q3", "Ann Lee [1]"))))
    assert answer_ceiling(path, listed, said)["answer_recall"] == 0.25
    # fields named as ingest knows them ("link", "date"), an undated story (there to find, not recent),
    # junk in search_urls and answers: read like the rest, not a crash after a long eval
    other = _write_articles(tmp_path / "b.jsonl.gz", [
        {"link": "https://g.example/9", "date": "2024-03-05", "title": "Jackpot", "text": "Maureen Baxter won."},
        {"url": "https://g.example/8", "published": None, "text": "A storm shut the harbour."}])
    odd = [{**QUESTIONS[1], "answers": ["Maureen Baxter", None], "search_urls": [None, {"u": 1}, "https://g.example/9"]},
           {**QUESTIONS[0], "search_urls": ["https://g.example/8"]}, {**QUESTIONS[2], "search_urls": "https://g.example/9"}]
    assert answer_ceiling(other, odd) == {"questions": 2, "in_own_stories": 1.0, "in_own_recent_stories": 0.5}


def test_chunking_and_naive_answer() -> None:
    assert chunk_spans(2500) == [(0, 1000), (800, 1800), (1600, 2500)]
    assert chunk_spans(1000) == [(0, 1000)] and chunk_spans(0) == []
    assert naive_answer("One. Two. Three. Four.") == "One. Two."


def test_real_newsdesk_predictions_line(tmp_path: Path, embedder: LocalMiniLM) -> None:
    desk = open_newsdesk(make_settings(tmp_path / "data"), embedder=embedder)
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    assert desk.ingest([jsonl], progress=False).added == 3
    out = io.StringIO()
    summary = evaluate(desk, QUESTIONS[:2], out).summary()
    for line in out.getvalue().splitlines():
        record = json.loads(line)
        assert set(record) == PREDICTION_KEYS
        assert record["short_answer"] is None or isinstance(record["short_answer"], str)
    assert {"short_answer_f1", "stale_rate", "stale_answered", "precision_at_coverage"} <= summary.keys()


def test_cli_eval_with_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    articles = _write_articles(tmp_path / "a.jsonl.gz", ARTICLES)
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS[:2]))
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "d"), "eval", "--articles", str(articles), "--questions", str(questions),
                 "--predictions", str(tmp_path / "p.jsonl"), "--baseline"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["baseline"]["article_answer_hit"]["@1"] == 1.0
    assert "answer_in_own_stories" not in figures  # these questions list no search results
    assert figures["vs_baseline"] == {
        "chunk_answer_hit@5": round(figures["chunk_answer_hit"]["@5"] - figures["baseline"]["chunk_answer_hit"]["@5"], 4),
        "answer_recall": round(figures["answer_recall"] - figures["baseline"]["answer_recall"], 4),
    }


def test_cli_eval_into_a_log_prints_plain_progress_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a terminal: the questions asked so far as plain lines (one at the end at least), no bar;
    --no-progress: none. Questions that list their search results get the answer's ceiling too."""
    articles = _write_articles(tmp_path / "a.jsonl.gz", ARTICLES)
    questions = tmp_path / "q.jsonl"
    listed = [{**q, "search_urls": [a["url"]]} for q, a in zip(QUESTIONS, ARTICLES, strict=True)]
    questions.write_text("".join(json.dumps(q) + "\n" for q in listed))
    capsys.readouterr()
    args = ["--data-dir", str(tmp_path / "d"), "eval", "--articles", str(articles), "--questions", str(questions),
            "--predictions", str(tmp_path / "p.jsonl")]
    assert main(args) == 0
    out, err = capsys.readouterr()
    # each question's own story: the harbour's holds "a storm" (40 days old), the lottery's its winner (10 days)
    figures = json.loads(out)
    assert {k: v for k, v in figures["answer_in_own_stories"].items() if k != "answer_recall"} == {
        "questions": 3, "in_own_stories": 0.6667, "in_own_recent_stories": 0.3333}
    assert figures["answer_in_own_stories"]["answer_recall"] == figures["answer_recall"]  # the same questions
    lines = [line for line in err.splitlines() if line.startswith("eval: ")]
    assert lines and lines[-1].startswith("eval: 3/3 questions, ") and "\r" not in err
    assert main([*args, "--no-progress"]) == 0
    assert "eval: " not in capsys.readouterr().err


def _sample_questions(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    """2023-style questions (question, gold answer) about the sample story, for the training scripts."""
    questions = tmp_path / "questions-2023-sample.jsonl"
    questions.write_text("\n".join(json.dumps({"id": str(i), "date": "2024-08-21", "question": q, "answers": [a]})
                                   for i, (q, a) in enumerate(rows)))
    return questions


def test_the_support_model_is_rebuilt_by_its_training_script(seed_dir: Path, tmp_path: Path) -> None:
    """benchmarks/train_support.py rebuilds support.json from an index and 2023-style questions (here the
    sample story and questions written for it: evaluation data never enters the project)."""
    from assistant.answering.support import FEATURES, load_support
    from benchmarks import train_support

    questions = _sample_questions(tmp_path, [
        ("How many settlements do Ukrainian forces control?", "74"),
        ("Who is the commander-in-chief of Ukraine's armed forces?", "Oleksandr Syrskyi"),
        ("What did Tykhyi say about occupation?", "not interested"),
        ("How many strikes has Russia launched from the Kursk region?", "2,000"),
        ("Did Russia share intelligence with Iran?", "no such answer")])
    out = tmp_path / "support.json"
    assert train_support.main(["--data-dir", str(seed_dir), "--questions", str(questions), "--out", str(out)]) == 0
    model = json.loads(out.read_text())
    assert set(model["weights"]) == set(FEATURES) and model["trained_on"]["positives"] >= 3
    assert [row["threshold"] for row in model["cross_validated_5_fold"]] == list(train_support.THRESHOLDS)
    assert load_support(out).probability({"bias": 1.0}) != 0.5  # a fitted model, not the zero one
    assert set(load_support().weights) == set(FEATURES)  # the shipped model scores every feature
    with pytest.raises(SystemExit):
        train_support.main(["--data-dir", str(seed_dir), "--questions", str(tmp_path / "questions-2024.jsonl")])


def test_the_short_answer_scorer_is_rebuilt_by_its_training_script(seed_dir: Path, tmp_path: Path) -> None:
    """benchmarks/train_scorer.py rebuilds short_answer.json (boosted trees) from an index and 2023-style
    questions written for the sample story; the file it writes is one the answerer reads."""
    pytest.importorskip("lightgbm")
    from assistant.answering.candidates import FEATURES
    from assistant.answering.short_answer import load_scorer
    from benchmarks import train_scorer

    rows = [("How many settlements do Ukrainian forces control?", "74"),
            ("Who is the commander-in-chief of Ukraine's armed forces?", "Oleksandr Syrskyi"),
            ("How many strikes has Russia launched from the Kursk region?", "2,000"),
            ("Which region did Ukrainian forces enter in August?", "Kursk"),
            ("Who said Ukraine is not interested in occupying Russian territory?", "Heorhii Tykhyi")]
    questions = _sample_questions(tmp_path, rows)
    out = tmp_path / "short_answer.json"
    assert train_scorer.main(["--data-dir", str(seed_dir), "--questions", str(questions), "--out", str(out)]) == 0
    model = json.loads(out.read_text())
    assert model["features"] == list(FEATURES) and model["trained_on"]["typed_questions"] == len(rows)
    # LightGBM stops adding trees when no split is left (here: a few hundred candidates, few positives)
    assert model["trained_on"]["positives"] >= 3 and 1 <= len(model["trees"]["value"]) <= model["params"]["rounds"]
    assert [row["threshold"] for row in model["cross_validated_5_fold"]][:2] == [0.0, 0.1]
    scorer = load_scorer(out)
    assert scorer.features == FEATURES and 0.0 < scorer.probability({"bias": 1.0}) < 0.5  # positives are rare
    with pytest.raises(SystemExit):
        train_scorer.main(["--data-dir", str(seed_dir), "--questions", str(tmp_path / "questions-2024.jsonl")])
