"""What kind of answer a question asks for: the short answer is offered only for a typed question."""

from __future__ import annotations

import pytest

from assistant.question.parse import analyze, answer_type


@pytest.mark.parametrize(("asked", "expected"), [
    ("How many settlements do Ukrainian forces control?", "number"),
    ("What was the magnitude of the quake that struck the region?", "number"),
    ("How strong was the aftershock?", "number"),
    ("When did the strikes begin?", "date"),
    ("Which city elected its first female mayor?", "place"),
    ("Who was named the new coach?", "person"),
    ("Which fast-food chain is upgrading its burgers?", "entity"),
    ("Which company recalled its cars?", "org"),
    ("What is the show called?", "entity"),
    ("For the first time in 100 years, the Wienermobile has been renamed to?", "entity"),
    ("What is the title of the new Banksy exhibition?", "entity"),
    ("The Indian government decided to limit the export of what foodstuff?", "entity"),
    ("Sweden is building the world's largest what?", "entity"),
    ("A California sea otter keeps stealing what, according to reports?", "entity"),
    ("He played Detective Munch on what TV show franchise?", "entity"),
    ("Why did the shopper complain?", "none"),
    ("How did the team win?", "none"),
    ("What contributed to the win?", "none"),
    ("Did Russia share intelligence with Iran?", "yes_no"),
])
def test_the_kind_of_answer_asked_for(asked: str, expected: str) -> None:
    assert answer_type(asked) == expected


def test_a_quiz_question_is_typed_by_its_asking_sentence() -> None:
    info = analyze("The curtain fell on Broadway's longest-running musical this week. What is the show called?")
    assert info.asked == "What is the show called?" and info.answer_type == "entity"


def test_what_someone_said_has_no_short_answer_type() -> None:
    assert analyze("What did Tykhyi say about occupation?").answer_type == "none"
