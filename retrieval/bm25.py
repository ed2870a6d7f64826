"""BM25 scoring with rank-bm25's BM25Okapi numbers, precomputed so a question costs only its terms' postings.

rank-bm25 walks every passage's term dictionary for every question term: simple, exact, and linear in the
corpus.  `Bm25Engine` keeps the same arithmetic but moves it to build time:

* postings are term-major (CSR by term): for each term, the ids of the passages holding it, ascending;
* every posting stores a small *code* naming its (term frequency, passage length) pair, and one table holds
  the term-frequency part of BM25 for each code, ``tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))``,
  computed exactly as rank-bm25 computes it;
* a question adds ``idf[term] * table[codes]`` into a score vector, term by term, in question order.

Those are rank-bm25's float64 operations in rank-bm25's order, so the scores are not merely close but equal
(idf uses ``math.log`` and the mean idf is summed sequentially in first-seen order, as rank-bm25 does).
Float32 weights would not hold the 1e-6 promise: a weight near 30 has float32 steps of about 2e-6.

`top_k` skips what cannot matter and returns exactly what `top_k_exhaustive`, which reads every posting,
returns: by block-max MaxScore compiled with numba (retrieval/block_max.py) in a large corpus, else by MaxScore
in numpy over each term's largest tf-part (retrieval/pruning.py).  `build` sorts postings a
segment at a time (retrieval/segments.py), so it needs memory for the finished arrays and one segment.

The vocabulary is stored as one UTF-8 blob with offsets plus its byte order, so a saved engine loads without
building a dictionary: a question's terms are found by binary search (and remembered in a small cache).
"""

from __future__ import annotations

import functools
import math
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from retrieval.passage_postings import PassagePostings, TermTable, first_seen_ids, first_seen_names
from retrieval.pruning import PostingLists, Workspace, pruned_top_k
from retrieval.segments import PostingSegments

if TYPE_CHECKING:
    from retrieval.block_max import BlockBounds, Plan

