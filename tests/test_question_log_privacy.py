"""Privacy settings of the question log, read from the SQLite file's own bytes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.config import LogSettings
from bot.store import Asked, QuestionLog, open_store
from retrieval.retriever import Retriever

QUESTION = "What did Nadella say about the quokka zymurgy?"
MARKERS = (b"quokka", b"zymurgy", b"Nadella say")
LONG_AGO = datetime(2000, 1, 1)
COMMENT = "the quokka answer was wrong"


def log_one_question(directory: Path, bundled: Retriever, mode: str) -> bytes:
    """Asks, votes 👎 with a comment, closes the log; returns every byte of the database files."""
    store = open_store(f"sqlite:///{directory / 'questions.sqlite3'}")
    log = QuestionLog(store, LogSettings(questions=mode))  # type: ignore[arg-type]
    answer_id = log.record(Asked("slack", "U1", QUESTION, "T1", "C1"), bundled.ask(QUESTION, 3), 0.1)
    log.vote(answer_id, "U1", up=False)
    log.comment(answer_id, "U1", COMMENT)
    log.close()
    return b"".join(path.read_bytes() for path in sorted(directory.iterdir()))


@pytest.mark.parametrize("mode", ["hashed", "off"])
def test_hashed_and_off_never_write_the_question_or_a_comment(mode: str, tmp_path: Path, bundled: Retriever) -> None:
    written = log_one_question(tmp_path, bundled, mode).lower()
    assert written  # the log did write its rows
    for marker in MARKERS:
        assert marker.lower() not in written


def test_full_keeps_the_question_and_the_comment(tmp_path: Path, bundled: Retriever) -> None:
    """The check above can see text: in full mode the same words are in the file."""
    written = log_one_question(tmp_path, bundled, "full")
    assert b"quokka zymurgy" in written
    assert COMMENT.encode() in written


def test_hashed_questions_with_the_same_words_share_a_digest(tmp_path: Path, bundled: Retriever) -> None:
    """So the report can still count them: stopwords, case and punctuation do not matter."""
    store = open_store(f"sqlite:///{tmp_path / 'questions.sqlite3'}")
    log = QuestionLog(store, LogSettings(questions="hashed"))
    for question in ("refund policy?", "What is the Refund Policy", "who founded DeepSeek?"):
        log.record(Asked("console", "me", question), bundled.ask(question, 3), 0.1)
    assert log.flush()

    first, second, third = (record.wording for record in store.questions_since(LONG_AGO))
    assert first == second != third
    log.close()


def test_the_database_file_is_readable_by_its_owner_only(tmp_path: Path, bundled: Retriever) -> None:
    log_one_question(tmp_path, bundled, "full")
    assert (tmp_path / "questions.sqlite3").stat().st_mode & 0o777 == 0o600
