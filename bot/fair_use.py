"""Fair use: one person cannot crowd out everyone else, and a busy bot says so instead of falling behind.

Two limits, checked together before a question is answered (`FairUse.admit`, no await inside, so two questions on
one event loop cannot both take the last place):

- per person, a token bucket: `burst` questions at once, refilled at `per_user_per_minute`;
- for the whole process, at most `max_concurrent` answers computed at once and `queue_size` more waiting: a
  question beyond that is turned away at once, so no question ever waits behind more than `queue_size` others.

A question turned away gets a `Refusal`, which front ends show to the asker only. The state is in this process
(each replica limits on its own) and bounded: a bucket that has filled up again is forgotten (it is what a new
person gets), and at most MAX_PEOPLE buckets are kept.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

from bot.config import LimitsSettings

MAX_PEOPLE = 10_000  # buckets kept at most; the least recently seen is forgotten first

LimitReason = Literal["per_person", "busy"]


@dataclass(frozen=True)
class Refusal:
    """Why a question is not answered now, and when asking again can work."""

    reason: LimitReason
    retry_after: float  # seconds

    @property
    def note(self) -> str:
        """One short line for the asker."""
        if self.reason == "busy":
            return "citebot is answering as many questions as it can right now: please ask again in a moment."
        seconds = max(1, math.ceil(self.retry_after))
        return (
            "You're asking faster than citebot answers one person: please wait "
            f"{seconds} second{'s' if seconds != 1 else ''} before asking again."
        )


class LimitedError(Exception):
    """Raised by `answer_and_record` for a question fair use turns away; carries the `Refusal`."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


class PersonBuckets:
    """A token bucket per person: `burst` tokens, refilled at `per_minute / 60` a second."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_people: int = MAX_PEOPLE,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_people = max_people
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # person -> (tokens, when)

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, person: str) -> float:
        """Takes a token for `person`: 0.0 if there was one, else the seconds until there is."""
        now = self.clock()
        tokens = self._tokens(person, now)
        if tokens >= 1.0:
            self._keep(person, tokens - 1.0, now)
            return 0.0
        self._keep(person, tokens, now)
        return (1.0 - tokens) / self.rate

    def _tokens(self, person: str, now: float) -> float:
        kept = self._buckets.pop(person, None)
        if kept is None:
            return self.burst
        tokens, when = kept
        return min(self.burst, tokens + max(0.0, now - when) * self.rate)

    def _keep(self, person: str, tokens: float, now: float) -> None:
        self._buckets[person] = (tokens, now)  # the most recently seen last
        self._forget_full(now)
        while len(self._buckets) > self.max_people:
            self._buckets.popitem(last=False)

    def _forget_full(self, now: float) -> None:
        """Drops the longest-unseen buckets that have filled up again: nothing is lost by forgetting them."""
        while self._buckets:
            person, (tokens, when) = next(iter(self._buckets.items()))
            if tokens + (now - when) * self.rate < self.burst:
                return
            del self._buckets[person]


class AnswerSlots:
    """At most `running` answers at once and `waiting` more in line; `reserve` takes a place or says there is none."""

    def __init__(self, running: int, waiting: int) -> None:
        self.running = running
        self.waiting = waiting
        self.semaphore = asyncio.Semaphore(running)
        self.admitted = 0  # running or waiting

    def reserve(self) -> Ticket | None:
        if self.admitted >= self.running + self.waiting:
            return None
        self.admitted += 1
        return Ticket(self)

    def give_back(self) -> None:
        """A reserved place is free again."""
        self.admitted -= 1


class Ticket:
    """A place among the admitted answers: `async with ticket:` waits for a running slot and gives both back."""

    def __init__(self, slots: AnswerSlots) -> None:
        self._slots = slots
        self._running = False

    async def __aenter__(self) -> Ticket:
        try:
            await self._slots.semaphore.acquire()
        except BaseException:  # cancelled while waiting in line
            self._slots.give_back()
            raise
        self._running = True
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._slots.semaphore.release()
        self._slots.give_back()


class FairUse:
    """The fair-use limits of one bot process, shared by all its front ends."""

    def __init__(self, settings: LimitsSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.people = PersonBuckets(settings.per_user_per_minute, settings.burst, clock)
        self.slots = AnswerSlots(settings.max_concurrent, settings.queue_size)

    def admit(self, front_end: str, person: str) -> Ticket | Refusal:
        """A place to answer `person`'s question, or why not. A busy bot does not spend the person's token."""
        ticket = self.slots.reserve()
        if ticket is None:
            return Refusal("busy", 1.0)
        wait = self.people.take(f"{front_end}:{person}")
        if wait > 0.0:
            self.slots.give_back()
            return Refusal("per_person", wait)
        return ticket
