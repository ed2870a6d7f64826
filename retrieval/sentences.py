"""Sentence splitting that keeps offsets into the original text and survives the corpus's punctuation.

A sentence ends at '.', '!', '?' or '…' (with any closing quotes or brackets) followed by whitespace and then
something that can start a sentence. It does not end after an abbreviation ("U.S.", "e.g.", "Inc."), an initial
("W."), inside a number ("$5.6"), or before a lowercase word. A fragment of a word or two ("3/ How?") is joined
to the sentence that follows it. A line break ends a sentence, so headings and bullets stay separate, except in
hard-wrapped text, where a line that stops mid-sentence and a next line starting in lowercase are one line.
"""

from __future__ import annotations

import re

_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st vs etc e.g i.e u.s u.k u.n a.m p.m inc corp co ltd llc no nos fig approx est
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun dept gov gen col lt sgt rep sen
    """.split()
)
_WORD_BEFORE = re.compile(r"([^\W\d_](?:[\w.]*[^\W\d_])?)\.$")
MAX_SENTENCE_CHARS = 2_000
_FRAGMENT_MAX_WORDS = 2
_POST_NUMBER = re.compile(r"^\(?\d{1,3}[/.)]")
_SHORT_QUOTATION_CHARS = 80
_QUOTATION_LOOK_BACK_CHARS = 400
_CONTINUATION_STARTS = frozenset("0123456789$€£(")
_LINE_FINISHED = tuple(".!?;…\"'”’)]")
_INTRODUCES = (":",)
_WHITESPACE = " \t\r\n\f\v\u00a0\u2009\u202f"
_NEXT_VISIBLE = re.compile(f"[^{_WHITESPACE}]")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans `(start, end)` of the sentences of `text[start:end]`, stripped of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line_start, line_end in _line_spans(text, start, end):
        for span in _split_line(text, line_start, line_end):
            spans.extend(_bounded(text, *span))
    return spans


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A "sentence" longer than MAX_SENTENCE_CHARS (a 5 MB line without punctuation) cut at whitespace into
    pieces of at most that length, so no answer ever has to read more than that to weigh one sentence."""
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = max(
            text.rfind(" ", start + 1, start + MAX_SENTENCE_CHARS),
            text.rfind("\n", start + 1, start + MAX_SENTENCE_CHARS),
        )
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        piece = _strip(text, start, cut)
        if piece[0] < piece[1]:
            pieces.append(piece)
        start = _strip(text, cut, end)[0]
    pieces.append((start, end))
    return pieces


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Lines, with hard-wrapped ones joined: a line that stops mid-sentence continues on the next line when
    that one starts in lowercase (or with a number after a lowercase word)."""
    spans: list[tuple[int, int]] = []
    previous = ""  # the last physical line, not the whole joined span: joining stays linear
    cursor = start
    while cursor < end:
        newline = text.find("\n", cursor, end)
        stop = end if newline == -1 else newline
        current = text[cursor:stop].strip()
        if spans and previous and continues_line(previous, current):
            spans[-1] = (spans[-1][0], stop)
        else:
            spans.append((cursor, stop))
        previous = current
        cursor = stop + 1
    return spans


def continues_line(previous: str, current: str) -> bool:
    """Does line `current` carry on the sentence of line `previous` (both stripped)? It does when `previous`
    stops mid-sentence ("spent only" / "$5.6 million"), and when it ends in punctuation that cannot end this
    sentence because `current` starts in lowercase ('begins with "fixup! ..."' / "or ..."), as inside a line.
    A line ending in a colon introduces what follows, and a title is never joined."""
    first = current[:1]
    if _looks_like_title(previous) or previous.endswith(_INTRODUCES):
        return False
    if previous.endswith(_LINE_FINISHED):
        return first.islower()
    return first.islower() or ((previous[-1:].islower() or previous.endswith(",")) and first in _CONTINUATION_STARTS)


def _looks_like_title(line: str) -> bool:
    """ "1) Existing AI Players May Spend More": most words capitalised, so a heading, not a wrapped line."""
    words = [w for w in line.split() if w[:1].isalpha()]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _split_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in _END.finditer(text, start, end):
        if _is_boundary(text, match.start(), match.end(), start, end):
            pieces.append((cursor, match.end()))
            cursor = match.end()
    pieces.append((cursor, end))
    stripped = [span for span in (_strip(text, s, e) for s, e in pieces) if span[0] < span[1]]
    return _join_fragments(text, stripped)


def _is_boundary(text: str, punct_start: int, punct_end: int, line_start: int, line_end: int) -> bool:
    visible = _NEXT_VISIBLE.search(text, punct_end, line_end)  # a search, not a copy of the rest of the line
    if visible is None:
        return True
    following = visible.group()
    if following.islower() or following in ",;:":
        return False
    if _inside_short_quotation(text, punct_end, line_start, line_end):
        return False
    if text[punct_start] == ".":
        before = _WORD_BEFORE.search(text, max(0, punct_start - 12), punct_start + 1)
        if before:
            word = before.group(1).casefold()
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                return False
    return True


def _inside_short_quotation(text: str, position: int, line_start: int, line_end: int) -> bool:
    """True inside a curly quotation that closes soon ("what if we used 8? It's enough!"): one sentence."""
    window = max(line_start, position - _QUOTATION_LOOK_BACK_CHARS)  # bounded, so long lines stay linear
    if text.count("“", window, position) <= text.count("”", window, position):
        return False
    closing = text.find("”", position, line_end)
    return closing != -1 and closing - position <= _SHORT_QUOTATION_CHARS


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _WHITESPACE:
        start += 1
    while end > start and text[end - 1] in _WHITESPACE:
        end -= 1
    return start, end


def _is_fragment(sentence: str) -> bool:
    """One word ("Boom!"), or a numbered post's marker and a word ("3/ How?")."""
    words = len(re.findall(r"\w+", sentence))
    return words <= 1 or (words <= _FRAGMENT_MAX_WORDS and _POST_NUMBER.match(sentence) is not None)


def _join_fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Glue a fragment like "3/ How?" onto the next sentence of the same line."""
    joined: list[tuple[int, int]] = []
    pending: int | None = None
    for span_start, span_end in spans:
        start = span_start if pending is None else pending
        if _is_fragment(text[span_start:span_end]):
            pending = start
            continue
        joined.append((start, span_end))
        pending = None
    if pending is not None:
        if joined:
            joined[-1] = (joined[-1][0], spans[-1][1])
        else:
            joined.append((pending, spans[-1][1]))
    return joined
