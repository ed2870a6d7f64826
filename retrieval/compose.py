"""From ranked passages to an answer: each passage quoted (whole when it fits, else its best sentences), merged,
highlighted, or an honest abstention.

Abstention, calibrated on four corpora at once (news, a software manual, licenses, CACM; see bench/quality):
the documents do not answer a question when `max_unknown_share` or more of its weight (see `question.py`) is
words no passage uses ("What is the capital of France?" of a corpus that never says "France"), or when no
passage, read with its document's title and its section heading, holds `min_coverage` of the weight. Once one
does, passages holding less are quoted too when they score well enough: a long question's parts are often
answered by different documents.

Ranking follows the retrieval evidence of each quote's passage (which counts the title and section a quote's
own sentences may not repeat), weighed by how much of the question the quote itself covers: a quote's best
sentence counts fully, what neighbouring sentences add counts half.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from retrieval.analysis import analyze, analyze_spans
from retrieval.answer_types import answer_type, asks_definition, counted_thing, defined_subject
from retrieval.answers import Answer, Highlight, Quote
from retrieval.citations import cite
from retrieval.corpus_index import CorpusIndex
from retrieval.dense import DenseEncoder, hybrid_scores
from retrieval.documents import is_unicode_text
from retrieval.question import Question, parse_question
from retrieval.sections import document_context
from retrieval.settings import RetrievalSettings

CANDIDATES_PER_QUOTE = 4
MIN_CANDIDATES = 12
SMALL_CORPUS_PASSAGES = 32
MAX_QUOTE_SENTENCES = 3
SHORT_SENTENCE_CHARS = 60
CONTEXT_CHARS = 160
SCATTERED_TERM_FACTOR = 0.5
RELATIVE_SCORE_FLOOR = 0.3
TIE_BREAK = 1e-9
MERGE_GAP_CHARS = 200
ANSWER_TYPE_BONUS = 0.25  # a quote of the kind asked for ranks a quarter higher: a signal, not a filter
QUOTES_IN_SCORE_ORDER = 3

NOT_TEXT_NOTE = "That question is not valid UTF-8 text; please type it again."
EMPTY_NOTE = "Ask a question about the documents: name a person, a company, a number or a topic."
NO_TERMS_NOTE = "That question has no words to search for. Name a person, company, number or topic."
ABSTAIN_NOTE = (
    "I couldn't find this in the documents. Try rephrasing with the names, numbers or terms the documents would use."
)
UNKNOWN_NAMES_NOTE = "The documents never mention {names}, so I can't answer this from them."
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")  # a paragraph break: a quote keeps to one paragraph
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_LETTER = re.compile(r"[^\W\d_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


@dataclass
class _Candidate:
    doc: int
    start: int
    end: int
    score: float
    focus: int  # where its best-matching sentences start: the section and page it is cited by


def clean_question(question: str) -> str:
    """Control and direction-override characters removed, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", question).split())


