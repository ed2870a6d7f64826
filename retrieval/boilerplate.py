"""Boilerplate detection: decides which lines are indexed, never what a quote contains.

Only what is surely page furniture is left out, each line for a reason a person can check (`citebot index
--explain FILE`). Losing a document's own words costs more than indexing a stray menu item, so the evidence
must be specific:

1. a manifest pattern, a template placeholder ("[postviewcount]"), words glued across page elements
   ("knowledgeOur", "now!LikeReport") or markup remnants ("alt =", "<div>");
2. a line repeated across documents that is a site notice (disclaimer, cookies, sign-in...), or a short line
   without sentence structure found in a large share of the documents ("Part of the git suite");
3. prose in another language than the corpus's (a Danish subscription box on an English article);
4. a navigation run: five or more short menu-like lines together (no function word, no list marker, no
   "label: value", no name or date, nothing code-like), or three at the top or bottom of a page;
5. a short line (heading, bullet) takes the class of its neighbours: content beside content, boilerplate
   between boilerplate, and on a border it needs a function word or a list marker to count as content.

Lines are judged as written, with hard-wrapped lines joined first, so "this license." ending a wrapped
sentence is part of that sentence, not a short line repeated in several licenses. A document's title and
author lines are always kept, and a document whose every line would go keeps all lines without evidence of
type 1-2: every document with content is searchable.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import regex

from retrieval.analysis import STOPWORDS
from retrieval.sentences import continues_line

_WORD = re.compile(r"[^\W\d_]{2,}(?:['’][^\W\d_]+)?")
_PLACEHOLDER = re.compile(r"^\W*(?:\[\w+\]|\{\{.*\}\}|%\w+%)\W*$")
# Words glued across page elements ("now!LikeReport", "01-27Nonsense") or markup remnants. A word glued to a
# capitalised function word ("knowledgeOur") is checked in code; camelCase names ("objectFormat") are not glued.
_SCRAPE_DEBRIS = re.compile(r"[.!?][A-Z][a-z]+[A-Z][a-z]+|\d[A-Z][a-z]{3,}|\balt\s*=|</?[a-zA-Z][^<>]*>|\w>\s*$")
_GLUED_WORD = re.compile(r"\b[a-z]{3,}([A-Z][a-z]*)\b")
_LETTER = re.compile(r"[^\W\d_]")
_SITE_NOTICE = re.compile(
    r"\b(?:disclaimer|not (?:financial|investment|legal|tax) advice|all rights reserved|cookies?|privacy policy"
    r"|terms of (?:use|service)|subscribe|newsletter|sign (?:in|up)|log (?:in|out)|advertisement)\b",
    re.IGNORECASE,
)
_CODE_LIKE = re.compile(r"[`|{}<>=_\\]|::|\(\)|\[\w*\]|^\s*(?:\$|>>>|#include|-{1,2}\w)|\w\.\w+\(|\w/\w")
_NAME_OR_DATE = re.compile(r"^[A-Z][\w'’-]+,\s*(?:[A-Z]\.\s*)+|\b(?:1[5-9]|20)\d\d\b")
_FINISHED = re.compile(r"[.!?…][\"'”’»)\]]*\s*$")
_LIST_MARKER = re.compile(r"^\s*(?:[•·▪●◦*+–—-]\s|\d{1,3}[./)]\s?|-{1,2}\w)|::\s*$")
_LABELLED = re.compile(r"^[^:]{1,25}:\s")  # "Jan 29: ...", "Training cost: ...": a data line, not prose
_PROSE_MIN_WORDS = 8
_LANGUAGE_SAMPLE_WORDS = 1_000_000  # enough words to tell the corpus's language and learn its vocabulary
_KNOWN_WORD_SHARE = 0.5
_SHORT_FOREIGN_MIN_WORDS = 3
_MENU_MIN_ITEMS = 5
_EDGE_MENU_MIN_ITEMS = 3  # at a page's top or bottom, or beside boilerplate, fewer items make a menu
_MENU_MAX_WORDS = 4
_SENTENCE_MIN_WORDS = 5
_MIN_FUNCTION_WORD_SHARE = 0.15
PATTERN_SECONDS = 0.5
_FURNITURE_MIN_DOCUMENTS = 3
_FURNITURE_DOCUMENT_SHARE = 0.3  # a short line on this share of the pages is part of the site, not the page


class LineKind(Enum):
    CONTENT = "content"
    BOILERPLATE = "boilerplate"
    SHORT = "short"  # undecided until its neighbours are known
    EMPTY = "empty"  # no words at all ("* * *", "399,-"): never indexed, transparent to its neighbours


class Reason(Enum):
    """Why a line is left out, for the index report and `--explain`."""

    MANIFEST = "manifest pattern"
    PLACEHOLDER = "template placeholder"
    DEBRIS = "glued page elements or markup"
    SITE_NOTICE = "site notice repeated across documents"
    REPEATED = "short line on many documents"
    OTHER_LANGUAGE = "prose in another language"
    NAVIGATION = "navigation run"
    NEIGHBOURS = "short line among boilerplate"
    NO_WORDS = "no words"
    METADATA = "document metadata (front matter)"


_STRONG = frozenset({Reason.MANIFEST, Reason.PLACEHOLDER, Reason.DEBRIS, Reason.SITE_NOTICE, Reason.REPEATED})


@dataclass(frozen=True, slots=True)
class Line:
    start: int
    end: int
    kind: LineKind
    reason: Reason | None = None  # why it is not content


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


def logical_lines(text: str) -> list[tuple[int, int]]:
    """Non-blank lines with hard-wrapped ones joined: a line that stops mid-sentence continues on the next one
    when that starts in lowercase (the span then holds the line break)."""
    joined: list[tuple[int, int]] = []
    previous_end = -1
    for start, end in split_lines(text):
        if joined and previous_end >= 0 and _continues(text, joined[-1][0], previous_end, start, end):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
        previous_end = end
    return joined


def _continues(text: str, block_start: int, previous_end: int, start: int, end: int) -> bool:
    """The sentence splitter's rule for wrapped lines (see sentences.continues_line), within a paragraph."""
    if "\n\n" in text[previous_end:start].replace("\r", "").replace(" ", "").replace("\t", ""):
        return False  # a blank line between them: a new paragraph
    line_start = max(block_start, text.rfind("\n", block_start, previous_end) + 1)  # the block may be one line
    previous_line = text[line_start:previous_end].strip()
    current = text[start:end].strip()
    return bool(previous_line) and current[:1].islower() and continues_line(previous_line, current)


