"""The report as a pure function of the log's records: grouping, privacy modes, citations, terminal safety."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from bot.store import QuestionRecord, QuoteRecord, VoteRecord
from bot.store.records import wording_digest
from bot.store.report import build_report, eval_lines, report_csv, report_text

NOW = datetime(2025, 1, 27, 12, 0)
SALT = "salt"


def record(
    question: str, *, answered: bool = False, mode: str = "full", sources: tuple[str, ...] = (), channel: str = "C1"
) -> QuestionRecord:
    return QuestionRecord(
        id=hashlib.md5(f"{question}|{channel}|{mode}".encode()).hexdigest(),
        asked_at=NOW - timedelta(hours=1),
        front_end="slack",
        workspace="T1",
        channel=channel,
        asker="someone",
        question=question if mode == "full" else None,
        wording=wording_digest(SALT, question) if mode != "off" else None,
        answered=answered,
        reason="answered" if answered else "not_in_documents",
        latency_ms=10,
        quotes=tuple(QuoteRecord(n, source, 0, 10, 1, 1.0) for n, source in enumerate(sources, 1)),
    )


def test_unanswered_rewordings_count_as_one_with_their_commonest_wording_first() -> None:
    records = [
        record("what is the refund policy?"),
        record("Refund policy?"),
        record("refund policy?"),
        record("refund policy?", channel="C2"),
        record("who founded DeepSeek?"),
    ]
    report = build_report(records, NOW - timedelta(days=7), NOW)

    [refunds, founder] = report.unanswered
    assert (refunds.question, refunds.count) == ("refund policy?", 4)
    assert refunds.examples == ["refund policy?", "Refund policy?", "what is the refund policy?"]
    assert (founder.question, founder.count) == ("who founded DeepSeek?", 1)


def test_hashed_questions_are_still_grouped_but_shown_only_as_a_digest() -> None:
    report = build_report(
        [record("refund policy?", mode="hashed"), record("What is the refund policy", mode="hashed")],
        NOW - timedelta(days=7),
        NOW,
    )
    [group] = report.unanswered
    assert group.count == 2
    assert group.question.startswith("(hashed ") and "refund" not in group.question


def test_documents_never_cited_are_the_least_cited() -> None:
    records = [record("a", answered=True, sources=("a.txt", "b.txt")), record("b", answered=True, sources=("a.txt",))]
    report = build_report(records, NOW - timedelta(days=1), NOW, corpus_sources=["a.txt", "b.txt", "c.txt"])

    assert [(c.key, c.count) for c in report.most_cited] == [("a.txt", 2), ("b.txt", 1)]
    assert [(c.key, c.count) for c in report.least_cited] == [("c.txt", 0), ("b.txt", 1), ("a.txt", 2)]
    assert report.answer_rate == 1.0


def test_downvotes_carry_what_was_said_and_go_to_the_eval_export() -> None:
    disliked = record("how many GPUs?", answered=True, sources=("a.txt",))
    disliked = QuestionRecord(
        **{**disliked.__dict__, "votes": (VoteRecord(disliked.id, "v", False, NOW, "wrong number"),)}
    )
    liked = record("what did Nadella say?", answered=True, sources=("a.txt",))
    unanswered = record("who founded DeepSeek?")
    report = build_report([disliked, liked, unanswered], NOW - timedelta(days=1), NOW)

    assert [(d.question, d.comment) for d in report.downvoted] == [("how many GPUs?", "wrong number")]
    assert (report.votes_up, report.votes_down) == (0, 1)
    assert eval_lines([disliked, liked, unanswered]) == [
        '{"q": "how many GPUs?", "gold": []}',
        '{"q": "who founded DeepSeek?", "gold": []}',
    ]
    assert "downvoted,how many GPUs?,1,wrong number" in report_csv(report).splitlines()


def test_the_terminal_report_shows_control_characters_instead_of_obeying_them() -> None:
    report = build_report([record("clear \x1b[2J the screen?")], NOW - timedelta(days=1), NOW)
    text = "\n".join(report_text(report))
    assert "\x1b" not in text and "\\x1b[2J" in text


def test_an_empty_period_is_a_report_of_nothing() -> None:
    report = build_report([], NOW - timedelta(days=7), NOW)
    assert (report.questions, report.answer_rate, report.unanswered) == (0, None, [])
    assert "answered   0 (-)" in report_text(report)
