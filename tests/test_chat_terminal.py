"""``newsdesk chat`` as a person uses it: quitting, how a follow-up was understood (said before the
answer), and "who said that?" about the passage the previous answer cited."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.question.followup import about_the_answer, cited_statement


def _chat(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: Path, *lines: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    assert main(["--data-dir", str(data), "chat"]) == 0
    return capsys.readouterr().out


def _turns(out: str) -> list[tuple[str, str]]:
    """Each question's (answer, sources): the answer with what it was understood as, then "Sources:"."""
    parts = out.split("\n\nSources:\n")
    answers, sources = [parts[0]], []
    for part in parts[1:]:
        listed, _, following = part.partition("\n\n")
        sources.append(listed)
        answers.append(following)
    return list(zip(answers, sources, strict=False))


@pytest.mark.parametrize("word", ["quit", "exit", "QUIT", "Exit", "/quit", "/exit", " /Quit "])
def test_quit_and_exit_end_the_chat(seed_dir: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch, word: str) -> None:
    out = _chat(capsys, monkeypatch, seed_dir, word, "What did Tykhyi say about occupation?")
    assert out == ""


def test_who_said_that_names_the_speaker_of_the_cited_passage(seed_dir: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = _chat(capsys, monkeypatch, seed_dir, "How many settlements do Ukrainian forces control?", "who said that?",
                "What did Tykhyi say about occupation?", "Who said that?", "exit")
    (first, _), (second, sources), _, (fourth, _) = _turns(out)
    assert first.startswith("74 settlements.") and "(understood as" not in first
    cited = "Ukrainian forces now control 74 settlements in the Kursk region."
    assert cited in first
    # the follow-up, as understood, is said first: then the answer, then its sources
    understood, answer = second.split("\n", 1)
    assert understood.startswith("(understood as: who said “Meanwhile, Ukrainian military commander")
    assert understood.endswith(f"{cited}”?)")
    assert answer.startswith("Oleksandr Syrskyi, as reported by The Associated Press (date unknown): ")
    assert cited in answer and "Tykhyi" not in answer and "(understood" not in sources
    assert sources.startswith("[1] Russia Repels Ukrainian Advance") and cited not in sources  # said once, above
    # after an answer about Tykhyi, "who said that?" is about the passage that answer cited first
    assert fourth.split("\n")[1].startswith("Heorhii Tykhyi, as reported by")


@pytest.mark.parametrize(("answer", "statement"), [
    ("74 settlements. According to The Associated Press (date unknown): Meanwhile, forces now control 74 "
     "settlements. [1]", "Meanwhile, forces now control 74 settlements."),
    ("Heorhii Tykhyi, as reported by AP (2024-08-13): “We want to protect our people,” Tykhyi said. [1] More. [2]",
     "“We want to protect our people,” Tykhyi said."),
    ("According to AP (date unknown), “Kyiv denies intent”: Kyiv denied it. [1]", "Kyiv denied it."),
    ("AP (2024-08-13), “Kyiv denies intent”: Kyiv denied it. [1]", "Kyiv denied it."),
    ("The harbour reopened. Syrskyi said Ukraine controls 74 settlements [1], and more [2].",
     "Syrskyi said Ukraine controls 74 settlements"),
    ("The stories I have don't say.", None),
])
def test_the_statement_an_answer_cites_first(answer: str, statement: str | None) -> None:
    assert cited_statement(answer) == statement


def test_only_questions_about_the_answer_are_rewritten_from_it() -> None:
    answer = "According to AP (date unknown): Syrskyi spoke. [1]"
    assert about_the_answer("who said that?", answer) == "who said “Syrskyi spoke.”?"
    assert about_the_answer("And who said this", answer) == "who said “Syrskyi spoke.”?"
    assert about_the_answer("who said that Kursk fell?", answer) is None
    assert about_the_answer("who won?", answer) is None
    assert about_the_answer("who said that?", "The stories I have don't say.") is None


def test_a_long_statement_in_what_was_understood_is_shortened_for_people() -> None:
    from assistant.cli_chat import shortened

    long = ("who said “Meanwhile, Ukrainian military commander Oleksandr Syrskyi provided an update on the ongoing "
            "operations, stating that Ukrainian forces now control 74 settlements in the Kursk region.”?")
    assert shortened(long) == ("who said “Meanwhile, Ukrainian military commander Oleksandr Syrskyi … Ukrainian "
                               "forces now control 74 settlements in the Kursk region.”?")
    assert shortened("who said “we will protect our people”?") == "who said “we will protect our people”?"
