"""A question as the composer sees it: weighted concepts, each matched by any one of its forms.

A concept is a question term, or an abbreviation the documents define together with its long form: "capex"
is matched by "capex" and by "capital expenditures". Each concept weighs its IDF,
`log(1 + (N - n + 0.5) / (n + 0.5))`, largest for terms the corpus never uses.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.abbreviations import Aliases
from retrieval.analysis import STOPWORDS, Term, analyze, analyze_spans
from retrieval.bm25 import Bm25Engine

UNKNOWN_COMMON_WORD_FACTOR = 0.5
MIN_COMPOUND_CHARS = 6
# A name run into its version, as people type it: "GPLv3", "LGPLv2", "v2" (analysed to "gplv3", "lgplv2", "v2").
_VERSIONED = re.compile(r"^(?P<name>[a-z]{2,}?)?v(?P<number>\d+(?:\.\d+)*)$")

# "How long", "how often": the second word asks for the kind of answer, it is not a topic to search for.
_QUESTION_FRAME = re.compile(r"\bhow\s+(?:long|far|old|often|soon|big|large|high|much|many)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Concept:
    forms: tuple[tuple[str, ...], ...]  # matched when all terms of any one form are present
    weight: float


@dataclass(frozen=True)
class Question:
    text: str
    search_terms: list[str]  # for BM25: the question's terms, then the other forms of its abbreviations
    concepts: dict[str, Concept]

    unknown_weight: float = 0.0  # of the concepts no passage holds in any form (see `parse_question`)
    unknown_names: tuple[str, ...] = ()  # proper names the documents never use (see `unknown_proper_names`)
    unknown_name_weight: float = 0.0  # the weight of their concepts

    @property
    def unknown_name_share(self) -> float:
        """The share of the question's weight that names the documents never mention: a question about them."""
        return self.unknown_name_weight / self.total_weight if self.concepts else 0.0

    @property
    def unknown_share(self) -> float:
        """The share of the question's weight that the documents never use: what it asks about is not there."""
        return self.unknown_weight / self.total_weight if self.concepts else 0.0

    @property
    def total_weight(self) -> float:
        return self.weight(self.concepts)

    def hits(self, terms: set[str]) -> set[str]:
        """The concepts that a text with these terms matches."""
        return {
            key
            for key, concept in self.concepts.items()
            if any(all(t in terms for t in form) for form in concept.forms)
        }

    def weight(self, keys: Iterable[str]) -> float:
        """Summed exactly (`math.fsum`), so the same concepts weigh the same to the last bit in any order: the
        order of a set of terms changes with the process's hash seed, and must not pick between equal quotes."""
        return math.fsum(self.concepts[key].weight for key in keys)

    def occurrences(self, counts: Counter[str]) -> dict[str, int]:
        """How often each concept occurs in a text with these term counts (a long form counts once per use)."""
        found = {
            key: sum(min(counts[t] for t in form) for form in concept.forms) for key, concept in self.concepts.items()
        }
        return {key: n for key, n in found.items() if n}

    @property
    def highlight_terms(self) -> set[str]:
        return {t for concept in self.concepts.values() for form in concept.forms for t in form}


def parse_question(text: str, engine: Bm25Engine, aliases: Aliases) -> Question:
    spans = analyze_spans(_QUESTION_FRAME.sub(lambda m: " " * len(m.group()), text))
    forms = _concept_forms([span.term for span in spans], aliases, engine)
    names = {span.term for span in spans if _names_something(text, span)}
    concepts = {
        key: Concept(tuple(alternatives), _weight(engine, key, alternatives, names))
        for key, alternatives in forms.items()
    }
    extra = [t for alternatives in forms.values() for form in alternatives[1:] for t in form]
    # An unknown name ("GitLab") says the question is about something else; an unknown common word is as often
    # a paraphrase ("shock" for "sell-off"), so it counts half again (calibrated in bench/quality).
    unknown_weight = math.fsum(
        concept.weight * (1.0 if key in names else UNKNOWN_COMMON_WORD_FACTOR)
        for key, concept in concepts.items()
        if _document_frequency(engine, list(concept.forms)) == 0
    )
    runs = unknown_proper_names(text, spans, engine)
    named = {span.term for run in runs for span in run}
    return Question(
        text,
        [span.term for span in spans] + extra,
        concepts,
        unknown_weight,
        tuple(text[run[0].start : run[-1].end] for run in runs),
        math.fsum(concept.weight for key, concept in concepts.items() if key in named),
    )


def unknown_proper_names(text: str, spans: list[Term], engine: Bm25Engine) -> list[list[Term]]:
    """The proper names in the question ("Jenkins", "Nasdaq Composite") none of whose words any passage uses.

    A question about something the documents never name cannot be answered from them, however many of its
    other words they share. A name here is a run of capitalised words (at least two lower-case letters each, so
    not an acronym or a version like "GPLv3", which the documents may spell out) inside a sentence; a run with
    one word the documents know ("Satya Nadella") is not unknown."""
    runs: list[list[Term]] = []
    for span in spans:
        if not _proper_word(text, span):
            continue
        if runs and _adjacent(text, runs[-1][-1], span):
            runs[-1].append(span)
        else:
            runs.append([span])
    return [run for run in runs if all(engine.document_frequency(span.term) == 0 for span in run)]


