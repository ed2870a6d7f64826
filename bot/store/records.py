"""What the question log keeps, as plain data: one asked question, its quotes, and the votes on its answer.

The asker, the voters and (in `hashed` mode) the question are digests keyed by the store's own salt, so the same
person or the same wording gives the same digest within one install and nothing outside it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from retrieval.analysis import analyze
from retrieval.answers import Answer
from retrieval.compose import ABSTAIN_NOTE, EMPTY_NOTE, NO_TERMS_NOTE, NOT_TEXT_NOTE

FrontEnd = Literal["slack", "discord", "console"]
Reason = Literal["answered", "not_in_documents", "empty", "no_terms", "not_text", "too_long", "error", "other"]


@dataclass(frozen=True)
class Asked:
    """Where a question came from, as the front end knows it (raw ids: the log hashes the person)."""

    front_end: FrontEnd
    user_id: str
    question: str
    workspace: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class QuoteRecord:
    """A cited quote by reference, never its text: `source[start:end]`, its line and score."""

    rank: int
    source: str
    start: int
    end: int
    line: int
    score: float


@dataclass(frozen=True)
class VoteRecord:
    question_id: str
    voter: str  # person digest
    up: bool
    voted_at: datetime
    comment: str | None = None


@dataclass(frozen=True)
class QuestionRecord:
    """One row of the log. `question` is None unless the operator keeps full text; `wording` is a digest of
    the question's analysed words (None when questions are "off"), so rewordings count together."""

    id: str
    asked_at: datetime  # UTC, naive
    front_end: str
    workspace: str | None
    channel: str | None
    asker: str
    question: str | None
    wording: str | None
    answered: bool
    reason: str
    latency_ms: int
    quotes: tuple[QuoteRecord, ...] = ()
    votes: tuple[VoteRecord, ...] = field(default=())
    collection: str | None = None  # None: asked before collections were recorded


def utc_now() -> datetime:
    """Naive UTC, the one time zone both databases store."""
    return datetime.now(UTC).replace(tzinfo=None)


def person_digest(salt: str, user_id: str) -> str:
    return _digest(salt, "person", user_id)


def wording_key(question: str) -> str:
    """The question's analysed terms, sorted and deduplicated: "Refund policy?" and "what is the refund
    policy" share one key (stopwords dropped, words stemmed)."""
    terms = sorted(set(analyze(question)))
    return " ".join(terms) if terms else " ".join(question.casefold().split())


def wording_digest(salt: str, question: str) -> str:
    return _digest(salt, "wording", wording_key(question))


def _digest(salt: str, kind: str, value: str) -> str:
    return hmac.new(salt.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def reason_of(answer: Answer | None) -> Reason:
    """Why an answer has quotes or not, as a short code the report can count."""
    if answer is None:
        return "error"
    if answer.answered and answer.quotes:
        return "answered"
    note = answer.note or ABSTAIN_NOTE
    known: dict[str, Reason] = {
        ABSTAIN_NOTE: "not_in_documents",
        EMPTY_NOTE: "empty",
        NO_TERMS_NOTE: "no_terms",
        NOT_TEXT_NOTE: "not_text",
    }
    if note in known:
        return known[note]
    return "too_long" if "characters long" in note else "other"


def quotes_of(answer: Answer | None) -> tuple[QuoteRecord, ...]:
    if answer is None or not answer.answered:
        return ()
    return tuple(
        QuoteRecord(rank, q.source, q.start, q.end, q.line, q.score) for rank, q in enumerate(answer.quotes, 1)
    )
