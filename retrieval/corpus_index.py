"""The searchable corpus: document texts, sentences, passages and the BM25 engine, built once and saved.

The saved file is keyed by a hash of the corpus contents, the manifest, the analyzer and the indexing settings.
A file whose key differs, or that fails any check, is rebuilt, never trusted. Document texts are stored in the
index so that quotes are sliced from exactly the text that was indexed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from retrieval.abbreviations import Aliases
from retrieval.bm25 import Bm25Engine
from retrieval.boilerplate import SlowPatternError
from retrieval.chunking import ChunkedDocument, chunk_corpus, merge_aliases
from retrieval.dense import DIMENSIONS, DenseEncoder
from retrieval.documents import (
    DEFAULT_MAX_FILE_BYTES,
    DOCUMENT_SUFFIXES,
    MANIFEST_NAME,
    CorpusError,
    Document,
    Manifest,
    SkippedFile,
    line_breaks,
    line_of,
    list_corpus_files,
    read_documents,
    read_manifest,
)
from retrieval.index_cache import FileState, default_index_path, file_states, index_key, previous_file_states
from retrieval.index_file import (
    IndexFileError,
    NotAnIndexError,
    check_index_path,
    read_index_file,
    write_index_file,
)
from retrieval.memory import give_back_freed_memory
from retrieval.passage_postings import PassagePostings, TermTable
from retrieval.settings import RetrievalSettings
from retrieval.text_spill import TextSpill

log = logging.getLogger(__name__)

# 5: each document's format, section headings (with anchors) and page starts; 6: each term's largest tf-part
INDEX_SCHEMA = 6
_PASSAGE_ARRAYS = (
    "sentence_start",
    "sentence_end",
    "sentence_line",  # the line each sentence starts on, so citing a line never counts through a whole document
    "passage_doc",
    "passage_first",
    "passage_stop",
    "passage_section_start",
    "passage_section_end",
    "passage_label_start",
    "passage_label_end",
)
IntArray = npt.NDArray[np.int64]
Progress = Callable[[str, int, int], None]  # (stage, done, total): for a progress bar on long builds


@dataclass(frozen=True)
class DocumentInfo:
    """What a front end may show about a document (for /sources and citations)."""

    source: str
    title: str
    url: str | None = None
    date: str | None = None
    author: str | None = None
    file_format: str = "text"
    derived: bool = False  # its text was extracted (HTML, PDF, Word): offsets are into the stored text


@dataclass(frozen=True)
class CleaningReport:
    """What cleaning left out of the index: characters by reason, and the documents that lost the most."""

    line_chars: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    worst: list[tuple[str, float]] = field(default_factory=list)  # (source, share left out), worst first

    @property
    def share_left_out(self) -> float:
        return sum(self.left_out.values()) / self.line_chars if self.line_chars else 0.0


_WORST_DOCUMENTS = 5


@dataclass(frozen=True)
class IndexReport:
    documents: int
    passages: int
    vocabulary: int
    skipped: list[SkippedFile]
    seconds: float
    rebuilt: bool
    path: Path | None
    saved: bool = field(default=True)
    cleaning: CleaningReport = field(default_factory=CleaningReport)


class CorpusIndex:
    """Read-only after construction, so one instance serves many threads."""

    def __init__(
        self,
        documents: list[DocumentInfo],
        skipped: list[SkippedFile],
        arrays: dict[str, np.ndarray],
        engine: Bm25Engine,
        aliases: Aliases,
        cleaning: CleaningReport | None = None,
        section_anchors: list[str] | None = None,
    ) -> None:
        self.documents = documents
        self.cleaning = cleaning or CleaningReport()
        self.aliases = aliases
        self.skipped = skipped
        self.engine = engine
        self._arrays = arrays
        self._text_blob: npt.NDArray[np.uint8] = arrays["text_blob"]
        self._text_offsets: IntArray = arrays["text_offsets"]
        self._sentence_start: IntArray = arrays["sentence_start"]
        self._sentence_end: IntArray = arrays["sentence_end"]
        self._sentence_line: IntArray = arrays["sentence_line"]
        self._document_sentences: IntArray = arrays["document_sentences"]
        self._passage_doc: IntArray = arrays["passage_doc"]
        self._passage_first: IntArray = arrays["passage_first"]
        self._passage_stop: IntArray = arrays["passage_stop"]
        self._context: list[IntArray] = [arrays[name] for name in _PASSAGE_ARRAYS[-4:]]
        self._section_start: IntArray = arrays["section_start"]
        self._section_end: IntArray = arrays["section_end"]
        self._document_sections: IntArray = arrays["document_sections"]
        self._page_start: IntArray = arrays["page_start"]
        self._document_pages: IntArray = arrays["document_pages"]
        self.section_anchors = section_anchors if section_anchors is not None else [""] * len(self._section_start)
        self.key: str | None = None  # the key it was saved under, once saved or loaded
        self.document_text = lru_cache(maxsize=256)(self._decode_document)
        self.dense_vectors: npt.NDArray[np.float16] | None = arrays.get("dense_vectors")

    @property
    def passage_count(self) -> int:
        return len(self._passage_doc)

    def _decode_document(self, doc: int) -> str:
        start, end = int(self._text_offsets[doc]), int(self._text_offsets[doc + 1])
        return self._text_blob[start:end].tobytes().decode("utf-8")

    def line_of(self, doc: int, offset: int) -> int:
        """The 1-based line of an offset in a document: from the line of the sentence it is in (or follows),
        counting only the line breaks between that sentence's start and the offset."""
        first, stop = int(self._document_sentences[doc]), int(self._document_sentences[doc + 1])
        before = first + int(np.searchsorted(self._sentence_start[first:stop], offset, side="right")) - 1
        if before < first:
            return line_of(self.document_text(doc), offset)
        start = int(self._sentence_start[before])
        return int(self._sentence_line[before]) + line_breaks(self.document_text(doc), start, offset)

    def section_at(self, doc: int, offset: int) -> tuple[int, int, str] | None:
        """The section heading an offset stands under (or begins with), as its span and anchor, if any."""
        first, stop = int(self._document_sections[doc]), int(self._document_sections[doc + 1])
        row = first + int(np.searchsorted(self._section_start[first:stop], offset, side="right")) - 1
        if row < first:
            return None
        return int(self._section_start[row]), int(self._section_end[row]), self.section_anchors[row]

    def page_at(self, doc: int, offset: int) -> int | None:
        """The 1-based page an offset is on, for a document that has pages (PDF)."""
        first, stop = int(self._document_pages[doc]), int(self._document_pages[doc + 1])
        if first == stop:
            return None
        return max(1, int(np.searchsorted(self._page_start[first:stop], offset, side="right")))

    def passage_document(self, passage: int) -> int:
        return int(self._passage_doc[passage])

    def passage_text(self, passage: int) -> str:
        """The passage as it stands in its document (first sentence start to last sentence end)."""
        sentences = self.passage_sentences(passage)
        return self.document_text(self.passage_document(passage))[sentences[0][0] : sentences[-1][1]]

    def add_dense_vectors(self, encoder: DenseEncoder) -> None:
        """Embed every passage with its document's title, for dense retrieval (see dense.py)."""
        texts = [
            f"{self.documents[self.passage_document(p)].title}\n{self.passage_text(p)}"
            for p in range(self.passage_count)
        ]
        self.dense_vectors = encoder.encode(texts).astype(np.float16)
        self._arrays["dense_vectors"] = self.dense_vectors

    def passage_headings(self, passage: int) -> list[tuple[int, int]]:
        """The spans of the section heading and the label the passage stands under, in its document's text."""
        section_start, section_end, label_start, label_end = (int(array[passage]) for array in self._context)
        return [(s, e) for s, e in ((section_start, section_end), (label_start, label_end)) if s >= 0]

    def passage_sentences(self, passage: int) -> list[tuple[int, int]]:
        """The passage's sentences as `(start, end)` character offsets into its document's text."""
        first, stop = int(self._passage_first[passage]), int(self._passage_stop[passage])
        return list(
            zip(self._sentence_start[first:stop].tolist(), self._sentence_end[first:stop].tolist(), strict=True)
        )

    # ------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        documents: list[Document],
        skipped: list[SkippedFile],
        manifest: Manifest,
        settings: RetrievalSettings,
        progress: Progress | None = None,
    ) -> CorpusIndex:
        """Index the documents. Chunking streams into the engine, and the list is emptied at the end so the
        texts, by then copied into the index's UTF-8 blob, can be freed: memory stays flat at a million passages."""
        index = cls.assemble(documents, chunk_corpus(documents, manifest, settings), skipped, settings, progress)
        documents.clear()
        return index

    @classmethod
    def assemble(
        cls,
        documents: list[Document],
        chunked: Iterable[ChunkedDocument],
        skipped: list[SkippedFile],
        settings: RetrievalSettings,
        progress: Progress | None = None,
        terms: TermTable | None = None,
    ) -> CorpusIndex:
        """The index of documents already chunked (`chunked` in the same order, consumed as a stream): the
        engine, whose statistics are corpus-wide, is always built over every passage (from their counted terms;
        with `terms`, a table kept between builds, by the ids it gave them before).

        Each document's text is moved into the index's UTF-8 blob as soon as it is chunked, and `documents` is
        left holding documents without text: the corpus's text is never held twice."""
        parts: dict[str, list[np.ndarray]] = {name: [] for name in _PASSAGE_ARRAYS}
        aliases: Aliases = {}
        line_chars = 0
        left_out: dict[str, int] = {}
        shares: list[tuple[str, float]] = []

        document_sentences = [0]
        section_spans: list[np.ndarray] = []
        anchors: list[str] = []
        document_sections = [0]
        text_offsets = _text_offsets(documents)
        texts = TextSpill(text_offsets)

        def passage_postings() -> Iterator[PassagePostings]:
            nonlocal line_chars
            sentences = 0
            for doc_id, doc in enumerate(chunked):
                if progress is not None:
                    progress("indexing", doc_id, len(documents))
                parts["sentence_start"].append(doc.sentences[:, 0])
                parts["sentence_end"].append(doc.sentences[:, 1])
                parts["sentence_line"].append(doc.sentence_lines)
                parts["passage_doc"].append(np.full(len(doc.passages), doc_id, np.int64))
                parts["passage_first"].append(doc.passages[:, 0] + sentences)
                parts["passage_stop"].append(doc.passages[:, 1] + sentences)
                for column, name in enumerate(_PASSAGE_ARRAYS[-4:]):
                    parts[name].append(doc.headings[:, column])
                sentences += len(doc.sentences)
                document_sentences.append(sentences)
                section_spans.append(doc.sections)
                anchors.extend(doc.anchors)
                document_sections.append(len(anchors))
                merge_aliases(aliases, doc.aliases)
                texts.append(doc_id, documents[doc_id].text)
                documents[doc_id] = replace(documents[doc_id], text="")  # the text is in the file now: let it go
                line_chars += doc.line_chars
                for reason, chars in doc.left_out.items():
                    left_out[reason] = left_out.get(reason, 0) + chars
                if doc.left_out:
                    shares.append((documents[doc_id].source, sum(doc.left_out.values()) / doc.line_chars))
                yield doc.postings
            give_back_freed_memory()  # the texts just moved, before the engine's arrays are made

        arrays: dict[str, np.ndarray] = {}
        try:
            engine = Bm25Engine.from_postings(
                passage_postings(), k1=settings.k1, b=settings.b, epsilon=settings.epsilon, table=terms
            )
            # Each table's per-document pieces are let go as soon as it is joined: they are as big as the table.
            for name in _PASSAGE_ARRAYS:
                arrays[name] = _concatenate(parts.pop(name))
                give_back_freed_memory()
            text_blob = texts.read_back()  # the postings and tables are done: the texts can come back
        finally:
            texts.close()
        arrays["document_sentences"] = np.array(document_sentences, dtype=np.int64)
        spans = np.concatenate([np.empty((0, 2), np.int64), *section_spans]).astype(np.int64, copy=False)
        arrays["section_start"], arrays["section_end"] = spans[:, 0].copy(), spans[:, 1].copy()
        arrays["document_sections"] = np.array(document_sections, dtype=np.int64)
        arrays["page_start"] = _concatenate([np.array(d.pages, dtype=np.int64) for d in documents])
        arrays["document_pages"] = np.cumsum([0, *(len(d.pages) for d in documents)], dtype=np.int64)
        arrays["text_blob"], arrays["text_offsets"] = text_blob, text_offsets
        infos = [DocumentInfo(d.source, d.title, d.url, d.date, d.author, d.file_format, d.derived) for d in documents]
        worst = sorted(shares, key=lambda item: (-item[1], item[0]))[:_WORST_DOCUMENTS]
        cleaning = CleaningReport(line_chars, left_out, worst)
        return cls(infos, skipped, arrays, engine, aliases, cleaning, anchors)

    # ------------------------------------------------------------------ persistence

    def save(self, path: Path, key: str, files: list[FileState]) -> None:
        self.key = key
        engine_arrays, engine_meta = self.engine.to_arrays()
        header = {
            "kind": "citebot-index",
            "schema": INDEX_SCHEMA,
            "key": key,
            "files": [asdict(f) for f in files],
            "documents": [asdict(d) for d in self.documents],
            "skipped": [asdict(s) for s in self.skipped],
            "aliases": self.aliases,
            "cleaning": asdict(self.cleaning),
            "section_anchors": self.section_anchors,
            "engine": engine_meta,
        }
        arrays = {**self._arrays, **{f"engine.{name}": array for name, array in engine_arrays.items()}}
        write_index_file(path, header, arrays)

    @classmethod
    def load(cls, path: Path, key: str | None) -> CorpusIndex:
        """The saved index, verified; with `key` None, whatever corpus state it was saved for (`citebot show`)."""
        header, arrays = read_index_file(path)
        if header.get("kind") != "citebot-index" or header.get("schema") != INDEX_SCHEMA:
            raise IndexFileError("not a citebot index of this version")
        if key is not None and header.get("key") != key:
            raise IndexFileError("index is for another corpus or other settings")
        try:
            engine_arrays = {k.removeprefix("engine."): v for k, v in arrays.items() if k.startswith("engine.")}
            engine = Bm25Engine.from_arrays(engine_arrays, header["engine"])
            documents = [DocumentInfo(**d) for d in header["documents"]]
            skipped = [SkippedFile(**s) for s in header["skipped"]]
            own = {k: v for k, v in arrays.items() if not k.startswith("engine.")}
            aliases = {str(k): [str(t) for t in v] for k, v in header["aliases"].items()}
            found = header["cleaning"]
            cleaning = CleaningReport(
                int(found["line_chars"]),
                {str(k): int(v) for k, v in found["left_out"].items()},
                [(str(source), float(share)) for source, share in found["worst"]],
            )
            anchors = [str(anchor) for anchor in header["section_anchors"]]
            index = cls(documents, skipped, own, engine, aliases, cleaning, anchors)
            index._check_consistency()
            index.key = str(header["key"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise IndexFileError(f"inconsistent index: {error}") from None
        return index

    def _check_consistency(self) -> None:
        docs, passages = len(self.documents), self.passage_count
        if len(self._text_offsets) != docs + 1 or self.engine.passage_count != passages:
            raise ValueError("document or passage counts disagree")
        if len(self._document_sentences) != docs + 1 or len(self._sentence_line) != len(self._sentence_start):
            raise ValueError("sentence tables disagree")
        if self.dense_vectors is not None and self.dense_vectors.shape != (passages, DIMENSIONS):
            raise ValueError("dense vectors do not match the passages")
        sections, pages = len(self._section_start), len(self._page_start)
        if len(self._document_sections) != docs + 1 or int(self._document_sections[-1]) != sections:
            raise ValueError("section tables disagree")
        if len(self.section_anchors) != sections or len(self._section_end) != sections:
            raise ValueError("section anchors disagree")
        if len(self._document_pages) != docs + 1 or int(self._document_pages[-1]) != pages:
            raise ValueError("page tables disagree")
        if passages and (
            int(self._passage_doc.max()) >= docs or int(self._passage_stop.max()) > len(self._sentence_start)
        ):
            raise ValueError("passage table points outside the corpus")


def _concatenate(parts: list[np.ndarray]) -> IntArray:
    return np.concatenate([np.empty(0, np.int64), *parts]).astype(np.int64, copy=False)


def _text_offsets(documents: list[Document]) -> IntArray:
    """Each document's byte offsets in the index's UTF-8 blob of every text."""
    sizes = [len(doc.text) if doc.text.isascii() else len(doc.text.encode("utf-8")) for doc in documents]
    return np.cumsum([0, *sizes], dtype=np.int64)


# ---------------------------------------------------------------------- opening


def open_index(
    corpus_dir: Path,
    settings: RetrievalSettings,
    index_path: Path | None = None,
    *,
    rebuild: bool = False,
    follow_symlinks: bool = False,
    encoder: DenseEncoder | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: Progress | None = None,
) -> tuple[CorpusIndex, IndexReport]:
    """Load the saved index when it matches the corpus and settings; otherwise build and save it."""
    began = time.perf_counter()
    manifest = read_manifest(corpus_dir)
    files, outside = list_corpus_files(
        corpus_dir, manifest, follow_symlinks=follow_symlinks, max_file_bytes=max_file_bytes
    )
    if not files:
        _warn_skipped(outside)
        kinds = ", ".join(DOCUMENT_SUFFIXES)
        raise CorpusError(f"no documents ({kinds}) in the corpus directory {corpus_dir}")
    path = index_path or default_index_path(corpus_dir)
    try:
        check_index_path(path)
    except NotAnIndexError as error:
        raise CorpusError(str(error)) from None
    previous = {} if rebuild else previous_file_states(path)
    states, contents = file_states(files, previous)
    key = index_key(corpus_dir, settings, states, outside, INDEX_SCHEMA)

    if not rebuild and path.exists():
        try:
            index = CorpusIndex.load(path, key)
        except IndexFileError as error:
            log.info("rebuilding the index at %s: %s", path, error)
        else:
            _warn_skipped(index.skipped)
            report = IndexReport(
                len(index.documents),
                index.passage_count,
                index.engine.vocabulary_size,
                index.skipped,
                time.perf_counter() - began,
                rebuilt=False,
                path=path,
                cleaning=index.cleaning,
            )
            return index, report

    documents, skipped = read_documents(files, contents, manifest, max_file_bytes, progress)
    skipped = outside + skipped
    _warn_skipped(skipped)
    if not documents:
        raise CorpusError(f"no usable documents in {corpus_dir}: all {len(files)} files were skipped")
    try:
        index = CorpusIndex.build(documents, skipped, manifest, settings, progress)
    except SlowPatternError as error:
        raise CorpusError(f"{corpus_dir / MANIFEST_NAME}: {error}") from None
    if settings.dense and encoder is not None:
        index.add_dense_vectors(encoder)
    saved = True
    try:
        index.save(path, key, states)
    except (OSError, NotAnIndexError) as error:
        saved = False
        log.warning("could not save the index to %s (%s); it is kept in memory for this run", path, error)
    report = IndexReport(
        len(index.documents),
        index.passage_count,
        index.engine.vocabulary_size,
        skipped,
        time.perf_counter() - began,
        rebuilt=True,
        path=path,
        saved=saved,
        cleaning=index.cleaning,
    )
    return index, report


def open_saved_index(
    corpus_dir: Path,
    settings: RetrievalSettings,
    index_path: Path | None = None,
    *,
    follow_symlinks: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> tuple[CorpusIndex, bool]:
    """The index as it was saved, even when the corpus changed since (then True): what a running bot quotes
    from. When there is no usable saved index, it is built (and saved) as `open_index` does."""
    path = index_path or default_index_path(corpus_dir)
    try:
        index = CorpusIndex.load(path, None)
    except (IndexFileError, OSError) as error:
        log.info("building the index at %s: %s", path, error)
        index, _ = open_index(
            corpus_dir, settings, index_path, follow_symlinks=follow_symlinks, max_file_bytes=max_file_bytes
        )
        return index, False
    manifest = read_manifest(corpus_dir)
    files, outside = list_corpus_files(
        corpus_dir, manifest, follow_symlinks=follow_symlinks, max_file_bytes=max_file_bytes
    )
    states, _ = file_states(files, previous_file_states(path))
    return index, index.key != index_key(corpus_dir, settings, states, outside, INDEX_SCHEMA)


def _warn_skipped(skipped: list[SkippedFile]) -> None:
    for item in skipped:
        log.warning("skipped %r: %s", item.source, item.reason)  # repr: a name cannot forge a log line
