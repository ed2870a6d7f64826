"""The question log as the front ends see it: `record`, `vote` and `comment` return at once, and a writer
thread of its own does the writing, so neither the event loop nor an answer ever waits on the database.

If the store is down, locked or full, or the backlog overflows, the record is dropped and one warning is
logged (then at most one a minute, saying how many more were lost); answering goes on regardless.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import metrics
from bot.answer_workers import AnswerFailed
from bot.answering import AnswerService
from bot.config import DEFAULT_COLLECTION, ConfigError, LogSettings
from bot.fair_use import LimitedError, Refusal
from bot.store.records import (
    Asked,
    QuestionRecord,
    VoteRecord,
    person_digest,
    quotes_of,
    reason_of,
    utc_now,
    wording_digest,
)
from bot.store.sql import Store, StoreError
from retrieval.answers import Answer

log = logging.getLogger("citebot.store")

BACKLOG = 1000  # writes waiting for the store; beyond this they are dropped (and counted in the warning)
WARN_EVERY_SECONDS = 60.0
RETENTION_EVERY_SECONDS = 3600.0
COMMENT_CHARS = 1000
QUESTION_CHARS = 4000


class RateLimitedWarning:
    """One warning now, then at most one per `every` seconds saying how many were held back."""

    def __init__(
        self,
        every: float = WARN_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        template: str = "question log: %s; answers go on without it",
    ) -> None:
        self._every = every
        self._template = template
        self._clock = clock
        self._last: float | None = None
        self._held_back = 0
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self._every:
                self._held_back += 1
                return
            more = f" ({self._held_back} more since the last warning)" if self._held_back else ""
            self._last, self._held_back = now, 0
        log.warning(self._template + "%s", message, more)


@dataclass(frozen=True)
class _Question:
    id: str
    asked: Asked
    answer: Answer | None
    seconds: float
    at: datetime
    collection: str


@dataclass(frozen=True)
class _Vote:
    answer_id: str
    user_id: str
    up: bool


@dataclass(frozen=True)
class _Comment:
    answer_id: str
    user_id: str
    text: str


_Write = _Question | _Vote | _Comment


class QuestionLog:
    """Records questions, votes and comments through `store`, applying the operator's privacy settings."""

    def __init__(self, store: Store, settings: LogSettings, *, backlog: int = BACKLOG) -> None:
        self.store = store
        self.settings = settings
        self.warn = RateLimitedWarning()
        self._queue: queue.Queue[_Write | None] = queue.Queue(maxsize=backlog)
        self._idle = threading.Condition()
        self._pending = 0
        self._last_purge: float | None = None
        self._thread = threading.Thread(target=self._run, name="citebot-question-log", daemon=True)
        self._thread.start()

    @property
    def takes_comments(self) -> bool:
        """Free text (what was wrong with an answer) is kept only when questions are kept in full."""
        return self.settings.questions == "full"

    # -- what front ends call (never blocks) --------------------------------------------------------------

    def record(self, asked: Asked, answer: Answer | None, seconds: float, collection: str = DEFAULT_COLLECTION) -> str:
        """Queues one asked question, answered from `collection`; returns the answer id its vote buttons carry."""
        answer_id = uuid.uuid4().hex
        self._put(_Question(answer_id, asked, answer, seconds, utc_now(), collection))
        return answer_id

    def vote(self, answer_id: str, user_id: str, *, up: bool) -> None:
        """A 👍 or 👎; the same person voting again replaces their vote, so a redelivered click counts once."""
        self._put(_Vote(answer_id, user_id, up))

    def comment(self, answer_id: str, user_id: str, text: str) -> None:
        """What a 👎 voter said was wrong (dropped unless questions are kept in full)."""
        text = text.strip()[:COMMENT_CHARS]
        if text and self.takes_comments:
            self._put(_Comment(answer_id, user_id, text))

    # -- lifecycle ------------------------------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything queued so far was written (or given up on); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Writes what is queued (for at most `timeout`), then stops the writer and closes the store."""
        self.flush(timeout)
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            return
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.store.close()

    def _put(self, item: _Write) -> None:
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._done()
            self.warn(f"{self._queue.maxsize} writes already waiting for {self.store.url}, one dropped")

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    # -- the writer thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self._write(item)
            except StoreError as error:
                self.warn(str(error))
            except Exception as error:  # never let the writer die: the log is best effort
                log.exception("question log: unexpected error")
                self.warn(type(error).__name__)
            finally:
                self._done()

    def _write(self, item: _Write) -> None:
        salt = self.store.salt()
        self._purge_if_due()
        if isinstance(item, _Question):
            self.store.add_question(self._question_record(salt, item))
        elif isinstance(item, _Vote):
            voter = person_digest(salt, item.user_id)
            self.store.set_vote(VoteRecord(item.answer_id, voter, item.up, utc_now()))
        else:
            self.store.set_comment(item.answer_id, person_digest(salt, item.user_id), item.text, utc_now())

    def _question_record(self, salt: str, item: _Question) -> QuestionRecord:
        mode = self.settings.questions
        # the answer's copy is cleaned and clipped by retrieval; a failed search leaves the raw question
        text = item.answer.question if item.answer is not None else item.asked.question[:QUESTION_CHARS]
        return QuestionRecord(
            id=item.id,
            asked_at=item.at,
            front_end=item.asked.front_end,
            workspace=item.asked.workspace,
            channel=item.asked.channel,
            asker=person_digest(salt, item.asked.user_id),
            question=text if mode == "full" else None,
            wording=wording_digest(salt, text) if mode != "off" else None,
            answered=reason_of(item.answer) == "answered",
            reason=reason_of(item.answer),
            latency_ms=round(item.seconds * 1000),
            quotes=quotes_of(item.answer),
            collection=item.collection,
        )

    def _purge_if_due(self) -> None:
        """Retention runs at the first write and then hourly, in this thread."""
        now = time.monotonic()
        if self._last_purge is not None and now - self._last_purge < RETENTION_EVERY_SECONDS:
            return
        self._last_purge = now
        deleted = self.store.delete_older_than(utc_now() - timedelta(days=self.settings.retention_days))
        if deleted:
            log.info("question log: deleted %d rows older than %d days", deleted, self.settings.retention_days)