def compose_answer(
    index: CorpusIndex,
    question: str,
    settings: RetrievalSettings,
    top_k: int,
    encoder: DenseEncoder | None = None,
    url_template: str | None = None,
) -> Answer:
    if not is_unicode_text(question):
        shown = question.encode("utf-8", "replace").decode("utf-8")
        return Answer(question=clean_question(shown), answered=False, note=NOT_TEXT_NOTE)
    question = clean_question(question)
    if not question:
        return Answer(question=question, answered=False, note=EMPTY_NOTE)
    if len(question) > settings.max_question_chars:
        note = (
            f"That question is {len(question):,} characters long; please ask in under "
            f"{settings.max_question_chars:,} characters."
        )
        return Answer(question=question[: settings.max_question_chars], answered=False, note=note)
    asked = parse_question(question, index.engine, index.aliases)
    if not asked.concepts:
        return Answer(question=question, answered=False, note=NO_TERMS_NOTE)
    if asked.unknown_names and asked.unknown_name_share >= settings.min_unknown_name_share:
        return Answer(question=question, answered=False, note=unknown_names_note(asked.unknown_names))
    if asked.unknown_share >= settings.max_unknown_share:
        return Answer(question=question, answered=False, note=ABSTAIN_NOTE)

    wanted = answer_type(question)
    counted = counted_thing(question)
    defining = asks_definition(question)
    candidates: list[_Candidate] = []
    covered = False  # some passage holds min_coverage of the question: then the weaker ones are sources too
    hits: dict[tuple[int, int], set[str]] = {}  # overlapping passages share sentences: match each once
    meaning = encoder.encode([question])[0] if encoder is not None and index.dense_vectors is not None else None
    for passage, passage_score in candidate_passages(index, asked.search_terms, top_k, meaning):
        doc = index.passage_document(passage)
        text = index.document_text(doc)
        sentences = index.passage_sentences(passage)
        matched = []
        for start, end in sentences:
            if (doc, start) not in hits:
                hits[doc, start] = asked.hits(set(analyze(text[start:end])))
            matched.append(hits[doc, start])
        start, end, coverage = _best_span(text, sentences, matched, asked, settings.max_quote_chars, wanted, counted)
        focus = start
        context = asked.hits(context_terms(index, passage, doc, text))
        if asked.weight(set().union(context, *matched)) >= settings.min_coverage * asked.total_weight:
            covered = True
        fits = (wanted is not None and wanted.search(text, start, end) is not None) or (
            defining
            and (
                _defines(index, passage, text, sentences[0], asked)
                or _states_definition(text, sentences, start, end, asked)
            )
        )
        # Coverage breaks ties, and ranks alone where BM25 scores nothing at all (a corpus of one or two passages).
        score = max(passage_score, 0.0) * (0.5 + 0.5 * coverage) + TIE_BREAK * coverage
        score *= 1 + ANSWER_TYPE_BONUS * fits
        score *= 1 + ANSWER_TYPE_BONUS * (counted is not None and counted.search(text, start, end) is not None)
        if sentences[-1][1] - sentences[0][0] <= settings.max_quote_chars:
            start, end = sentences[0][0], sentences[-1][1]  # the whole passage fits: the answer with its context
            if _is_heading(text[start : sentences[0][1]]):  # ... and a heading's text may run on past the passage
                end = _with_context(
                    text, sentences + _following(index, passage, doc), start, end, settings.max_quote_chars
                )
        else:
            end = _with_context(text, sentences, start, end, settings.max_quote_chars)
        candidates.append(_Candidate(doc, start, end, score, focus))

    quotes = _merge_overlapping(candidates, index, settings.max_quote_chars)
    if not quotes or not covered:
        return Answer(question=question, answered=False, note=ABSTAIN_NOTE)
    best = quotes[0].score
    kept = _spread([q for q in quotes if q.score >= RELATIVE_SCORE_FLOOR * best])[:top_k]
    return Answer(question=question, answered=True, quotes=[_quote(index, c, asked, url_template) for c in kept])


def _following(index: CorpusIndex, passage: int, doc: int) -> list[tuple[int, int]]:
    """The sentences of the document's next passage that come after this one's (passages overlap)."""
    if passage + 1 >= index.passage_count or index.passage_document(passage + 1) != doc:
        return []
    last_end = index.passage_sentences(passage)[-1][1]
    return [(start, end) for start, end in index.passage_sentences(passage + 1) if start >= last_end]


def _defines(index: CorpusIndex, passage: int, text: str, first: tuple[int, int], asked: Question) -> bool:
    """Does the passage start with, or come right under, a heading or label that names what the question asks
    about ("--force-with-lease::" followed by what it does)? Then it is the definition."""
    begins, first_end = first
    if _is_heading(text[begins:first_end]) and asked.hits(set(analyze(text[begins:first_end]))):
        return True
    return any(
        not _LETTER.search(text, end, begins) and asked.hits(set(analyze(text[start:end])))
        for start, end in index.passage_headings(passage)
    )


def _states_definition(text: str, sentences: list[tuple[int, int]], start: int, end: int, asked: Question) -> bool:
    """Does a sentence of the quote's core say what the question's subject is or means ('A "Combined Work" is
    ...' for 'What is a "Combined Work"?'): a subject made only of question words, then "is", "means"...?"""
    for first, last in sentences:
        if first < start or last > end:
            continue
        subject = defined_subject(text[first:last])
        terms = set(analyze(subject)) if subject else set()
        if terms and terms <= asked.highlight_terms:
            return True
    return False


def context_terms(index: CorpusIndex, passage: int, doc: int, text: str) -> set[str]:
    """The terms of the passage's document title, file name and section heading (indexed with the passage)."""
    info = index.documents[doc]
    headings = " ".join(text[start:end] for start, end in index.passage_headings(passage))
    return set(analyze(f"{document_context(info.title, info.source)} {headings}"))