def _proper_word(text: str, span: Term) -> bool:
    token = text[span.start : span.end]
    before = text[: span.start].rstrip(" \t\n\"'“‘(")
    sentence_start = not before or before.endswith((".", "?", "!", ":", ";"))
    capitalised = token[:1].isupper() and token[1:2].islower() and sum(ch.islower() for ch in token) >= 2
    return capitalised and not sentence_start


def _adjacent(text: str, left: Term, right: Term) -> bool:
    return not text[left.end : right.start].strip()


def _concept_forms(terms: list[str], aliases: Aliases, engine: Bm25Engine) -> dict[str, list[tuple[str, ...]]]:
    """Each concept's forms, the question's own first. A long form written out in the question becomes its
    abbreviation's concept, so "capital expenditure" also finds "capex"; a closed compound the corpus never
    uses is also matched by its parts ("selloff" by "sell-off").

    Long forms are tried longest first, and a long form two abbreviations share goes to the alphabetically first:
    never the order of `aliases`, which is the documents' order in a freshly built index and alphabetical in a
    loaded one."""
    long_forms: dict[tuple[str, ...], str] = {}
    for short, expansion in sorted(aliases.items(), key=lambda item: (-len(item[1]), item[0])):
        long_forms.setdefault(tuple(expansion), short)
    forms: dict[str, list[tuple[str, ...]]] = {}
    i = 0
    while i < len(terms):
        for long, short in long_forms.items():
            if tuple(terms[i : i + len(long)]) == long:
                forms.setdefault(short, [long, (short,)])
                i += len(long)
                break
        else:
            term = terms[i]
            alternatives: list[tuple[str, ...]] = [(term,)]
            if term in aliases:
                alternatives.append(tuple(aliases[term]))
            parts = _compound_parts(term, engine) or _version_parts(term, engine)
            if parts:
                alternatives.append(parts)
            forms.setdefault(term, alternatives)
            i += 1
    return forms


def _compound_parts(term: str, engine: Bm25Engine) -> tuple[str, ...] | None:
    """The known terms of an unknown closed compound ("selloff" -> "sell" + "off"), if it splits into words
    the corpus uses or stopwords, at least one of them a term."""
    if len(term) < MIN_COMPOUND_CHARS or not term.isalpha() or engine.document_frequency(term):
        return None
    for cut in range(3, len(term) - 2):
        left, right = analyze(term[:cut]), analyze(term[cut:])
        halves = [(term[:cut], left), (term[cut:], right)]
        if all(terms or word in STOPWORDS for word, terms in halves) and (left or right):
            found = tuple(t for t in left + right)
            if all(engine.document_frequency(t) for t in found):
                return found
    return None


def _version_parts(term: str, engine: Bm25Engine) -> tuple[str, ...] | None:
    """How the documents write an unknown name-and-version ("gplv3", "v2"): as one hyphenated term ("gpl-3",
    from "GPL-3") where they use it, else as the name and the number ("gpl", "3")."""
    found = _VERSIONED.match(term)
    if found is None or engine.document_frequency(term):
        return None
    name, number = found.group("name"), found.group("number")
    if name and engine.document_frequency(f"{name}-{number}"):
        return (f"{name}-{number}",)
    known = tuple(t for t in (name, number) if t)
    return known if all(engine.document_frequency(t) for t in known) else None


def _weight(engine: Bm25Engine, key: str, forms: list[tuple[str, ...]], names: set[str]) -> float:
    """IDF by the commonest form. An unknown term weighs most when it names something ("France", "FIFA"),
    which no document can match, and half as much when it is a common word ("message", "loser"), which a
    document may say otherwise."""
    passages = engine.passage_count
    df = _document_frequency(engine, forms)
    weight = math.log(1 + (passages - df + 0.5) / (df + 0.5))
    if df == 0 and key not in names:
        weight *= UNKNOWN_COMMON_WORD_FACTOR
    return weight


def _document_frequency(engine: Bm25Engine, forms: list[tuple[str, ...]]) -> int:
    """Passages holding the commonest form (a form's rarest term bounds it)."""
    return max(min(engine.document_frequency(t) for t in form) for form in forms)


def _names_something(question: str, span: Term) -> bool:
    """A capitalised word inside the question, an acronym or a word with digits: a name, not a paraphrase."""
    token = question[span.start : span.end]
    first_word = not question[: span.start].strip(" \"'“‘(")
    return (
        any(ch.isdigit() for ch in token)
        or any(ch.isupper() for ch in token[1:])
        or (token[:1].isupper() and not first_word)
    )
