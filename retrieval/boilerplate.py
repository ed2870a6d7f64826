"""Boilerplate detection: decides which lines are indexed, never what a quote contains.

Scraped pages carry text that must never be served as an answer: disclaimers repeated on every post, login and
subscription widgets, navigation lists, comment widgets glued to the article. Lines are judged on generic
evidence, in the spirit of jusText:

1. a line repeated elsewhere in the corpus, a line matching a manifest pattern, a template placeholder, words
   glued across page elements ("knowledgeOur", "now!LikeReport") or markup remnants: boilerplate;
2. a line with sentence structure (enough words, or a finished sentence) is content when it reads like the
   corpus's language (share of function words), boilerplate when it does not;
3. three or more menu-like short lines together (no function word, no list marker, no "label: value") are a
   navigation run: boilerplate;
4. any other short line without sentence structure (heading, bullet) takes the class of its neighbours: content
   between content, boilerplate between boilerplate, and on a border it needs a function word or a list marker
   to count as content.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from retrieval.analysis import STOPWORDS

_WORD = re.compile(r"[^\W\d_]{2,}(?:['’][^\W\d_]+)?")
_PLACEHOLDER = re.compile(r"^\W*(?:\[\w+\]|\{\{.*\}\}|%\w+%)\W*$")
# Words glued across page elements ("knowledgeOur", "now!LikeReport", "01-27Nonsense") or markup remnants.
_SCRAPE_DEBRIS = re.compile(
    r"\b[a-z]{3,}[A-Z][a-z]{2,}|[.!?][A-Z][a-z]+[A-Z][a-z]+|\d[A-Z][a-z]{3,}|\balt\s*=|</?[a-zA-Z][^<>]*>|\w>\s*$"
)
_FINISHED = re.compile(r"[.!?…][\"'”’»)\]]*\s*$")
_LIST_MARKER = re.compile(r"^\s*(?:[•·▪●◦*+–—-]\s|\d{1,3}[./)]\s?)")
_LABELLED = re.compile(r"^[^:]{1,25}:\s")  # "Jan 29: ...", "Training cost: ...": a data line, not prose
_PROSE_MIN_WORDS = 8
_LANGUAGE_SAMPLE_WORDS = 200_000  # enough words to tell the corpus's language
_MENU_MIN_ITEMS = 3
_SENTENCE_MIN_WORDS = 5
_MIN_FUNCTION_WORD_SHARE = 0.15


class LineKind(Enum):
    CONTENT = "content"
    BOILERPLATE = "boilerplate"
    SHORT = "short"  # undecided until its neighbours are known
    EMPTY = "empty"  # no words at all ("* * *", "399,-"): never indexed, transparent to its neighbours


@dataclass(frozen=True, slots=True)
class Line:
    start: int
    end: int
    kind: LineKind


def split_lines(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank lines, without their line breaks."""
    spans = []
    start = 0
    for piece in text.splitlines(keepends=True):
        body = piece.rstrip("\r\n")
        if body.strip():
            spans.append((start, start + len(body)))
        start += len(piece)
    return spans


def _word_counts(line: str) -> tuple[int, int]:
    """How many words the line has, and how many of them are (English) function words."""
    words = _WORD.findall(line.casefold().replace("’", "'"))
    return len(words), sum(map(STOPWORDS.__contains__, words))


def _normal(line: str) -> str:
    return " ".join(line.split()).casefold()