class SlowPatternError(Exception):
    """A manifest pattern backtracked past its time limit: the operator must simplify it."""


def _matches(pattern: regex.Pattern[str], line: str) -> bool:
    """A manifest pattern's search, bounded: "(a|aa)+$" would otherwise hang indexing forever."""
    try:
        return pattern.search(line, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        raise SlowPatternError(
            f"boilerplate pattern {pattern.pattern!r} took over {PATTERN_SECONDS} s on one line; simplify it"
        ) from None


def content_blocks(lines: Iterable[Line]) -> list[list[tuple[int, int]]]:
    """Runs of consecutive content lines of classified lines."""
    blocks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for line in lines:
        if line.kind is LineKind.CONTENT:
            current.append((line.start, line.end))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def left_out(lines: Iterable[Line]) -> dict[str, int]:
    """Characters left out of the index, by reason."""
    found: dict[str, int] = {}
    for line in lines:
        if line.kind is not LineKind.CONTENT and line.reason is not None:
            found[line.reason.value] = found.get(line.reason.value, 0) + line.end - line.start
    return found


def _is_debris(line: str) -> bool:
    if _CODE_LIKE.search(line):
        return False
    return _SCRAPE_DEBRIS.search(line) is not None or any(
        match.group(1).casefold() in STOPWORDS for match in _GLUED_WORD.finditer(line)
    )


def _word_counts(line: str) -> tuple[int, int]:
    """How many words the line has, and how many of them are (English) function words."""
    words = _WORD.findall(line.casefold().replace("’", "'"))
    return len(words), sum(map(STOPWORDS.__contains__, words))


def _normal(line: str) -> str:
    return " ".join(line.split()).casefold()


@dataclass(frozen=True)
class LanguageSample:
    """One document's prose, as the filter samples it to tell the corpus's language and learn its vocabulary."""

    words: int
    function_words: int
    vocabulary: frozenset[str]


def document_lines(text: str) -> frozenset[str]:
    """A document's distinct logical lines, normalised: what the filter counts across documents."""
    return frozenset(_normal(text[start:end]) for start, end in logical_lines(text))


def _line_digest(normal_line: str) -> bytes:
    return hashlib.blake2b(normal_line.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def language_sample(lines: Iterable[str]) -> LanguageSample:
    """The prose lines' words, function words and (from lines that read as English) vocabulary."""
    function_words = words = 0
    vocabulary: set[str] = set()
    for line in lines:
        found = _WORD.findall(line.replace("’", "'"))
        function = sum(map(STOPWORDS.__contains__, found))
        if len(found) >= _PROSE_MIN_WORDS:
            words += len(found)
            function_words += function
            if function >= _MIN_FUNCTION_WORD_SHARE * len(found):
                vocabulary.update(found)
    return LanguageSample(words, function_words, frozenset(vocabulary))


class BoilerplateFilter:
    """Built once over the whole corpus, since repetition across documents is the strongest evidence."""

    def __init__(self, texts: Iterable[str]) -> None:
        """Lines are counted across documents by an 8-byte digest first, and only those whose digest repeats are
        counted again as text: a count of every line held the corpus's text a second time (1M passages: GBs)."""
        texts = texts if isinstance(texts, Sequence) else list(texts)
        digests_with = Counter[bytes]()
        digests: list[frozenset[bytes]] = []
        samples: list[LanguageSample] = []
        words = 0
        for text in texts:
            lines = document_lines(text)
            digests.append(frozenset(map(_line_digest, lines)))
            digests_with.update(digests[-1])
            if words < _LANGUAGE_SAMPLE_WORDS:
                samples.append(language_sample(lines))
                words += samples[-1].words
        repeated = {digest for digest, count in digests_with.items() if count > 1}
        del digests_with
        documents_with = Counter[str]()  # exact, whatever the digests: a line on one document is never counted
        for text, found in zip(texts, digests, strict=True):
            if not repeated.isdisjoint(found):
                documents_with.update(line for line in document_lines(text) if _line_digest(line) in repeated)
        self._adopt(documents_with, len(texts), iter(samples))

    @classmethod
    def from_evidence(
        cls, documents_with: Mapping[str, int], documents: int, samples: Iterator[LanguageSample]
    ) -> BoilerplateFilter:
        """The filter of a corpus told by its documents' evidence instead of their texts (re-indexing reuses each
        unchanged document's): how many documents hold each line, and each document's language sample in
        document order, taken only while they are needed (the same filter as from the texts)."""
        cleaner = cls.__new__(cls)
        cleaner._adopt(documents_with, documents, samples)
        return cleaner

    def _adopt(self, documents_with: Mapping[str, int], documents: int, samples: Iterator[LanguageSample]) -> None:
        function_words = words = 0
        vocabulary: set[str] = set()
        for sample in samples:
            if words >= _LANGUAGE_SAMPLE_WORDS:
                break
            words += sample.words
            function_words += sample.function_words
            vocabulary.update(sample.vocabulary)
        self.vocabulary = frozenset(vocabulary)
        self._in_documents = {line: count for line, count in documents_with.items() if count > 1}
        self._furniture_documents = max(_FURNITURE_MIN_DOCUMENTS, _FURNITURE_DOCUMENT_SHARE * documents)
        # The function-word test only makes sense for English text; a corpus in another language skips it.
        self.english = words > 0 and function_words / words >= _MIN_FUNCTION_WORD_SHARE

    def line_verdict(self, normal_line: str) -> int:
        """What the corpus says of one normalised line: 0 on one document, 1 repeated, 2 on so many that it is
        furniture. Two filters that agree on a document's lines, language and vocabulary probes classify it alike."""
        repeated = self._in_documents.get(normal_line, 1)
        return 0 if repeated <= 1 else 2 if repeated >= self._furniture_documents else 1

    @property
    def repeated_lines(self) -> frozenset[str]:
        return frozenset(self._in_documents)

    @property
    def furniture_documents(self) -> float:
        return self._furniture_documents

    def classify(
        self,
        text: str,
        patterns: Sequence[regex.Pattern[str]] = (),
        own_lines: Collection[str] = (),
        probes: set[str] | None = None,
    ) -> list[Line]:
        """Every non-blank (logical) line of `text`, as CONTENT, BOILERPLATE or EMPTY, with the reason.

        `own_lines` are the document's title and author: those lines are always content. `probes`, when given,
        collects the words looked up in the corpus's vocabulary (what else of the corpus the result depends on:
        the document's lines' verdicts and the language)."""
        own = {_normal(line) for line in own_lines}
        lines: list[Line] = []
        kept: list[int] = []
        for start, end in logical_lines(text):
            line = text[start:end]
            if _normal(line) in own:  # transparent to its neighbours, like an empty line, and always kept
                kept.append(len(lines))
                lines.append(Line(start, end, LineKind.EMPTY))
            else:
                kind, reason = self._first_pass(line, patterns, probes)
                lines.append(Line(start, end, kind, reason))
        resolved = self._resolve_short_lines(text, lines)
        for i in kept:
            resolved[i] = Line(resolved[i].start, resolved[i].end, LineKind.CONTENT)
        if not any(line.kind is LineKind.CONTENT for line in resolved):
            return [
                Line(line.start, line.end, LineKind.CONTENT)
                if line.kind is LineKind.BOILERPLATE and line.reason not in _STRONG
                else line
                for line in resolved
            ]
        return resolved

    def content_blocks(
        self, text: str, patterns: Sequence[regex.Pattern[str]] = (), own_lines: Collection[str] = ()
    ) -> list[list[tuple[int, int]]]:
        """Runs of consecutive content lines; a passage never crosses from one run to the next."""
        return content_blocks(self.classify(text, patterns, own_lines))

    def _first_pass(
        self, line: str, patterns: Sequence[regex.Pattern[str]], probes: set[str] | None = None
    ) -> tuple[LineKind, Reason | None]:
        if not _LETTER.search(line):
            return LineKind.EMPTY, Reason.NO_WORDS
        words, function_words = _word_counts(line)
        if any(_matches(p, line) for p in patterns):
            return LineKind.BOILERPLATE, Reason.MANIFEST
        if _PLACEHOLDER.match(line):
            return LineKind.BOILERPLATE, Reason.PLACEHOLDER
        if _is_debris(line):
            return LineKind.BOILERPLATE, Reason.DEBRIS
        finished = _FINISHED.search(line) is not None
        is_prose = (words >= _PROSE_MIN_WORDS and (finished or not _LABELLED.match(line))) or (
            words >= _SENTENCE_MIN_WORDS and finished
        )
        repeated = self._in_documents.get(_normal(line), 1)
        if repeated > 1 and _SITE_NOTICE.search(line):
            return LineKind.BOILERPLATE, Reason.SITE_NOTICE
        if not is_prose and repeated >= self._furniture_documents:
            return LineKind.BOILERPLATE, Reason.REPEATED
        if not is_prose:
            if self.english and self._short_line_in_other_language(line, words, function_words, probes):
                return LineKind.BOILERPLATE, Reason.OTHER_LANGUAGE
            return LineKind.SHORT, None
        if self.english and self._other_language(line, words, function_words, probes):
            return LineKind.BOILERPLATE, Reason.OTHER_LANGUAGE
        return LineKind.CONTENT, None

    def _resolve_short_lines(self, text: str, lines: list[Line]) -> list[Line]:
        decided = [(line.kind, line.reason) for line in lines]
        i = 0
        while i < len(lines):
            if decided[i][0] is not LineKind.SHORT:
                i += 1
                continue
            j = i
            while j < len(lines) and decided[j][0] in (LineKind.SHORT, LineKind.EMPTY):
                j += 1
            before = next((decided[k][0] for k in range(i - 1, -1, -1) if decided[k][0] is not LineKind.EMPTY), None)
            after = decided[j][0] if j < len(lines) else None
            sides = {before, after} - {None}
            menu = [
                k
                for k in range(i, j)
                if decided[k][0] is LineKind.SHORT and self._is_menu_item(text[lines[k].start : lines[k].end])
            ]
            at_edge = before in (None, LineKind.BOILERPLATE) or after in (None, LineKind.BOILERPLATE)
            if len(menu) >= (_EDGE_MENU_MIN_ITEMS if at_edge else _MENU_MIN_ITEMS):  # a navigation run
                for k in menu:
                    decided[k] = (LineKind.BOILERPLATE, Reason.NAVIGATION)
            for k in range(i, j):
                if decided[k][0] is not LineKind.SHORT:
                    continue
                if sides <= {LineKind.CONTENT}:
                    decided[k] = (LineKind.CONTENT, None)
                elif LineKind.CONTENT not in sides:
                    decided[k] = (LineKind.BOILERPLATE, Reason.NEIGHBOURS)
                else:
                    decided[k] = self._border_line(text[lines[k].start : lines[k].end])
            i = j
        return [Line(line.start, line.end, kind, reason) for line, (kind, reason) in zip(lines, decided, strict=True)]

    def _other_language(self, line: str, words: int, function_words: int, probes: set[str] | None = None) -> bool:
        """Few English function words and mostly words the corpus's English prose never uses: a keyword list
        ("multiple terminal systems, interval arithmetic") or a code line is English enough."""
        if function_words >= _MIN_FUNCTION_WORD_SHARE * words or _CODE_LIKE.search(line):
            return False
        found = _WORD.findall(line.casefold().replace("’", "'"))
        if probes is not None:
            probes.update(found)
        return sum(word in self.vocabulary for word in found) < _KNOWN_WORD_SHARE * len(found)

    def _short_line_in_other_language(
        self, line: str, words: int, function_words: int, probes: set[str] | None = None
    ) -> bool:
        """A short line of three words or more, none of them an English function word, mostly unknown to the
        corpus's English, and no list item, name, date, number or code."""
        if words < _SHORT_FOREIGN_MIN_WORDS or function_words or _LIST_MARKER.search(line):
            return False
        if _NAME_OR_DATE.search(line) or any(ch.isdigit() for ch in line):
            return False
        return self._other_language(line, words, function_words, probes)

    def _is_menu_item(self, line: str) -> bool:
        """A short line that is no list item, no "label: value", no name or date, nothing code-like, and has no
        function word."""
        if (
            not self.english
            or _LIST_MARKER.search(line)
            or _LABELLED.match(line)
            or _NAME_OR_DATE.search(line)
            or _CODE_LIKE.search(line)
            or _FINISHED.search(line)
        ):
            return False
        words, function_words = _word_counts(line)
        return words <= _MENU_MAX_WORDS and function_words == 0

    def _border_line(self, line: str) -> tuple[LineKind, Reason | None]:
        if _LIST_MARKER.search(line) or not self.english or _word_counts(line)[1] or _CODE_LIKE.search(line):
            return LineKind.CONTENT, None
        return LineKind.BOILERPLATE, Reason.NEIGHBOURS