async def answer_and_record(
    service: AnswerService,
    asked: Asked,
    question_log: QuestionLog | None,
    logger: logging.Logger,
    top_k: int | None = None,
) -> tuple[Answer | None, str | None]:
    """What every front end does with a question: the answer (None if the search failed, which is logged to
    `logger`), and, when questions are logged, the id its vote buttons carry (recording never waits). `top_k`
    overrides the front end's number of quotes ("more" asks for those shown and the next ones). A question fair
    use turns away ([limits]) raises LimitedError, counted and not recorded: the front end tells the asker."""
    admitted = service.admit(asked.front_end, asked.user_id)  # no await before the ticket is held
    if isinstance(admitted, Refusal):
        metrics.question_limited(asked.front_end, admitted.reason)
        raise LimitedError(admitted)
    started = time.monotonic()
    answer: Answer | None = None
    try:
        async with admitted:
            answer = await service.answer(asked.question, top_k)
    except AnswerFailed:
        pass  # its worker died or overran: the service has logged why, in one line
    except Exception:
        logger.exception("answering a question failed")
    seconds = time.monotonic() - started
    metrics.question_handled(asked.front_end, answer, seconds, service.collection)
    if question_log is None:
        return answer, None
    return answer, question_log.record(asked, answer, seconds, service.collection)


def open_question_log(storage_url: str | None, settings: LogSettings) -> QuestionLog | None:
    """The question log for a bot, or None when the operator turned it off (`[log] enabled = false`)."""
    if not settings.enabled:
        return None
    from bot.store.sql import open_store

    try:
        return QuestionLog(open_store(storage_url), settings)
    except StoreError as error:
        raise ConfigError(str(error)) from None
