"""Abbreviations the documents define themselves, so "capex" finds "capital expenditure" and "NVDA" finds NVIDIA.

Documents introduce abbreviations as "long form (SHORT)" or "SHORT (long form)". The long form is found with
the Schwartz-Hearst algorithm (A Simple Algorithm for Identifying Abbreviation Definitions in Biomedical Text,
2003): the short form's characters appear in order in the long form, the first at the start of a word, and the
shortest such long form wins. Both forms are turned into index terms with the one analyzer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from retrieval.analysis import analyze

_PARENTHESIS = re.compile(r"\(\s*([^()\n]{2,80}?)\s*\)")
_SHORT_FORM = re.compile(r"[A-Za-z][A-Za-z0-9]{1,9}")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9})\s*$")
_LOOK_BACK_CHARS = 120

Aliases = dict[str, list[str]]


def find_aliases(texts: Iterable[str]) -> Aliases:
    """Short-form term -> long-form terms, for every abbreviation the texts define (first definition wins)."""
    aliases: Aliases = {}
    for text in texts:
        for short, long in _definitions(text):
            short_terms, long_terms = analyze(short), analyze(long)
            if len(short_terms) == 1 and long_terms and short_terms[0] not in long_terms:
                aliases.setdefault(short_terms[0], long_terms)
    return aliases


def _definitions(text: str) -> Iterable[tuple[str, str]]:
    """(short, long) for each "long form (SHORT)" and "SHORT (long form)" in the text."""
    for match in _PARENTHESIS.finditer(text):
        inside = match.group(1)
        before = text[max(0, match.start() - _LOOK_BACK_CHARS) : match.start()]
        before = before[before.rfind("\n") + 1 :]
        if _SHORT_FORM.fullmatch(inside) and _looks_abbreviated(inside):
            words = before.split()
            window = " ".join(words[-min(len(inside) + 5, len(inside) * 2) :])
            long = best_long_form(inside, window)
            if long:
                yield inside, long
            continue
        word = _WORD_BEFORE.search(before)
        if word and _looks_abbreviated(word.group(1)):
            long = best_long_form(word.group(1), inside)
            if long and long == inside.strip():
                yield word.group(1), long


def _looks_abbreviated(word: str) -> bool:
    """ "LLM", "CapEx": all capitals, or a capital after the first letter."""
    return word.isupper() or any(ch.isupper() for ch in word[1:])


def best_long_form(short: str, long: str) -> str | None:
    """Schwartz-Hearst: the shortest suffix of `long` holding `short`'s characters in order, the first of them
    at the start of a word; None when there is none."""
    s, position = len(short) - 1, len(long) - 1
    while s >= 0:
        char = short[s].lower()
        if not char.isalnum():
            s -= 1
            continue
        while position >= 0 and (
            long[position].lower() != char or (s == 0 and position > 0 and long[position - 1].isalnum())
        ):
            position -= 1
        if position < 0:
            return None
        position -= 1
        s -= 1
    start = long.rfind(" ", 0, position + 1) + 1
    found = long[start:].strip()
    return found if len(found) > len(short) else None
