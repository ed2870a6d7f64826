"""The question log's store, the same specification against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from bot.config import LogSettings
from bot.store import Asked, QuestionLog, Store, StoreError, open_store, person_digest
from bot.store.records import QuestionRecord, utc_now
from bot.store.schema import SCHEMA_VERSION
from retrieval.retriever import Retriever

NADELLA = "what did Nadella say?"
UNANSWERABLE = "what is the airspeed velocity of an unladen swallow?"
LONG_AGO = datetime(2000, 1, 1)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def question_log(store: Store) -> Iterator[QuestionLog]:
    log = QuestionLog(store, LogSettings())
    yield log
    log.close()


@contextlib.contextmanager
def opened(url: str) -> Iterator[Store]:
    """Another connection to the same store, as a second replica or `citebot report` would open it."""
    other = open_store(url)
    try:
        yield other
    finally:
        other.close()


def ask(log: QuestionLog, retriever: Retriever, question: str, user: str = "U1", channel: str = "C1") -> str:
    answer = retriever.ask(question, 3)
    return log.record(Asked("slack", user, question, workspace="T1", channel=channel), answer, 0.25)


def only(store: Store) -> QuestionRecord:
    [record] = store.questions_since(LONG_AGO)
    return record


def test_an_answered_question_is_recorded_with_where_who_what_and_how_fast(
    question_log: QuestionLog, store: Store, bundled: Retriever
) -> None:
    """Time, front end, workspace, channel, the hashed asker, the question, the quotes by reference, latency."""
    answer_id = ask(question_log, bundled, NADELLA)
    assert question_log.flush()

    record = only(store)
    assert record.id == answer_id
    assert abs(record.asked_at - utc_now()) < timedelta(hours=1)
    assert (record.front_end, record.workspace, record.channel) == ("slack", "T1", "C1")
    assert record.asker == person_digest(store.salt(), "U1") != "U1"
    assert record.question == NADELLA
    assert record.answered and record.reason == "answered"
    assert record.latency_ms == 250
    first = record.quotes[0]
    assert (first.rank, first.source, first.line) == (1, "004_250e2ef35fa11695.txt", 31)
    assert first.end > first.start and first.score > 0


def test_an_unanswered_question_says_why(question_log: QuestionLog, store: Store, bundled: Retriever) -> None:
    ask(question_log, bundled, UNANSWERABLE)
    assert question_log.flush()

    record = only(store)
    assert not record.answered
    assert record.reason == "not_in_documents"
    assert record.quotes == ()


def test_a_failed_search_is_recorded_as_an_error(question_log: QuestionLog, store: Store) -> None:
    question_log.record(Asked("discord", "42", NADELLA, workspace="9", channel="10"), None, 1.0)
    assert question_log.flush()

    assert only(store).reason == "error"


def test_one_vote_per_person_per_answer_and_it_can_change(
    question_log: QuestionLog, store: Store, bundled: Retriever
) -> None:
    answer_id = ask(question_log, bundled, NADELLA)
    question_log.vote(answer_id, "U2", up=True)
    question_log.vote(answer_id, "U2", up=True)  # a redelivered click
    question_log.vote(answer_id, "U3", up=True)
    question_log.vote(answer_id, "U3", up=False)  # changed their mind
    assert question_log.flush()

    votes = {vote.voter: vote.up for vote in only(store).votes}
    salt = store.salt()
    assert votes == {person_digest(salt, "U2"): True, person_digest(salt, "U3"): False}


def test_what_a_downvoter_said_stays_with_their_vote_until_they_change_it(
    question_log: QuestionLog, store: Store, bundled: Retriever
) -> None:
    answer_id = ask(question_log, bundled, NADELLA)
    question_log.vote(answer_id, "U2", up=False)
    question_log.comment(answer_id, "U2", "  quotes the wrong article  ")
    question_log.vote(answer_id, "U2", up=False)  # the 👎 click delivered again
    assert question_log.flush()
    [vote] = only(store).votes
    assert (vote.up, vote.comment) == (False, "quotes the wrong article")

    question_log.vote(answer_id, "U2", up=True)
    assert question_log.flush()
    [vote] = only(store).votes
    assert (vote.up, vote.comment) == (True, None)


def test_forget_removes_every_row_of_that_person_and_nobody_elses(
    question_log: QuestionLog, store: Store, bundled: Retriever
) -> None:
    """Their questions (with quotes and the votes on them) and the votes they cast on others' answers."""
    theirs = ask(question_log, bundled, NADELLA, user="U-forget")
    others = ask(question_log, bundled, NADELLA, user="U-keep")
    question_log.vote(theirs, "U-keep", up=True)
    question_log.vote(others, "U-forget", up=False)
    question_log.vote(others, "U-keep", up=True)
    assert question_log.flush()

    forgotten = person_digest(store.salt(), "U-forget")
    assert store.forget(forgotten) > 0

    [left] = store.questions_since(LONG_AGO)
    assert left.id == others
    assert [vote.voter for vote in left.votes] == [person_digest(store.salt(), "U-keep")]
    assert store.forget(forgotten) == 0


def test_retention_deletes_rows_older_than_the_configured_days(store: Store, bundled: Retriever) -> None:
    """The log deletes old rows by itself (at its first write, then hourly)."""
    old = QuestionRecord(
        id="0" * 32,
        asked_at=utc_now() - timedelta(days=31),
        front_end="slack",
        workspace=None,
        channel=None,
        asker="someone",
        question="an old question",
        wording=None,
        answered=False,
        reason="not_in_documents",
        latency_ms=5,
    )
    store.add_question(old)
    store.add_question(QuestionRecord(**{**old.__dict__, "id": "1" * 32, "asked_at": utc_now() - timedelta(days=29)}))

    log = QuestionLog(store, LogSettings(retention_days=30))
    fresh = ask(log, bundled, NADELLA)
    assert log.flush()
    log.close()

    with opened(store.url) as reopened:
        assert sorted(record.id for record in reopened.questions_since(LONG_AGO)) == sorted(["1" * 32, fresh])


def test_the_schema_version_and_salt_are_made_once_and_shared(store_url: str) -> None:
    """Two replicas on one database hash people alike; reopening upgrades nothing and keeps the salt."""
    with opened(store_url) as first, opened(store_url) as second:
        assert first.salt() == second.salt()
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        version = connection.execute(text("SELECT value FROM citebot_meta WHERE key = 'schema_version'")).scalar()
    engine.dispose()
    assert version == str(SCHEMA_VERSION)


def test_a_store_written_by_a_newer_citebot_is_refused(store_url: str) -> None:
    with opened(store_url) as store:
        store.salt()
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(text("UPDATE citebot_meta SET value = '999' WHERE key = 'schema_version'"))
    engine.dispose()

    with opened(store_url) as store, pytest.raises(StoreError, match="version 999, newer than this citebot knows"):
        store.salt()


def test_a_password_in_the_url_is_refused() -> None:
    """Secrets come from the environment: PGPASSWORD or ~/.pgpass, never the config file."""
    with pytest.raises(StoreError, match="PGPASSWORD"):
        open_store("postgresql://citebot:hunter2@db.example/citebot")
