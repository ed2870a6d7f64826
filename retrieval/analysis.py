"""One analyzer for documents and questions: text -> index terms, each with its span in the original text.

Spans are found on the original text and only the token itself is normalised, so a highlight always points at
the exact characters a reader sees.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

# A token: a number with inner separators ("5.6", "2,048"), or a word that may carry digits, inner apostrophes
# and hyphen-joined parts ("h100", "o3-mini", "don't", "DeepSeek-R1").
_PART = r"(?:\d+(?:[.,]\d+)*[^\W\d_]*|[^\W_]+(?:['’][^\W_]+)*)"
_TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}"  # acronyms with periods: "U.S.", "e.g."
    rf"|{_PART}(?:-{_PART})*"  # numbers ("5.6", "2,048", "5M"), words ("don't"), compounds ("o3-mini", "Doubao-1.5")
)
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9]+s")
_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "′": "'", "`": "'"})
_NUMBER_WITH_UNIT = re.compile(r"^(\d+(?:\.\d+)?)(k|m|mn|b|bn|t|tn)$")
_UNIT_WORDS = {
    "k": "thousand",
    "m": "million",
    "mn": "million",
    "b": "billion",
    "bn": "billion",
    "t": "trillion",
    "tn": "trillion",
}

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
    few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own same shan't
    she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those through to too under until up very was
    wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while who who's
    whom why why's will with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
    also just eg ie etc vs say says said tell told according much many happen happens happened
    per via upon among amongst within without toward towards across along onto beside besides beyond despite
    unless whether whereas whatever whichever whoever whenever wherever however therefore thus hence yet still
    either neither nor every each another anyone anything anybody someone something somebody everyone
    everything everybody nothing nobody none thing things stuff lot lots kind sort really actually basically
    maybe perhaps might must may shall can could one ones get gets got getting go goes going gone
    """.split()
)

# Irregular English verb forms, so "spend" finds "spent": the stemmer only handles regular endings.
_IRREGULAR = {
    "spent": "spend",
    "said": "say",
    "made": "make",
    "bought": "buy",
    "built": "build",
    "paid": "pay",
    "sold": "sell",
    "led": "lead",
    "grew": "grow",
    "grown": "grow",
    "fell": "fall",
    "fallen": "fall",
    "rose": "rise",
    "risen": "rise",
    "thought": "think",
    "won": "win",
    "lost": "lose",
    "began": "begin",
    "begun": "begin",
    "wrote": "write",
    "written": "write",
    "took": "take",
    "taken": "take",
    "gave": "give",
    "given": "give",
    "went": "go",
    "gone": "go",
    "brought": "bring",
    "sought": "seek",
    "held": "hold",
    "kept": "keep",
    "left": "leave",
    "meant": "mean",
    "met": "meet",
    "ran": "run",
    "saw": "see",
    "seen": "see",
    "sent": "send",
    "set": "set",
    "shook": "shake",
    "shaken": "shake",
    "spoke": "speak",
    "spoken": "speak",
    "stood": "stand",
    "struck": "strike",
    "taught": "teach",
    "understood": "understand",
    "became": "become",
    "came": "come",
    "chose": "choose",
    "chosen": "choose",
    "drove": "drive",
    "driven": "drive",
    "ate": "eat",
    "found": "find",
    "got": "get",
    "gotten": "get",
    "knew": "know",
    "known": "know",
    "lent": "lend",
    "overtook": "overtake",
    "rethought": "rethink",
    "sank": "sink",
    "sunk": "sink",
    "shot": "shoot",
    "slid": "slide",
    "swept": "sweep",
    "threw": "throw",
    "thrown": "throw",
    "wore": "wear",
    "worn": "wear",
    "beaten": "beat",
    "broke": "break",
    "broken": "break",
    "fed": "feed",
    "felt": "feel",
    "fought": "fight",
    "forgot": "forget",
    "hid": "hide",
    "hit": "hit",
    "hurt": "hurt",
    "laid": "lay",
    "lay": "lie",
    "read": "read",
    "rode": "ride",
    "rang": "ring",
    "sat": "sit",
    "slept": "sleep",
    "spun": "spin",
    "stole": "steal",
    "stuck": "stick",
    "swam": "swim",
    "tore": "tear",
    "woke": "wake",
}


_MONTHS = {
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}


@dataclass(frozen=True, slots=True)
class Term:
    """An index term and the span `[start, end)` of the original text it came from."""

    term: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _terms_of_token(token: str) -> tuple[str, ...]:
    """Normalise one token (NFKC, case, apostrophes, possessive) into zero or more index terms."""
    word = unicodedata.normalize("NFKC", token).translate(_APOSTROPHES)
    if _ACRONYM_PLURAL.fullmatch(word):
        word = word[:-1]  # "GPUs" -> "GPU": the stemmer would keep the s after a vowel
    word = word.casefold()
    if word.endswith("'s"):
        word = word[:-2]
    word = word.rstrip("'")
    if _ACRONYM.fullmatch(word):
        word = word.replace(".", "")  # "u.s." -> "us"
    if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):  # "ʼ" alone is nothing once apostrophes go
        return ()
    if word[0].isdigit():
        return _number_terms(word)
    parts = word.split("-")
    if len(parts) > 1:
        terms = [term for part in parts for term in _terms_of_token(part)]
        if any(ch.isdigit() for ch in word):
            terms.insert(0, word)  # model names: "o3-mini" is a term of its own, and so are its parts
        return tuple(terms)
    if "'" in word:  # a contraction that is no stopword ("y'all"): index it whole, unstemmed
        return (word,)
    if any(ch.isdigit() for ch in word):
        return (word,)  # "h100", "r1", "fp8": identifiers, never stemmed
    word = _IRREGULAR.get(word, word)
    word = _MONTHS.get(word, word)
    return (_stemmer().stemWord(word),)


def _number_terms(word: str) -> tuple[str, ...]:
    head, _, tail = word.partition("-")
    terms: list[str] = []
    unit = _NUMBER_WITH_UNIT.match(head.replace(",", ""))
    if unit:
        terms += [unit.group(1), _UNIT_WORDS[unit.group(2)]]
    elif head[-1].isdigit():
        terms.append(head.replace(",", ""))  # "2,048" and "2048" are the same number
    else:
        terms.append(head)  # "7elevens", "3h": an identifier
    if tail:
        terms = [word, *terms, *(t for part in tail.split("-") for t in _terms_of_token(part))]
    return tuple(terms)


def analyze_spans(text: str) -> list[Term]:
    """Every index term of `text`, in order, with the span of the token it came from."""
    return [
        Term(term, match.start(), match.end())
        for match in _TOKEN.finditer(text)
        for term in _terms_of_token(match.group())
    ]


def analyze(text: str) -> list[str]:
    """The index terms of `text`, in order, duplicates kept (BM25 counts them)."""
    terms: list[str] = []
    extend = terms.extend  # the hot loop of indexing: one cached lookup per token
    for token in _TOKEN.findall(text):
        extend(_terms_of_token(token))
    return terms
