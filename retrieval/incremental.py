"""Re-indexing that reuses the work done for unchanged files, with the index a full build would make.

A running bot re-indexes whenever its corpus changes. Reading, extracting, cleaning, cutting and analysing the
files is nearly all of a build's time, and each file's result depends on that file alone except through cleaning,
which weighs evidence from the whole corpus (lines repeated across documents, the corpus's language and English
vocabulary: see boilerplate.py). So `IndexBuilder` keeps, for each file, its extracted text and structure (under
its content digest), the evidence it gives the cleaning filter, and its chunked passages. Each build re-extracts
only the files whose digest changed, rebuilds the filter from every document's evidence, and chunks a kept
document again only if the new filter differs from the old on something that document depends on: the verdict on
one of its lines, the corpus's language, or a word it looked up in the vocabulary. The BM25 engine, whose
statistics (idf, average length) are corpus-wide, is built over every passage each time, in document order, as
a full build does: the index, and so every answer, is the one a full build makes. It is built from each
document's counted terms, kept with its chunks (passage_postings.py), named by a term table kept between builds,
so only the documents cut again are counted and looked up term by term; the rest is sorting arrays.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.boilerplate import (
    BoilerplateFilter,
    LanguageSample,
    SlowPatternError,
    document_lines,
    language_sample,
)
from retrieval.chunking import ChunkedDocument, chunk_corpus
from retrieval.corpus_index import INDEX_SCHEMA, CorpusIndex, IndexReport, Progress
from retrieval.dense import DenseEncoder
from retrieval.documents import (
    DEFAULT_MAX_FILE_BYTES,
    DOCUMENT_SUFFIXES,
    MANIFEST_NAME,
    CorpusError,
    Document,
    Manifest,
    SkippedFile,
    extract_file,
    list_corpus_files,
    make_document,
    read_manifest,
)
from retrieval.formats import Extracted
from retrieval.index_cache import FileState, default_index_path, file_states, index_key, previous_file_states
from retrieval.index_file import NotAnIndexError, check_index_path
from retrieval.passage_postings import TermTable
from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _FileWork:
    """What one file version cost to read and cut, kept for the next build."""

    digest: str
    extracted: Extracted | SkippedFile
    lines: frozenset[str] = frozenset()  # its evidence for the cleaning filter (see boilerplate.document_lines)
    sample: LanguageSample | None = None  # its prose, taken when the filter's language sample reaches it
    document: Document | None = None  # as last chunked (the manifest adds title, link, ...)
    chunked: ChunkedDocument | None = None  # valid for the filter of the last build


@dataclass(frozen=True)
class BuildCounts:
    """How much of the last build was new work: files read and extracted, documents cleaned and chunked."""

    files: int = 0
    extracted: int = 0
    documents: int = 0
    chunked: int = 0


@dataclass
class _Cache:
    work: dict[str, _FileWork] = field(default_factory=dict)
    states: dict[str, FileState] | None = None  # None: not built yet (the saved index's file states are used)
    manifest: Manifest | None = None
    cleaner: BoilerplateFilter | None = None
    skipped: frozenset[tuple[str, str]] = frozenset()


class IndexBuilder:
    """Builds one corpus's index again and again, each time reusing what is unchanged since the last build.

    Not thread-safe: one thread builds (a bot's watcher). Holds every document's text and passages' terms
    between builds, about three times the corpus's text in memory."""

    def __init__(
        self,
        corpus_dir: Path,
        settings: RetrievalSettings,
        index_path: Path | None = None,
        *,
        follow_symlinks: bool = False,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        encoder: DenseEncoder | None = None,
    ) -> None:
        self.corpus_dir = corpus_dir
        self.settings = settings
        self.index_path = index_path or default_index_path(corpus_dir)
        self.follow_symlinks = follow_symlinks
        self.max_file_bytes = max_file_bytes
        self.encoder = encoder
        self.key: str | None = None  # the key of the index last built, or adopted
        self.counts = BuildCounts()
        self._cache = _Cache()
        self.terms = TermTable()  # every term's id for good: only the documents cut again are looked up

    def adopt(self, key: str | None) -> None:
        """The index being served has this key: a corpus that still hashes to it needs no build."""
        self.key = key

    def build(self, progress: Progress | None = None) -> tuple[CorpusIndex, IndexReport] | None:
        """The corpus's index, built and saved, or None when the corpus is as it was at the last build (or the
        adopted index). Raises CorpusError when the corpus cannot be indexed; what was kept stays usable."""
        try:
            return self._build(progress)
        except BaseException:
            self._cache = _Cache()  # part of it may be newer than its filter: start afresh next time
            raise

    def _build(self, progress: Progress | None) -> tuple[CorpusIndex, IndexReport] | None:
        began = time.perf_counter()
        manifest = read_manifest(self.corpus_dir)
        files, outside = list_corpus_files(
            self.corpus_dir, manifest, follow_symlinks=self.follow_symlinks, max_file_bytes=self.max_file_bytes
        )
        if not files:
            kinds = ", ".join(DOCUMENT_SUFFIXES)
            raise CorpusError(f"no documents ({kinds}) in the corpus directory {self.corpus_dir}")
        try:
            check_index_path(self.index_path)
        except NotAnIndexError as error:
            raise CorpusError(str(error)) from None
        cache = self._cache
        previous = cache.states if cache.states is not None else previous_file_states(self.index_path)
        states, contents = file_states(files, previous)
        key = index_key(self.corpus_dir, self.settings, states, outside, INDEX_SCHEMA)
        if key == self.key:
            return None
        if manifest != cache.manifest:
            for stale in cache.work.values():
                stale.chunked = None  # its patterns may have changed

        work: dict[str, _FileWork] = {}
        documents: list[Document] = []
        skipped = list(outside)
        extracted = 0
        for number, (file, state) in enumerate(zip(files, states, strict=True)):
            if progress is not None:
                progress("reading", number, len(files))
            kept = cache.work.get(file.source)
            if kept is None or kept.digest != state.digest or state.size < 0:
                found = extract_file(file, contents.pop(file.source, None), self.max_file_bytes)
                kept = _FileWork(state.digest, found)
                if isinstance(found, Extracted):
                    kept.lines = document_lines(found.text)
                extracted += 1
            work[file.source] = kept
            if isinstance(kept.extracted, SkippedFile):
                skipped.append(kept.extracted)
                continue
            document = make_document(file.source, kept.extracted, manifest)
            if document != kept.document:
                kept.document, kept.chunked = document, None
            documents.append(document)
        self._warn_new(skipped)
        if not documents:
            raise CorpusError(f"no usable documents in {self.corpus_dir}: all {len(files)} files were skipped")

        in_order = [work[doc.source] for doc in documents]
        cleaner = BoilerplateFilter.from_evidence(_documents_with(in_order), len(in_order), _samples(in_order))
        _forget_what_changed(cache, work, cleaner)
        todo = [(doc, kept) for doc, kept in zip(documents, in_order, strict=True) if kept.chunked is None]
        try:
            chunks = chunk_corpus([doc for doc, _ in todo], manifest, self.settings, cleaner)
            for number, ((_, kept), chunked) in enumerate(zip(todo, chunks, strict=True)):
                if progress is not None:
                    progress("indexing", number, len(todo))
                kept.chunked = chunked
        except SlowPatternError as error:
            raise CorpusError(f"{self.corpus_dir / MANIFEST_NAME}: {error}") from None
        index = CorpusIndex.assemble(documents, _chunks(in_order), skipped, self.settings, terms=self.terms)
        if self.settings.dense and self.encoder is not None:
            index.add_dense_vectors(self.encoder)
        saved = True
        try:
            index.save(self.index_path, key, states)
        except (OSError, NotAnIndexError) as error:
            saved = False
            log.warning("could not save the index to %s (%s); it is kept in memory", self.index_path, error)
        index.key = key
        self._cache = _Cache(work, {s.source: s for s in states}, manifest, cleaner, cache.skipped)
        self.key = key
        self.counts = BuildCounts(len(files), extracted, len(documents), len(todo))
        report = IndexReport(
            len(index.documents),
            index.passage_count,
            index.engine.vocabulary_size,
            skipped,
            time.perf_counter() - began,
            rebuilt=True,
            path=self.index_path,
            saved=saved,
            cleaning=index.cleaning,
        )
        return index, report

    def _warn_new(self, skipped: list[SkippedFile]) -> None:
        """Each skipped file once, not again at every build while it stays as it is."""
        now = frozenset((item.source, item.reason) for item in skipped)
        for source, reason in sorted(now - self._cache.skipped):
            log.warning("skipped %r: %s", source, reason)  # repr: a name cannot forge a log line
        self._cache.skipped = now


def _documents_with(in_order: list[_FileWork]) -> Counter[str]:
    counts = Counter[str]()
    for kept in in_order:
        counts.update(kept.lines)
    return counts


def _samples(in_order: list[_FileWork]) -> Iterator[LanguageSample]:
    """Each document's language sample in order, taken only when the filter asks for it."""
    for kept in in_order:
        if kept.sample is None:
            kept.sample = language_sample(kept.lines)
        yield kept.sample


def _chunks(in_order: list[_FileWork]) -> Iterator[ChunkedDocument]:
    for kept in in_order:
        assert kept.chunked is not None, "every document is chunked before the index is assembled"
        yield kept.chunked


def _forget_what_changed(cache: _Cache, work: dict[str, _FileWork], cleaner: BoilerplateFilter) -> None:
    """Drop the chunks of documents the new filter would clean differently from the one that cut them."""
    old = cache.cleaner
    if old is None or old.english != cleaner.english:
        for kept in work.values():
            kept.chunked = None
        return
    candidates: set[str] = set()
    for source in cache.work.keys() | work.keys():
        before, now = cache.work.get(source), work.get(source)
        if before is not now:
            candidates.update(before.lines if before else (), now.lines if now else ())
    if old.furniture_documents != cleaner.furniture_documents:
        candidates.update(old.repeated_lines, cleaner.repeated_lines)
    lines = {line for line in candidates if old.line_verdict(line) != cleaner.line_verdict(line)}
    words = old.vocabulary ^ cleaner.vocabulary
    for kept in work.values():
        chunked = kept.chunked
        if chunked is not None and not (lines.isdisjoint(kept.lines) and words.isdisjoint(chunked.vocabulary_probes)):
            kept.chunked = None
