"""Documents -> content blocks -> sentences -> passages -> terms, on every core for a large corpus.

Each document is cut on its own (boilerplate needs the whole corpus, so the filter is built first and shared),
which makes the work embarrassingly parallel: a large corpus is spread over worker processes forked from this
one, and each document's passages come back with their terms already counted (passage_postings.py): a few
arrays, far cheaper to pass between processes than lists of strings, and the engine's heaviest work done on
every core. Results stream back in document order.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from retrieval.abbreviations import Aliases, find_aliases
from retrieval.analysis import analyze
from retrieval.boilerplate import BoilerplateFilter, Line, LineKind, Reason, content_blocks, left_out
from retrieval.documents import Document, Manifest, lines_at
from retrieval.passage_postings import PassagePostings
from retrieval.passages import chunk_block
from retrieval.sections import LABEL, SECTION, Heading, Sections, document_context, find_sections
from retrieval.settings import RetrievalSettings

_PR_SET_PDEATHSIG = 1  # prctl(2)
PARALLEL_MIN_CHARS = 4_000_000  # below this, starting workers costs more than it saves
_BATCH_CHARS = 2_000_000


@dataclass(frozen=True, eq=False)
class ChunkedDocument:
    sentences: npt.NDArray[np.int64]  # (n, 2): start, end character offsets into the document's text
    sentence_lines: npt.NDArray[np.int64]  # (n,): the line each sentence starts on (1-based)
    passages: npt.NDArray[np.int64]  # (m, 2): [first, stop) over this document's sentences
    postings: PassagePostings  # each passage's terms, counted (for the engine; see passage_postings.py)
    headings: npt.NDArray[np.int64]  # (m, 4): each passage's section and label spans, (-1, -1) where none
    aliases: Aliases
    line_chars: int  # characters on the document's non-blank lines
    left_out: dict[str, int]  # of those, the characters not indexed, by reason
    sections: npt.NDArray[np.int64]  # (k, 2): the document's section headings, for citations
    anchors: list[str]  # each section's anchor for a link ("" where none)
    vocabulary_probes: frozenset[str]  # the words cleaning looked up in the corpus's vocabulary (see incremental)


_Job = tuple[list[Document], Manifest, BoilerplateFilter, RetrievalSettings]
# A worker process's own job, set once by the pool's initializer (never in the parent process).
_worker_job: _Job | None = None


def chunk_corpus(
    documents: list[Document],
    manifest: Manifest,
    settings: RetrievalSettings,
    cleaner: BoilerplateFilter | None = None,
) -> Iterator[ChunkedDocument]:
    """Every document chunked, in order, as a stream: the caller indexes each while later ones are still
    being cut, so a large corpus never holds all of its passages' terms at once. `cleaner` is the corpus's
    filter when `documents` are only some of the corpus (re-indexing); by default it is built from them."""
    cleaner = cleaner or BoilerplateFilter(doc.text for doc in documents)
    job: _Job = (documents, manifest, cleaner, settings)
    batches = _batches(documents)
    workers = _worker_count(documents)
    if workers > 1:
        context = multiprocessing.get_context("fork")  # the job reaches workers by fork, never pickled
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(job, os.getpid())
        ) as pool:
            for batch in pool.map(_chunk_batch_in_worker, batches):
                yield from batch
    else:
        for batch_range in batches:
            yield from _chunk_batch(job, batch_range)


def merge_aliases(into: Aliases, found: Aliases) -> None:
    """Abbreviations across documents: the first definition wins."""
    for short, long in found.items():
        into.setdefault(short, long)


def _worker_count(documents: list[Document]) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    large = sum(len(doc.text) for doc in documents) >= PARALLEL_MIN_CHARS
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    return cores if large and can_fork and cores > 1 else 1


def _batches(documents: list[Document]) -> list[tuple[int, int]]:
    """Document index ranges of about _BATCH_CHARS characters each."""
    batches, start, size = [], 0, 0
    for i, doc in enumerate(documents):
        size += len(doc.text)
        if size >= _BATCH_CHARS:
            batches.append((start, i + 1))
            start, size = i + 1, 0
    if start < len(documents):
        batches.append((start, len(documents)))
    return batches


def _start_worker(job: _Job, parent: int) -> None:
    global _worker_job
    _worker_job = job
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """A worker must not outlive the process that started it (killed, or taken by the OOM killer): on Linux the
    kernel sends it SIGKILL when its parent dies; a parent already gone by now means exit at once. For any worker
    process's initializer, not only the index workers here.

    The kernel's "parent" is the thread that started the process: start workers from a thread that lives as long
    as the parent (the main thread, or the event loop's)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _chunk_batch_in_worker(batch: tuple[int, int]) -> list[ChunkedDocument]:
    assert _worker_job is not None, "the pool's initializer sets the job"
    return _chunk_batch(_worker_job, batch)


def _chunk_batch(job: _Job, batch: tuple[int, int]) -> list[ChunkedDocument]:
    documents, manifest, cleaner, settings = job
    return [_chunk_document(doc, manifest, cleaner, settings) for doc in documents[batch[0] : batch[1]]]


def _chunk_document(
    doc: Document, manifest: Manifest, cleaner: BoilerplateFilter, settings: RetrievalSettings
) -> ChunkedDocument:
    sentences: list[tuple[int, int]] = []
    passages: list[tuple[int, int]] = []
    probes: set[str] = set()
    lines = classify_document(cleaner, doc, manifest, probes)
    for block in content_blocks(lines):
        block_sentences, block_passages = chunk_block(
            doc.text,
            block,
            size=settings.passage_sentences,
            overlap=settings.passage_overlap,
            max_chars=settings.passage_max_chars,
        )
        base = len(sentences)
        sentences.extend(block_sentences)
        passages.extend((base + first, base + stop) for first, stop in block_passages)
    sentence_terms = [analyze(doc.text[start:end]) for start, end in sentences]
    # Context terms: what the document and the section are about, which a passage's own words may not say.
    document_terms = analyze(document_context(doc.title, doc.source))
    sections, anchors = document_sections(doc)
    headings: list[tuple[int, int, int, int]] = []
    passage_terms: list[list[str]] = []
    for first, stop in passages:
        begins = sentences[first][0]
        spans = [
            (heading.start, heading.end) if heading and heading.end <= begins else (-1, -1)
            for heading in sections.context_before(begins)
        ]
        headings.append((*spans[0], *spans[1]))
        context = [document_terms, *(analyze(doc.text[s:e]) for s, e in spans if s >= 0)]
        # A passage that opens with its heading or label ("--amend::", "4. Conveying Verbatim Copies.") is what
        # that heading names: its words count again, as a heading field would in BM25F.
        opening = sections.opening_heading(begins, sentences[first][1])
        if opening is not None:
            context.append(analyze(doc.text[opening.start : opening.end]))
        passage_terms.append(list(chain.from_iterable([*sentence_terms[first:stop], *context])))
    return ChunkedDocument(
        _pairs(sentences),
        np.array(lines_at(doc.text, [start for start, _ in sentences]), dtype=np.int64),
        _pairs(passages),
        PassagePostings.from_token_lists(passage_terms),
        np.array(headings, dtype=np.int64).reshape(-1, 4),
        find_aliases([doc.text]),
        sum(line.end - line.start for line in lines),
        left_out(lines),
        _pairs([(h.start, h.end) for h in sections.headings if h.level == SECTION]),
        anchors,
        frozenset(probes),
    )


def document_sections(doc: Document) -> tuple[Sections, list[str]]:
    """The document's headings, and each section heading's anchor. The format's own headings are its sections
    (a Markdown heading, an HTML <h2>, a Word Heading paragraph, a PDF bookmark); labels ("--force::") and, for a
    format that marks none (plain text), the sections too are found by their shape."""
    found = find_sections(doc.text)
    if doc.headings is None:
        return found, ["" for h in found.headings if h.level == SECTION]
    labels = [h for h in found.headings if h.level == LABEL and not _in_spans(h.start, doc.metadata)]
    sections = [Heading(h.start, h.end, SECTION) for h in doc.headings]
    anchors = {(h.start, h.end): h.anchor for h in doc.headings}
    merged = sorted([*sections, *labels], key=lambda h: (h.start, h.level))
    return Sections(merged), [anchors[h.start, h.end] for h in merged if h.level == SECTION]


def _in_spans(offset: int, spans: tuple[tuple[int, int], ...]) -> bool:
    return any(start <= offset < end for start, end in spans)


def classify_document(
    cleaner: BoilerplateFilter, doc: Document, manifest: Manifest, probes: set[str] | None = None
) -> list[Line]:
    """The document's lines as indexing judges them: its manifest patterns apply, its title and author stay."""
    own_lines = [line for line in (doc.title, doc.author) if line]
    lines = cleaner.classify(doc.text, manifest.boilerplate_patterns(doc.source), own_lines, probes)
    if not doc.metadata:
        return lines
    return [
        Line(line.start, line.end, LineKind.BOILERPLATE, Reason.METADATA)
        if _in_spans(line.start, doc.metadata)
        else line
        for line in lines
    ]


def _pairs(spans: list[tuple[int, int]]) -> npt.NDArray[np.int64]:
    """Compact in memory and between processes: 16 bytes a pair instead of a tuple of two ints."""
    return np.array(spans, dtype=np.int64).reshape(-1, 2)