def _spread(quotes: list[_Candidate]) -> list[_Candidate]:
    """The best quotes in score order, then the rest with a document's later quotes after every other
    document's first: a long answer shows what several sources say before it shows more of one."""
    head, tail = quotes[:QUOTES_IN_SCORE_ORDER], quotes[QUOTES_IN_SCORE_ORDER:]
    shown = {quote.doc for quote in head}
    firsts: list[_Candidate] = []
    repeats: list[_Candidate] = []
    for quote in tail:
        (repeats if quote.doc in shown else firsts).append(quote)
        shown.add(quote.doc)
    return head + firsts + repeats


def unknown_names_note(names: tuple[str, ...]) -> str:
    """Which names the documents lack, quoted: the asker sees what to rephrase."""
    quoted = [f"“{name}”" for name in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return UNKNOWN_NAMES_NOTE.format(names=listed)


def candidate_passages(
    index: CorpusIndex, terms: list[str], top_k: int, meaning: npt.NDArray[np.float32] | None = None
) -> list[tuple[int, float]]:
    """The best passages by BM25 (blended with the question's meaning when dense retrieval is on); in a tiny
    corpus, every passage.

    BM25Okapi's IDF is zero or negative for a term in half or more of the passages, so in a corpus of one or
    two passages it scores nothing at all; reading every passage of a tiny corpus costs nothing.
    """
    wanted = max(top_k * CANDIDATES_PER_QUOTE, MIN_CANDIDATES)
    if meaning is not None and index.dense_vectors is not None:
        scores = hybrid_scores(index.engine.scores(terms), index.dense_vectors, meaning)
        best = np.argsort(-scores, kind="stable")[: max(wanted, SMALL_CORPUS_PASSAGES)]
        return [(int(p), float(scores[p])) for p in best]
    if index.passage_count <= SMALL_CORPUS_PASSAGES:
        return list(enumerate(index.engine.scores(terms).tolist()))
    return index.engine.top_k(terms, wanted)


def _best_span(
    text: str,
    sentences: list[tuple[int, int]],
    matched: list[set[str]],
    asked: Question,
    max_chars: int,
    wanted: re.Pattern[str] | None = None,
    counted: re.Pattern[str] | None = None,
) -> tuple[int, int, float]:
    """The shortest run of at most three sentences that carries the most question weight, and that weight.

    Terms found together in one sentence are stronger evidence than terms scattered over neighbours, so a
    run's weight counts its best sentence fully and what the other sentences add at half; a run holding what the
    question asks for (`wanted`: a number for "how much", a date for "when") weighs a quarter more. Of runs that
    weigh the same (exactly: see `Question.weight`), the shorter wins, then the earlier.
    """
    total = asked.total_weight
    headings = [_is_heading(text[start:end]) for start, end in sentences]
    best: tuple[float, int, int, int] | None = None  # (weight, -length, first, last)
    for first in range(len(sentences)):
        if not matched[first]:
            continue
        covered: set[str] = set()
        best_sentence = 0.0
        for last in range(first, min(first + MAX_QUOTE_SENTENCES, len(sentences))):
            length = sentences[last][1] - sentences[first][0]
            if last > first and (
                length > max_chars
                or not matched[last] - covered
                or headings[first]
                or _BLANK_LINE.search(text, sentences[last - 1][1], sentences[last][0])
            ):
                break
            covered |= matched[last]
            best_sentence = max(best_sentence, asked.weight(matched[last]))
            union = asked.weight(covered)
            weight = (best_sentence + SCATTERED_TERM_FACTOR * (union - best_sentence)) / total
            for kind in (wanted, counted):
                if kind is not None and kind.search(text, sentences[first][0], sentences[last][1]):
                    weight *= 1 + ANSWER_TYPE_BONUS
            option = (weight, -length, first, last)
            if best is None or option[:2] > best[:2]:
                best = option
    if best is None:  # matched only through a term split across sentences: quote the passage start
        coverage, first, last = 0.0, 0, 0
    else:
        coverage, _, first, last = best
    start, end = sentences[first][0], sentences[last][1]
    if end - start > max_chars:
        start, end = _trim(text, start, end, asked.highlight_terms, max_chars)
    return start, end, coverage


def _with_context(text: str, sentences: list[tuple[int, int]], start: int, end: int, max_chars: int) -> int:
    """Where a short quote should end: with the sentences after it in its paragraph (a heading with what it
    heads, a claim with its explanation), up to about CONTEXT_CHARS; a quote that starts at a heading or label
    takes its first paragraph, up to `max_chars` (the definition under "--force::"). Ranking uses the matched
    core only."""
    first_end = next((e for s, e in sentences if s == start), end)
    under_heading = _is_heading(text[start:first_end])
    limit = max_chars if under_heading else CONTEXT_CHARS
    for following_start, following_end in sentences:
        if following_start < end:
            continue
        if end - start >= limit or following_end - start > max(limit, CONTEXT_CHARS * 2):
            break
        gap = text[end:following_start]
        introduces = under_heading or text[end - 1] in ":?" or _is_heading(text[start:end])
        if ("\n" in gap and not introduces) or _BLANK_LINE.search(gap):
            break  # a new paragraph, unless this one introduces it ("...calls:", "What is DeepSeek?", a heading)
        end = following_end
    return end


def _is_heading(sentence: str) -> bool:
    """A short line that does not end like a sentence ("Cost Efficiency Concerns:"): it starts no long quote."""
    return len(sentence) < SHORT_SENTENCE_CHARS and not _SENTENCE_END.search(sentence)


def _trim(text: str, start: int, end: int, wanted: set[str], max_chars: int) -> tuple[int, int]:
    """A long sentence cut to a window of whole words around its first matched term."""
    hits = [t.start for t in analyze_spans(text[start:end]) if t.term in wanted]
    focus = start + (hits[0] if hits else 0)
    window_start = max(start, focus - max_chars // 4)
    window_end = min(end, window_start + max_chars)
    while window_start > start and not text[window_start - 1].isspace():
        window_start += 1
    while window_end < end and not text[window_end].isspace():
        window_end -= 1
    while window_start < window_end and text[window_start].isspace():
        window_start += 1
    while window_end > window_start and text[window_end - 1].isspace():
        window_end -= 1
    return window_start, window_end


def _merge_overlapping(candidates: list[_Candidate], index: CorpusIndex, max_chars: int) -> list[_Candidate]:
    """Quotes that overlap or touch in the same document become one; the better score ranks it, and equal scores
    rank by document and offset (the order the corpus is read in), never by how they were found."""
    merged: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (-c.score, c.doc, c.start, c.end)):
        text = index.document_text(candidate.doc)
        for other in merged:
            if other.doc != candidate.doc:
                continue
            low, high = sorted([(other.start, other.end), (candidate.start, candidate.end)])
            gap = high[0] - low[1]  # looked at only when short: never a copy of a whole document
            touching = gap <= 0 or (gap <= MERGE_GAP_CHARS and not text[low[1] : high[0]].strip())
            if not touching:
                continue
            start, end = low[0], max(low[1], high[1])
            if end - start <= max_chars * 1.5:
                other.start, other.end = start, end
            break
        else:
            merged.append(_Candidate(candidate.doc, candidate.start, candidate.end, candidate.score, candidate.focus))
    return merged


def _quote(index: CorpusIndex, candidate: _Candidate, asked: Question, url_template: str | None) -> Quote:
    text = index.document_text(candidate.doc)
    quote_text = text[candidate.start : candidate.end]
    info = index.documents[candidate.doc]
    wanted = asked.highlight_terms
    highlights = [Highlight(start=t.start, end=t.end) for t in analyze_spans(quote_text) if t.term in wanted]
    citation = cite(index, candidate.doc, candidate.focus, url_template)
    return Quote(
        text=quote_text,
        source=info.source,
        title=info.title,
        section=citation.section,
        page=citation.page,
        url=citation.url,
        derived=info.derived,
        start=candidate.start,
        end=candidate.end,
        line=index.line_of(candidate.doc, candidate.start),
        score=round(candidate.score, 6),
        highlights=_dedupe_highlights(highlights),
    )


def _dedupe_highlights(highlights: list[Highlight]) -> list[Highlight]:
    """One highlight per token, even when a token yields several terms ("o3-mini")."""
    seen: dict[tuple[int, int], Highlight] = {}
    for h in highlights:
        seen.setdefault((h.start, h.end), h)
    return list(seen.values())
