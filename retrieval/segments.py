"""Term-major postings built a segment at a time, so building needs memory for one segment, not the corpus.

`Bm25Engine.build` reads passages in chunks and hands each chunk's postings here, passage-major (for each
passage its terms).  Every `segment_passages` passages the pending chunks are turned term-major (a counting
sort, scipy's CSR to CSC) and written to a temporary directory.  `merge` then lays the segments out in one
pair of arrays: each term's postings, segment after segment, so passage ids stay ascending within a term
(segments hold consecutive passages).  Each segment is read back memory-mapped and scattered into place.

Peak memory is the final arrays plus one segment, where sorting everything at once held the passage-major
and the term-major copies of every posting together.  A corpus that fits in one segment never touches disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse

from retrieval.memory import give_back_freed_memory

IntArray = npt.NDArray[np.int64]
_MERGE_PIECE_POSTINGS = 1 << 22
CodeArray = npt.NDArray[np.unsignedinteger[Any]]


@dataclass(frozen=True)
class _Segment:
    first_passage: int
    postings: int
    path: Path  # the stem of its three .npy files (counts by term, passage ids, codes)


class PostingSegments:
    """Collects passage-major chunks of postings; `merge` returns them term-major (indptr, passages, codes)."""

    def __init__(self, directory: Path, segment_passages: int) -> None:
        self._directory = directory
        self._segment_passages = segment_passages
        self._terms: list[npt.NDArray[np.int32]] = []
        self._codes: list[CodeArray] = []
        self._counts: list[IntArray] = []
        self._pending_passages = 0
        self._segments: list[_Segment] = []
        self._spilled_passages = 0
        self._term_totals = np.zeros(0, dtype=np.int64)
        self.passage_count = 0
        self.postings = 0

    def add_chunk(self, terms: npt.NDArray[np.int32], codes: CodeArray, counts: IntArray, vocabulary_size: int) -> None:
        """One chunk of passages: the term of every posting, its code, and how many postings each passage has."""
        self._terms.append(terms)
        self._codes.append(codes)
        self._counts.append(counts)
        self._pending_passages += len(counts)
        self.passage_count += len(counts)
        self.postings += len(terms)
        if self._pending_passages >= self._segment_passages:
            self._spill(vocabulary_size)

    def merge(
        self, vocabulary_size: int, code_dtype: type[np.unsignedinteger[Any]]
    ) -> tuple[IntArray, npt.NDArray[np.int32], CodeArray]:
        """All postings term-major: (indptr by term, passage ids, codes), passages ascending within a term."""
        if not self._segments:  # one segment: sort in memory, nothing was written
            counts, passages, codes = self._term_major(vocabulary_size)
            self._pending_passages = 0
            indptr = np.zeros(vocabulary_size + 1, dtype=np.int64)
            np.cumsum(counts, out=indptr[1:])
            return indptr, passages, codes.astype(code_dtype, copy=False)
        if self._pending_passages:
            self._spill(vocabulary_size)
            give_back_freed_memory()  # the pending chunks, before the final arrays are made
        totals = np.zeros(vocabulary_size, dtype=np.int64)
        totals[: len(self._term_totals)] = self._term_totals
        indptr = np.zeros(vocabulary_size + 1, dtype=np.int64)
        np.cumsum(totals, out=indptr[1:])
        passages = np.empty(self.postings, dtype=np.int32)
        codes = np.empty(self.postings, dtype=code_dtype)
        filled = indptr[:-1].copy()  # where each term's next postings go
        for segment in self._segments:
            counts = np.load(segment.path.with_suffix(".counts.npy"))
            segment_passages = np.load(segment.path.with_suffix(".passages.npy"), mmap_mode="r")
            segment_codes = np.load(segment.path.with_suffix(".codes.npy"), mmap_mode="r")
            ends = np.cumsum(counts)  # where each term's postings end inside the segment
            first = 0
            while first < len(counts):  # a few million postings at a time: the scatter's indexes stay small
                start = int(ends[first] - counts[first])
                last = max(int(np.searchsorted(ends, start + _MERGE_PIECE_POSTINGS, side="right")), first + 1)
                stop = int(ends[last - 1])
                piece = counts[first:last]
                destination = np.repeat(filled[first:last] - (ends[first:last] - piece), piece)
                destination += np.arange(start, stop, dtype=np.int64)
                passages[destination] = segment_passages[start:stop] + np.int32(segment.first_passage)
                codes[destination] = segment_codes[start:stop]
                filled[first:last] += piece
                first = last
            del segment_passages, segment_codes
            for suffix in (".counts.npy", ".passages.npy", ".codes.npy"):
                segment.path.with_suffix(suffix).unlink()
        self._segments.clear()
        return indptr, passages, codes

    def _spill(self, vocabulary_size: int) -> None:
        """The pending chunks, term-major, to disk."""
        counts, passages, codes = self._term_major(vocabulary_size)
        path = self._directory / f"segment-{len(self._segments):05d}"
        np.save(path.with_suffix(".counts.npy"), counts)
        np.save(path.with_suffix(".passages.npy"), passages)
        np.save(path.with_suffix(".codes.npy"), codes)
        if len(self._term_totals) < vocabulary_size:
            self._term_totals = np.concatenate(
                (self._term_totals, np.zeros(vocabulary_size - len(self._term_totals), dtype=np.int64))
            )
        self._term_totals += counts
        self._segments.append(_Segment(self._spilled_passages, len(passages), path))
        self._spilled_passages += self._pending_passages
        self._pending_passages = 0

    def _term_major(self, vocabulary_size: int) -> tuple[IntArray, npt.NDArray[np.int32], CodeArray]:
        """The pending chunks as (postings per term, passage ids within the segment, codes), emptied."""
        passage_counts = np.concatenate([np.zeros(0, dtype=np.int64), *self._counts])
        passage_indptr = np.zeros(len(passage_counts) + 1, dtype=np.int64)
        np.cumsum(passage_counts, out=passage_indptr[1:])
        code_dtype = np.result_type(*self._codes) if self._codes else np.dtype(np.uint16)
        matrix = scipy.sparse.csr_matrix(
            (
                _drain(self._codes, code_dtype, int(passage_indptr[-1])),
                _drain(self._terms, np.dtype(np.int32), int(passage_indptr[-1])),
                passage_indptr,
            ),
            shape=(len(passage_counts), vocabulary_size),
            copy=False,
        )
        self._counts.clear()
        by_term = matrix.tocsc()  # a counting sort: inside each term, passages come out ascending
        del matrix
        counts = np.diff(by_term.indptr).astype(np.int64)
        return counts, by_term.indices.astype(np.int32, copy=False), by_term.data


def _drain(parts: list[Any], dtype: np.dtype[Any], total: int) -> Any:
    """Concatenate while freeing the parts one by one, so the memory never holds both copies."""
    out = np.empty(total, dtype=dtype)
    position = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        out[position : position + len(part)] = part
        position += len(part)
    return out
