"""Follow-ups and "more", the same on every front end: what citebot remembers of a conversation, and how the
next message in it is asked.

A conversation is where citebot answered: a Slack thread, a chain of Discord replies, a DM, a console thread.
Each front end names it with a key of its own (`slack:C1:1700000000.0001`, `discord:message:123`); this module
knows nothing of platforms. The memory is in-process and bounded (least recently used conversations are
forgotten first): after a restart a follow-up is answered as a question of its own, and "more" says it no
longer knows the question.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from bot.answering import AnswerService
from bot.conversation import question_in_context
from bot.rendering import Page
from bot.store import Asked, QuestionLog, answer_and_record
from retrieval.answers import Answer, Quote

CONVERSATIONS_KEPT = 2000  # keys remembered (a conversation has one to three); the oldest are forgotten first
MOST_QUOTES = 20  # the most a question can be asked for (retrieval's top_k bound): "more" stops there
NO_MORE_NOTE = "That's all I found for this question: there are no more quotes."
FORGOTTEN_NOTE = "I no longer remember that question (I may have restarted). Please ask it again."
MORE_FIRST_NOTE = "Ask me a question first; then `more` shows its next quotes."
_MORE = re.compile(
    r"(?:(?:show|give|send)(?: me)? |any |some )?(?:more|next|others?)"
    r"(?: (?:quotes?|passages?|results?|answers?|please|pls))*[\s!.?]*",
    re.IGNORECASE,
)


def is_more(text: str) -> bool:
    """`more`, `more quotes`, `show me more please`: the next quotes for the question already asked."""
    return _MORE.fullmatch(" ".join(text.split())) is not None


@dataclass
class Exchange:
    """One question in a conversation: what was searched for it, who asked, and which passages were shown."""

    asker: str
    question: str  # what was searched: the follow-up together with the question before it
    said: str  # the asker's own words, echoed back
    shown: list[tuple[str, int, int]] = field(default_factory=list)  # (source, start, end) of each quote shown
    last: Page | None = None  # the latest reply, to share it
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class Turn:
    """How to ask a message said in a conversation: a new question (maybe a follow-up) or "more"."""

    said: str
    question: str  # what to search
    previous: Exchange | None
    more: bool = False

    @property
    def following_up_on(self) -> str | None:
        """The earlier question, when this one is asked together with it."""
        if self.more or self.previous is None or self.question == self.said:
            return None
        return self.previous.said

    def top_k(self, page_size: int) -> int | None:
        """How many quotes to ask for: for "more", enough to skip those shown and still fill a page."""
        if not self.more or self.previous is None:
            return None
        return min(len(self.previous.shown) + page_size, MOST_QUOTES)


class Conversations:
    """The recent conversations, by key (LRU). One exchange may be known by several keys (a thread, the id its
    buttons carry, the reply that continued it)."""

    def __init__(self, capacity: int = CONVERSATIONS_KEPT) -> None:
        self.capacity = capacity
        self._by_key: OrderedDict[str, Exchange] = OrderedDict()

    def find(self, key: str | None) -> Exchange | None:
        if key is None or key not in self._by_key:
            return None
        self._by_key.move_to_end(key)
        return self._by_key[key]

    def more(self, key: str) -> Turn:
        """The "More quotes" button of the exchange `key` (its `previous` is None once forgotten)."""
        previous = self.find(key)
        said = previous.said if previous else ""
        return Turn(said, previous.question if previous else said, previous, more=True)

    def turn(self, said: str, key: str | None) -> Turn:
        """`said` in the conversation `key` (None: not in one): "more", a follow-up, or a question of its own."""
        previous = self.find(key)
        if is_more(said):
            return Turn(said, previous.question if previous else said, previous, more=True)
        return Turn(said, question_in_context(said, previous.question if previous else None), previous)

    def answered(self, turn: Turn, answer: Answer, page_size: int, asker: str, keys: list[str]) -> Page:
        """What to show for `turn` answered by `answer` (for "more", the quotes not shown yet, at most a page),
        remembered under `keys` and the exchange's own id (see `Page`)."""
        previous = turn.previous
        if turn.more and previous is not None:
            exchange = previous
            fresh = [quote for quote in answer.quotes if not _overlaps_any(quote, previous.shown)][:page_size]
            shown_before = len(previous.shown)
            if not answer.answered or not fresh:
                shown = answer.model_copy(update={"question": previous.said, "answered": False, "quotes": []})
                page = Page(shown.model_copy(update={"note": NO_MORE_NOTE}), shown_before + 1, exchange=exchange.id)
                self._remember(exchange, keys)
                return page
            quotes = fresh
        else:
            exchange = Exchange(asker, turn.question, turn.said)
            shown_before = 0
            quotes = list(answer.quotes) if answer.answered else []
        exchange.shown += [(quote.source, quote.start, quote.end) for quote in quotes]
        more_possible = bool(quotes) and len(quotes) >= page_size and len(exchange.shown) < MOST_QUOTES
        page = Page(
            answer.model_copy(update={"question": turn.said if not turn.more else exchange.said, "quotes": quotes}),
            shown_before + 1,
            turn.following_up_on,
            more_possible,
            exchange.id,
        )
        exchange.last = page
        self._remember(exchange, keys)
        return page

    def alias(self, exchange_id: str | None, key: str) -> None:
        """`key` (a message that showed the exchange, known once sent) leads to the exchange `exchange_id` too."""
        exchange = self.find(exchange_id)
        if exchange is not None:
            self._remember(exchange, [key])

    def _remember(self, exchange: Exchange, keys: list[str]) -> None:
        for key in [exchange.id, *keys]:
            self._by_key[key] = exchange
            self._by_key.move_to_end(key)
        while len(self._by_key) > self.capacity:
            self._by_key.popitem(last=False)


async def answer_turn(
    service: AnswerService,
    conversations: Conversations,
    turn: Turn,
    asked: Asked,
    keys: list[str],
    question_log: QuestionLog | None,
    logger: logging.Logger,
) -> tuple[Page | None, str | None]:
    """Ask `turn` (recorded like any question), and what to show for it with the id its vote buttons carry;
    (None, None) when the search failed. "more" with nothing asked before says to ask first."""
    if turn.more and turn.previous is None:
        return Page(Answer(question=turn.said, answered=False, note=MORE_FIRST_NOTE)), None
    page_size = service.top_k or service.retriever.settings.top_k
    searched = replace(asked, question=turn.question)
    answer, answer_id = await answer_and_record(service, searched, question_log, logger, turn.top_k(page_size))
    if answer is None:
        return None, None
    return conversations.answered(turn, answer, page_size, asked.user_id, keys), answer_id


def _overlaps_any(quote: Quote, shown: list[tuple[str, int, int]]) -> bool:
    """Whether the quote shares text with one shown already (a larger top_k may cut passages differently)."""
    return any(source == quote.source and start < quote.end and quote.start < end for source, start, end in shown)
