"""Candidate short answers: what the scorer is told about each span it could answer with."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.answering.candidates import mine
from assistant.answering.gazetteer import classes_of
from assistant.models import Passage
from assistant.question.parse import analyze
from assistant.text import coverage, terms

STORY = ("Japan began releasing treated radioactive water into the Pacific Ocean on Thursday, Prime Minister "
         "Fumio Kishida said, despite protests from fishermen in Fukushima and from China.")


def _candidates(question: str, story: str = STORY) -> dict[str, dict[str, float]]:
    info = analyze(question)
    q_terms = list(dict.fromkeys(info.terms))
    weights = dict.fromkeys(q_terms, 1.0)
    passage = Passage(chunk_id="c1", article_id="a1", text=story, start=0, end=len(story),
                      title="Water release begins", url=None, source="Test Wire", published=dt.date(2023, 8, 24))
    found = mine(info, [passage], lambda bag: coverage(q_terms, weights, bag), dt.date(2023, 8, 25))
    return {c.text: c.features for c in found}


@pytest.mark.parametrize(("name", "classes"), [
    ("Japan", {"country"}), ("the U.S.", {"country"}), ("US", {"country"}), ("Côte d'Ivoire", {"country"}),
    ("Ohio", {"us_state"}), ("New Mexico", {"us_state"}), ("Georgia", {"country", "us_state"}),
    ("Chicago", set()), ("Fumio Kishida", set()), ("Pacific Ocean", set()),
])
def test_places_are_known_by_class(name: str, classes: set[str]) -> None:
    assert classes_of(name) == classes


@pytest.mark.parametrize(("asked", "expected"), [
    ("Which country began releasing radioactive water into the ocean?", "country"),
    ("Which African nation abolished the death penalty?", "country"),
    ("Catholic nuns in which US state banned their bishop?", "us_state"),
    ("Scott is a Republican senator for which state?", "us_state"),
    ("Which Indian state banned the sale of tobacco?", None),
    ("Which city elected its first female mayor?", None),
])
def test_the_class_of_place_a_question_asks_for(asked: str, expected: str | None) -> None:
    assert analyze(asked).place_class == expected


def test_a_country_fits_which_country_and_a_name_does_not() -> None:
    found = _candidates("Which country began releasing radioactive water into the ocean this week?")
    assert found["Japan"]["class_fit"] == 1.0 and found["Japan"]["class_miss"] == 0.0
    assert found["Prime Minister Fumio Kishida"]["class_miss"] == 1.0
    assert found["China"]["known_place"] == 1.0 and found["Fukushima"]["known_place"] == 0.0


def test_a_question_with_no_class_of_place_marks_no_candidate() -> None:
    found = _candidates("Who said the water release would go ahead?")
    assert all(f["class_fit"] == 0.0 and f["class_miss"] == 0.0 for f in found.values())
    assert found["Japan"]["known_place"] == 1.0


def test_the_words_around_a_candidate_say_how_much_of_the_question_they_hold() -> None:
    found = _candidates("Which country began releasing treated radioactive water?")
    # "Japan" opens the sentence: the ten words after it are the question's own
    assert found["Japan"]["window"] > found["Fukushima"]["window"]
    assert found["Japan"]["window"] == pytest.approx(1.0 - 1 / len(set(terms("country began releasing treated "
                                                                             "radioactive water"))))


def test_a_question_word_that_opens_a_headline_is_not_part_of_a_name() -> None:
    found = _candidates("Which grocery chain will close early on Thanksgiving?",
                        "Which Wegmans stores close early on Thanksgiving. What Tesla owners need to know. "
                        "WHO Director-General Tedros said he starred in Who Framed Roger Rabbit.")
    assert {"Wegmans", "Tesla", "WHO Director-General Tedros", "Who Framed Roger Rabbit"} <= set(found)
    assert not {"Which Wegmans", "What Tesla", "Framed Roger Rabbit"} & set(found)
