"""The conversation memory every front end shares (bot/followups.py): follow-ups, "more", and its bound."""

from __future__ import annotations

import logging

import pytest

from bot.answering import AnswerService
from bot.followups import MORE_FIRST_NOTE, NO_MORE_NOTE, Conversations, answer_turn, is_more
from bot.rendering import Page
from bot.store import Asked
from retrieval.retriever import Retriever

log = logging.getLogger("test")
NVIDIA = "Nvidia stock drop"  # three quotes, then two more, then no more


async def said(service: AnswerService, conversations: Conversations, text: str, said_in: str | None, key: str) -> Page:
    page, _ = await answer_turn(
        service, conversations, conversations.turn(text, said_in), Asked("console", "me", text), [key], None, log
    )
    assert page is not None
    return page


@pytest.mark.parametrize("text", ["more", "More quotes", "show me more please", "next", " more! "])
def test_asking_for_the_next_quotes_is_more(text: str) -> None:
    assert is_more(text)


@pytest.mark.parametrize("text", ["more about Nadella", "what more did he say?", "Nvidia", "and Meta?"])
def test_a_question_is_not_more(text: str) -> None:
    assert not is_more(text)


async def test_more_skips_every_quote_shown_and_continues_the_numbering(bundled: Retriever) -> None:
    service, conversations = AnswerService(bundled), Conversations()
    first = await said(service, conversations, NVIDIA, None, "t")
    more = await said(service, conversations, "more", "t", "t")
    none_left = await said(service, conversations, "more", "t", "t")

    assert (len(first.answer.quotes), first.first_number, first.more) == (3, 1, True)
    assert (len(more.answer.quotes), more.first_number, more.more) == (2, 4, False)
    spans = [(q.source, q.start, q.end) for q in [*first.answer.quotes, *more.answer.quotes]]
    assert not any(a[0] == b[0] and a[1] < b[2] and b[1] < a[2] for i, a in enumerate(spans) for b in spans[i + 1 :]), (
        "a quote shown twice"
    )
    assert more.answer.question == NVIDIA and more.exchange == first.exchange
    assert (none_left.answer.answered, none_left.answer.note, none_left.first_number) == (False, NO_MORE_NOTE, 6)


async def test_a_follow_up_is_asked_with_the_question_before_it_and_says_so(bundled: Retriever) -> None:
    service, conversations = AnswerService(bundled), Conversations()
    await said(service, conversations, "What did Nadella say?", None, "t")

    follow_up = await said(service, conversations, "and Sam Altman?", "t", "t")
    elsewhere = await said(service, conversations, "and Sam Altman?", "other", "other")

    assert follow_up.following_up_on == "What did Nadella say?" and follow_up.answer.question == "and Sam Altman?"
    assert any("wrong side of history" in quote.text for quote in follow_up.answer.quotes)
    assert elsewhere.following_up_on is None


async def test_more_with_nothing_asked_says_to_ask_first(bundled: Retriever) -> None:
    page = await said(AnswerService(bundled), Conversations(), "more", None, "t")
    assert page.answer.note == MORE_FIRST_NOTE and page.exchange is None


async def test_the_memory_forgets_the_least_recently_used_conversations(bundled: Retriever) -> None:
    service, conversations = AnswerService(bundled), Conversations(capacity=2)
    first = await said(service, conversations, NVIDIA, None, "a")  # two keys: "a" and its id
    await said(service, conversations, "Stargate", None, "b")
    assert conversations.find("a") is None and conversations.find(first.exchange) is None
    assert conversations.find("b") is not None
    more = await said(service, conversations, "more", "a", "a")
    assert more.answer.note == MORE_FIRST_NOTE
