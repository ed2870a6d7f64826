"""Platform-neutral pieces of rendering: every renderer cuts quotes and labels sources the same way."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from retrieval.answers import Answer, Quote
from retrieval.compose import ABSTAIN_NOTE

QUESTION_ECHO_CHARS = 200
ELLIPSIS = "…"
WORD_BOUNDARY_REACH = 40  # a clipped quote ends between words when a space is this close
NOT_FOUND_NOTE = ABSTAIN_NOTE  # one wording on every front end when an answer carries no note of its own
SEARCH_FAILED_NOTE = "Sorry, something went wrong while searching the documents. Please try again in a moment."
CANNOT_POST_REACTION = "🔒"  # on a question whose answer could not be posted anywhere the asker would see it
LINK_MAX_CHARS = 1000
# A link every front end can show as it is: http(s), and none of the characters that end or break a link in Slack
# (`<url|label>`), Discord (`[label](url)`) or a terminal. Anything else is shown without a link.
_SAFE_LINK = re.compile(r"https?://[^\s<>|()\[\]`\"'\\\x00-\x1f\x7f]+", re.IGNORECASE)
# Direction overrides and isolates reorder what a reader sees ("Trojan Source"): shown, never obeyed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """Text safe to print for a person on a terminal: control characters (C0, C1, ESC, DEL) and direction
    overrides are shown as `\\x1b`, `<U+202E>`, so a document or file name can never clear the screen, set the
    window title, hide a link or reverse a line. Tabs stay; line breaks stay unless `keep_newlines` is False,
    then they show as ⏎ (one record, one line)."""
    return "".join(_printable_char(ch, keep_newlines) for ch in text)


def _printable_char(ch: str, keep_newlines: bool) -> str:
    if ch == "\n":
        return ch if keep_newlines else "⏎"
    if ch == "\t":
        return ch
    if ch in _BIDI_CONTROLS:
        return f"<U+{ord(ch):04X}>"
    if ch.isprintable():
        return ch
    if ch.isspace():
        return " "
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"<U+{ord(ch):04X}>"


def quote_segments(quote: Quote) -> list[tuple[str, bool]]:
    """The quote's text as consecutive (text, is_highlighted) runs; joined, they are `quote.text`."""
    runs: list[tuple[str, bool]] = []
    cursor = 0
    for highlight in sorted(quote.highlights, key=lambda h: h.start):
        start, end = max(highlight.start, cursor), min(highlight.end, len(quote.text))
        if start >= end:
            continue
        if start > cursor:
            runs.append((quote.text[cursor:start], False))
        runs.append((quote.text[start:end], True))
        cursor = end
    if cursor < len(quote.text):
        runs.append((quote.text[cursor:], False))
    return runs


def source_label(quote: Quote) -> str:
    """'Title › Section, p. 12', the same on every front end; a quote with no link a reader can open also says
    where it is: '— file.txt, line 12' (for text extracted from HTML, PDF or Word, just the file)."""
    label = quote.title
    if quote.section:
        label += f" › {quote.section}"
    if quote.page is not None:
        label += f", p. {quote.page}"
    if quote_link(quote) is None:
        label += f" — {quote.source}" if quote.derived else f" — {quote.source}, line {quote.line}"
    return label


def quote_link(quote: Quote) -> str | None:
    """The quote's link when every front end can show it safely, else None (then the label says the file)."""
    url = quote.url
    return url if url and len(url) <= LINK_MAX_CHARS and _SAFE_LINK.fullmatch(url) else None


def echoed_question(answer: Answer) -> str:
    """The question as shown back to the asker, clipped so a huge question cannot flood a reply."""
    question = " ".join(answer.question.split())
    if len(question) > QUESTION_ECHO_CHARS:
        return question[: QUESTION_ECHO_CHARS - 1] + "…"
    return question


@dataclass(frozen=True)
class Page:
    """What one reply shows: `answer` (the asker's words as its question, only this reply's quotes), numbered
    from `first_number` so that "more" continues the count, and the earlier question it follows up on."""

    answer: Answer
    first_number: int = 1
    following_up_on: str | None = None
    more: bool = False  # more quotes may follow: offer the "More quotes" button
    exchange: str | None = None  # the id its buttons carry (None: nothing to continue or share)


def quote_number(number: int) -> str:
    """How a quote is numbered on every front end, so people can say "quote 2"; "more" continues the count."""
    return f"[{number}]"


def answer_json(answer: Answer, first_number: int = 1) -> str:
    """The answer as one line of JSON, each quote carrying the `number` every front end shows beside it."""
    data = answer.model_dump(mode="json")
    for number, quote in enumerate(data["quotes"], start=first_number):
        quote["number"] = number
    return json.dumps(data, ensure_ascii=False)


def following_up_line(previous: str) -> str:
    """Shown above an answer asked together with an earlier question, so nobody wonders where its words came
    from (plain text, clipped like an echoed question)."""
    previous = " ".join(previous.split())
    if len(previous) > QUESTION_ECHO_CHARS:
        previous = previous[: QUESTION_ECHO_CHARS - 1] + ELLIPSIS
    return f"Following up on: {previous}"


