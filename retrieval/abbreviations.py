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

_LONG_THEN_SHORT = re.compile(r"([^()\n]{2,120}?)\s*\(\s*([A-Za-z][A-Za-z0-9]{1,9})\s*\)")
_SHORT_THEN_LONG = re.compile(r"\b([A-Za-z][A-Za-z0-9]{1,9})\s*\(\s*([^()\n]{3,80}?)\s*\)")

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
    for match in _LONG_THEN_SHORT.finditer(text):
        short = match.group(2)
        if any(ch.isupper() for ch in short[1:]) or short.isupper():
            words = match.group(1).split()
            window = " ".join(words[-min(len(short) + 5, len(short) * 2) :])
            long = best_long_form(short, window)
            if long:
                yield short, long
    for match in _SHORT_THEN_LONG.finditer(text):
        short, long = match.group(1), match.group(2)
        if short.isupper() or any(ch.isupper() for ch in short[1:]):
            found = best_long_form(short, long)
            if found and found == long.strip():
                yield short, found


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
