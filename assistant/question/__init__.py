"""Understanding a question: its standalone form, kind, names, speaker and time window."""

from assistant.question.reading import Question, read_question
from assistant.question.timeframe import TimeFrame

__all__ = ["Question", "read_question", "TimeFrame"]
