"""Extractive answers on the user's sample article: right sentence, cited and verified; refusals."""

from __future__ import annotations

import pytest

from assistant.citations import verify_answer
from assistant.service import Newsdesk
from assistant.text import find_verbatim

TYKHYI = "Ukraine is not interested in taking the territory of the Kursk region, but we want to protect the lives of our people"

FACTS = [
    ("what did Tykhyi say about occupation?", TYKHYI),
    ("How many settlements do Ukrainian forces control?", "control 74 settlements"),
    ("How many strikes has Russia launched from the Kursk region?", "more than 2,000 strikes"),
    ("How many glide bombs were used?", "255 glide bombs"),
    ("How much territory did Ukrainian troops gain in the past 24 hours?", "40 square kilometers"),
    ("Who is the Ukrainian military commander?", "Oleksandr Syrskyi"),
    ("Which settlements were the Ukrainian armored groups advancing towards?", "Obshchy Kolodez, Snagost, Kauchuk, and Alexeyevsky"),
    ("What did the Russian Defense Ministry say?", "intercepted and halted Ukrainian armored mobile groups"),
    ("What did Syrskyi say about the situation?", "remains under control"),
    ("Who expressed concern over the situation?", "Jake Sullivan"),
    ("What is the purpose of the operation according to Tykhyi?", "preserve the lives of our children"),
]

UNCOVERED = [
    "What is the capital of France?",
    "Who won the Super Bowl?",
    "What did Putin say about Kursk?",
    "What is the weather in Kursk?",
    "What did Tykhyi say about the weather?",
    "How many electric cars were sold in Norway?",
]


@pytest.mark.parametrize(("question", "expected"), FACTS)
def test_seed_questions_are_answered_with_the_right_cited_sentence(
    seed_desk: Newsdesk, question: str, expected: str
) -> None:
    answer = seed_desk.ask(question)
    assert not answer.refused, answer.answer
    assert answer.citations
    assert any(expected in c.quote for c in answer.citations), [c.quote for c in answer.citations]
    assert expected in answer.answer
    assert verify_answer(answer, seed_desk.store) == []
    text = seed_desk.store.article_text(answer.citations[0].article_id)
    for c in answer.citations:
        assert find_verbatim(c.quote, text)
        assert f"[{c.n}]" in answer.answer
        assert c.source == "The Associated Press" and c.published is None


def test_who_said_what_names_speaker_outlet_and_date(seed_desk: Newsdesk) -> None:
    answer = seed_desk.ask("what did Tykhyi say about occupation?")
    assert answer.answer.startswith("Heorhii Tykhyi, as reported by The Associated Press (date unknown)")
    # Russia's ministry is a different speaker and stays out of Tykhyi's answer
    assert "Defense Ministry" not in answer.answer


@pytest.mark.parametrize("question", UNCOVERED)
def test_questions_the_stories_do_not_cover_are_refused(seed_desk: Newsdesk, question: str) -> None:
    answer = seed_desk.ask(question)
    assert answer.refused, answer.answer
    assert answer.citations == []
    assert "[" not in answer.answer