# Buttons under an answer: the next quotes, and (on an answer only its asker sees) sharing it with the channel.
MORE_LABEL = "More quotes"
SHARE_LABEL = "Share in channel"
SHARED_NOTE = "Shared in the channel."


def shared_by(sharer: str) -> str:
    """Above a shared answer; `sharer` is the platform's mention of the person (trusted markup, no ping)."""
    return f"Shared by {sharer}"


def cannot_post_note(place: str) -> str:
    """Why an answer came by DM: `place` is the platform's reference to the channel (trusted markup)."""
    return f"I can't post in {place}, so here is your answer. Ask me there again once I may post, or right here."


NOTIFICATION_QUOTE_CHARS = 150


def notification_line(quote: Quote) -> str:
    """What a phone shows for an answer: the start of its first quote, then where it is from (plain text)."""
    text = " ".join(quote.text.split())
    if len(text) > NOTIFICATION_QUOTE_CHARS:
        text = text[: back_to_word_boundary(text, NOTIFICATION_QUOTE_CHARS - 1)].rstrip() + ELLIPSIS
    return f"“{text}” — {quote.title}"


def not_found_note(answer: Answer) -> str:
    """Why there are no quotes, in the core's words (the same on every platform)."""
    return answer.note or NOT_FOUND_NOTE


def merged_runs(quote: Quote, chars: int | None = None) -> list[tuple[str, bool]]:
    """`quote_segments` of the first `chars` characters (all by default) with touching runs of the same kind
    joined: `*a**b*` is not bold in Slack, nor `**a****b**` in Discord."""
    merged: list[tuple[str, bool]] = []
    remaining = len(quote.text) if chars is None else chars
    for text, highlighted in quote_segments(quote):
        if remaining <= 0:
            break
        text, remaining = text[:remaining], remaining - len(text)
        if merged and merged[-1][1] == highlighted:
            merged[-1] = (merged[-1][0] + text, highlighted)
        else:
            merged.append((text, highlighted))
    return merged


def longest_fitting(upper: int, fits: Callable[[int], bool]) -> int:
    """Largest n in [0, upper] with fits(n) (rendered length grows with n), or 0 if none: the longest prefix
    of a quote whose rendering fits a platform's limit, cut before rendering so no markup is split."""
    low, high = 0, upper
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def back_to_word_boundary(text: str, chars: int, reach: int = WORD_BOUNDARY_REACH) -> int:
    """Cut between words when a space is near, so a clipped quote does not end mid-word."""
    if chars >= len(text) or text[chars].isspace():
        return chars
    space = text.rfind(" ", max(0, chars - reach), chars)
    return space if space > 0 else chars


# Feedback on answers: the same buttons and wording on every platform (plain text: nothing in them can ping).
VOTE_UP_LABEL = "👍"
VOTE_DOWN_LABEL = "👎"
VOTE_RECORDED = {True: "Thanks: your 👍 is recorded.", False: "Thanks: your 👎 is recorded."}
FEEDBACK_TITLE = "What was wrong?"
FEEDBACK_LABEL = "What was wrong with this answer? (optional)"
FEEDBACK_PLACEHOLDER = "e.g. it quotes the wrong document, or the answer is in another one"
FEEDBACK_MAX_CHARS = 1000
FEEDBACK_THANKS = "Thanks: the people who keep the documents will read this."


# The help card: the answer to `help`, `?`, greetings, thanks and "what can you do?", and the Slack Home tab.
HELP_ABOUT = "I answer questions about the documents with word-for-word quotes, and say where each one comes from."
HELP_TITLES_SHOWN = 3


@dataclass(frozen=True)
class HelpCard:
    """What every front end shows a newcomer, as plain text (each platform escapes and lays it out)."""

    about: str
    ways: tuple[str, ...]  # the ways to ask on this platform
    covers: str  # what the documents cover
    examples: tuple[str, ...]
    who_sees: str


def help_card(
    ways: Sequence[str], titles: Sequence[str], description: str | None, examples: Sequence[str], who_sees: str
) -> HelpCard:
    """The card for one platform: `description` says what the documents cover, else their number and a few titles."""
    if description:
        covers = description
    else:
        shown = [f"“{' '.join(title.split())}”" for title in titles[:HELP_TITLES_SHOWN]]
        more = len(titles) - len(shown)
        listed = ", ".join(shown) + (f" and {more} more" if more else "")
        covers = (
            f"{len(titles)} document{'s' if len(titles) != 1 else ''}: {listed}." if titles else "No documents yet."
        )
    return HelpCard(HELP_ABOUT, tuple(ways), covers, tuple(examples), who_sees)


def who_sees_answers(command: str, public: bool) -> str:
    """Who sees what citebot says, the same sentence on every platform."""
    if public:
        return (
            f"Answers to {command} are shown to the channel with your name; if I find nothing, only you see it. "
            "Mentions are answered in a thread, direct messages privately."
        )
    return (
        f"Answers to {command} are shown only to you, with a button to share them. "
        "Mentions are answered in a thread, direct messages privately."
    )