class BoilerplateFilter:
    """Built once over the whole corpus, since repetition across documents is the strongest evidence."""

    def __init__(self, texts: Iterable[str]) -> None:
        lines = Counter[str]()
        function_words = words = 0
        for text in texts:
            for start, end in split_lines(text):
                line = text[start:end]
                lines[_normal(line)] += 1
                if words < _LANGUAGE_SAMPLE_WORDS:
                    found, function = _word_counts(line)
                    if found >= _PROSE_MIN_WORDS:
                        words += found
                        function_words += function
        self._repeated = {line for line, count in lines.items() if count > 1}
        # The function-word test only makes sense for English text; a corpus in another language skips it.
        self._english = words > 0 and function_words / words >= _MIN_FUNCTION_WORD_SHARE

    def classify(self, text: str, patterns: Sequence[re.Pattern[str]] = ()) -> list[Line]:
        """Every non-blank line of `text`, as CONTENT, BOILERPLATE or EMPTY."""
        lines = [Line(s, e, self._first_pass(text[s:e], patterns)) for s, e in split_lines(text)]
        return self._resolve_short_lines(text, lines)

    def content_blocks(self, text: str, patterns: Sequence[re.Pattern[str]] = ()) -> list[list[tuple[int, int]]]:
        """Runs of consecutive content lines; a passage never crosses from one run to the next."""
        blocks: list[list[tuple[int, int]]] = []
        current: list[tuple[int, int]] = []
        for line in self.classify(text, patterns):
            if line.kind is LineKind.CONTENT:
                current.append((line.start, line.end))
            elif current:
                blocks.append(current)
                current = []
        if current:
            blocks.append(current)
        return blocks

    def _first_pass(self, line: str, patterns: Sequence[re.Pattern[str]]) -> LineKind:
        words, function_words = _word_counts(line)
        if not words:
            return LineKind.EMPTY
        if (
            _normal(line) in self._repeated
            or any(p.search(line) for p in patterns)
            or _PLACEHOLDER.match(line)
            or _SCRAPE_DEBRIS.search(line)
        ):
            return LineKind.BOILERPLATE
        finished = _FINISHED.search(line) is not None
        is_prose = (words >= _PROSE_MIN_WORDS and (finished or not _LABELLED.match(line))) or (
            words >= _SENTENCE_MIN_WORDS and finished
        )
        if not is_prose:
            return LineKind.SHORT
        if self._english and function_words / words < _MIN_FUNCTION_WORD_SHARE:
            return LineKind.BOILERPLATE
        return LineKind.CONTENT

    def _resolve_short_lines(self, text: str, lines: list[Line]) -> list[Line]:
        decided = [line.kind for line in lines]
        i = 0
        while i < len(lines):
            if decided[i] is not LineKind.SHORT:
                i += 1
                continue
            j = i
            while j < len(lines) and decided[j] in (LineKind.SHORT, LineKind.EMPTY):
                j += 1
            before = next((decided[k] for k in range(i - 1, -1, -1) if decided[k] is not LineKind.EMPTY), None)
            after = decided[j] if j < len(lines) else None
            sides = {before, after} - {None}
            menu = [k for k in range(i, j) if self._is_menu_item(text[lines[k].start : lines[k].end])]
            if len(menu) >= _MENU_MIN_ITEMS:  # a navigation run: boilerplate wherever it stands
                for k in menu:
                    decided[k] = LineKind.BOILERPLATE
            for k in range(i, j):
                if decided[k] is not LineKind.SHORT:
                    continue
                if sides <= {LineKind.CONTENT}:
                    decided[k] = LineKind.CONTENT
                elif LineKind.CONTENT not in sides:
                    decided[k] = LineKind.BOILERPLATE
                else:
                    decided[k] = self._border_line(text[lines[k].start : lines[k].end])
            i = j
        return [Line(line.start, line.end, kind) for line, kind in zip(lines, decided, strict=True)]

    def _is_menu_item(self, line: str) -> bool:
        """A short line that is no list item, no "label: value" line, and has no function word."""
        if not self._english or _LIST_MARKER.match(line) or _LABELLED.match(line):
            return False
        return _word_counts(line)[1] == 0

    def _border_line(self, line: str) -> LineKind:
        if _LIST_MARKER.match(line) or not self._english:
            return LineKind.CONTENT
        return LineKind.CONTENT if _word_counts(line)[1] else LineKind.BOILERPLATE