_ENGINE_FORMAT = 3  # 3: each term's largest tf-part, the upper bound pruning needs (retrieval/pruning.py)
_BUILD_CHUNK_PASSAGES = 16_384
_SEGMENT_PASSAGES = 65_536
_TERM_CACHE_SIZE = 65_536
# From this many passages, top_k runs compiled (retrieval/block_max.py): below it exhaustive scoring takes well
# under a millisecond, and numba's compiling (a few seconds, once per process) would not pay for itself.
_COMPILED_FROM_PASSAGES = 20_000
_SELECTION_BLOCK = 1 << 15
_ARRAY_NAMES = (
    "vocab_blob",
    "vocab_offsets",
    "vocab_order",
    "idf",
    "indptr",
    "passages",
    "codes",
    "code_weights",
    "term_max_weights",
)
_BOUND_CHUNK_POSTINGS = 1 << 22

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Bm25Engine:
    """BM25 scores identical to rank_bm25.BM25Okapi (same k1, b, epsilon; negative idf floored to
    epsilon * mean idf), precomputed into term-major postings."""

    def __init__(
        self,
        arrays: Mapping[str, np.ndarray],
        *,
        k1: float,
        b: float,
        epsilon: float,
        passage_count: int,
        average_length: float,
        average_idf: float,
    ) -> None:
        """Prefer `build` or `from_arrays`; this only adopts already consistent arrays (never copies them)."""
        self.k1 = k1
        self.b = b
        self.epsilon = epsilon
        self.passage_count = passage_count
        self.average_length = average_length
        self.average_idf = average_idf
        self._vocab_blob: npt.NDArray[np.uint8] = arrays["vocab_blob"]
        self._vocab_offsets: IntArray = arrays["vocab_offsets"]
        self._vocab_order: npt.NDArray[np.int32] = arrays["vocab_order"]
        self._idf: FloatArray = arrays["idf"]
        self._indptr: IntArray = arrays["indptr"]
        self._passages: npt.NDArray[np.int32] = arrays["passages"]
        self._codes: npt.NDArray[np.unsignedinteger[Any]] = arrays["codes"]
        self._code_weights: FloatArray = arrays["code_weights"]
        self._term_max_weights: FloatArray = arrays["term_max_weights"]
        self._postings = PostingLists(
            self._idf,
            self._indptr,
            self._passages,
            self._codes,
            self._code_weights,
            self._term_max_weights,
        )
        self.vocabulary_size = len(self._idf)
        self._vocab_bytes = self._vocab_blob.tobytes()  # the only copy: a few MB even for millions of terms
        self._term_id = functools.lru_cache(maxsize=_TERM_CACHE_SIZE)(self._find_term)
        self._longest_postings = int(np.diff(self._indptr).max(initial=0)) if len(self._indptr) else 0
        self._thread_local = threading.local()
        self._block_bounds: BlockBounds | None = None  # made at the first compiled question (`prepare`)
        self._block_bounds_lock = threading.Lock()
        self._without_numba = False

    # ---------------------------------------------------------------- building

    @classmethod
    def build(
        cls,
        passages: Iterable[Sequence[str]],
        *,
        k1: float,
        b: float,
        epsilon: float,
        segment_passages: int = _SEGMENT_PASSAGES,
    ) -> Bm25Engine:
        """Index tokenised passages (any iterable: a generator keeps only one chunk of token lists alive)."""
        return cls.from_postings(
            map(PassagePostings.from_token_lists, _batched(passages, min(_BUILD_CHUNK_PASSAGES, segment_passages))),
            k1=k1,
            b=b,
            epsilon=epsilon,
            segment_passages=segment_passages,
        )

    @classmethod
    def from_postings(
        cls,
        blocks: Iterable[PassagePostings],
        *,
        k1: float,
        b: float,
        epsilon: float,
        segment_passages: int = _SEGMENT_PASSAGES,
        table: TermTable | None = None,
    ) -> Bm25Engine:
        """Index passages already counted (retrieval/passage_postings.py), block after block, in passage order.

        Only the blocks' distinct terms and (tf, length) pairs are looked up; postings are sorted term-major a
        segment of `segment_passages` at a time and merged at the end (retrieval/segments.py), so the memory
        needed beyond the finished engine is one segment's. With a `table` (a live index's, kept between builds)
        the blocks are named all at once by the ids it gave them before: the same engine, without looking up
        again the terms of the documents that did not change.
        """
        names: defaultdict[str, int] = first_seen_names()
        pair_codes: defaultdict[tuple[int, int], int] = first_seen_names()
        if table is None:  # streamed: each block's terms are named as it comes
            named: Iterable[tuple[PassagePostings, IntArray]] = (
                (block, first_seen_ids(names, block.terms)) for block in blocks
            )
        else:  # all at once, by the table's ids: only blocks it has not seen are looked up term by term
            listed = list(blocks)
            terms, ids = table.vocabulary(listed)
            named = zip(listed, ids, strict=True)
        length_total = 0
        with tempfile.TemporaryDirectory(prefix="citebot-segments-") as spill:
            segments = PostingSegments(Path(spill), segment_passages)
            for block, term_ids in named:
                codes = first_seen_ids(pair_codes, block.pairs).astype(_code_dtype(len(pair_codes)))
                segments.add_chunk(
                    term_ids.astype(np.int32)[block.term_ids],
                    codes[block.pair_ids],
                    block.posting_counts,
                    len(names) if table is None else len(terms),
                )
                length_total += int(block.lengths.sum())
            if table is None:
                terms = list(names)  # by id, that is in first-seen order
            del names
            indptr, passage_ids, codes = segments.merge(len(terms), _code_dtype(len(pair_codes)))

        passage_count = segments.passage_count
        average_length = length_total / passage_count if passage_count else 0.0
        blob, offsets = _encode_vocabulary(terms)
        # Python orders str by code point, which is also the byte order of their UTF-8 encodings.
        order = np.array(sorted(range(len(terms)), key=terms.__getitem__), dtype=np.int32)
        del terms

        idf, average_idf = _okapi_idf(np.diff(indptr), passage_count, epsilon)
        code_weights = _code_weights(pair_codes, k1=k1, b=b, average_length=average_length)
        arrays: dict[str, np.ndarray] = {
            "vocab_blob": blob,
            "vocab_offsets": offsets,
            "vocab_order": order,
            "idf": idf,
            "indptr": indptr,
            "passages": passage_ids,
            "codes": codes,
            "code_weights": code_weights,
            "term_max_weights": _term_max_weights(indptr, codes, code_weights),
        }
        return cls(
            arrays,
            k1=k1,
            b=b,
            epsilon=epsilon,
            passage_count=passage_count,
            average_length=average_length,
            average_idf=average_idf,
        )

    # ---------------------------------------------------------------- scoring

    def idf(self, token: str) -> float:
        """BM25Okapi's idf after the epsilon floor; 0.0 for a token the corpus never uses."""
        term = self._term_id(token)
        return float(self._idf[term]) if term >= 0 else 0.0

    def document_frequency(self, token: str) -> int:
        """How many passages hold the token; 0 for a token the corpus never uses."""
        term = self._term_id(token)
        return int(self._indptr[term + 1] - self._indptr[term]) if term >= 0 else 0

    def scores(self, query: Sequence[str]) -> FloatArray:
        """A float64 score per passage, equal to BM25Okapi.get_scores(query); repeated tokens count twice."""
        scores = np.zeros(self.passage_count, dtype=np.float64)
        self._add_scores(query, scores, self._workspace().weights)
        return scores

    def score_bound(self, query: Sequence[str]) -> float:
        """The most any passage could score for `query` (each term's idf times its largest tf-part, summed; a
        term with a negative idf adds nothing): how close the best passage comes says how fully the documents
        match the question."""
        terms = self._term_ids(query)
        return math.fsum(max(0.0, float(self._idf[t] * self._term_max_weights[t])) for t in terms)

    def top_k(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The k best (passage id, score), best first; only scores > 0; equal scores by lower passage id.

        Exactly `top_k_exhaustive`'s answer, scores bit for bit, skipping the postings of common terms that
        cannot lift a passage into the top k: by compiled block-max MaxScore (retrieval/block_max.py) in a
        large corpus where numba is installed, else by MaxScore in numpy (retrieval/pruning.py) when that pays.
        """
        if k <= 0:
            return []
        if self.passage_count >= _COMPILED_FROM_PASSAGES:
            found = self.top_k_block_max(query, k)
            if found is not None:
                return found
        found = self.top_k_pruned(query, k)
        if found is None:  # nothing worth skipping, or a negative idf (tiny or odd corpora)
            return self.top_k_exhaustive(query, k)
        return found

    def top_k_pruned(self, query: Sequence[str], k: int, *, always: bool = False) -> list[tuple[int, float]] | None:
        """`top_k` by MaxScore, or None where exhaustive scoring is cheaper; `always` prunes wherever that can be
        exact (for tests and benchmarks): None then means a question term has a negative idf."""
        if k <= 0:
            return []
        return pruned_top_k(self._postings, self._term_ids(query), k, self._workspace(), always=always)

    def top_k_block_max(self, query: Sequence[str], k: int, *, plan: Plan = "auto") -> list[tuple[int, float]] | None:
        """`top_k` compiled, whatever the corpus's size: block-max MaxScore or every posting added, as `plan`
        says or (by default) as is cheaper for the question; None without numba or where a question term has a
        negative idf."""
        if k <= 0:
            return []
        bounds = self._block_bounds or self.prepare()
        if bounds is None:
            return None
        from retrieval.block_max import block_max_top_k  # imported by `prepare`, so only a lookup here

        return block_max_top_k(self._postings, bounds, self._term_ids(query), k, self._workspace(), plan)

    @property
    def compiled_ready(self) -> bool:
        """Whether the compiled top-k is made ready (by `warm_up`, `prepare` or a first compiled question)."""
        return self._block_bounds is not None

    def warm_up(self) -> None:
        """Where `top_k` runs compiled (a corpus of `_COMPILED_FROM_PASSAGES` or more), make it ready now, so
        that no question waits seconds for numba's compiling (in a worker, past its time limit)."""
        if self.passage_count >= _COMPILED_FROM_PASSAGES:
            self.prepare()

    def prepare(self) -> BlockBounds | None:
        """Make the compiled path ready: numba's import, the per-block bounds and its compiling (seconds, once
        per process), which the first compiled question would otherwise wait for. None without numba."""
        with self._block_bounds_lock:
            if self._block_bounds is None and not self._without_numba:
                try:  # a dependency, but where its wheels are missing the engine still answers, in numpy
                    from retrieval.block_max import BlockBounds, block_max_top_k
                except ImportError:
                    self._without_numba = True
                    return None
                self._block_bounds = BlockBounds.of(self._postings)
                if self.vocabulary_size:  # compiles for these arrays' types
                    block_max_top_k(self._postings, self._block_bounds, [0], 1, self._workspace())
            return self._block_bounds

    def top_k_exhaustive(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """`top_k` by scoring every posting of every question term: the reference the pruned path must equal."""
        if k <= 0:
            return []
        workspace = self._workspace()
        scores = workspace.scores
        try:
            self._add_scores(query, scores, workspace.weights)
            return _best(scores, k)
        finally:
            scores.fill(0.0)  # the workspace is all zeros between questions

    def _add_scores(self, query: Sequence[str], scores: FloatArray, weights: FloatArray) -> None:
        """Add each known token's postings, in question order (rank-bm25's order of additions)."""
        for term in self._term_ids(query):
            start, end = int(self._indptr[term]), int(self._indptr[term + 1])
            term_weights = weights[: end - start]
            np.take(self._code_weights, self._codes[start:end], out=term_weights, mode="clip")  # "clip": unbuffered
            term_weights *= self._idf[term]  # idf * tf-part, the product rank-bm25 forms
            np.add.at(scores, self._passages[start:end], term_weights)  # numpy 2's add.at: a fast scatter-add

    def _workspace(self) -> Workspace:
        """This thread's buffers (retrieval/pruning.py), made at its first question."""
        workspace: Workspace | None = getattr(self._thread_local, "workspace", None)
        if workspace is None:
            workspace = Workspace(self.passage_count, self._longest_postings)
            self._thread_local.workspace = workspace
        return workspace

    def _term_ids(self, query: Sequence[str]) -> list[int]:
        return [term for term in map(self._term_id, query) if term >= 0]

    def _find_term(self, token: str) -> int:
        """Binary search over the vocabulary in byte order; -1 when the token is not in it."""
        key = token.encode("utf-8", "surrogatepass")
        text, offsets, order = self._vocab_bytes, self._vocab_offsets, self._vocab_order
        low, high = 0, self.vocabulary_size
        while low < high:
            middle = (low + high) // 2
            term = int(order[middle])
            if text[offsets[term] : offsets[term + 1]] < key:
                low = middle + 1
            else:
                high = middle
        if low < self.vocabulary_size:
            term = int(order[low])
            if text[offsets[term] : offsets[term + 1]] == key:
                return term
        return -1

    # ---------------------------------------------------------------- persistence

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Everything `from_arrays` needs: the arrays, plus small JSON-able parameters."""
        arrays: dict[str, np.ndarray] = {
            "vocab_blob": self._vocab_blob,
            "vocab_offsets": self._vocab_offsets,
            "vocab_order": self._vocab_order,
            "idf": self._idf,
            "indptr": self._indptr,
            "passages": self._passages,
            "codes": self._codes,
            "code_weights": self._code_weights,
            "term_max_weights": self._term_max_weights,
        }
        meta: dict[str, Any] = {
            "engine_format": _ENGINE_FORMAT,
            "k1": self.k1,
            "b": self.b,
            "epsilon": self.epsilon,
            "passage_count": self.passage_count,
            "average_length": self.average_length,
            "average_idf": self.average_idf,
        }
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> Bm25Engine:
        """Adopt saved arrays as they are (read-only views of the loaded file welcome, nothing big is copied).

        Raises ValueError when the arrays do not fit together, e.g. saved by another engine format.
        """
        if meta.get("engine_format") != _ENGINE_FORMAT:
            raise ValueError(f"BM25 engine format {meta.get('engine_format')!r}, expected {_ENGINE_FORMAT}")
        missing = [name for name in _ARRAY_NAMES if name not in arrays]
        if missing:
            raise ValueError(f"BM25 arrays missing: {', '.join(missing)}")
        try:
            engine = cls(
                arrays,
                k1=float(meta["k1"]),
                b=float(meta["b"]),
                epsilon=float(meta["epsilon"]),
                passage_count=int(meta["passage_count"]),
                average_length=float(meta["average_length"]),
                average_idf=float(meta["average_idf"]),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"BM25 parameters incomplete: {error}") from error
        engine._check_consistency()
        return engine

    def _check_consistency(self) -> None:
        """Cheap shape and bound checks, so damaged arrays fail here and not as an IndexError mid-question."""
        vocabulary, postings = self.vocabulary_size, len(self._passages)
        checks = {
            "vocab_offsets": len(self._vocab_offsets) == vocabulary + 1
            and self._vocab_offsets[-1] == len(self._vocab_blob),
            "vocab_order": len(self._vocab_order) == vocabulary,
            "indptr": len(self._indptr) == vocabulary + 1 and self._indptr[-1] == postings,
            "codes": len(self._codes) == postings,
            "passages": postings == 0 or int(self._passages.max()) < self.passage_count,
            "code_weights": postings == 0 or int(self._codes.max()) < len(self._code_weights),
            "term_max_weights": len(self._term_max_weights) == vocabulary,
        }
        broken = [name for name, ok in checks.items() if not ok]
        if broken:
            raise ValueError(f"BM25 arrays inconsistent: {', '.join(broken)}")


def _best(scores: FloatArray, k: int) -> list[tuple[int, float]]:
    """Top k of the positive scores, best first, ties to the lower id.

    Block by block with a rising floor (the k-th best so far), so the temporaries stay small however many
    passages there are: big short-lived arrays would be handed back to the OS and page-fault on every question.
    """
    ids = np.zeros(0, dtype=np.int64)
    values = np.zeros(0, dtype=np.float64)
    floor = 0.0
    for start in range(0, len(scores), _SELECTION_BLOCK):
        block = scores[start : start + _SELECTION_BLOCK]
        hits = np.flatnonzero(block >= floor if floor > 0 else block > 0)
        if not len(hits):
            continue
        ids = np.concatenate((ids, hits + start))
        values = np.concatenate((values, block[hits]))
        if len(values) >= k:
            floor = float(np.partition(values, len(values) - k)[len(values) - k])
            keep = values >= floor  # every tie at the floor stays: the lower id must win
            ids, values = ids[keep], values[keep]
    best = np.lexsort((ids, -values))[:k]
    return [(int(ids[i]), float(values[i])) for i in best]


def _batched(passages: Iterable[Sequence[str]], size: int) -> Iterator[list[Sequence[str]]]:
    batch: list[Sequence[str]] = []
    for passage in passages:
        batch.append(passage)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _term_max_weights(
    indptr: IntArray, codes: npt.NDArray[np.unsignedinteger[Any]], code_weights: FloatArray
) -> FloatArray:
    """Each term's largest tf-part, MaxScore's upper bound; a few million postings at a time, to bound memory."""
    terms = len(indptr) - 1
    out = np.zeros(terms, dtype=np.float64)
    first = 0
    while first < terms:  # every term has at least one posting, so reduceat's segments are never empty
        last = int(np.searchsorted(indptr, indptr[first] + _BOUND_CHUNK_POSTINGS, side="right")) - 1
        last = min(max(last, first + 1), terms)
        start, end = int(indptr[first]), int(indptr[last])
        out[first:last] = np.maximum.reduceat(code_weights[codes[start:end]], indptr[first:last] - start)
        first = last
    return out


def _code_dtype(code_count: int) -> type[np.unsignedinteger[Any]]:
    return np.uint16 if code_count <= np.iinfo(np.uint16).max + 1 else np.uint32


def _encode_vocabulary(terms: list[str]) -> tuple[npt.NDArray[np.uint8], IntArray]:
    encoded = [term.encode("utf-8", "surrogatepass") for term in terms]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(term) for term in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def _okapi_idf(document_frequency: IntArray, passage_count: int, epsilon: float) -> tuple[FloatArray, float]:
    """rank-bm25's idf bit for bit: math.log per distinct frequency, mean summed in first-seen term order."""
    distinct, inverse = np.unique(document_frequency, return_inverse=True)
    per_distinct = np.array(
        [math.log(passage_count - int(df) + 0.5) - math.log(int(df) + 0.5) for df in distinct],
        dtype=np.float64,
    )
    idf = per_distinct[inverse].reshape(-1)
    if len(idf) == 0:
        return idf, 0.0
    average_idf = float(np.add.accumulate(idf)[-1]) / len(idf)  # summed one by one, like rank-bm25
    idf[idf < 0] = epsilon * average_idf
    return idf, average_idf


def _code_weights(
    pair_codes: Mapping[tuple[int, int], int], *, k1: float, b: float, average_length: float
) -> FloatArray:
    """The term-frequency part of BM25 for every (tf, passage length) code, in rank-bm25's operation order."""
    pairs = np.array(list(pair_codes), dtype=np.float64).reshape(-1, 2)
    tf, dl = pairs[:, 0], pairs[:, 1]
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / average_length)), dtype=np.float64)
