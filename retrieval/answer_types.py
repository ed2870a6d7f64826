"""What kind of answer a question asks for, so a quote of that kind ranks higher: a signal, never a filter.

"How much / how many / how long" wants a number, and "how many X" more so a number of X ("2,048 GPUs" rather
than what they cost), "how long" a duration ("one year"), "when" a date or a day, "what is / what does" a definition
(the text under a heading or label that names the subject, or a sentence that says what its subject is or
means: see compose.py).
"""

from __future__ import annotations

import re

from retrieval.analysis import analyze

_ASKS_AMOUNT = re.compile(
    r"\bhow\s+(?:much|many|long|far|big|large|high|low|often|old)\b|\bwhat\s+(?:price|percentage|share|number)\b",
    re.IGNORECASE,
)
_ASKS_TIME = re.compile(r"^\W*when\b|\bwhat\s+(?:year|date|day|month|time)\b", re.IGNORECASE)
_ASKS_DEFINITION = re.compile(
    r"(?:^|,)\W*(?:what(?:'s|\s+(?:is|are|does|do|did))|define|meaning\s+of|explain)\b|\bdefines?\b|\bdefinition\s+of\b",
    re.IGNORECASE,
)
# "A "Combined Work" is a work produced by ...", '"Secondary License" means either ...': a subject of a few
# words, then the verb that defines it.
_DEFINITION = re.compile(
    r"^\s*(?:(?:an?|the)\s+)?(?P<subject>[^.;:!?]{1,80}?)\s+"
    r"(?:is|are|means|mean|refers\s+to|shall\s+mean|denotes|stands\s+for)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"\d")
_ASKS_COUNT = re.compile(r"\bhow\s+many\s+(?P<words>(?:[\w'-]+\s+){1,6})", re.IGNORECASE)
_NUMBER = (
    r"(?:(?<![$€£¥\d.,])\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty"
    r"|forty|fifty|sixty|dozens?|several))\b"
)
_ASKS_DURATION = re.compile(r"\bhow\s+(?:long|soon)\b", re.IGNORECASE)
_DURATION = re.compile(
    rf"(?:{_NUMBER}|\ba|\ban)\s+(?:[\w-]+\s+)?(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?)\b",
    re.IGNORECASE,
)
_COUNT_GAP_WORDS = 3  # "671 billion parameters", "2,048 GPU": the number and what it counts stand close
_TIME = re.compile(
    r"\b(?:1[6-9]|20)\d\d\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today)\b",
    re.IGNORECASE,
)


def answer_type(question: str) -> re.Pattern[str] | None:
    """What a right answer holds: a number for "how much / how many", a date or day for "when"."""
    if _ASKS_AMOUNT.search(question):
        return _AMOUNT
    if _ASKS_TIME.search(question):
        return _TIME
    return None


def counted_thing(question: str) -> re.Pattern[str] | None:
    """For "how many X ...?", a number followed within a few words by X's stem ("2,048 GPU NVIDIA H800" for "How
    many GPUs...", "thirty days" for "How many days..."); for "how long / how soon", a duration, digits or words
    ("one year", "30 calendar days"); None when the question counts nothing it names."""
    if _ASKS_DURATION.search(question):
        return _DURATION
    found = _ASKS_COUNT.search(question)
    if found is None:
        return None
    words = []
    for word in found.group("words").split():
        if not analyze(word):  # a stopword ("does", "might") ends the thing counted
            break
        words.append(word)
    stems = analyze(words[-1]) if words else []
    if not stems or not stems[-1].isalpha():
        return None
    return re.compile(rf"{_NUMBER}(?:\W+\S+){{0,{_COUNT_GAP_WORDS}}}?\W+{re.escape(stems[-1])}", re.IGNORECASE)


def asks_definition(question: str) -> bool:
    """ "What is X?", "What does --force do?", "Define X", "Under GPL-3, what is X?": the answer is the text that
    defines X."""
    return _ASKS_DEFINITION.search(question) is not None


def defined_subject(sentence: str) -> str | None:
    """What a sentence defines when it opens by saying what its subject is or means ('"Combined Work"' of
    'A "Combined Work" is a work produced by ...'); None for any other sentence."""
    found = _DEFINITION.match(sentence)
    return found.group("subject") if found else None
