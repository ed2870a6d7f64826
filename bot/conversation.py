"""Platform-neutral rules for talking with citebot, kept once for Slack, Discord and the console.

What a message asks for (help, the next quotes, a follow-up, a question), what citebot remembers of its recent
answers so a follow-up or "more" can build on them, and when to show that a slow answer is on its way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("citebot")

_FIRST_CONTACT = re.compile(
    r"(?:(?:hi|hello|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day))"
    r"(?: there| all| everyone| folks| citebot)?"
    r"|thanks?(?: you)?(?: (?:so|very) much| a lot| citebot)?|thx|ty|cheers"
    r"|help(?: me| please)?|\?+|what can (?:you|i) (?:do|ask)(?: here)?|what (?:do|can) you (?:do|know)"
    r"|who are you|what are you|how does this work|how do (?:i|you) use (?:this|you|citebot))[\s!.?]*",
    re.IGNORECASE,
)

# A follow-up leans on the question before it when it starts like one ("and Google?", "what about Meta?") or
# points back at it ("what else did he say?", "how much does each one cost?"), or is too short to stand alone.
_FOLLOW_UP_START = re.compile(r"(?:and|but|so|also|what about|how about|what else|anything else)\b", re.IGNORECASE)
_POINTS_BACK = frozenset(
    "he she him his her hers they them their it its that this those these one else also too".split()
)
SHORT_FOLLOW_UP_WORDS = 3
CONTEXT_CHARS = 500  # of the previous question kept with a follow-up: a chain of follow-ups cannot grow forever

PROGRESS_AFTER_SECONDS = 1.0  # an answer slower than this shows the platform's "working on it" sign


def is_first_contact(text: str) -> bool:
    """`help`, `?`, greetings, thanks and "what can you do?": the help card, not a search of the documents."""
    return _FIRST_CONTACT.fullmatch(" ".join(text.split())) is not None


def leans_on_context(text: str) -> bool:
    """True for a follow-up that means little without the question before it."""
    words = re.findall(r"[\w'’-]+", text.lower())
    return (
        len(words) <= SHORT_FOLLOW_UP_WORDS
        or _FOLLOW_UP_START.match(text.strip()) is not None
        or any(word in _POINTS_BACK for word in words)
    )


def question_in_context(text: str, previous: str | None) -> str:
    """What to search for `text` said after `previous` was answered: a follow-up that leans on it is asked
    together with it (its terms find the topic, the follow-up's the new detail); anything else as it is."""
    if not previous or not leans_on_context(text):
        return text
    return f"{previous[-CONTEXT_CHARS:]} {text}"


async def with_progress(
    work: Awaitable[T], after: float, progress: Callable[[], AbstractAsyncContextManager[object]]
) -> T:
    """`await work`, and when it is not done within `after` seconds, hold `progress()` (👀 on Slack, "typing" on
    Discord) until it is. Failing to show progress never fails the answer."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=after)
    if task in done:
        return task.result()
    shown = contextlib.AsyncExitStack()
    try:
        await shown.enter_async_context(progress())
    except Exception as error:
        log.info("could not show that an answer is on its way: %s", type(error).__name__)
    try:
        return await task
    finally:
        try:
            await shown.aclose()
        except Exception as error:
            log.info("could not take down the sign that an answer was on its way: %s", type(error).__name__)
